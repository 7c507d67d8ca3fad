#!/bin/sh
# build.sh bundles JsSIP into portal/static/jssip.min.js: one minified IIFE
# that sets window.JsSIP, for the agent softphone page (ACM-6).
#
# The bundle is committed so that `go build` and CI never need npm; run this
# only to change the JsSIP or esbuild version (pinned exactly in package.json
# and package-lock.json). Output is deterministic: the same lock file gives
# the same bytes and SHA-256.
#
# The portal's CSP is script-src 'self' (no eval): the script fails if the
# bundle contains eval( or new Function / Function( calls.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../portal/static/jssip.min.js"
cd "$here"

# esbuild's postinstall only verifies its binary, which comes from the
# pinned @esbuild/<platform> optional package; no install script is needed.
npm ci --ignore-scripts --no-audit --no-fund

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version() {
	node -p "require('./node_modules/$1/package.json').version"
}

# License header: MIT requires the copyright and permission notices of every
# bundled package to travel with the copy, JsSIP's first.
{
	echo '/*!'
	echo " * JsSIP $(version jssip) for the VMS agent softphone, bundled with esbuild $(version esbuild)."
	echo ' * Rebuild: web/softphone/build.sh. Bundled packages and their licenses follow.'
	echo ' *'
	for pkg in jssip debug ms events sdp-transform; do
		lic=$(ls node_modules/$pkg | grep -i -m1 -E '^licen[cs]e')
		echo " * ---- $pkg $(version $pkg) ($lic) ----"
		sed -e 's#\*/#* /#g' -e 's#^# * #' -e 's# *$##' "node_modules/$pkg/$lic"
		echo ' *'
	done
	echo ' */'
} >"$tmp/header.js"

./node_modules/.bin/esbuild entry.js \
	--bundle \
	--format=iife \
	--platform=browser \
	--target=es2020 \
	--minify \
	--legal-comments=none \
	--log-level=warning \
	--outfile="$tmp/bundle.js"

cat "$tmp/header.js" "$tmp/bundle.js" >"$out"

# CSP check: script-src 'self' forbids eval and the Function constructor.
if grep -n -o -E '(^|[^A-Za-z0-9_$.])eval\(|new Function|[^A-Za-z0-9_$.]Function\(' "$tmp/bundle.js" >"$tmp/csp"; then
	echo "build.sh: bundle needs eval or the Function constructor (blocked by CSP script-src 'self'):" >&2
	cat "$tmp/csp" >&2
	exit 1
fi

echo "wrote portal/static/jssip.min.js"
echo "size:   $(wc -c <"$out") bytes"
echo "sha256: $(sha256sum "$out" | cut -d' ' -f1)"
echo "csp:    no eval, no new Function"
