package acd_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// The benchmarks measure one assignment cycle: a call arrives in a group
// and is offered to the group's best agent, which answers and hangs up
// (no wrap-up), so the agent is available again for the next iteration.
// The Center is compared with a naive ACD that scans every agent for each
// call, in the same run. See BENCHMARKS.md.

const (
	benchGroups     = 500
	benchMembership = 3 // groups per agent
)

type benchMember struct {
	group acd.GroupID
	level acd.Level
}

// benchAgents returns n agents, each in benchMembership random groups at
// random levels; the same for every run.
func benchAgents(n int) (map[acd.AgentID][]benchMember, []acd.GroupID) {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	agents := make(map[acd.AgentID][]benchMember, n)
	staffed := map[acd.GroupID]bool{}
	for i := range n {
		id := acd.AgentID(fmt.Sprintf("agent%05d", i))
		for range benchMembership {
			g := acd.GroupID(fmt.Sprintf("group%03d", rng.IntN(benchGroups)))
			agents[id] = append(agents[id], benchMember{g, acd.Level(1 + rng.IntN(10))})
			staffed[g] = true
		}
	}
	var groups []acd.GroupID // the groups a call can be sent to
	for i := range benchGroups {
		if g := acd.GroupID(fmt.Sprintf("group%03d", i)); staffed[g] {
			groups = append(groups, g)
		}
	}
	return agents, groups
}

var benchSizes = []int{10, 1_000, 10_000}

// cpuTime returns the CPU time the process has used. On a loaded machine
// ns/op counts the time the benchmark waited for a core; cpu-ns/op, from
// this, counts only the work done (the garbage collector's included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU reports the CPU time per iteration of the b.Loop that
// follows; call it deferred, with the start time, right before the loop.
func measureCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// benchCenter returns a Center with benchAgents(n), all logged in and
// registered, and the staffed groups.
func benchCenter(b *testing.B, n int, now time.Time) (*acd.Center, []acd.GroupID) {
	agents, groups := benchAgents(n)
	c := acd.New(now)
	for i := range benchGroups {
		if err := c.PutGroup(acd.GroupConfig{ID: acd.GroupID(fmt.Sprintf("group%03d", i))}, now); err != nil {
			b.Fatal(err)
		}
	}
	for id, ms := range agents {
		cfg := acd.AgentConfig{ID: id, Groups: map[acd.GroupID]acd.Level{}}
		for _, m := range ms {
			cfg.Groups[m.group] = m.level
		}
		if err := c.PutAgent(cfg, now); err != nil {
			b.Fatal(err)
		}
		if err := c.SetRegistered(id, true, now); err != nil {
			b.Fatal(err)
		}
		if err := c.Login(id, now); err != nil {
			b.Fatal(err)
		}
	}
	return c, groups
}

func BenchmarkAssign(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			now := t0
			c, groups := benchCenter(b, n, now)
			ids := make([]acd.ContactID, 1024)
			for i := range ids {
				ids[i] = acd.ContactID(fmt.Sprint("call", i))
			}
			b.ReportAllocs()
			defer measureCPU(b, cpuTime())
			for i := 0; b.Loop(); i++ {
				now = now.Add(time.Second)
				k := ids[i%len(ids)]
				if o, err := c.Enqueue(k, groups[i%len(groups)], acd.Voice, now); err != nil || o != "" {
					b.Fatal(o, err)
				}
				if e := c.Tick(now); len(e.Assignments) != 1 {
					b.Fatalf("assignments %+v", e.Assignments)
				}
				if err := c.Answered(k, now); err != nil {
					b.Fatal(err)
				}
				if err := c.Ended(k, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// naiveAgent and naiveACD are the baseline: the same selection rule
// (highest level, then longest idle, then smallest id) by a full scan of
// every agent for every call.
type naiveAgent struct {
	id        acd.AgentID
	members   []benchMember
	busy      bool
	idleSince time.Time
}

type naiveACD struct{ agents []*naiveAgent }

func (n *naiveACD) pick(g acd.GroupID) *naiveAgent {
	var best *naiveAgent
	var bestLv acd.Level
	for _, a := range n.agents {
		if a.busy {
			continue
		}
		for _, m := range a.members {
			if m.group != g {
				continue
			}
			if best == nil || m.level > bestLv || m.level == bestLv &&
				(a.idleSince.Before(best.idleSince) || a.idleSince.Equal(best.idleSince) && a.id < best.id) {
				best, bestLv = a, m.level
			}
		}
	}
	return best
}

func BenchmarkAssignNaive(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			agents, groups := benchAgents(n)
			now := t0
			var naive naiveACD
			for id, ms := range agents {
				naive.agents = append(naive.agents, &naiveAgent{id: id, members: ms, idleSince: now})
			}
			b.ReportAllocs()
			defer measureCPU(b, cpuTime())
			for i := 0; b.Loop(); i++ {
				now = now.Add(time.Second)
				a := naive.pick(groups[i%len(groups)])
				if a == nil {
					b.Fatal("no agent")
				}
				a.busy = true
				a.busy, a.idleSince = false, now
			}
		})
	}
}

// BenchmarkAssignFromQueue measures the other way in: every agent is on a
// call and every staffed group has callers waiting. One iteration: an
// agent hangs up, takes the head that waited longest among its groups'
// (the multi-group rule), answers it; a new caller arrives in that group,
// so queue lengths stay the same.
func BenchmarkAssignFromQueue(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			now := t0
			c, groups := benchCenter(b, n, now)
			next := 0
			enqueue := func(g acd.GroupID) {
				next++
				if o, err := c.Enqueue(acd.ContactID(strconv.Itoa(next)), g, acd.Voice, now); err != nil || o != "" {
					b.Fatal(o, err)
				}
			}
			talking := map[acd.AgentID]acd.ContactID{}
			answer := func(e acd.Effects) {
				for _, a := range e.Assignments {
					if err := c.Answered(a.Contact, now); err != nil {
						b.Fatal(err)
					}
					talking[a.Agent] = a.Contact
				}
			}
			for i := 0; len(talking) < n; i++ {
				now = now.Add(time.Millisecond)
				enqueue(groups[i%len(groups)])
				answer(c.Tick(now))
			}
			for _, g := range groups {
				enqueue(g)
				enqueue(g)
			}
			agents := c.Agents()
			b.ReportAllocs()
			defer measureCPU(b, cpuTime())
			for i := 0; b.Loop(); i++ {
				now = now.Add(time.Second)
				id := agents[i%len(agents)]
				if err := c.Ended(talking[id], now); err != nil {
					b.Fatal(err)
				}
				e := c.Tick(now)
				if len(e.Assignments) != 1 {
					b.Fatalf("assignments %+v", e.Assignments)
				}
				answer(e)
				enqueue(e.Assignments[0].Group)
			}
		})
	}
}
