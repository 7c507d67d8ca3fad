package portal

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vmsplatform/vms"
)

func TestCleanEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Dora@Delta.example", "dora@delta.example", true},
		{"  a.b+c@x.example ", "a.b+c@x.example", true},
		{"a@localhost", "", false},
		{"Dora <dora@delta.example>", "", false},
		{"dora@", "", false},
		{"", "", false},
		{"a@b.example\n", "a@b.example", true},
		{"a\x00@b.example", "", false},
	} {
		got, err := cleanEmail("email", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("cleanEmail(%q) = %q, %v", tc.in, got, err)
		}
		if err != nil && vms.ErrorField(err) != "email" {
			t.Errorf("cleanEmail(%q) names field %q", tc.in, vms.ErrorField(err))
		}
	}
}

// FuzzInputCleaners feeds outside input to the portal's own parsers:
// they never panic, and what they accept is within the stored limits.
func FuzzInputCleaners(f *testing.F) {
	for _, s := range []string{"", "Dora@Delta.example", "Europe/Brussels", "../../etc/passwd", "be", "acm,recording", "x\x00y", strings.Repeat("é", 201), `{"Name":"a","PasswordHash":"h"}`, "Local"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := cleanText("name", s, true, maxName); err == nil {
			if v == "" || utf8.RuneCountInString(v) > maxName || !utf8.ValidString(v) {
				t.Errorf("cleanText accepted %q as %q", s, v)
			}
		}
		if v, err := cleanEmail("email", s); err == nil {
			if len(v) > maxEmail || v != strings.ToLower(v) || !strings.Contains(v, "@") {
				t.Errorf("cleanEmail accepted %q as %q", s, v)
			}
		}
		if v, err := cleanTimeZone(s); err == nil && (len(v) > 64 || strings.Contains(v, "..")) {
			t.Errorf("cleanTimeZone accepted %q", s)
		}
		if v, err := cleanRegion(s); err == nil && len(v) != 2 {
			t.Errorf("cleanRegion accepted %q as %q", s, v)
		}
		if _, opts, err := parseFormula("Classic", strings.Split(s, ";")); err == nil && len(opts) > 500 {
			t.Errorf("parseFormula accepted %q", s)
		}
		if m, ok := auditObject(s); ok {
			for k := range m {
				if secretKey(k) {
					t.Errorf("auditObject kept secret key %q", k)
				}
			}
		}
	})
}
