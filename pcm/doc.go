// Package pcm owns the audio messages that outbound campaigns play (OUT-2):
// the strict check of what a customer uploads — a WAV file holding PCM
// (format 1), 11,025 Hz, 8-bit unsigned, mono, exactly as the contract
// requires — and its conversion to what the media engine plays: 8,000 Hz,
// 16-bit signed little-endian linear, as raw samples (Asterisk's .sln) or as
// a WAV file.
//
// Validate reads the RIFF structure chunk by chunk (odd-sized chunks are
// followed by a pad byte; chunks other than fmt and data, such as LIST, are
// skipped) and refuses anything else with a *FormatError whose message says
// what is wrong in words a customer understands ("sample rate is 22050 Hz;
// it must be 11025 Hz"). It never reads past the input and refuses inputs
// larger than MaxSize before looking at them, so memory stays bounded by
// what the caller read.
//
// Resample converts the 11,025 Hz samples to 8,000 Hz with a windowed-sinc
// low-pass filter (Kaiser window), so that content above 4 kHz is removed
// instead of folding back as aliasing.
//
// The package is pure: standard library only, no I/O, no clock. Storing
// the original and the converted file is the caller's business.
package pcm
