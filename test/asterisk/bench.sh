#!/usr/bin/env bash
# bench.sh — call-load bench through the real Asterisk with SIPp.
#
# Sends the same SIPp load (new calls of 1 s at rising rates) through two
# paths on the same Asterisk, taking turns at each rate:
#   plain  the dialplan Dial()s the destination (context vms-bench-plain);
#   ari    the call enters Stasis(vms), VMS's ari driver and controller
#          (in the bench process) evaluate a one-node routing tree and
#          hand the call to the shipped vms-dial context, which Dial()s;
#   ari-bridge (only when asked) the same controller with BridgeCalls:
#          it originates the destination leg and bridges it over REST.
# Reports per run the failures and set-up time (INVITE → 200 OK) p50/p95,
# REST calls per call and CPU per call, then each path's highest rate held
# with no failed call and the ARI/plain ratios against the aims.
#
#   test/asterisk/bench.sh                       # quick try, 10 s per rate
#   VMS_BENCH_HOLD=60s test/asterisk/bench.sh    # what `make bench-calls` runs
#
# Settings (environment):
#   VMS_BENCH_PATHS    plain,ari (default both), ari-bridge, ari-continue
#   VMS_BENCH_RATES    asked rates, e.g. "25,50,100,150,200,250,300" (default)
#   VMS_BENCH_HOLD     how long each rate is held (default 10s)
#   VMS_BENCH_CALL     call length (default 1s)
#   VMS_BENCH_ALL_RATES=1  go on after a path's first rate with failures
#   VMS_BENCH_OUT      also write the report as Markdown to this file
#   VMS_BENCH_PROFILE  directory for CPU profiles of the bench process
#                      during the ARI runs (go tool pprof)
# Needs root, SIPp and the Asterisk root (test/asterisk/install.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "bench.sh: must run as root (Asterisk runs in a chroot)" >&2; exit 1; }
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
exec go test -tags bench -v -count=1 -run '^TestCallLoad$' -timeout 0 ./test/bench/
