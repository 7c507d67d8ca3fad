package calllist

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse reads a list at the default limit (100 rows) and the
// largest file accepted (1 MB, refused for its length after every row was
// checked), to show what an upload costs.
func BenchmarkParse(b *testing.B) {
	small := "naam;nummer;dossier\n" + rows(100)
	var big strings.Builder
	big.WriteString("naam;nummer;dossier\n")
	for big.Len() < MaxSize-100 {
		big.WriteString(rows(1000))
	}
	for _, tt := range []struct {
		name string
		in   []byte
		max  int
	}{{"100 rows", []byte(small), 100}, {"1 MB", []byte(big.String()[:MaxSize]), 100}} {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.in)))
			for b.Loop() {
				_, _ = Parse(tt.in, Options{MaxEntries: tt.max})
			}
		})
	}
}

func rows(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Person %d;02 51%d %02d %02d;D-%d\n", i, i%10, (i/10)%100, i%100, i)
	}
	return b.String()
}
