package acd_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// ACM-3: the full transition table, every state against every event.
func TestNextEveryPair(t *testing.T) {
	allowed := map[acd.State]map[acd.Event]acd.State{
		acd.LoggedOut: {acd.EventLogin: acd.Available},
		acd.Available: {acd.EventLogout: acd.LoggedOut, acd.EventPause: acd.Paused, acd.EventOffer: acd.Ringing},
		acd.Ringing:   {acd.EventAnswer: acd.Talking, acd.EventNoAnswer: acd.NotReady, acd.EventWithdraw: acd.Available},
		acd.Talking:   {acd.EventEnd: acd.WrapUp},
		acd.WrapUp: {acd.EventLogout: acd.LoggedOut, acd.EventPause: acd.Paused, acd.EventResume: acd.Available,
			acd.EventWrapUpEnd: acd.Available},
		acd.Paused:   {acd.EventLogout: acd.LoggedOut, acd.EventPause: acd.Paused, acd.EventResume: acd.Available},
		acd.NotReady: {acd.EventLogout: acd.LoggedOut, acd.EventPause: acd.Paused, acd.EventResume: acd.Available},
	}
	events := []acd.Event{acd.EventLogin, acd.EventLogout, acd.EventPause, acd.EventResume, acd.EventOffer,
		acd.EventAnswer, acd.EventNoAnswer, acd.EventWithdraw, acd.EventEnd, acd.EventWrapUpEnd}
	for s := range acd.StateCount {
		from := acd.State(s)
		for _, e := range events {
			t.Run(from.String()+"/"+e.String(), func(t *testing.T) {
				got, err := acd.Next(from, e)
				want, ok := allowed[from][e]
				if !ok {
					if !errors.Is(err, acd.ErrInvalidTransition) {
						t.Fatalf("Next = %s, %v; want ErrInvalidTransition", got, err)
					}
					if !strings.Contains(err.Error(), from.String()) || !strings.Contains(err.Error(), e.String()) {
						t.Errorf("error %q does not name the state and the event", err)
					}
					return
				}
				if err != nil || got != want {
					t.Fatalf("Next = %s, %v; want %s", got, err, want)
				}
			})
		}
	}
}

// reach brings agent "x" of group "g" into state s through public events.
func reach(t *testing.T, s acd.State) *fixture {
	t.Helper()
	f := newFixture(t, acd.GroupConfig{ID: "g", WrapUp: 30 * time.Second})
	f.agent("x", 0, "g:5")
	f.must(f.c.SetRegistered("x", true, sec(0)))
	if s == acd.LoggedOut {
		return f
	}
	f.must(f.c.Login("x", sec(1)))
	switch s {
	case acd.Paused:
		f.must(f.c.Pause("x", "lunch", sec(2)))
	case acd.Ringing, acd.Talking, acd.WrapUp, acd.NotReady:
		f.enqueue("k", "g", acd.Voice, 2)
		switch s {
		case acd.Talking, acd.WrapUp:
			f.must(f.c.Answered("k", sec(3)))
			if s == acd.WrapUp {
				f.must(f.c.Ended("k", sec(4)))
			}
		case acd.NotReady:
			f.must(f.c.NoAnswer("k", sec(3)))
			f.must(f.c.Abandon("k", sec(3))) // else a resume would offer it again
		}
	}
	if got := f.state("x"); got != s {
		t.Fatalf("set-up reached %s, want %s", got, s)
	}
	return f
}

// ACM-3: the agent's own actions through Center, from every state.
func TestAgentActionsFromEveryState(t *testing.T) {
	const refused = acd.State(255)
	actions := []struct {
		name string
		do   func(*acd.Center) error
		want [acd.StateCount]acd.State // indexed by the state before
	}{
		{"login", func(c *acd.Center) error { return c.Login("x", sec(10)) },
			[acd.StateCount]acd.State{acd.Available, refused, refused, refused, refused, refused, refused}},
		{"logout", func(c *acd.Center) error { return c.Logout("x", sec(10)) },
			[acd.StateCount]acd.State{refused, acd.LoggedOut, refused, refused, acd.LoggedOut, acd.LoggedOut, acd.LoggedOut}},
		{"pause", func(c *acd.Center) error { return c.Pause("x", "training", sec(10)) },
			[acd.StateCount]acd.State{refused, acd.Paused, refused, refused, acd.Paused, acd.Paused, acd.Paused}},
		{"resume", func(c *acd.Center) error { return c.Resume("x", sec(10)) },
			[acd.StateCount]acd.State{refused, refused, refused, refused, acd.Available, acd.Available, acd.Available}},
	}
	for _, a := range actions {
		for s := range acd.StateCount {
			from := acd.State(s)
			t.Run(a.name+"/from_"+from.String(), func(t *testing.T) {
				f := reach(t, from)
				err := a.do(f.c)
				if a.want[from] == refused {
					var te *acd.TransitionError
					if !errors.As(err, &te) || te.Agent != "x" || te.From != from {
						t.Fatalf("err = %v; want a TransitionError for x from %s", err, from)
					}
					if got := f.state("x"); got != from {
						t.Errorf("state changed to %s on a refused action", got)
					}
					return
				}
				f.must(err)
				if got := f.state("x"); got != a.want[from] {
					t.Errorf("state = %s, want %s", got, a.want[from])
				}
			})
		}
	}
}

// ACM-3: contact events in the wrong contact state are refused.
func TestContactEventsInWrongState(t *testing.T) {
	tests := []struct {
		name  string
		state acd.State // of agent x, holding contact k where it exists
		do    func(*acd.Center) error
		want  error
	}{
		{"answer a call not offered", acd.Talking, func(c *acd.Center) error { return c.Answered("k", sec(10)) }, acd.ErrContactState},
		{"no answer on a call in progress", acd.Talking, func(c *acd.Center) error { return c.NoAnswer("k", sec(10)) }, acd.ErrContactState},
		{"abandon a call in progress", acd.Talking, func(c *acd.Center) error { return c.Abandon("k", sec(10)) }, acd.ErrContactState},
		{"end a ringing call", acd.Ringing, func(c *acd.Center) error { return c.Ended("k", sec(10)) }, acd.ErrContactState},
		{"end an ended call", acd.WrapUp, func(c *acd.Center) error { return c.Ended("k", sec(10)) }, acd.ErrUnknownContact},
		{"unknown agent", acd.Available, func(c *acd.Center) error { return c.Login("nobody", sec(10)) }, acd.ErrUnknownAgent},
		{"unknown group", acd.Available, func(c *acd.Center) error { _, err := c.Enqueue("q", "nope", acd.Voice, sec(10)); return err }, acd.ErrUnknownGroup},
		{"duplicate contact", acd.Ringing, func(c *acd.Center) error { _, err := c.Enqueue("k", "g", acd.Voice, sec(10)); return err }, acd.ErrDuplicateContact},
		{"pause without reason", acd.Available, func(c *acd.Center) error { return c.Pause("x", " ", sec(10)) }, acd.ErrInvalidConfig},
		{"remove a logged-in agent", acd.Available, func(c *acd.Center) error { return c.RemoveAgent("x", sec(10)) }, acd.ErrAgentBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := reach(t, tt.state)
			if err := tt.do(f.c); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := f.state("x"); got != tt.state {
				t.Errorf("agent state changed to %s", got)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name  string
		group acd.GroupConfig
		field string
	}{
		{"no id", acd.GroupConfig{}, "id"},
		{"unknown strategy", acd.GroupConfig{ID: "g", Strategy: 9}, "strategy"},
		{"level too high", acd.GroupConfig{ID: "g", MinLevel: 11}, "min_level"},
		{"negative wait", acd.GroupConfig{ID: "g", MaxWait: -time.Second}, "max_wait"},
		{"negative queue", acd.GroupConfig{ID: "g", MaxQueue: -1}, "max_queue"},
		{"target over 100", acd.GroupConfig{ID: "g", Target: acd.ServiceLevel{Percent: 101}}, "target.percent"},
		{"relax not later", acd.GroupConfig{ID: "g", MinLevel: 8, Relax: []acd.RelaxStep{{After: 10 * time.Second, MinLevel: 5}, {After: 10 * time.Second, MinLevel: 3}}}, "relax[1].after"},
		{"relax not lower", acd.GroupConfig{ID: "g", MinLevel: 5, Relax: []acd.RelaxStep{{After: 10 * time.Second, MinLevel: 5}}}, "relax[0].min_level"},
		{"valid", acd.GroupConfig{ID: "g", MinLevel: 8, Relax: []acd.RelaxStep{{After: 10 * time.Second, MinLevel: 5}, {After: 20 * time.Second, MinLevel: 1}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.group.Validate()
			var ce *acd.ConfigError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tt.field != "" && (!errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, acd.ErrInvalidConfig)):
				t.Fatalf("err = %v, want a ConfigError on %s", err, tt.field)
			}
		})
	}
	agents := []struct {
		name  string
		agent acd.AgentConfig
		field string
	}{
		{"no id", acd.AgentConfig{}, "id"},
		{"negative e-mails", acd.AgentConfig{ID: "x", MaxEmails: -1}, "max_emails"},
		{"level zero", acd.AgentConfig{ID: "x", Groups: map[acd.GroupID]acd.Level{"g": 0}}, "groups.g"},
	}
	for _, tt := range agents {
		t.Run("agent "+tt.name, func(t *testing.T) {
			var ce *acd.ConfigError
			if err := tt.agent.Validate(); !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("err = %v, want a ConfigError on %s", err, tt.field)
			}
		})
	}
	c := acd.New(t0)
	if err := c.PutAgent(acd.AgentConfig{ID: "x", Groups: map[acd.GroupID]acd.Level{"missing": 3}}, t0); !errors.Is(err, acd.ErrUnknownGroup) {
		t.Errorf("PutAgent with a missing group: err = %v, want ErrUnknownGroup", err)
	}
}
