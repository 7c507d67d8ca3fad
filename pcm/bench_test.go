package pcm

import "testing"

// BenchmarkConvertMinute validates and converts one minute of audio.
func BenchmarkConvertMinute(b *testing.B) {
	file := riff(-1, goodFmt, data(tone(60*InputRate, 440, 100)))
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, _, err := Convert(file); err != nil {
			b.Fatal(err)
		}
	}
}
