package pcm

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vmsplatform/vms/internal/testenv"
)

// rms returns the root mean square of s[from:to].
func rms(s []float64) float64 {
	sum := 0.0
	for _, v := range s {
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(s)))
}

func floats(s []int16) []float64 {
	f := make([]float64, len(s))
	for i, v := range s {
		f[i] = float64(v)
	}
	return f
}

// toneAmplitude measures the amplitude of the hz component of s (8 kHz) by
// correlation with a sine and a cosine.
func toneAmplitude(s []float64, hz float64) float64 {
	var c, q float64
	for i, v := range s {
		a := 2 * math.Pi * hz * float64(i) / OutputRate
		c += v * math.Cos(a)
		q += v * math.Sin(a)
	}
	return 2 * math.Hypot(c, q) / float64(len(s))
}

func TestResampleLengthAndDuration(t *testing.T) {
	for _, n := range []int{1, 2, 441, 442, 11025, 11026, 33075} {
		m := &Message{Samples: make([]byte, n)}
		out := m.Resample()
		if len(out) != OutputLen(n) {
			t.Errorf("n=%d: %d samples out, want %d", n, len(out), OutputLen(n))
		}
		in := m.Duration().Seconds()
		got := float64(len(out)) / OutputRate
		if math.Abs(got-in) > 1.0/OutputRate+1e-9 {
			t.Errorf("n=%d: %.6f s in, %.6f s out", n, in, got)
		}
	}
	if OutputLen(11025) != 8000 {
		t.Errorf("one second gives %d samples", OutputLen(11025))
	}
}

func TestResampleKeepsSilenceAndTones(t *testing.T) {
	silence := make([]byte, 5000)
	for i := range silence {
		silence[i] = 128
	}
	for i, v := range resample(silence) {
		if v != 0 {
			t.Fatalf("silence sample %d = %d", i, v)
		}
	}
	// In-band tones keep their amplitude (within 1 %: 8-bit input).
	for _, hz := range []float64{300, 1000, 2000, 3000, 3400} {
		out := floats(resample(tone(2*InputRate, hz, 100)))
		mid := out[400 : len(out)-400]
		got := toneAmplitude(mid, hz)
		want := 100.0 * 256
		if math.Abs(got-want)/want > 0.01 {
			t.Errorf("%v Hz: amplitude %.0f, want %.0f", hz, got, want)
		}
	}
}

// Content above 4 kHz cannot be represented at 8 kHz; the filter removes
// it instead of letting it fold back as an audible alias tone.
func TestResampleRemovesAliases(t *testing.T) {
	for _, hz := range []float64{4300, 5000, 5500} {
		out := floats(resample(tone(2*InputRate, hz, 100)))
		mid := out[400 : len(out)-400]
		alias := OutputRate - hz
		level := toneAmplitude(mid, alias) / (100 * 256)
		if db := 20 * math.Log10(level+1e-12); db > -50 {
			t.Errorf("%v Hz input: alias at %v Hz is %.1f dB, want below -50 dB", hz, alias, db)
		}
		if r := rms(mid) / (100 * 256 / math.Sqrt2); r > 0.01 {
			t.Errorf("%v Hz input: %.3f of its level left", hz, r)
		}
	}
}

func TestResampleClips(t *testing.T) {
	// A full-scale square wave rings above full scale after filtering; the
	// output saturates instead of wrapping around.
	sq := make([]byte, 4000)
	for i := range sq {
		if (i/20)%2 == 0 {
			sq[i] = 255
		}
	}
	out := resample(sq)
	maxV, minV := int16(0), int16(0)
	for _, v := range out[100 : len(out)-100] {
		maxV, minV = max(maxV, v), min(minV, v)
	}
	if maxV < 32000 || minV > -32000 {
		t.Errorf("range %d..%d; a full-scale square wave should reach near full scale", minV, maxV)
	}
}

// readWAV16 returns the samples of a 16-bit mono WAV file written by sox.
func readWAV16(t *testing.T, b []byte) (rate int, s []int16) {
	t.Helper()
	if len(b) < 12 || string(b[:4]) != "RIFF" {
		t.Fatal("sox output is not a WAV file")
	}
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		off += 8
		switch id {
		case "fmt ":
			rate = int(binary.LittleEndian.Uint32(b[off+4:]))
			if bits := binary.LittleEndian.Uint16(b[off+14:]); bits != 16 {
				t.Fatalf("sox wrote %d-bit samples", bits)
			}
		case "data":
			size = min(size, len(b)-off)
			for i := 0; i+1 < size; i += 2 {
				s = append(s, int16(binary.LittleEndian.Uint16(b[off+i:])))
			}
			return rate, s
		}
		off += size + size%2
	}
	t.Fatal("no data chunk in sox output")
	return 0, nil
}

// TestResampleMatchesSox converts the same files with sox's resampler
// (a high-quality linear-phase filter) and compares sample by sample.
func TestResampleMatchesSox(t *testing.T) {
	sox := testenv.LookPath(t, "sox")
	mix := make([]byte, 3*InputRate)
	for i := range mix {
		x := float64(i) / InputRate
		v := 128 + 40*math.Sin(2*math.Pi*300*x) + 30*math.Sin(2*math.Pi*1000*x+1) +
			20*math.Sin(2*math.Pi*2500*x+2) + 15*math.Sin(2*math.Pi*3300*x+3)
		// a rising chirp 200 Hz → 3.2 kHz on top
		v += 10 * math.Sin(2*math.Pi*(200*x+500*x*x))
		mix[i] = byte(math.Round(v))
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 2*InputRate)
	for i := range noise {
		noise[i] = byte(64 + rnd.IntN(128))
	}
	tests := []struct {
		name    string
		samples []byte
		maxErr  float64 // RMS difference relative to sox's output RMS
	}{
		{"in-band tones and chirp", mix, 0.003},
		{"1 kHz tone", tone(2*InputRate, 1000, 120), 0.003},
		{"speech-band tone near the edge", tone(2*InputRate, 3400, 120), 0.003},
		// Noise fills the whole band up to 5.5 kHz. The filters differ at the
		// band edge (sox keeps up to 3.8 kHz, this one rolls off from
		// about 3.6 kHz), which is where the difference comes from.
		{"white noise", noise, 0.08},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filepath.Join(dir, "in.wav")
			out := filepath.Join(dir, "out.wav")
			if err := os.WriteFile(in, riff(-1, goodFmt, data(tt.samples)), 0o600); err != nil {
				t.Fatal(err)
			}
			// -D: no dither, so that the comparison sees only the filters.
			cmd := exec.Command(sox, "-D", in, "-r", "8000", "-b", "16", "-e", "signed-integer", out)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("sox: %v: %s", err, msg)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			rate, ref := readWAV16(t, b)
			if rate != OutputRate {
				t.Fatalf("sox wrote %d Hz", rate)
			}
			m, err := Validate(riff(-1, goodFmt, data(tt.samples)))
			if err != nil {
				t.Fatal(err)
			}
			got := m.Resample()
			if d := len(got) - len(ref); d < -1 || d > 1 {
				t.Errorf("%d samples, sox made %d", len(got), len(ref))
			}
			// Compare away from the edges, where the two filters see
			// different amounts of the silence around the message.
			n := min(len(got), len(ref))
			g, r := floats(got[200:n-200]), floats(ref[200:n-200])
			diff := make([]float64, len(g))
			for i := range g {
				diff[i] = g[i] - r[i]
			}
			rel := rms(diff) / rms(r)
			t.Logf("RMS difference %.5f of the signal (%.1f dB), sox RMS %.0f", rel, 20*math.Log10(rel), rms(r))
			if rel > tt.maxErr {
				t.Errorf("RMS difference from sox is %.4f of the signal; want at most %.4f", rel, tt.maxErr)
			}
		})
	}
}

// TestValidateAcceptsSoxFiles checks the validator against files written
// by another program: sox's 8-bit 11,025 Hz mono is accepted (with its
// duration), its 16-bit and stereo files are refused with the reason.
func TestValidateAcceptsSoxFiles(t *testing.T) {
	sox := testenv.LookPath(t, "sox")
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string // "" when accepted
	}{
		{"contract format", []string{"-r", "11025", "-b", "8", "-e", "unsigned-integer", "-c", "1"}, ""},
		{"16-bit", []string{"-r", "11025", "-b", "16", "-e", "signed-integer", "-c", "1"}, "samples are 16-bit; they must be 8-bit"},
		{"stereo 22050 Hz", []string{"-r", "22050", "-b", "8", "-e", "unsigned-integer", "-c", "2"}, "sample rate is 22050 Hz; it must be 11025 Hz; the audio is stereo (2 channels); it must be mono"},
		{"A-law", []string{"-r", "11025", "-e", "a-law", "-c", "1"}, "the audio is A-law encoded; it must be uncompressed PCM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.wav")
			// Two seconds of a 440 Hz tone synthesised by sox itself.
			args := append([]string{"-n"}, tt.args...)
			args = append(args, out, "synth", "2", "sine", "440", "vol", "0.5")
			if msg, err := exec.Command(sox, args...).CombinedOutput(); err != nil {
				t.Fatalf("sox: %v: %s", err, msg)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Validate(b)
			if tt.want != "" {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Message() != tt.want {
					t.Fatalf("Validate: %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Duration() != 2*time.Second {
				t.Errorf("duration %v, want 2s", m.Duration())
			}
			// The converted tone keeps its frequency and level.
			got := floats(m.Resample())
			if a := toneAmplitude(got[400:len(got)-400], 440); math.Abs(a-0.5*32768)/(0.5*32768) > 0.02 {
				t.Errorf("440 Hz amplitude %.0f, want about %.0f", a, 0.5*32768)
			}
		})
	}
}
