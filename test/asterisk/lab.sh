#!/usr/bin/env bash
# lab.sh — a local Asterisk 22 for `make run`: the configuration VMS ships in
# dialplans/asterisk, run unmodified from the root test/asterisk/install.sh
# built, with a SIPp peer standing in for the operator's network (it answers
# every call VMS sends out over trunk-out).
#
#   lab.sh start    start Asterisk (ARI on 127.0.0.1:8088, SIP on 5060) and
#                   the answering peer (127.0.0.1:5070); prints VMS_* settings
#   lab.sh stop     stop both
#   lab.sh call [N] place one test call to number N (default the demo
#                   number 3225550100) from 127.0.0.1:5061 and say how it ended
#   lab.sh status   is it running?
#
# Needs root (chroot) and a complete root; exits 3 when it cannot run, so
# `make run` falls back to the portal alone.
set -euo pipefail

ROOT="${VMS_ASTERISK_ROOT:-/opt/vms/asterisk-root}"
TOP="$(cd "$(dirname "$0")/../.." && pwd)"
LAB_INNER=/var/tmp/vms-lab            # inside the root
LAB="$ROOT$LAB_INNER"
PASSWORD="${VMS_LAB_ARI_PASSWORD:-vms-lab-password}"
HTTP_PORT=8088 SIP_PORT=5060 PEER_PORT=5070 CALLER_PORT=5061
STATE="$TOP/var/lab"

say() { echo "lab: $*" >&2; }
cannot() { say "$*"; exit 3; }

running() { [ -f "$STATE/asterisk.pid" ] && kill -0 "$(cat "$STATE/asterisk.pid")" 2>/dev/null; }

start() {
	[ "$(id -u)" -eq 0 ] || cannot "not root: a local Asterisk needs chroot; running the portal alone"
	[ -f "$ROOT/.vms-asterisk-root" ] || cannot "no Asterisk root at $ROOT (build it with: sudo bash test/asterisk/install.sh); running the portal alone"
	command -v sipp >/dev/null || cannot "sipp not installed (apt-get install sip-tester); running the portal alone"
	if running; then say "already running"; print_env; return; fi
	mkdir -p "$STATE" "$LAB"/{etc,lib,spool,run,log,cache}
	cp "$TOP"/dialplans/asterisk/*.conf "$LAB/etc/"
	local moddir
	moddir=$(ls -d "$ROOT"/usr/lib/*/asterisk/modules | head -n1); moddir=${moddir#"$ROOT"}
	cat >"$LAB/etc/asterisk.conf" <<CONF
[directories]
astcachedir => $LAB_INNER/cache
astetcdir => $LAB_INNER/etc
astmoddir => $moddir
astvarlibdir => /var/lib/asterisk
astdbdir => $LAB_INNER/lib
astkeydir => $LAB_INNER/lib
astdatadir => /usr/share/asterisk
astagidir => /usr/share/asterisk/agi-bin
astspooldir => $LAB_INNER/spool
astrundir => $LAB_INNER/run
astlogdir => $LAB_INNER/log
astsbindir => /usr/sbin

[options]
runuser = asterisk
rungroup = asterisk
transmit_silence = yes
CONF
	# The lab's "operator network" is 127.0.0.1: calls come from there and
	# go out to the answering peer.
	sed -i -e "s/^bindport = .*/bindport = $HTTP_PORT/" "$LAB/etc/http.conf"
	sed -i -e "s/^password = .*/password = $PASSWORD/" "$LAB/etc/ari.conf"
	sed -i -e "s#^bind = 0.0.0.0:5060#bind = 127.0.0.1:$SIP_PORT#" \
		-e "s#^contact = sip:192.0.2.10:5060#contact = sip:127.0.0.1:$PEER_PORT#" \
		-e "s#^match = 192.0.2.10#match = 127.0.0.1:$CALLER_PORT#" \
		-e "s#^qualify_frequency = .*#qualify_frequency = 0#" "$LAB/etc/pjsip.conf"
	cp /etc/hosts "$ROOT/etc/hosts"
	mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
	chroot "$ROOT" chown -R asterisk:asterisk "$LAB_INNER"
	rm -f "$LAB/run/asterisk.ctl"
	setsid chroot "$ROOT" /usr/sbin/asterisk -C "$LAB_INNER/etc/asterisk.conf" -U asterisk -G asterisk -f -n \
		>"$STATE/asterisk.out" 2>&1 &
	echo $! >"$STATE/asterisk.pid"
	for _ in $(seq 1 120); do
		curl -fsS -u "vms:$PASSWORD" "http://127.0.0.1:$HTTP_PORT/ari/asterisk/info" >/dev/null 2>&1 && break
		running || { tail -n 20 "$STATE/asterisk.out" >&2; cannot "Asterisk exited during start-up"; }
		sleep 0.5
	done
	curl -fsS -u "vms:$PASSWORD" "http://127.0.0.1:$HTTP_PORT/ari/asterisk/info" >/dev/null \
		|| cannot "Asterisk's ARI did not answer on port $HTTP_PORT"
	# sipp -bg exits 99 after forking: check for the process instead.
	(cd "$STATE" && setsid sipp -sn uas -i 127.0.0.1 -p "$PEER_PORT" -bg -trace_msg \
		-message_file "$STATE/peer-messages.log" >/dev/null 2>&1) || true
	sleep 0.3
	pgrep -f "sipp -sn uas -i 127.0.0.1 -p $PEER_PORT" >/dev/null || say "answering peer did not start"
	say "Asterisk $(chroot "$ROOT" /usr/sbin/asterisk -V) running (ARI 127.0.0.1:$HTTP_PORT, SIP 127.0.0.1:$SIP_PORT); answering peer on 127.0.0.1:$PEER_PORT"
	print_env
}

print_env() {
	echo "VMS_ARI_URL=http://127.0.0.1:$HTTP_PORT"
	echo "VMS_ARI_USER=vms"
	echo "VMS_ARI_PASSWORD=$PASSWORD"
}

stop() {
	if running; then
		chroot "$ROOT" /usr/sbin/asterisk -C "$LAB_INNER/etc/asterisk.conf" -rx 'core stop now' >/dev/null 2>&1 || true
		for _ in $(seq 1 20); do running || break; sleep 0.25; done
		running && kill -9 "$(cat "$STATE/asterisk.pid")" 2>/dev/null || true
		say "Asterisk stopped"
	fi
	rm -f "$STATE/asterisk.pid"
	pkill -f "sipp -sn uas -i 127.0.0.1 -p $PEER_PORT" 2>/dev/null || true
}

call() {
	local number="${1:-3225550100}"
	running || { say "the lab is not running (make run starts it)"; exit 1; }
	say "calling $number from 127.0.0.1:$CALLER_PORT (a 30 s call: without a key press the demo menu sends it to reception after about 15 s)…"
	local out rc=0
	out=$(cd "$STATE" && timeout 60 sipp -sn uac -i 127.0.0.1 -p "$CALLER_PORT" -s "$number" -m 1 -d 30000 \
		"127.0.0.1:$SIP_PORT" -trace_msg -message_file "$STATE/caller-messages.log" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		say "the call was answered and ended normally"
	else
		say "the call did not complete (sipp exit $rc): see $STATE/caller-messages.log"
	fi
	local invites
	invites=$(grep -c '^INVITE' "$STATE/peer-messages.log" 2>/dev/null || true)
	say "where it went: the answering peer (the operator network) received ${invites:-0} INVITE(s) so far; the last one was for:"
	grep -A12 '^INVITE' "$STATE/peer-messages.log" 2>/dev/null | grep '^To:' | tail -n1 >&2 || true
	say "and in the portal: Calls page of the demo customer (path through the tree, legs)"
	return "$rc"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
call) shift; call "$@" ;;
status) if running; then say "running"; else say "not running"; exit 1; fi ;;
*) echo "usage: $0 start|stop|call [number]|status" >&2; exit 2 ;;
esac
