// Package mailin receives inbound e-mail for agent groups (ACM-5): it runs
// VMS's own SMTP listener and parses each accepted message into a Message
// (thread headers, decoded subject and bodies, attachments, the raw bytes).
//
// It owns receiving and parsing only. Mapping a recipient address to a
// tenant and group is asked of Config.Resolver, and handing the message on is
// Config.Deliver's job: queueing an e-mail and offering it to an agent belong
// to acd and the controller, and sending replies belongs to package mail.
// The package must not touch the store, queue or assign contacts, or send
// mail itself.
//
// Outside input is hostile by default: the listener never buffers more than
// Config.MaxSize+1 bytes of one message, refuses oversized, malformed and
// misaddressed mail with an SMTP code and a human reason, and survives a
// panic in a session. Parse bounds the number of MIME parts, their nesting
// depth and the decoded size of each part.
//
// Character sets are decoded with golang.org/x/text/encoding/htmlindex: every
// label of the WHATWG Encoding Standard, among them UTF-8, ISO-8859-1 (read as
// its superset Windows-1252, as mail clients and browsers do), ISO-8859-15,
// Windows-1252, KOI8-R, Shift_JIS and GB18030. Text in an unknown charset is
// kept as UTF-8 with invalid bytes replaced by U+FFFD.
package mailin
