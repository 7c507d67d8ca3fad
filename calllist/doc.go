// Package calllist owns the call lists of outbound campaigns (OUT-1): the
// reading of an uploaded CSV file into entries — a number in E.164, an
// optional name and any extra fields — with every problem reported by line
// and reason, all or nothing.
//
// # File format
//
// UTF-8, with or without a byte order mark; a file in another encoding is
// refused (UTF-16 by its byte order mark, anything else at the first line
// that is not valid UTF-8). Fields are separated by ";" or ",", whichever
// the first line uses more (outside quotes); fields may be quoted as in RFC
// 4180. The first row is a header when it names its columns (number,
// nummer, numéro, telefoon, phone, name, naam, nom, ...) or holds no
// number at all; then the number column is the one with a number heading,
// the name column the one with a name heading, and every other column is
// kept under its heading. Without a header the number column is the one
// holding valid numbers on most of the first ten rows, the name the other
// of the first two columns, and further columns are kept as "column 3",
// "column 4", ...
//
// Numbers are normalised to E.164 by package phone in the region given in
// Options (national format "02 511 22 33" is read as Belgian by default).
// A row with an invalid number, a number already on an earlier row, or a
// field too long is a Problem naming the line; a list longer than
// Options.MaxEntries is refused as a whole ("the list has 120 numbers; the
// limit is 100"), never truncated; then only the rows within the limit
// are checked, so that an oversized upload costs no more than a full list.
//
// The package is pure: no I/O. It imports package phone (itself pure) and
// nothing else of VMS beyond it; the caller reads the upload (at most
// MaxSize bytes) and stores the entries.
package calllist
