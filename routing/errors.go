package routing

import (
	"errors"
	"strings"
)

// ErrInvalidTree is matched (errors.Is) by every *ValidationError.
var ErrInvalidTree = errors.New("routing: invalid tree")

// Problem is one reason a tree is invalid (TRM-5). Node is the id of the
// node at fault (empty for tree-level fields); Field is the JSON path of the
// bad field inside the node or tree, such as "branches[1].windows[0].from".
type Problem struct {
	Node    string `json:"node,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Node != "" {
		b.WriteString("node ")
		b.WriteString(p.Node)
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a tree, in a stable order:
// time zone and ids, calendars, nodes in tree order, start and fallback,
// then cycles.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("routing: invalid tree: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidTree) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidTree }
