package calllist

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("naam;nummer\nAnn;02 511 22 33\nBob;0475 12 34 56\n"), 3)
	f.Add([]byte("\uFEFFNumber,Name,City\r\n+32 2 511 22 33,Ann,Gent\r\n"), 100)
	f.Add([]byte("025112233\n025112233\nabc\n"), 100)
	f.Add([]byte("name;number\n\"Peeters; \"\"Ann\"\"\";025112233\n"), 1)
	f.Add([]byte("Jos\xe9;025112233\n"), 10)
	f.Add([]byte("\"open;025112233\n"), 10)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		max = (max%200+200)%200 + 1
		entries, err := Parse(data, Options{MaxEntries: max})
		if err != nil {
			var le *ListError
			if !errors.As(err, &le) || len(le.Problems) == 0 || entries != nil {
				t.Fatalf("error %v (entries %d) is not a *ListError with problems", err, len(entries))
			}
			for _, p := range le.Problems {
				if p.Message == "" || p.Line < 0 {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		if len(entries) == 0 || len(entries) > max {
			t.Fatalf("%d entries with limit %d", len(entries), max)
		}
		seen := map[string]bool{}
		line := 0
		for _, e := range entries {
			if !strings.HasPrefix(e.Number, "+") || seen[e.Number] {
				t.Fatalf("entry %+v: not E.164 or duplicate", e)
			}
			if e.Line <= line {
				t.Fatalf("lines out of order: %d after %d", e.Line, line)
			}
			seen[e.Number], line = true, e.Line
		}
		// The entries written back as CSV read back as the same numbers.
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Comma = ';'
		_ = w.Write([]string{"number", "name"})
		for _, e := range entries {
			_ = w.Write([]string{e.Number, e.Name})
		}
		w.Flush()
		again, err := Parse(b.Bytes(), Options{MaxEntries: max})
		if err != nil {
			t.Fatalf("written back: %v\n%s", err, b.Bytes())
		}
		for i := range again {
			if again[i].Number != entries[i].Number {
				t.Fatalf("entry %d: %s read back as %s", i, entries[i].Number, again[i].Number)
			}
		}
	})
}
