package acd

import "time"

type timerKind uint8

const (
	timerWrapUp  timerKind = iota // an agent's wrap-up time ends
	timerRelax                    // a group's head contact reaches a relaxation step
	timerMaxWait                  // a caller has waited the group's MaxWait
)

// timer is a pending deadline. Timers are never removed early: each
// carries what it needs to tell, when it fires, whether it still applies
// (the agent's wrap-up sequence, the group's relaxation sequence, the
// contact's state).
type timer struct {
	due     time.Time
	seq     uint64
	kind    timerKind
	ver     uint64
	ci      int
	agent   *agent
	group   *group
	contact *contact
}

// timerHeap is a min-heap of timers by due time, then by the order they
// were armed, so that timers due together fire in a stable order.
type timerHeap struct {
	items []timer
	seq   uint64
}

func (h *timerHeap) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.seq < b.seq
}

func (h *timerHeap) push(t timer) {
	h.seq++
	t.seq = h.seq
	h.items = append(h.items, t)
	for j := len(h.items) - 1; j > 0; {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		j = i
	}
}

func (h *timerHeap) peek() (timer, bool) {
	if len(h.items) == 0 {
		return timer{}, false
	}
	return h.items[0], true
}

func (h *timerHeap) pop() {
	n := len(h.items) - 1
	h.items[0] = h.items[n]
	h.items[n] = timer{}
	h.items = h.items[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		i = j
	}
}
