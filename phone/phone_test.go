package phone

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmsplatform/vms"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		region string
		want   string
	}{
		{"national Brussels", "02 511 22 33", "", "+3225112233"},
		{"national compact", "025112233", "", "+3225112233"},
		{"international plus", "+32 2 511 22 33", "", "+3225112233"},
		{"international 00", "0032 2 511 22 33", "", "+3225112233"},
		{"already E.164", "+3225112233", "", "+3225112233"},
		{"trunk zero in brackets", "+32 (0)2 511 22 33", "", "+3225112233"},
		{"trunk zero after country code", "+32 02 511 22 33", "", "+3225112233"},
		{"dots", "02.511.22.33", "", "+3225112233"},
		{"dashes", "02-511-22-33", "", "+3225112233"},
		{"slash", "02/511 22 33", "", "+3225112233"},
		{"parentheses", "(02) 511 22 33", "", "+3225112233"},
		{"no-break spaces", "02\u00a0511\u00a022\u00a033", "", "+3225112233"},
		{"surrounding space", "  02 511 22 33\t", "", "+3225112233"},
		{"explicit BE", "09 210 10 10", "BE", "+3292101010"},
		{"lowercase region", "09 210 10 10", "be", "+3292101010"},
		{"Belgian mobile", "0475 12 34 56", "", "+32475123456"},
		{"Belgian freephone", "0800 50 500", "", "+3280050500"},
		{"foreign number written internationally", "+33 1 23 45 67 89", "", "+33123456789"},
		{"foreign number with 00", "0033 1 23 45 67 89", "", "+33123456789"},
		{"national in another region", "01 23 45 67 89", "FR", "+33123456789"},
		{"UIFN", "+800 1234 5678", "", "+80012345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in, tt.region)
			if err != nil {
				t.Fatalf("Normalize(%q, %q): %v", tt.in, tt.region, err)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q, %q) = %q, want %q", tt.in, tt.region, got, tt.want)
			}
		})
	}
}

func TestNormalizeRefuses(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		region string
		field  string
		reason string
	}{
		{"empty", "", "", "number", "is required"},
		{"blank", "   ", "", "number", "is required"},
		{"letters", "02 511 CALL", "", "number", "unexpected character 'C'"},
		{"extension", "02 511 22 33 ext. 5", "", "number", "unexpected character"},
		{"plus inside", "02+5112233", "", "number", "unexpected character '+'"},
		{"no digits", "+ ()", "", "number", "no digits"},
		{"too short", "021", "", "number", "too short"},
		{"too long", "0212345678901", "", "number", "too long"},
		{"absurdly long", strings.Repeat("1", 100), "", "number", "too long"},
		{"unknown country code", "+999 1234 5678", "", "number", "unknown country code"},
		{"unassigned Belgian range", "02 123 45 67", "", "number", "not a valid number for BE"},
		{"unknown region", "02 511 22 33", "XX", "region", "not a known region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in, tt.region)
			var e *vms.Error
			if !errors.As(err, &e) || e.Code != vms.EINVALID || e.Field != tt.field {
				t.Fatalf("Normalize(%q) = %q, %v; want EINVALID on %s", tt.in, got, err, tt.field)
			}
			if !strings.Contains(e.Message, tt.reason) {
				t.Errorf("message %q does not say %q", e.Message, tt.reason)
			}
		})
	}
}

func TestKindAndRegion(t *testing.T) {
	tests := []struct {
		e164   string
		kind   Kind
		region string
	}{
		{"+3225112233", Fixed, "BE"},
		{"+32475123456", Mobile, "BE"},
		{"+3280050500", Freephone, "BE"},
		{"+3290012345", Premium, "BE"},
		{"+3270223344", Premium, "BE"},
		{"+3278151515", UAN, "BE"},
		{"+80012345678", Freephone, "001"},
		{"+33123456789", Fixed, "FR"},
		{"+33612345678", Mobile, "FR"},
		{"+12025550100", FixedOrMobile, "US"},
		{"+3221234567", Unknown, ""}, // unassigned range
		{"3225112233", Unknown, ""},  // no plus
		{"", Unknown, ""},
		{"+32 2 511 22 33", Unknown, ""}, // not E.164
	}
	for _, tt := range tests {
		t.Run(tt.e164, func(t *testing.T) {
			if got := KindOf(tt.e164); got != tt.kind {
				t.Errorf("KindOf = %q, want %q", got, tt.kind)
			}
			if got := RegionOf(tt.e164); got != tt.region {
				t.Errorf("RegionOf = %q, want %q", got, tt.region)
			}
		})
	}
}

func TestIsInternational(t *testing.T) {
	tests := []struct {
		e164, home string
		want       bool
	}{
		{"+3225112233", "", false},
		{"+3225112233", "BE", false},
		{"+3225112233", "be", false},
		{"+33123456789", "BE", true},
		{"+33123456789", "FR", false},
		{"+80012345678", "BE", true},
		{"garbage", "BE", true},
	}
	for _, tt := range tests {
		t.Run(tt.e164+"/"+tt.home, func(t *testing.T) {
			if got := IsInternational(tt.e164, tt.home); got != tt.want {
				t.Errorf("IsInternational(%q, %q) = %v, want %v", tt.e164, tt.home, got, tt.want)
			}
		})
	}
}

// TestCheckActivation covers every refusal of NUM-2, each with its own
// reason, and the accepted cases.
func TestCheckActivation(t *testing.T) {
	geo := Line{E164: "+3225112233", OnNetwork: true}
	with := func(f func(*Line)) Line { l := geo; f(&l); return l }
	tests := []struct {
		name   string
		line   Line
		home   string
		reason string // "" when accepted
	}{
		{"geographic on network", geo, "", ""},
		{"geographic, explicit home", geo, "BE", ""},
		{"destination of a marketing number", with(func(l *Line) { l.MarketingDestination = true }), "", ""},
		{"not E.164", with(func(l *Line) { l.E164 = "02 511 22 33" }), "", "not a valid number in E.164 form"},
		{"empty", Line{OnNetwork: true}, "", "not a valid number in E.164 form"},
		{"mobile", with(func(l *Line) { l.E164 = "+32475123456" }), "", "is a mobile number; only geographic"},
		{"national freephone 0800", with(func(l *Line) { l.E164 = "+3280050500" }), "", "freephone (0800)"},
		{"premium 0900", with(func(l *Line) { l.E164 = "+3290012345" }), "", "premium-rate number (a marketing number)"},
		{"premium 070", with(func(l *Line) { l.E164 = "+3270223344" }), "", "premium-rate number"},
		{"universal access 078", with(func(l *Line) { l.E164 = "+3278151515" }), "", "universal access number"},
		{"international freephone", with(func(l *Line) { l.E164 = "+80012345678" }), "", "international freephone number (+800)"},
		{"another country", with(func(l *Line) { l.E164 = "+33123456789" }), "", "number of FR (+33); the operator's network is national"},
		{"home elsewhere", geo, "FR", "only numbers of FR can be activated"},
		{"not on network", with(func(l *Line) { l.OnNetwork = false }), "", "not on the operator's network"},
		{"CNIP", with(func(l *Line) { l.CNIP = true }), "", "carries CNIP"},
		{"Enterprise Office Switch", with(func(l *Line) { l.EnterpriseSwitch = true }), "", "Enterprise Office Switch"},
		{"One Company Number", with(func(l *Line) { l.OneCompanyNumber = true }), "", "One Company Number"},
		{"marketing destination does not lift CNIP", with(func(l *Line) { l.MarketingDestination = true; l.CNIP = true }), "", "carries CNIP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckActivation(tt.line, tt.home)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("CheckActivation: %v", err)
				}
				return
			}
			var e *vms.Error
			if !errors.As(err, &e) || e.Code != vms.EINVALID || e.Field != "number" {
				t.Fatalf("CheckActivation = %v, want EINVALID on number", err)
			}
			if !strings.Contains(e.Message, tt.reason) {
				t.Errorf("reason %q does not say %q", e.Message, tt.reason)
			}
		})
	}
}

// TestRefusalReasonsDiffer makes sure every NUM-2 refusal reads differently.
func TestRefusalReasonsDiffer(t *testing.T) {
	geo := Line{E164: "+3225112233", OnNetwork: true}
	lines := map[string]Line{
		"mobile":     {E164: "+32475123456", OnNetwork: true},
		"freephone":  {E164: "+3280050500", OnNetwork: true},
		"premium":    {E164: "+3290012345", OnNetwork: true},
		"uifn":       {E164: "+80012345678", OnNetwork: true},
		"foreign":    {E164: "+33123456789", OnNetwork: true},
		"off-net":    {E164: geo.E164},
		"cnip":       {E164: geo.E164, OnNetwork: true, CNIP: true},
		"eos":        {E164: geo.E164, OnNetwork: true, EnterpriseSwitch: true},
		"one-number": {E164: geo.E164, OnNetwork: true, OneCompanyNumber: true},
	}
	reasons := map[string]string{}
	for name, l := range lines {
		err := CheckActivation(l, "BE")
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		msg := strings.ReplaceAll(vms.ErrorMessage(err), l.E164, "N")
		if other, ok := reasons[msg]; ok {
			t.Errorf("%s and %s share the reason %q", name, other, msg)
		}
		reasons[msg] = name
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"02 511 22 33", "+32 2 511 22 33", "0032 2 511 22 33", "0475/12.34.56",
		"(02) 511-22-33", "+800 1234 5678", "", "+", "abc", "0", "00", "+0",
		"0800 50 500", "+33 1 23 45 67 89", "+1 202 555 0100", "00000000000000",
		"+999", "02\u00a0511\u00a022\u00a033", "+44 20 7946 0958",
	} {
		f.Add(s, "")
		f.Add(s, "FR")
	}
	f.Fuzz(func(t *testing.T, in, region string) {
		out, err := Normalize(in, region)
		if err != nil {
			var e *vms.Error
			if !errors.As(err, &e) || e.Code != vms.EINVALID || (e.Field != "number" && e.Field != "region") || e.Message == "" {
				t.Fatalf("Normalize(%q, %q) error %#v is not a field error", in, region, err)
			}
			return
		}
		if len(out) < 3 || len(out) > 16 || out[0] != '+' || out[1] == '0' || strings.Trim(out[1:], "0123456789") != "" {
			t.Fatalf("Normalize(%q, %q) = %q, not E.164", in, region, out)
		}
		again, err := Normalize(out, region)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, %v; want it unchanged", out, again, err)
		}
		if KindOf(out) == Unknown && RegionOf(out) == "" {
			t.Fatalf("normalised %q is not recognised as valid", out)
		}
	})
}

var sinkNumber string

func BenchmarkNormalize(b *testing.B) {
	inputs := map[string]string{
		"national":      "02 511 22 33",
		"international": "+32 2 511 22 33",
		"E164":          "+3225112233",
		"invalid":       "02 123 45 67",
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				sinkNumber, _ = Normalize(in, "BE")
			}
		})
	}
}

func BenchmarkCheckActivation(b *testing.B) {
	l := Line{E164: "+3225112233", OnNetwork: true}
	for b.Loop() {
		if err := CheckActivation(l, "BE"); err != nil {
			b.Fatal(err)
		}
	}
}
