package ari

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
)

func TestDialExtension(t *testing.T) {
	ok := []struct {
		req  engine.DialRequest
		want string
	}{
		{engine.DialRequest{Dialed: "+3250123456", Endpoint: "PJSIP/3221234567@trunk-out", CallerID: "+32477123456", Timeout: 20 * time.Second},
			"20*3250123456*+32477123456*PJSIP/3221234567@trunk-out"},
		// Withheld or unreadable caller: the caller's own is presented;
		// no timeout: no limit; part seconds round up.
		{engine.DialRequest{Dialed: "3250123456", Endpoint: "Local/100@ctx/n", CallerID: "anonymous"}, "*3250123456**Local/100@ctx/n"},
		{engine.DialRequest{Dialed: "+3250123456", Endpoint: "SIP/a", Timeout: 1500 * time.Millisecond}, "2*3250123456**SIP/a"},
	}
	for _, tt := range ok {
		got, err := dialExtension(tt.req)
		if err != nil || got != tt.want {
			t.Errorf("dialExtension(%+v) = %q, %v; want %q", tt.req, got, err, tt.want)
		}
	}
	for name, req := range map[string]engine.DialRequest{
		"two destinations": {Dialed: "+32", Endpoint: "PJSIP/1@a&PJSIP/2@b"},
		"dial options":     {Dialed: "+32", Endpoint: "PJSIP/1@a,30,tT"},
		"a variable":       {Dialed: "+32", Endpoint: "PJSIP/${X}@a"},
		"separator":        {Dialed: "+32", Endpoint: "PJSIP/1*2@a"},
		"no dial string":   {Dialed: "+32"},
		"no dialed number": {Endpoint: "PJSIP/1@a"},
		"too long":         {Dialed: "+3250123456", Endpoint: "PJSIP/3221234567@" + strings.Repeat("x", 60)},
	} {
		if ext, err := dialExtension(req); !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("%s: dialExtension = %q, %v; want ErrUnsupported", name, ext, err)
		}
	}
}

// FuzzDialExtension: whatever the request, an extension that is made fits
// Asterisk and splits back into its four fields.
func FuzzDialExtension(f *testing.F) {
	f.Add("+3250123456", "PJSIP/3221234567@trunk-out", "+32477123456", int64(20e9))
	f.Add("", "Local/1@c", "x*y", int64(-1))
	f.Fuzz(func(t *testing.T, dialed, endpoint, caller string, timeout int64) {
		ext, err := dialExtension(engine.DialRequest{Dialed: dialed, Endpoint: endpoint, CallerID: caller, Timeout: time.Duration(timeout)})
		if err != nil {
			return
		}
		parts := strings.SplitN(ext, "*", 4)
		if len(ext) > maxExtension || len(parts) != 4 || parts[3] != endpoint || strings.Contains(parts[3], "*") {
			t.Fatalf("extension %q for %q %q %q", ext, dialed, endpoint, caller)
		}
	})
}
