package calllist

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  Options
		want []Entry
	}{
		{
			name: "header, semicolons, national numbers",
			in:   "naam;nummer\nAnn Peeters;02 511 22 33\nBob;0475 12 34 56\n",
			want: []Entry{{Line: 2, Number: "+3225112233", Name: "Ann Peeters"}, {Line: 3, Number: "+32475123456", Name: "Bob"}},
		},
		{
			name: "BOM, CRLF, commas, number first",
			in:   "\uFEFFNumber,Name\r\n+32 2 511 22 33,Ann\r\n",
			want: []Entry{{Line: 2, Number: "+3225112233", Name: "Ann"}},
		},
		{
			name: "French headings with accents",
			in:   "Nom;Numéro\nAnne;09 210 10 10\n",
			want: []Entry{{Line: 2, Number: "+3292101010", Name: "Anne"}},
		},
		{
			name: "Dutch telefoon heading, extra fields kept by heading",
			in:   "Klant;Telefoon;Dossier;Taal\nAnn;025112233;A-17;nl\nBob;025112234;;fr\n",
			want: []Entry{
				{Line: 2, Number: "+3225112233", Name: "Ann", Fields: map[string]string{"Dossier": "A-17", "Taal": "nl"}},
				{Line: 3, Number: "+3225112234", Name: "Bob", Fields: map[string]string{"Taal": "fr"}},
			},
		},
		{
			name: "no header, number then name",
			in:   "025112233;Ann\n025112234;Bob\n",
			want: []Entry{{Line: 1, Number: "+3225112233", Name: "Ann"}, {Line: 2, Number: "+3225112234", Name: "Bob"}},
		},
		{
			name: "no header, name then number, extra column",
			in:   "Ann,025112233,VIP\n",
			want: []Entry{{Line: 1, Number: "+3225112233", Name: "Ann", Fields: map[string]string{"column 3": "VIP"}}},
		},
		{
			name: "no header, number in the second column on most rows",
			in:   "Ann;+32 2 511 22 33;7\nBob;025112234;12\n",
			want: []Entry{
				{Line: 1, Number: "+3225112233", Name: "Ann", Fields: map[string]string{"column 3": "7"}},
				{Line: 2, Number: "+3225112234", Name: "Bob", Fields: map[string]string{"column 3": "12"}},
			},
		},
		{
			name: "no header, numbers only",
			in:   "025112233\n+33 1 23 45 67 89\n",
			want: []Entry{{Line: 1, Number: "+3225112233"}, {Line: 2, Number: "+33123456789"}},
		},
		{
			name: "a name that looks like a heading is data when the row has a number",
			in:   "Client;025112233\n",
			want: []Entry{{Line: 1, Number: "+3225112233", Name: "Client"}},
		},
		{
			name: "quoted fields with separators, quotes and a line break",
			in:   "name;number;note\n\"Peeters; Ann\";\"02 511 22 33\";\"says \"\"hi\"\"\nand bye\"\nBob;025112234;x\n",
			want: []Entry{
				{Line: 2, Number: "+3225112233", Name: "Peeters; Ann", Fields: map[string]string{"note": "says \"hi\"\nand bye"}},
				{Line: 4, Number: "+3225112234", Name: "Bob", Fields: map[string]string{"note": "x"}},
			},
		},
		{
			name: "semicolon file whose names hold commas",
			in:   "name;number\nPeeters, Ann;025112233\n",
			want: []Entry{{Line: 2, Number: "+3225112233", Name: "Peeters, Ann"}},
		},
		{
			name: "blank lines and spaces skipped",
			in:   "\n  \nnumber\n\n 025112233 \n;\n",
			want: []Entry{{Line: 5, Number: "+3225112233"}},
		},
		{
			name: "short rows and empty header cells",
			in:   "number;name;;city\n025112233\n025112234;Bob;x;Gent\n",
			want: []Entry{
				{Line: 2, Number: "+3225112233"},
				{Line: 3, Number: "+3225112234", Name: "Bob", Fields: map[string]string{"column 3": "x", "city": "Gent"}},
			},
		},
		{
			name: "other region",
			in:   "number\n01 23 45 67 89\n",
			opt:  Options{Region: "FR"},
			want: []Entry{{Line: 2, Number: "+33123456789"}},
		},
		{
			name: "exactly at the limit",
			in:   "025112233\n025112234\n",
			opt:  Options{MaxEntries: 2},
			want: []Entry{{Line: 1, Number: "+3225112233"}, {Line: 2, Number: "+3225112234"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in), tt.opt)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  Options
		want []string // Problem.String() of every problem, in order
	}{
		{"empty", "", Options{}, []string{"the file is empty"}},
		{"blank", "\r\n \n", Options{}, []string{"the file is empty"}},
		{"header only", "name;number\n", Options{}, []string{"the list has no numbers"}},
		{"only separators", ";;\n;\n", Options{}, []string{"the list has no numbers"}},
		{"UTF-16", "\xFF\xFEn\x00u\x00", Options{}, []string{"the file is encoded in UTF-16; save it as CSV in UTF-8"}},
		{"UTF-16 without BOM", "n\x00u\x00m\x00", Options{}, []string{"line 1: holds a NUL byte: this is not a text file in UTF-8; save it as CSV in UTF-8"}},
		{"Windows-1252 on two lines", "name;number\nJos\xe9;025112233\nAnn;025112234\nL\xe9a;025112235\n", Options{}, []string{
			"line 2: is not valid UTF-8 (the file may be in another encoding, such as Windows-1252); save it as CSV in UTF-8",
			"line 4: is not valid UTF-8 (the file may be in another encoding, such as Windows-1252); save it as CSV in UTF-8",
		}},
		{"every bad row reported", "name;number\nAnn;abc\nBob;\nCid;02 511\nDan;025112233\nEve;+99 123\nFay;02 511 22 33\n", Options{}, []string{
			`line 2: number: "abc" is not a phone number: unexpected character 'a'`,
			"line 3: number: the number is missing",
			`line 4: number: "02 511" is too short for BE (+32)`,
			`line 6: number: "+99 123" has an unknown country code`,
			"line 7: number: +3225112233 is already on line 5",
		}},
		{"duplicate in two forms", "025112233\n+32 2 511 22 33\n0032 2 511 22 33\n", Options{}, []string{
			"line 2: number: +3225112233 is already on line 1",
			"line 3: number: +3225112233 is already on line 1",
		}},
		{"over the limit, with bad rows too: those within the limit reported", "025112233\nxyz1\n025112235\nabc\n", Options{MaxEntries: 2}, []string{
			"the list has 4 numbers; the limit is 2",
			`line 2: number: "xyz1" is not a phone number: unexpected character 'x'`,
		}},
		{"default limit 100", distinct(101), Options{}, []string{"the list has 101 numbers; the limit is 100"}},
		{"header without a number column", "name;city\nAnn;Gent\n", Options{}, []string{
			"line 1: the header names no number column; call it number, nummer, numéro, telefoon or phone",
		}},
		{"typo in the first row is data, not a header", "Ann;02 51x 22 33\n", Options{}, []string{
			`line 1: number: "02 51x 22 33" is not a phone number: unexpected character 'x'`,
		}},
		{"typo in the first row, the column decided by the next rows", "Ann;02 511 22 3x;12\nBob;025112234;13\n", Options{}, []string{
			`line 1: number: "02 511 22 3x" is not a phone number: unexpected character 'x'`,
		}},
		{"too many fields for the header", "number;name\n025112233;Ann;extra\n", Options{}, []string{"line 2: has 3 fields; the header has 2"}},
		{"duplicate headings", "number;city;City\n025112233;a;b\n", Options{}, []string{`line 1: the heading "City" appears twice (columns 2 and 3)`}},
		{"unclosed quote", "number;name\n025112233;\"Ann\n", Options{}, []string{`line 2: a quoted field is not closed, or a quote (") inside it is not doubled`}},
		{"bare quote", "number;name\n025112233;An\"n\n", Options{}, []string{`line 2: a quote (") appears inside a field that is not quoted; put the field in quotes and double the quote`}},
		{"name too long", "number;name\n025112233;" + strings.Repeat("é", 201) + "\n", Options{}, []string{"line 2: name: is longer than 200 characters"}},
		{"field too long", "number;note\n025112233;" + strings.Repeat("x", 1001) + "\n", Options{}, []string{"line 2: note: is longer than 1000 characters"}},
		{"too big", strings.Repeat("x", MaxSize+1), Options{}, []string{"the file is larger than 1 MB, the limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in), tt.opt)
			if err == nil {
				t.Fatalf("Parse accepted the list: %+v", got)
			}
			if got != nil {
				t.Errorf("entries returned with an error: %+v", got)
			}
			if !errors.Is(err, ErrInvalidList) {
				t.Errorf("%v does not match ErrInvalidList", err)
			}
			var le *ListError
			if !errors.As(err, &le) {
				t.Fatalf("%T is not a *ListError", err)
			}
			var msgs []string
			for _, p := range le.Problems {
				msgs = append(msgs, p.String())
			}
			if !reflect.DeepEqual(msgs, tt.want) {
				t.Errorf("problems\n got %q\nwant %q", msgs, tt.want)
			}
		})
	}
}

func TestParseBadRegion(t *testing.T) {
	_, err := Parse([]byte("025112233\n"), Options{Region: "XX"})
	if err == nil || errors.Is(err, ErrInvalidList) || !strings.Contains(err.Error(), "region") {
		t.Fatalf("err = %v, want an error about the region", err)
	}
}

func TestParseCapsProblems(t *testing.T) {
	var b strings.Builder
	for i := range 250 {
		fmt.Fprintf(&b, "bad%d\n", i)
	}
	_, err := Parse([]byte(b.String()), Options{MaxEntries: 1000})
	var le *ListError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	if len(le.Problems) != MaxProblems || le.Omitted != 250-MaxProblems {
		t.Errorf("%d problems, %d omitted", len(le.Problems), le.Omitted)
	}
	if !strings.HasSuffix(err.Error(), "; and 150 more") {
		t.Errorf("Error() ends %q", err.Error()[len(err.Error())-40:])
	}
}

// distinct returns a list of n different Brussels numbers, one a line.
func distinct(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "02511%04d\n", i)
	}
	return b.String()
}
