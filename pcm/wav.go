package pcm

import (
	"encoding/binary"
	"fmt"
	"time"
)

// What the contract requires of customer messages (OUT-2).
const (
	InputRate     = 11025 // samples per second
	InputBits     = 8     // unsigned
	InputChannels = 1
)

// OutputRate is the sample rate of the converted message (the engine's
// narrow-band rate); converted samples are 16-bit signed.
const OutputRate = 8000

// MaxSize bounds an uploaded file: 16 MiB is over 25 minutes at 11,025
// bytes per second, far more than any campaign message needs. Callers
// should read at most MaxSize+1 bytes (io.LimitReader) and hand them over;
// Validate refuses anything larger.
const MaxSize = 16 << 20

// Format is the content of a WAV fmt chunk.
type Format struct {
	Tag           uint16 // 1 = PCM
	Channels      uint16
	SampleRate    uint32
	ByteRate      uint32
	BlockAlign    uint16
	BitsPerSample uint16
}

// Message is a validated customer message: 8-bit unsigned mono samples at
// InputRate (128 is silence).
type Message struct {
	Samples []byte
}

// Duration returns how long the message plays.
func (m *Message) Duration() time.Duration {
	return samplesDuration(len(m.Samples), InputRate)
}

func samplesDuration(n, rate int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(rate))
}

// formatNames names the WAV format tags customers meet, for messages.
var formatNames = map[uint16]string{
	0x0002: "Microsoft ADPCM",
	0x0003: "32-bit floating point",
	0x0006: "A-law",
	0x0007: "µ-law",
	0x0011: "IMA ADPCM",
	0x0031: "GSM 6.10",
	0x0050: "MPEG",
	0x0055: "MP3",
	0xFFFE: "extensible",
}

// Validate checks that b is a WAV file exactly as the contract requires
// (PCM, 11,025 Hz, 8-bit, mono) and returns its samples, which share b's
// memory. Anything else is refused with a *FormatError saying what is
// wrong. Chunks other than fmt and data are skipped.
func Validate(b []byte) (*Message, error) {
	if len(b) > MaxSize {
		return nil, invalid(fmt.Sprintf("the file is larger than %d MB, the limit", MaxSize>>20))
	}
	if len(b) < 12 {
		if len(b) == 0 {
			return nil, invalid("the file is empty")
		}
		return nil, invalid("this is not a WAV file (it is too short to have a WAV header)")
	}
	switch string(b[0:4]) {
	case "RIFF":
	case "RIFX":
		return nil, invalid("this is a big-endian WAV file (RIFX); save it as a standard little-endian WAV file")
	case "RF64":
		return nil, invalid("this is an RF64 WAV file; save it as a standard WAV file")
	default:
		return nil, invalid("this is not a WAV file (it does not start with a RIFF header)")
	}
	if string(b[8:12]) != "WAVE" {
		return nil, invalid("this is not a WAV file (it is a RIFF file of another type)")
	}
	riffEnd := 8 + int64(binary.LittleEndian.Uint32(b[4:8]))
	if riffEnd > int64(len(b)) {
		return nil, invalid(fmt.Sprintf("the file is truncated: its header announces %d bytes, but it has only %d", riffEnd, len(b)))
	}
	body := b[12:riffEnd] // bytes after the RIFF size are not part of the file

	var (
		f        *Format
		data     []byte
		haveData bool
	)
	for off := 0; off < len(body); {
		if len(body)-off < 8 {
			// A few stray bytes after the last chunk (some tools pad) are
			// harmless once fmt and data were read; otherwise the file is cut.
			if f != nil && haveData {
				break
			}
			return nil, invalid("the file is truncated: it ends in the middle of a chunk header")
		}
		id := string(body[off : off+4])
		size := int64(binary.LittleEndian.Uint32(body[off+4 : off+8]))
		off += 8
		avail := int64(len(body) - off)
		switch id {
		case "fmt ":
			if f != nil {
				return nil, invalid("the file has two format (fmt) chunks")
			}
			if size < 16 {
				return nil, invalid(fmt.Sprintf("the format (fmt) chunk is %d bytes; it must be at least 16", size))
			}
			if size > avail {
				return nil, invalid("the file is truncated: the format (fmt) chunk is incomplete")
			}
			c := body[off:]
			f = &Format{
				Tag:           binary.LittleEndian.Uint16(c[0:2]),
				Channels:      binary.LittleEndian.Uint16(c[2:4]),
				SampleRate:    binary.LittleEndian.Uint32(c[4:8]),
				ByteRate:      binary.LittleEndian.Uint32(c[8:12]),
				BlockAlign:    binary.LittleEndian.Uint16(c[12:14]),
				BitsPerSample: binary.LittleEndian.Uint16(c[14:16]),
			}
		case "data":
			if haveData {
				return nil, invalid("the file has two audio data chunks")
			}
			if size > avail {
				return nil, invalid(fmt.Sprintf("the file is truncated: the audio data chunk announces %d bytes, but only %d are present", size, avail))
			}
			data, haveData = body[off:off+int(size)], true
		default:
			if size > avail {
				return nil, invalid(fmt.Sprintf("the file is truncated: the %q chunk is incomplete", printable(id)))
			}
		}
		off += int(size)
		if size%2 == 1 && off < len(body) {
			off++ // RIFF pads odd-sized chunks to an even length
		}
	}
	if f == nil {
		return nil, invalid("the file has no format (fmt) chunk")
	}
	if !haveData {
		return nil, invalid("the file has no audio data chunk")
	}
	if problems := f.problems(); len(problems) > 0 {
		return nil, invalid(problems...)
	}
	if len(data) == 0 {
		return nil, invalid("the message is empty: it holds no audio samples")
	}
	return &Message{Samples: data}, nil
}

// problems lists how f differs from the contract, one sentence each.
func (f *Format) problems() []string {
	if f.Tag != 1 {
		name, ok := formatNames[f.Tag]
		if !ok {
			name = fmt.Sprintf("format %d", f.Tag)
		}
		if f.Tag == 0xFFFE {
			return []string{"the file uses the extensible WAV header; it must be plain PCM (format 1), 11025 Hz, 8-bit, mono"}
		}
		return []string{fmt.Sprintf("the audio is %s encoded; it must be uncompressed PCM", name)}
	}
	var p []string
	if f.SampleRate != InputRate {
		p = append(p, fmt.Sprintf("sample rate is %d Hz; it must be %d Hz", f.SampleRate, InputRate))
	}
	if f.BitsPerSample != InputBits {
		p = append(p, fmt.Sprintf("samples are %d-bit; they must be 8-bit", f.BitsPerSample))
	}
	switch f.Channels {
	case 1:
	case 2:
		p = append(p, "the audio is stereo (2 channels); it must be mono")
	default:
		p = append(p, fmt.Sprintf("the audio has %d channels; it must be mono", f.Channels))
	}
	if len(p) == 0 && (f.BlockAlign != 1 || f.ByteRate != InputRate) {
		p = append(p, fmt.Sprintf("the format header is inconsistent (block size %d, byte rate %d; 8-bit mono at 11025 Hz has 1 and 11025)", f.BlockAlign, f.ByteRate))
	}
	return p
}

func printable(id string) string {
	b := []byte(id)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// EncodeWAV returns samples as a WAV file: PCM, rate Hz, 16-bit signed
// little-endian, mono.
func EncodeWAV(samples []int16, rate int) []byte {
	n := len(samples) * 2
	out := make([]byte, 44+n)
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+n))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)
	binary.LittleEndian.PutUint16(out[20:], 1)
	binary.LittleEndian.PutUint16(out[22:], 1)
	binary.LittleEndian.PutUint32(out[24:], uint32(rate))
	binary.LittleEndian.PutUint32(out[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(out[32:], 2)
	binary.LittleEndian.PutUint16(out[34:], 16)
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(n))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(out[44+2*i:], uint16(s))
	}
	return out
}

// EncodeSLN returns samples as raw 16-bit signed little-endian linear
// audio, what Asterisk plays from a .sln file (8,000 Hz).
func EncodeSLN(samples []int16) []byte {
	out := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
	}
	return out
}
