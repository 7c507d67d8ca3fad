package calllist

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalidList is matched (errors.Is) by every *ListError.
var ErrInvalidList = errors.New("calllist: invalid list")

// Problem is one reason a list was refused. Line is the line of the file
// (1-based; 0 for the list as a whole), Field the column at fault when
// there is one ("number", "name" or an extra field's heading).
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// MaxProblems bounds the problems a ListError lists; Omitted counts the
// others, so that a wrong file of 10,000 lines gives a readable answer.
const MaxProblems = 100

// ListError lists every problem found in a list: first those of the list
// as a whole, then those of the rows in line order.
type ListError struct {
	Problems []Problem `json:"problems"`
	Omitted  int       `json:"omitted,omitempty"` // problems beyond MaxProblems
}

func (e *ListError) Error() string {
	var b strings.Builder
	b.WriteString("calllist: invalid list: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if e.Omitted > 0 {
		b.WriteString("; and ")
		b.WriteString(strconv.Itoa(e.Omitted))
		b.WriteString(" more")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidList) true.
func (e *ListError) Is(target error) bool { return target == ErrInvalidList }

// add records a problem, counting those beyond MaxProblems.
func (e *ListError) add(p Problem) {
	if len(e.Problems) >= MaxProblems {
		e.Omitted++
		return
	}
	e.Problems = append(e.Problems, p)
}
