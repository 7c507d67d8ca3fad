package campaign

// Progress counts a campaign's contacts by where they stand (OUT-6).
type Progress struct {
	Total     int `json:"total"`
	Waiting   int `json:"waiting"`     // still to be called (first call or retry)
	Calling   int `json:"calling"`     // an attempt in progress
	Answered  int `json:"answered"`    // done: answered
	Busy      int `json:"busy"`        // done: busy on every allowed attempt
	NoAnswer  int `json:"no_answer"`   // done: unanswered on every allowed attempt
	Failed    int `json:"failed"`      // done: the call could not be placed
	DoNotCall int `json:"do_not_call"` // done: asked not to be called
	Attempts  int `json:"attempts"`    // calls placed in all
}

// Done returns the number of contacts with nothing left to do.
func (p Progress) Done() int { return p.Total - p.Waiting - p.Calling }

// Progress counts contacts by state and final outcome.
func (p *Plan) Progress(contacts []Contact) Progress {
	var g Progress
	g.Total = len(contacts)
	for i := range contacts {
		c := &contacts[i]
		g.Attempts += len(c.Attempts)
		st, _ := p.state(*c)
		switch {
		case st == Waiting:
			g.Waiting++
		case st == Calling:
			g.Calling++
		case c.DoNotCall:
			g.DoNotCall++
		default:
			switch c.Attempts[len(c.Attempts)-1].Outcome {
			case Answered:
				g.Answered++
			case Busy:
				g.Busy++
			case NoAnswer:
				g.NoAnswer++
			default:
				g.Failed++
			}
		}
	}
	return g
}

// MaxReplays is how many times a called person may replay the message in
// one call; a further replay key hangs up, so that no call loops forever.
const MaxReplays = 3

// Key returns the action for a key pressed during a call in which the
// message was already replayed replays times. A key without an action is
// ignored (false): the message goes on.
func (p *Plan) Key(key string, replays int) (KeyAction, bool) {
	a, ok := p.c.Keys[key]
	if !ok {
		return KeyAction{}, false
	}
	if a.Action == Replay && replays >= MaxReplays {
		return KeyAction{Action: HangUp}, true
	}
	return a, true
}
