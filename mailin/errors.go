package mailin

import "errors"

// Reasons Parse refuses a message. Parse wraps them with details; test with
// errors.Is. Their text is meant to be shown to the sender.
var (
	ErrNotMail            = errors.New("not a mail")
	ErrBadHeader          = errors.New("bad header")
	ErrBadMIME            = errors.New("bad MIME structure")
	ErrTooManyParts       = errors.New("too many MIME parts")
	ErrTooDeep            = errors.New("MIME nesting too deep")
	ErrAttachmentTooLarge = errors.New("attachment too large")
	ErrTooLarge           = errors.New("message too large")
)
