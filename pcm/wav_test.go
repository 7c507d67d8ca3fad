package pcm

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// chunk is one RIFF chunk for building test files.
type chunk struct {
	id   string
	body []byte
	size int // declared size; -1 means len(body)
}

// riff assembles a RIFF WAVE file from chunks (padding odd bodies);
// riffSize -1 means the correct size.
func riff(riffSize int, chunks ...chunk) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		size := c.size
		if size < 0 {
			size = len(c.body)
		}
		b = append(b, c.id...)
		b = binary.LittleEndian.AppendUint32(b, uint32(size))
		b = append(b, c.body...)
		if len(c.body)%2 == 1 && c.size < 0 {
			b = append(b, 0)
		}
	}
	if riffSize < 0 {
		riffSize = len(b) - 8
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(riffSize))
	return b
}

func fmtChunk(tag, channels uint16, rate uint32, bits uint16) chunk {
	align := channels * bits / 8
	return fmtChunkRaw(tag, channels, rate, rate*uint32(align), align, bits)
}

func fmtChunkRaw(tag, channels uint16, rate, byteRate uint32, align, bits uint16) chunk {
	b := binary.LittleEndian.AppendUint16(nil, tag)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, byteRate)
	b = binary.LittleEndian.AppendUint16(b, align)
	b = binary.LittleEndian.AppendUint16(b, bits)
	return chunk{id: "fmt ", body: b, size: -1}
}

var goodFmt = fmtChunk(1, 1, 11025, 8)

// tone returns n 8-bit unsigned samples of a sine at hz (11,025 Hz rate).
func tone(n int, hz, amplitude float64) []byte {
	b := make([]byte, n)
	for i := range b {
		v := 128 + amplitude*math.Sin(2*math.Pi*hz*float64(i)/InputRate)
		b[i] = byte(math.Round(math.Max(0, math.Min(255, v))))
	}
	return b
}

func data(b []byte) chunk { return chunk{id: "data", body: b, size: -1} }

func TestValidateAccepts(t *testing.T) {
	second := tone(InputRate, 440, 100)
	tests := []struct {
		name    string
		file    []byte
		samples int
		dur     time.Duration
	}{
		{"plain", riff(-1, goodFmt, data(second)), InputRate, time.Second},
		{"LIST chunk skipped", riff(-1, goodFmt, chunk{"LIST", []byte("INFOISFT\x05\x00\x00\x00sox\x00\x00"), -1}, data(second)), InputRate, time.Second},
		{"odd LIST chunk padded", riff(-1, goodFmt, chunk{"LIST", []byte("abc"), -1}, data(second)), InputRate, time.Second},
		{"odd data chunk padded, chunk after it", riff(-1, goodFmt, data(second[:11]), chunk{"id3 ", []byte("x"), -1}), 11, 11 * time.Second / InputRate},
		{"odd data chunk last, pad missing", riff(-1, goodFmt, chunk{"data", second[:11], 11})[:44+11], 11, 11 * time.Second / InputRate},
		{"fmt with extension bytes", riff(-1, chunk{"fmt ", append(goodFmt.body, 0, 0), -1}, data(second)), InputRate, time.Second},
		{"fact chunk", riff(-1, goodFmt, chunk{"fact", []byte{1, 2, 3, 4}, -1}, data(second[:100])), 100, 100 * time.Second / InputRate},
		{"data before fmt", riff(-1, data(second[:50]), goodFmt), 50, 50 * time.Second / InputRate},
		{"trailing bytes after the RIFF size", append(riff(-1, goodFmt, data(second[:50])), 0, 0, 0), 50, 50 * time.Second / InputRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "odd data chunk last, pad missing" {
				binary.LittleEndian.PutUint32(tt.file[4:], uint32(len(tt.file)-8))
			}
			m, err := Validate(tt.file)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if len(m.Samples) != tt.samples {
				t.Errorf("%d samples, want %d", len(m.Samples), tt.samples)
			}
			if m.Duration() != tt.dur {
				t.Errorf("duration %v, want %v", m.Duration(), tt.dur)
			}
		})
	}
}

func TestValidateRefuses(t *testing.T) {
	s := tone(1000, 440, 100)
	tests := []struct {
		name string
		file []byte
		want string // the whole message
	}{
		{"empty", nil, "the file is empty"},
		{"short", []byte("RIFF"), "this is not a WAV file (it is too short to have a WAV header)"},
		{"text", []byte("name;number\nAnn;025112233\n"), "this is not a WAV file (it does not start with a RIFF header)"},
		{"RIFX", append([]byte("RIFX"), riff(-1, goodFmt, data(s))[4:]...), "this is a big-endian WAV file (RIFX); save it as a standard little-endian WAV file"},
		{"AVI", append(append([]byte("RIFF\x04\x00\x00\x00"), "AVI "...), 0), "this is not a WAV file (it is a RIFF file of another type)"},
		{"22050 Hz", riff(-1, fmtChunk(1, 1, 22050, 8), data(s)), "sample rate is 22050 Hz; it must be 11025 Hz"},
		{"8000 Hz", riff(-1, fmtChunk(1, 1, 8000, 8), data(s)), "sample rate is 8000 Hz; it must be 11025 Hz"},
		{"16-bit", riff(-1, fmtChunk(1, 1, 11025, 16), data(s)), "samples are 16-bit; they must be 8-bit"},
		{"stereo", riff(-1, fmtChunk(1, 2, 11025, 8), data(s)), "the audio is stereo (2 channels); it must be mono"},
		{"6 channels", riff(-1, fmtChunk(1, 6, 11025, 8), data(s)), "the audio has 6 channels; it must be mono"},
		{"16-bit stereo 44.1 kHz", riff(-1, fmtChunk(1, 2, 44100, 16), data(s)), "sample rate is 44100 Hz; it must be 11025 Hz; samples are 16-bit; they must be 8-bit; the audio is stereo (2 channels); it must be mono"},
		{"A-law", riff(-1, fmtChunk(6, 1, 11025, 8), data(s)), "the audio is A-law encoded; it must be uncompressed PCM"},
		{"mu-law", riff(-1, fmtChunk(7, 1, 8000, 8), data(s)), "the audio is µ-law encoded; it must be uncompressed PCM"},
		{"float", riff(-1, fmtChunk(3, 1, 11025, 32), data(s)), "the audio is 32-bit floating point encoded; it must be uncompressed PCM"},
		{"MP3", riff(-1, fmtChunk(0x55, 1, 11025, 0), data(s)), "the audio is MP3 encoded; it must be uncompressed PCM"},
		{"unknown tag", riff(-1, fmtChunk(0x1234, 1, 11025, 8), data(s)), "the audio is format 4660 encoded; it must be uncompressed PCM"},
		{"extensible", riff(-1, fmtChunk(0xFFFE, 1, 11025, 8), data(s)), "the file uses the extensible WAV header; it must be plain PCM (format 1), 11025 Hz, 8-bit, mono"},
		{"inconsistent byte rate", riff(-1, fmtChunkRaw(1, 1, 11025, 22050, 1, 8), data(s)), "the format header is inconsistent (block size 1, byte rate 22050; 8-bit mono at 11025 Hz has 1 and 11025)"},
		{"data shorter than declared", riff(-1, goodFmt, chunk{"data", s, 5000}), "the file is truncated: the audio data chunk announces 5000 bytes, but only 1000 are present"},
		{"file shorter than RIFF size", riff(-1, goodFmt, data(s))[:500], "the file is truncated: its header announces 1044 bytes, but it has only 500"},
		{"cut in a chunk header", riff(-1, goodFmt, chunk{"LIST", nil, -1})[:38], "the file is truncated: its header announces 44 bytes, but it has only 38"},
		{"RIFF size ends inside a chunk header", riff(34, goodFmt, data(s)), "the file is truncated: it ends in the middle of a chunk header"},
		{"LIST longer than the file", riff(-1, goodFmt, chunk{"LIST", []byte("abcd"), 99}), `the file is truncated: the "LIST" chunk is incomplete`},
		{"fmt cut", riff(-1, chunk{"fmt ", goodFmt.body[:10], 16}), "the file is truncated: the format (fmt) chunk is incomplete"},
		{"fmt too small", riff(-1, chunk{"fmt ", goodFmt.body[:14], -1}, data(s)), "the format (fmt) chunk is 14 bytes; it must be at least 16"},
		{"no fmt", riff(-1, data(s)), "the file has no format (fmt) chunk"},
		{"no data", riff(-1, goodFmt), "the file has no audio data chunk"},
		{"only LIST", riff(-1, chunk{"LIST", []byte("ab"), -1}), "the file has no format (fmt) chunk"},
		{"two fmt", riff(-1, goodFmt, goodFmt, data(s)), "the file has two format (fmt) chunks"},
		{"two data", riff(-1, goodFmt, data(s), data(s)), "the file has two audio data chunks"},
		{"no samples", riff(-1, goodFmt, data(nil)), "the message is empty: it holds no audio samples"},
		{"too big", riff(-1, goodFmt, data(make([]byte, MaxSize))), "the file is larger than 16 MB, the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Validate(tt.file)
			if err == nil {
				t.Fatalf("Validate accepted the file (%d samples)", len(m.Samples))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError", err)
			}
			if got := fe.Message(); got != tt.want {
				t.Errorf("message\n got %q\nwant %q", got, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "pcm: invalid message: ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestEncodeWAVReadsBack(t *testing.T) {
	samples := []int16{0, 1, -1, 32767, -32768, 1234}
	b := EncodeWAV(samples, OutputRate)
	if len(b) != 44+12 {
		t.Fatalf("len %d", len(b))
	}
	if string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("bad header % x", b[:44])
	}
	if got := binary.LittleEndian.Uint32(b[4:]); got != uint32(len(b)-8) {
		t.Errorf("RIFF size %d", got)
	}
	f := Format{
		Tag:           binary.LittleEndian.Uint16(b[20:]),
		Channels:      binary.LittleEndian.Uint16(b[22:]),
		SampleRate:    binary.LittleEndian.Uint32(b[24:]),
		ByteRate:      binary.LittleEndian.Uint32(b[28:]),
		BlockAlign:    binary.LittleEndian.Uint16(b[32:]),
		BitsPerSample: binary.LittleEndian.Uint16(b[34:]),
	}
	if f != (Format{1, 1, 8000, 16000, 2, 16}) {
		t.Errorf("format %+v", f)
	}
	for i, s := range samples {
		if got := int16(binary.LittleEndian.Uint16(b[44+2*i:])); got != s {
			t.Errorf("sample %d = %d, want %d", i, got, s)
		}
	}
	if sln := EncodeSLN(samples); string(sln) != string(b[44:]) {
		t.Errorf("SLN differs from the WAV data")
	}
}
