package formula

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmsplatform/vms"
)

// contractTable is a literal copy of the FRM-1 table of the specification,
// title, then the Classic, DRS, VoiceContinuity and Outbound cells.
const contractTable = `
| Traffic Routing Management (TRM) | STD | STD | STD | — |
| Agent Contact Management (ACM) | OPT | OPT | OPT | — |
| Outbound campaigns | — | — | — | STD |
| Call recording | OPT | — | — | — |
| Statistics reports in the portal | OPT | — | — | OPT |
| Mobile app (routing on/off) | — | — | STD | — |
| Configuration & activation | STD | STD | STD | STD |
| Service desk, remote diagnosis & intervention | STD | STD | STD | STD |
| Standard changes (paid catalogue) | OPT | OPT | OPT | OPT |
| Self-service configuration (autoconfig) | STD | STD | STD | STD |
| Incident hours Mon–Fri 08:00–18:00, P1 restoration 5 h | STD | STD | STD | STD |
| Change-implementation hours Mon–Fri 08:00–18:00 | — | STD | STD | — |
| Critical standard change within 60 min | — | STD | STD | — |
`

type contractRow struct {
	title string
	cells [4]string
}

func parseContract(t *testing.T) []contractRow {
	t.Helper()
	var rows []contractRow
	for line := range strings.SplitSeq(strings.TrimSpace(contractTable), "\n") {
		f := strings.Split(strings.Trim(line, "| "), " | ")
		if len(f) != 5 {
			t.Fatalf("bad contract line %q", line)
		}
		rows = append(rows, contractRow{f[0], [4]string{f[1], f[2], f[3], f[4]}})
	}
	return rows
}

// TestMatrixMatchesContract checks every cell of FRM-1, and the order of
// rows and titles.
func TestMatrixMatchesContract(t *testing.T) {
	rows := parseContract(t)
	comps := AllComponents()
	if len(comps) != len(rows) {
		t.Fatalf("AllComponents has %d components, the contract %d", len(comps), len(rows))
	}
	wantFormulas := []Formula{Classic, DRS, VoiceContinuity, Outbound}
	if got := Formulas(); len(got) != 4 || got[0] != wantFormulas[0] || got[1] != wantFormulas[1] || got[2] != wantFormulas[2] || got[3] != wantFormulas[3] {
		t.Fatalf("Formulas() = %v, want %v", got, wantFormulas)
	}
	for i, r := range rows {
		c := comps[i]
		if c.Title() != r.title {
			t.Errorf("row %d: component %q has title %q, contract says %q", i, c, c.Title(), r.title)
		}
		for j, f := range wantFormulas {
			t.Run(string(c)+"/"+string(f), func(t *testing.T) {
				if got := AvailabilityOf(f, c).String(); got != r.cells[j] {
					t.Errorf("AvailabilityOf(%s, %s) = %s, contract says %s", f, c, got, r.cells[j])
				}
			})
		}
	}
}

func TestAvailabilityOfUnknown(t *testing.T) {
	tests := []struct {
		name string
		f    Formula
		c    Component
	}{
		{"unknown formula", "Gold", TRM},
		{"unknown component", Classic, "fax"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AvailabilityOf(tt.f, tt.c); got != NotAvailable {
				t.Errorf("got %s, want —", got)
			}
		})
	}
}

func TestParseFormula(t *testing.T) {
	tests := []struct {
		in      string
		want    Formula
		wantErr bool
	}{
		{"Classic", Classic, false},
		{"classic", Classic, false},
		{"  DRS ", DRS, false},
		{"drs", DRS, false},
		{"VoiceContinuity", VoiceContinuity, false},
		{"Voice Continuity", VoiceContinuity, false},
		{"voice continuity", VoiceContinuity, false},
		{"OUTBOUND", Outbound, false},
		{"", "", true},
		{"Gold", "", true},
		{"Voice  Continuity", "", true},
		{"Classic,DRS", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormula(tt.in)
			if tt.wantErr {
				assertInvalid(t, err, "formula")
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFormula(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Component
		wantErr string // substring of the message
	}{
		{"empty", "", nil, ""},
		{"blank", "  ", nil, ""},
		{"one", "acm", []Component{ACM}, ""},
		{"several keep order", "statistics, acm ,recording", []Component{Statistics, ACM, Recording}, ""},
		{"case-insensitive", "ACM,Standard-Changes", []Component{ACM, StandardChanges}, ""},
		{"empty items skipped", "acm,,recording,", []Component{ACM, Recording}, ""},
		{"unknown named", "acm,fax", nil, `"fax"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOptions(tt.in)
			if tt.wantErr != "" {
				assertInvalid(t, err, "options")
				if !strings.Contains(vms.ErrorMessage(err), tt.wantErr) {
					t.Errorf("message %q does not name %s", vms.ErrorMessage(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOptions(%q): %v", tt.in, err)
			}
			if !equal(got, tt.want) {
				t.Errorf("ParseOptions(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatOptions(t *testing.T) {
	tests := []struct {
		name string
		in   []Component
		want string
	}{
		{"none", nil, ""},
		{"table order", []Component{StandardChanges, Statistics, ACM}, "acm,statistics,standard-changes"},
		{"deduplicated", []Component{ACM, ACM, Recording, ACM}, "acm,recording"},
		{"unknown dropped", []Component{"fax", Recording}, "recording"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatOptions(tt.in); got != tt.want {
				t.Errorf("FormatOptions(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestOptionsRoundTrip(t *testing.T) {
	s := FormatOptions(AllComponents())
	got, err := ParseOptions(s)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(got, AllComponents()) {
		t.Errorf("round trip of %q = %v", s, got)
	}
}

func TestValidateOptions(t *testing.T) {
	tests := []struct {
		name     string
		f        Formula
		opts     []Component
		field    string   // "" when valid
		mentions []string // in the message
	}{
		{"no options", DRS, nil, "", nil},
		{"every option of Classic", Classic, []Component{ACM, Recording, Statistics, StandardChanges}, "", nil},
		{"statistics for Outbound", Outbound, []Component{Statistics}, "", nil},
		{"standard component refused", Classic, []Component{TRM}, "options", []string{"Traffic Routing Management (TRM)", "Classic", "already included"}},
		{"unavailable component refused", DRS, []Component{Recording}, "options", []string{"Call recording", "DRS", "not available"}},
		{"ACM not for Outbound", Outbound, []Component{ACM}, "options", []string{"Agent Contact Management (ACM)", "Outbound"}},
		{"formula title in message", VoiceContinuity, []Component{Statistics}, "options", []string{"Statistics reports in the portal", "Voice Continuity"}},
		{"unknown component", Classic, []Component{"fax"}, "options", []string{`"fax"`}},
		{"unknown formula", "Gold", nil, "formula", []string{`"Gold"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateOptions(tt.f, tt.opts)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("ValidateOptions: %v", err)
				}
				return
			}
			assertInvalid(t, err, tt.field)
			for _, m := range tt.mentions {
				if !strings.Contains(vms.ErrorMessage(err), m) {
					t.Errorf("message %q does not mention %q", vms.ErrorMessage(err), m)
				}
			}
		})
	}
}

func TestEnabled(t *testing.T) {
	tests := []struct {
		name string
		f    Formula
		opts []Component
		want []Component
	}{
		{"Classic without options", Classic, nil,
			[]Component{TRM, Configuration, ServiceDesk, Autoconfig, IncidentHours}},
		{"Classic with options in any order", Classic, []Component{Statistics, ACM},
			[]Component{TRM, ACM, Statistics, Configuration, ServiceDesk, Autoconfig, IncidentHours}},
		{"options not OPT are ignored", DRS, []Component{Recording, TRM, "fax"},
			[]Component{TRM, Configuration, ServiceDesk, Autoconfig, IncidentHours, ChangeHours, CriticalChange}},
		{"VoiceContinuity has the mobile app", VoiceContinuity, nil,
			[]Component{TRM, MobileApp, Configuration, ServiceDesk, Autoconfig, IncidentHours, ChangeHours, CriticalChange}},
		{"Outbound", Outbound, []Component{StandardChanges},
			[]Component{Campaigns, Configuration, ServiceDesk, StandardChanges, Autoconfig, IncidentHours}},
		{"unknown formula", "Gold", []Component{ACM}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Enabled(tt.f, tt.opts); !equal(got, tt.want) {
				t.Errorf("Enabled = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCheckEveryCell checks FRM-2 for every formula and component, with
// and without every option ordered.
func TestCheckEveryCell(t *testing.T) {
	for _, f := range Formulas() {
		for _, c := range AllComponents() {
			for _, ordered := range []bool{false, true} {
				var opts []Component
				if ordered {
					opts = AllComponents()
				}
				name := string(f) + "/" + string(c)
				if ordered {
					name += "/ordered"
				}
				t.Run(name, func(t *testing.T) {
					err := Check(f, opts, c)
					a := AvailabilityOf(f, c)
					if a == Standard || (a == Optional && ordered) {
						if err != nil {
							t.Fatalf("Check: %v", err)
						}
						return
					}
					if vms.ErrorCode(err) != vms.EFORBIDDEN {
						t.Fatalf("Check = %v, want EFORBIDDEN", err)
					}
					msg := vms.ErrorMessage(err)
					if !strings.Contains(msg, c.Title()) || !strings.Contains(msg, f.Title()) {
						t.Errorf("message %q does not name %q and %q", msg, c.Title(), f.Title())
					}
					wantHint := "cannot be ordered"
					if a == Optional {
						wantHint = "option of the"
					}
					if !strings.Contains(msg, wantHint) {
						t.Errorf("message %q does not say %q", msg, wantHint)
					}
					if vms.ErrorField(err) != string(c) {
						t.Errorf("field = %q, want %q", vms.ErrorField(err), c)
					}
				})
			}
		}
	}
}

func TestAvailabilityString(t *testing.T) {
	for a, want := range map[Availability]string{NotAvailable: "—", Standard: "STD", Optional: "OPT", Availability(9): "—"} {
		if got := a.String(); got != want {
			t.Errorf("Availability(%d).String() = %q, want %q", int(a), got, want)
		}
	}
}

func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var e *vms.Error
	if !errors.As(err, &e) || e.Code != vms.EINVALID || e.Field != field {
		t.Fatalf("error = %#v, want EINVALID on field %q", err, field)
	}
}

func equal(a, b []Component) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"", "acm", "acm,recording", " ACM , statistics ,", "fax", ",,,", "acm,fax"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opts, err := ParseOptions(s)
		if err != nil {
			if vms.ErrorField(err) != "options" {
				t.Fatalf("error %v does not name the options field", err)
			}
			return
		}
		for _, c := range opts {
			if !c.Valid() {
				t.Fatalf("ParseOptions(%q) returned unknown %q", s, c)
			}
		}
		canon := FormatOptions(opts)
		again, err := ParseOptions(canon)
		if err != nil || FormatOptions(again) != canon {
			t.Fatalf("canonical form %q does not round-trip: %v, %v", canon, again, err)
		}
	})
}

func FuzzParseFormula(f *testing.F) {
	for _, s := range []string{"Classic", "voice continuity", "DRS", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormula(s)
		if err != nil {
			if vms.ErrorField(err) != "formula" {
				t.Fatalf("error %v does not name the formula field", err)
			}
			return
		}
		if column(got) < 0 {
			t.Fatalf("ParseFormula(%q) = unknown %q", s, got)
		}
	})
}
