#!/usr/bin/env bash
# bench.sh — call-load bench through the real Asterisk with SIPp.
#
# Drives new calls at rising rates through one call path and reports, per
# rate, failures and set-up time p50/p95, then the highest rate held for
# the whole hold time with no failure.
#
#   test/asterisk/bench.sh                 # plain dialplan Dial(), 10 s per rate
#   VMS_BENCH_HOLD=60s test/asterisk/bench.sh
#   VMS_BENCH_PATH=ari test/asterisk/bench.sh   # VMS ARI path (needs the
#       controller hook bench.Paths["ari"].Setup in test/bench)
#
# Settings (environment): VMS_BENCH_PATH plain|ari, VMS_BENCH_RATES
# "25,50,100", VMS_BENCH_HOLD (per rate, default 10s), VMS_BENCH_CALL (call
# length, default 1s), VMS_BENCH_ALL_RATES=1 (do not stop at the first rate
# with failures). Needs root and the Asterisk root (test/asterisk/install.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "bench.sh: must run as root (Asterisk runs in a chroot)" >&2; exit 1; }
export VMS_BENCH=1
exec go test -v -count=1 -run '^TestCallLoad$' -timeout 0 ./test/bench/
