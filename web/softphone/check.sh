#!/bin/sh
# check.sh loads portal/static/jssip.min.js in headless Chromium under the
# portal's CSP (script-src 'self') and checks that window.JsSIP has the
# version pinned in package.json, that a UA can be built, and that the bundle
# caused no CSP violation. Needs /usr/bin/chromium (or $CHROMIUM); no network.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
want=$(sed -n 's/^ *"jssip": "\([^"]*\)".*/\1/p' "$here/package.json")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/check/index.html" "$here/check/watch.js" "$here/check/check.js" "$tmp/"
cp "$here/../../portal/static/jssip.min.js" "$tmp/"

timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking --disable-component-update \
	--disable-sync --user-data-dir="$tmp/profile" --virtual-time-budget=5000 \
	--dump-dom "file://$tmp/index.html" 2>"$tmp/chromium.log" >"$tmp/dom.html" || {
	echo "check.sh: chromium failed:" >&2
	tail -20 "$tmp/chromium.log" >&2
	exit 1
}
got=$(sed -n '/<pre id="out">/,/<\/pre>/p' "$tmp/dom.html" | sed -e 's/.*<pre id="out">//' -e 's#</pre>.*##')
echo "$got"

expect="version=$want
ua=true
uriPort=5060
evalBlocked=true
violations=1"
if [ "$got" != "$expect" ]; then
	echo "check.sh: FAIL, want:" >&2
	echo "$expect" >&2
	exit 1
fi
echo "check.sh: ok"
