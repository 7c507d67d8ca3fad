// Package failover proves the reliability promises of issue "Calls through
// a real Asterisk" with the real vms binary (ENG-1, ENG-3, TRM-6): a VMS
// process killed with SIGKILL mid-traffic, a VMS restart that adopts the
// calls it left up, an Asterisk restart under a running VMS, and a
// PostgreSQL outage during which calls are still routed.
//
// The tests build ./cmd/vms once per run, seed a PostgreSQL database
// through the store package, start an unmodified Asterisk 22 with the
// shipped dialplan (test/astertest), and place real SIP calls with SIPp
// (test/sipptest). One SIPp UAS answers for the operator network behind the
// endpoint "out"; the Request-URI of each INVITE it receives tells which
// number was really dialled, by VMS or by the static fallback.
//
// Run them with `go test -race ./test/failover/` (about a minute and a half
// with the build, as root, with the Asterisk root of
// test/asterisk/install.sh); VMS_FAILOVER_LOGS=1 prints the binary's logs
// even when the tests pass.
//
// The package holds tests only. It never stops the shared PostgreSQL
// server: the outage is a TCP proxy of the test's own that it closes.
// Missing Asterisk, SIPp, PostgreSQL or Go toolchain skip the tests, and
// fail them under CI=true (internal/testenv).
package failover
