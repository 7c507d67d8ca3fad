package acd_test

import (
	"fmt"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// The controller's view: feed events with their times, carry out the
// effects that Tick hands back.
func Example() {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	c := acd.New(start)
	_ = c.PutGroup(acd.GroupConfig{ID: "support", MaxWait: 2 * time.Minute, RingTimeout: 15 * time.Second, WrapUp: 20 * time.Second}, start)
	_ = c.PutAgent(acd.AgentConfig{ID: "ann", Groups: map[acd.GroupID]acd.Level{"support": 8}}, start)
	_ = c.PutAgent(acd.AgentConfig{ID: "bob", Groups: map[acd.GroupID]acd.Level{"support": 5}}, start)
	for _, id := range []acd.AgentID{"ann", "bob"} {
		_ = c.SetRegistered(id, true, at(0)) // the softphone registered
		_ = c.Login(id, at(0))
	}

	outcome, _ := c.Enqueue("call-1", "support", acd.Voice, at(10))
	fmt.Printf("queued: %q\n", outcome)
	for _, a := range c.Tick(at(10)).Assignments {
		fmt.Printf("ring %s for %s (level %d) up to %s\n", a.Agent, a.Contact, a.Level, a.RingTimeout)
	}
	_ = c.NoAnswer("call-1", at(25)) // ann did not answer in 15 s
	for _, a := range c.Tick(at(25)).Assignments {
		fmt.Printf("ring %s for %s\n", a.Agent, a.Contact)
	}
	_ = c.Answered("call-1", at(28))
	_ = c.Ended("call-1", at(100))
	ann, _ := c.Agent("ann")
	bob, _ := c.Agent("bob")
	fmt.Printf("ann %s (%s), bob %s\n", ann.State, ann.Reason, bob.State)
	due, _ := c.NextDue()
	fmt.Printf("next timer in %s\n", due.Sub(at(100)))
	// Output:
	// queued: ""
	// ring ann for call-1 (level 8) up to 15s
	// ring bob for call-1
	// ann not_ready (no answer), bob wrap_up
	// next timer in 20s
}
