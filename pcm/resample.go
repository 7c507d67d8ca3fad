package pcm

import (
	"math"
	"sync"
)

// The resampler: 11,025 Hz → 8,000 Hz is the ratio 320/441. Output sample j
// sits at input position j·441/320; its value is the input convolved with a
// Kaiser-windowed sinc low-pass centred there. The 320 possible fractional
// positions each get their own precomputed set of taps (a polyphase
// filter), so converting costs 2·halfTaps multiplications per output
// sample and no trigonometry.
const (
	up       = 320 // OutputRate / gcd
	down     = 441 // InputRate / gcd
	halfTaps = 64  // input samples on each side of the output position
	cutoffHz = 3780.0
	beta     = 8.0 // Kaiser window shape: about 80 dB of stop-band rejection
)

var (
	tapsOnce sync.Once
	taps     [][]float64 // [phase][2*halfTaps]
)

func buildTaps() {
	fc := cutoffHz / InputRate // cycles per input sample
	i0b := besselI0(beta)
	taps = make([][]float64, up)
	for p := range taps {
		frac := float64(p) / up
		row := make([]float64, 2*halfTaps)
		sum := 0.0
		for i := range row {
			x := frac + float64(halfTaps-1-i) // distance from the output position
			r := x / halfTaps
			w := 0.0
			if r > -1 && r < 1 {
				w = besselI0(beta*math.Sqrt(1-r*r)) / i0b
			}
			row[i] = 2 * fc * sinc(2*fc*x) * w
			sum += row[i]
		}
		for i := range row {
			row[i] /= sum // unity gain at DC for every phase
		}
		taps[p] = row
	}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series (converges fast for the arguments used here).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 64; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-16 {
			break
		}
	}
	return sum
}

// OutputLen returns the number of 8,000 Hz samples that n input samples
// become (rounded up, so that the message does not lose its end).
func OutputLen(n int) int {
	return int((int64(n)*up + down - 1) / down)
}

// Resample converts the message to 8,000 Hz 16-bit signed samples (an
// 8-bit sample v becomes (v-128)·256 before filtering). Outside the
// message the input counts as silence.
func (m *Message) Resample() []int16 {
	return resample(m.Samples)
}

func resample(in []byte) []int16 {
	tapsOnce.Do(buildTaps)
	n := len(in)
	out := make([]int16, OutputLen(n))
	for j := range out {
		pos := int64(j) * down
		k0 := int(pos / up)
		row := taps[pos%up]
		first := k0 - halfTaps + 1
		acc := 0.0
		lo, hi := 0, len(row)
		if first < 0 {
			lo = -first
		}
		if first+hi > n {
			hi = n - first
		}
		for i := lo; i < hi; i++ {
			acc += row[i] * float64(int(in[first+i])-128)
		}
		v := math.Round(acc * 256)
		switch {
		case v > math.MaxInt16:
			v = math.MaxInt16
		case v < math.MinInt16:
			v = math.MinInt16
		}
		out[j] = int16(v)
	}
	return out
}

// Convert validates an uploaded WAV file and returns it converted for the
// engine as a WAV file (8,000 Hz, 16-bit signed, mono) with the message's
// duration.
func Convert(b []byte) (wav []byte, m *Message, err error) {
	m, err = Validate(b)
	if err != nil {
		return nil, nil, err
	}
	return EncodeWAV(m.Resample(), OutputRate), m, nil
}
