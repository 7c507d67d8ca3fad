// Package sipptest drives real SIP calls with SIPp (Debian package
// sip-tester) for end-to-end tests against a real Asterisk: UAS peers that
// stand for destinations (answer, busy, no answer, unreachable) and record
// the INVITEs they receive, and UAC runs that place one call or a load of
// calls and report their outcome and set-up times.
//
// It owns the SIPp processes and their scenarios (scenarios/*.xml,
// embedded) only: it never starts Asterisk (see test/astertest) and knows
// nothing of VMS's routing. Every SIPp process is killed at test cleanup;
// its logs stay in t.TempDir and are printed when the test fails.
package sipptest

import (
	"bytes"
	"embed"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/vmsplatform/vms/internal/testenv"
)

//go:embed scenarios/*.xml
var scenarios embed.FS

// sippPath returns the sipp binary or stops the test through
// testenv.Missing.
func sippPath(t testing.TB) string {
	t.Helper()
	p, err := lookPath("sipp")
	if err != nil {
		testenv.Missing(t, "SIPp (sipp) not found: install Debian's sip-tester, or run `sudo test/asterisk/install.sh`")
	}
	return p
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that the kernel just gave
// out and released, for a SIPp peer or an Asterisk endpoint's address.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sipptest: free udp port: %v", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// freeMediaPort returns a free even UDP port whose next port is free too
// (SIPp binds RTP and RTCP on consecutive ports).
func freeMediaPort(t testing.TB) int {
	t.Helper()
	for range 50 {
		p := FreeUDPPort(t) &^ 1
		ok := true
		for _, q := range []int{p, p + 1, p + 2, p + 3} {
			c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", q))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatalf("sipptest: no free media port pair")
	return 0
}

// renderScenario writes an embedded scenario, rendered with data, into dir
// and returns its path.
func renderScenario(t testing.TB, dir, name string, data any) string {
	t.Helper()
	raw, err := scenarios.ReadFile("scenarios/" + name)
	if err != nil {
		t.Fatalf("sipptest: scenario %s: %v", name, err)
	}
	tmpl, err := template.New(name).Parse(string(raw))
	if err != nil {
		t.Fatalf("sipptest: scenario %s: %v", name, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatalf("sipptest: scenario %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatalf("sipptest: scenario %s: %v", name, err)
	}
	return p
}

// dumpLogs prints the tail of every file in dir (SIPp's logs).
func dumpLogs(t testing.TB, what, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var b strings.Builder
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".xml") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if len(data) > 6000 {
			data = append([]byte("…"), data[len(data)-6000:]...)
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", e.Name(), data)
	}
	t.Logf("sipptest: %s logs in %s:\n%s", what, dir, b.String())
}
