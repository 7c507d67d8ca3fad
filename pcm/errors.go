package pcm

import (
	"errors"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *FormatError.
var ErrInvalid = errors.New("pcm: invalid message")

// FormatError says why an uploaded message was refused. Problems are
// complete sentences meant for the customer, in the order found; there is
// more than one when several format fields are wrong at once (a 16-bit
// stereo file gets both).
type FormatError struct {
	Problems []string
}

func (e *FormatError) Error() string {
	return "pcm: invalid message: " + strings.Join(e.Problems, "; ")
}

// Message returns the problems as one text for the customer.
func (e *FormatError) Message() string { return strings.Join(e.Problems, "; ") }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FormatError) Is(target error) bool { return target == ErrInvalid }

func invalid(problems ...string) *FormatError { return &FormatError{Problems: problems} }
