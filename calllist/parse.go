package calllist

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/phone"
)

// MaxSize bounds an uploaded file (1 MiB: some 30,000 rows of number and
// name, far beyond any list limit). Callers read at most MaxSize+1 bytes.
const MaxSize = 1 << 20

// DefaultMaxEntries is the default number of entries of a list (OUT-1).
const DefaultMaxEntries = 100

// Bounds on what one row may hold.
const (
	maxColumns  = 50
	maxNameLen  = 200  // characters
	maxFieldLen = 1000 // characters
)

// Entry is one person to call.
type Entry struct {
	Line   int               `json:"line"`             // line of the file the entry comes from
	Number string            `json:"number"`           // E.164
	Name   string            `json:"name,omitempty"`   // as written, trimmed
	Fields map[string]string `json:"fields,omitempty"` // extra columns by heading
}

// Options say how to read a list.
type Options struct {
	// Region is where national numbers are read ("BE"); phone.DefaultRegion
	// when empty.
	Region string
	// MaxEntries is the most entries a list may have (the tenant's limit);
	// DefaultMaxEntries when 0.
	MaxEntries int
}

// Parse reads a CSV call list. It returns every entry, or an error and no
// entries: a *ListError listing every problem of the file (by line), or —
// when opt.Region is not a known region — an error about the options.
func Parse(data []byte, opt Options) ([]Entry, error) {
	region := opt.Region
	if region == "" {
		region = phone.DefaultRegion
	}
	if _, err := phone.Normalize("0", region); vms.ErrorField(err) == "region" {
		return nil, fmt.Errorf("calllist: %w", err)
	}
	limit := opt.MaxEntries
	if limit <= 0 {
		limit = DefaultMaxEntries
	}
	le := &ListError{}
	text, ok := decode(data, le)
	if !ok {
		return nil, le
	}
	records, ok := readRecords(text, le)
	if !ok {
		return nil, le
	}
	if len(records) == 0 {
		le.add(Problem{Message: "the list has no numbers"})
		return nil, le
	}
	l := layoutOf(records, region, le)
	if l.header {
		records = records[1:]
	}
	if len(records) == 0 {
		le.add(Problem{Message: "the list has no numbers"})
		return nil, le
	}
	if len(records) > limit {
		le.add(Problem{Message: fmt.Sprintf("the list has %d numbers; the limit is %d", len(records), limit)})
	}
	// A list over the limit is refused whatever its rows hold; only the
	// rows within the limit are checked, so that an oversized file costs
	// no more than a full list.
	records = records[:min(len(records), limit)]
	entries := make([]Entry, 0, len(records))
	seen := make(map[string]int, len(records))
	for _, r := range records {
		e, ok := l.entry(r, region, seen, le)
		if ok {
			entries = append(entries, e)
		}
	}
	if len(le.Problems) > 0 {
		return nil, le
	}
	return entries, nil
}

// decode checks the encoding and returns the text without its byte order
// mark.
func decode(data []byte, le *ListError) ([]byte, bool) {
	if len(data) > MaxSize {
		le.add(Problem{Message: fmt.Sprintf("the file is larger than %d MB, the limit", MaxSize>>20)})
		return nil, false
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		le.add(Problem{Message: "the file is encoded in UTF-16; save it as CSV in UTF-8"})
		return nil, false
	}
	line := 1
	for rest := data; len(rest) > 0; line++ {
		l := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		switch {
		case bytes.IndexByte(l, 0) >= 0:
			le.add(Problem{Line: line, Message: "holds a NUL byte: this is not a text file in UTF-8; save it as CSV in UTF-8"})
			return nil, false
		case !utf8.Valid(l):
			le.add(Problem{Line: line, Message: "is not valid UTF-8 (the file may be in another encoding, such as Windows-1252); save it as CSV in UTF-8"})
		}
	}
	if len(le.Problems) > 0 {
		return nil, false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		le.add(Problem{Message: "the file is empty"})
		return nil, false
	}
	return data, true
}

// separator returns ';' when the first line that has a separator (outside
// quotes) has more semicolons than commas, ',' otherwise.
func separator(text []byte) rune {
	semi, comma, quoted := 0, 0, false
	for _, c := range text {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			if semi+comma > 0 {
				return pick(semi, comma)
			}
		case c == ';':
			semi++
		case c == ',':
			comma++
		}
	}
	return pick(semi, comma)
}

func pick(semi, comma int) rune {
	if semi > comma {
		return ';'
	}
	return ','
}

// record is one non-blank row with the line it starts on.
type record struct {
	line   int
	fields []string
}

func readRecords(text []byte, le *ListError) ([]record, bool) {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = separator(text)
	r.FieldsPerRecord = -1
	var out []record
	for {
		fields, err := r.Read()
		if err == io.EOF {
			return out, true
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				le.add(Problem{Message: "the file cannot be read as CSV"})
				return nil, false
			}
			msg := "cannot be read as CSV"
			switch {
			case errors.Is(pe.Err, csv.ErrQuote):
				msg = `a quoted field is not closed, or a quote (") inside it is not doubled`
			case errors.Is(pe.Err, csv.ErrBareQuote):
				msg = `a quote (") appears inside a field that is not quoted; put the field in quotes and double the quote`
			}
			le.add(Problem{Line: pe.Line, Message: msg})
			return nil, false
		}
		line, _ := r.FieldPos(0)
		blank := true
		for i, f := range fields {
			fields[i] = strings.TrimSpace(f)
			blank = blank && fields[i] == ""
		}
		if !blank {
			out = append(out, record{line: line, fields: fields})
		}
	}
}

// Headings people give the number and name columns (compared folded:
// lower case, no accents, no spaces or punctuation).
var (
	numberHeadings = words("number", "numbers", "nr", "no", "phone", "phonenumber", "telephone", "telephonenumber",
		"tel", "telnr", "telno", "telefoon", "telefoonnummer", "nummer", "numero", "numerodetelephone",
		"gsm", "gsmnummer", "mobile", "mobiel", "portable", "cell", "cellphone", "msisdn", "e164",
		"telefon", "telefonnummer", "rufnummer", "callee", "destination")
	nameHeadings = words("name", "naam", "nom", "fullname", "contact", "contactname", "volledigenaam",
		"nomcomplet", "person", "client", "klant", "customer")
)

func words(w ...string) map[string]bool {
	m := make(map[string]bool, len(w))
	for _, s := range w {
		m[s] = true
	}
	return m
}

// fold reduces a heading to what is compared: lower case letters and
// digits, accents removed.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'é', 'è', 'ê', 'ë':
			r = 'e'
		case 'à', 'â', 'ä':
			r = 'a'
		case 'ô', 'ö':
			r = 'o'
		case 'ù', 'û', 'ü':
			r = 'u'
		case 'î', 'ï':
			r = 'i'
		case 'ç':
			r = 'c'
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// layout says where the columns are.
type layout struct {
	header bool
	number int      // column of the number
	name   int      // column of the name; -1 when none
	extras []string // heading of every column (for extras); nil without header
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

func layoutOf(records []record, region string, le *ListError) layout {
	first := records[0]
	numberCol, nameCol, phoneCol := -1, -1, -1
	anyDigit := false
	for i, f := range first.fields {
		w := fold(f)
		switch {
		case numberHeadings[w] && numberCol < 0:
			numberCol = i
		case nameHeadings[w] && nameCol < 0:
			nameCol = i
		}
		anyDigit = anyDigit || hasDigit(f)
		if phoneCol < 0 && i < maxColumns && hasDigit(f) {
			if _, err := phone.Normalize(f, region); err == nil {
				phoneCol = i
			}
		}
	}
	// A first row with a valid number is data, whatever else it holds; so
	// is one without headings that has digits (a number with a typo). A
	// row of words only is a header.
	if phoneCol >= 0 || (numberCol < 0 && nameCol < 0 && anyDigit) {
		l := layout{number: numberColumn(records, region), name: -1}
		switch {
		case l.number != 0:
			l.name = 0
		case len(first.fields) > 1:
			l.name = 1
		}
		return l
	}
	l := layout{header: true, number: numberCol, name: nameCol}
	if numberCol < 0 {
		le.add(Problem{Line: first.line, Message: "the header names no number column; call it number, nummer, numéro, telefoon or phone"})
	}
	if len(first.fields) > maxColumns {
		le.add(Problem{Line: first.line, Message: fmt.Sprintf("the header has %d columns; the limit is %d", len(first.fields), maxColumns)})
		return l
	}
	seen := map[string]int{}
	l.extras = make([]string, len(first.fields))
	for i, f := range first.fields {
		h := f
		if h == "" {
			h = columnName(i)
		}
		if utf8.RuneCountInString(h) > 100 {
			le.add(Problem{Line: first.line, Message: fmt.Sprintf("the heading of column %d is longer than 100 characters", i+1)})
		}
		if j, dup := seen[strings.ToLower(h)]; dup && i != numberCol && i != nameCol && j != numberCol && j != nameCol {
			le.add(Problem{Line: first.line, Message: fmt.Sprintf("the heading %q appears twice (columns %d and %d)", h, j+1, i+1)})
		}
		seen[strings.ToLower(h)] = i
		l.extras[i] = h
	}
	return l
}

// sniffRows is how many rows decide which column holds the numbers in a
// list without a header.
const sniffRows = 10

// numberColumn picks the number column of a list without a header: the
// one where most of the first rows hold a valid number, else the one
// where most hold digits (numbers with typos), the leftmost on a tie.
func numberColumn(records []record, region string) int {
	valid := make([]int, maxColumns)
	digits := make([]int, maxColumns)
	for _, r := range records[:min(len(records), sniffRows)] {
		for i, f := range r.fields[:min(len(r.fields), maxColumns)] {
			if !hasDigit(f) {
				continue
			}
			digits[i]++
			if _, err := phone.Normalize(f, region); err == nil {
				valid[i]++
			}
		}
	}
	best := 0
	for i := range valid {
		if valid[i] > valid[best] || valid[i] == valid[best] && digits[i] > digits[best] {
			best = i
		}
	}
	return best
}

func columnName(i int) string { return "column " + strconv.Itoa(i+1) }

// entry reads one data row.
func (l layout) entry(r record, region string, seen map[string]int, le *ListError) (Entry, bool) {
	ok := true
	bad := func(field, format string, args ...any) {
		le.add(Problem{Line: r.line, Field: field, Message: fmt.Sprintf(format, args...)})
		ok = false
	}
	if len(r.fields) > maxColumns {
		bad("", "has %d fields; the limit is %d", len(r.fields), maxColumns)
		return Entry{}, false
	}
	if l.header {
		for i := len(l.extras); i < len(r.fields); i++ {
			if r.fields[i] != "" {
				bad("", "has %d fields; the header has %d", len(r.fields), len(l.extras))
				break
			}
		}
	}
	e := Entry{Line: r.line}
	if l.number >= 0 {
		raw := ""
		if l.number < len(r.fields) {
			raw = r.fields[l.number]
		}
		n, err := phone.Normalize(raw, region)
		switch {
		case raw == "":
			bad("number", "the number is missing")
		case err != nil:
			bad("number", "%q %s", truncate(raw, 40), vms.ErrorMessage(err))
		default:
			if prev, dup := seen[n]; dup {
				bad("number", "%s is already on line %d", n, prev)
			} else {
				seen[n] = r.line
			}
			e.Number = n
		}
	}
	for i, f := range r.fields {
		switch {
		case i == l.number:
		case i == l.name:
			if utf8.RuneCountInString(f) > maxNameLen {
				bad("name", "is longer than %d characters", maxNameLen)
			}
			e.Name = f
		case f == "":
		default:
			h := columnName(i)
			if l.header {
				if i >= len(l.extras) {
					continue // reported above
				}
				h = l.extras[i]
			}
			if utf8.RuneCountInString(f) > maxFieldLen {
				bad(h, "is longer than %d characters", maxFieldLen)
			}
			if e.Fields == nil {
				e.Fields = map[string]string{}
			}
			e.Fields[h] = f
		}
	}
	return e, ok
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
