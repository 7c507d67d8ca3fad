package routing

// Refs tells Validate and Compile which objects outside the tree exist, so
// that references to them can be checked (TRM-5). A nil Refs skips these
// checks; use that only to check a tree's shape, never before saving it.
type Refs interface {
	PromptExists(id string) bool
	GroupExists(id string) bool
	TreeExists(id string) bool
	ListExists(name string) bool
}

// RefSet is a Refs backed by sets, handy for tests and for callers that
// load all ids up front. A nil map means nothing of that kind exists.
type RefSet struct {
	Prompts map[string]bool
	Groups  map[string]bool
	Trees   map[string]bool
	Lists   map[string]bool
}

// PromptExists reports whether the prompt id is in the set.
func (r RefSet) PromptExists(id string) bool { return r.Prompts[id] }

// GroupExists reports whether the ACM group id is in the set.
func (r RefSet) GroupExists(id string) bool { return r.Groups[id] }

// TreeExists reports whether the tree id is in the set.
func (r RefSet) TreeExists(id string) bool { return r.Trees[id] }

// ListExists reports whether the caller list name is in the set.
func (r RefSet) ListExists(name string) bool { return r.Lists[name] }
