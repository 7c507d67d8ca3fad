package mailin

import (
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// wordDecoder decodes RFC 2047 encoded words in any charset htmlindex knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("unknown charset %q", short(charset))
	}
	return transform.NewReader(input, enc.NewDecoder()), nil
}

// decodeHeader decodes the encoded words of a header value and folds it on
// one line. Words that cannot be decoded are kept as received.
func decodeHeader(v string) string {
	if v == "" {
		return ""
	}
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		v = d
	}
	v = strings.ToValidUTF8(v, "\uFFFD")
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// decodeText converts a body in charset to UTF-8. An empty or US-ASCII
// charset, or one htmlindex does not know, is read as UTF-8; invalid bytes
// become U+FFFD.
func decodeText(data []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	if enc, err := htmlindex.Get(cs); err == nil {
		if out, err := enc.NewDecoder().Bytes(data); err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	if utf8.Valid(data) {
		return string(data)
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}
