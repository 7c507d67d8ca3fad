package acd

// member is one agent's membership of one group: the agent's level there
// and its place in the group's indexes of available agents.
type member struct {
	agent *agent
	group *group
	level Level
	pos   [2]int // index in group.avail[channel][level], -1 when absent
	// The agent's ordering keys, copied by reindex so that heap
	// comparisons read the member only, not the agent behind it.
	idle int64 // agent.idleSince in Unix nanoseconds
	load int   // e-mails in hand
	id   AgentID
}

// chIndex maps a Channel to the index of per-channel arrays.
func chIndex(ch Channel) int {
	if ch == Email {
		return 1
	}
	return 0
}

// memberBefore orders available agents for one channel: for calls, the
// agent idle the longest first; for e-mails, the agent with the fewest
// e-mails in hand first, then the one idle the longest; ties go to the
// smallest AgentID, so that selection never depends on map order or
// history. It reads the keys copied into the members.
func memberBefore(ci int, a, b *member) bool {
	if ci == 1 && a.load != b.load {
		return a.load < b.load
	}
	if a.idle != b.idle {
		return a.idle < b.idle
	}
	return a.id < b.id
}

// agentHeap is a binary min-heap of the memberships of available agents
// at one level of one group for one channel, ordered by before. Each
// member records its position, so removal and re-ordering after a key
// change cost O(log n) with no search.
type agentHeap struct {
	ci    int
	items []*member
}

func (h *agentHeap) top() *member {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (h *agentHeap) less(i, j int) bool { return memberBefore(h.ci, h.items[i], h.items[j]) }

func (h *agentHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].pos[h.ci] = i
	h.items[j].pos[h.ci] = j
}

func (h *agentHeap) push(m *member) {
	m.pos[h.ci] = len(h.items)
	h.items = append(h.items, m)
	h.up(len(h.items) - 1)
}

func (h *agentHeap) remove(m *member) {
	i := m.pos[h.ci]
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	m.pos[h.ci] = -1
	if i != last {
		h.fix(i)
	}
}

// fix restores the heap order after the key of the item at i changed.
func (h *agentHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *agentHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *agentHeap) down(i0 int) bool {
	i, n := i0, len(h.items)
	for {
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
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// contactQueue is a group's waiting contacts of one channel, a doubly
// linked list in arrival order (arrival time, then arrival sequence). A
// contact that comes back after an unanswered offer is put back at its
// arrival place, which is at or near the head.
type contactQueue struct {
	head, tail *contact
	n          int
}

// insert puts c at its arrival place. New arrivals are the latest and
// go to the tail at once; a contact coming back after an unanswered offer
// is older than nearly every other and is placed by a walk from the head.
func (q *contactQueue) insert(c *contact) {
	var after *contact // the contact c goes after; nil for the head
	if q.tail == nil || !c.arrivedBefore(q.tail) {
		after = q.tail
	} else {
		for at := q.head; at != nil && at.arrivedBefore(c); at = at.next {
			after = at
		}
	}
	c.prev = after
	if after == nil {
		c.next = q.head
		q.head = c
	} else {
		c.next = after.next
		after.next = c
	}
	if c.next == nil {
		q.tail = c
	} else {
		c.next.prev = c
	}
	q.n++
}

func (q *contactQueue) remove(c *contact) {
	if c.prev == nil {
		q.head = c.next
	} else {
		c.prev.next = c.next
	}
	if c.next == nil {
		q.tail = c.prev
	} else {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
	q.n--
}
