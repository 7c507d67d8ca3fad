package campaign

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rules "github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
)

// Numbers of the tests: what each destination does.
const (
	numConnect  = "+32470000001" // answers, presses 1 (connect)
	numBusy     = "+32470000002" // busy
	numNoAnswer = "+32470000003" // rings out
	numDNC      = "+32470000004" // answers, presses 9 (do not call)
	numSilent   = "+32470000005" // answers, presses nothing
	numReplay   = "+32470000006" // answers, presses 2 then 3 (hang up)
	numReplays  = "+32470000007" // answers, presses 2 four times
)

const pace = 150 * time.Millisecond

func settings() rules.Campaign {
	w, err := rules.ParseWindow("daily 00:00-24:00")
	if err != nil {
		panic(err)
	}
	return rules.Campaign{
		Name:     "Winter offer",
		CallerID: "+3225550000",
		TimeZone: "Europe/Brussels",
		Keys: map[string]rules.KeyAction{
			"1": {Action: rules.Connect, Group: "sales"},
			"2": {Action: rules.Replay},
			"3": {Action: rules.HangUp},
			"9": {Action: rules.DoNotCall},
		},
		Busy:        rules.Retry{Attempts: 2, Delay: time.Minute},
		NoAnswer:    rules.Retry{Attempts: 2, Delay: time.Minute},
		RingTimeout: 10 * time.Second,
		Windows:     []rules.Window{w},
		Pace:        pace,
	}
}

func testCampaign(id uint, mod func(*rules.Campaign)) Campaign {
	s := settings()
	if mod != nil {
		mod(&s)
	}
	return Campaign{ID: id, TenantID: 7, State: StateScheduled, Settings: s,
		Limits: rules.Limits{MinPace: pace}, MessageSHA: "abc", MessageDuration: 2 * time.Second}
}

// fakeQueue stands for the controller's queue: every call handed over is
// answered by agent 12.
type fakeQueue struct {
	mu     sync.Mutex
	handed []controller.Handover
}

func (q *fakeQueue) QueueChannel(ctx context.Context, h controller.Handover) (<-chan controller.HandoverResult, error) {
	q.mu.Lock()
	q.handed = append(q.handed, h)
	q.mu.Unlock()
	c := make(chan controller.HandoverResult, 1)
	c <- controller.HandoverResult{Connected: true, Agent: "12", At: time.Now()}
	close(c)
	return c, nil
}

func (q *fakeQueue) handovers() []controller.Handover {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.handed)
}

// env is a fake engine whose destinations behave by number, a person at
// each answering number pressing the number's keys once the message
// plays, and the store.
type env struct {
	t     *testing.T
	fake  *enginetest.Fake
	store *memStore
	queue *fakeQueue
	stop  chan struct{}
}

func dialString(e164 string) string { return "PJSIP/" + strings.TrimPrefix(e164, "+") + "@trunk" }

func newEnv(t *testing.T) *env {
	t.Helper()
	f := enginetest.NewFake()
	f.HoldPlayback = true
	// Timers of the fake (ring-out) run 100 times faster.
	f.AfterFunc = func(d time.Duration, fn func()) func() bool { return time.AfterFunc(d/100, fn).Stop }
	f.SetDestination(dialString(numConnect), enginetest.Answers)
	f.SetDestination(dialString(numDNC), enginetest.Answers)
	f.SetDestination(dialString(numSilent), enginetest.Answers)
	f.SetDestination(dialString(numReplay), enginetest.Answers)
	f.SetDestination(dialString(numReplays), enginetest.Answers)
	f.SetDestination(dialString(numBusy), enginetest.Behavior{Outcome: engine.OutcomeBusy})
	f.SetDestination(dialString(numNoAnswer), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	e := &env{t: t, fake: f, store: newMemStore(), queue: &fakeQueue{}, stop: make(chan struct{})}
	go e.people()
	t.Cleanup(func() { close(e.stop) })
	return e
}

// people press keys: on each answered call to a number with keys, once
// the message plays.
func (e *env) people() {
	keys := map[string]string{numConnect: "1", numDNC: "9", numReplay: "23", numReplays: "2222"}
	pressed := map[engine.ChannelID]int{}
	for {
		select {
		case <-e.stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
		for _, req := range e.fake.Originated() {
			var k string
			for n, kk := range keys {
				if req.Endpoint == dialString(n) {
					k = kk
				}
			}
			c, _ := e.fake.Channel(req.ID)
			if k == "" && c.State == "up" && len(c.Heard) > 0 && pressed[req.ID] == 0 {
				// The message plays to its end.
				e.fake.FinishPlayback(engine.PlaybackID(string(req.ID) + "-pb1"))
				pressed[req.ID]++
			}
			if k == "" || c.State != "up" || pressed[req.ID] >= len(k) || len(c.Heard) <= pressed[req.ID] {
				continue
			}
			e.fake.PressKeys(req.ID, k[pressed[req.ID]:pressed[req.ID]+1])
			pressed[req.ID]++
		}
	}
}

// dialer starts a dialer; the returned func stops it (like a crash: its
// context ends) and waits for it.
func (e *env) dialer(owner string, mod func(*Config)) (*Dialer, func()) {
	e.t.Helper()
	var log *slog.Logger
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := Config{
		Owner: owner, DialString: dialString, LeaseTTL: 600 * time.Millisecond, KeyWait: 300 * time.Millisecond,
		RetryDelay: 200 * time.Millisecond, Rescan: 200 * time.Millisecond,
		AgentName: func(id string) string { return "Agent " + id },
	}
	if mod != nil {
		mod(&cfg)
	}
	d, err := New(cfg, e.fake, e.store, e.queue, log)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(stop)
	return d, stop
}

func (e *env) waitFor(what string, timeout time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// originations counts originate requests per channel id.
func (e *env) originations() map[engine.ChannelID]int {
	n := map[engine.ChannelID]int{}
	for _, r := range e.fake.Originated() {
		n[r.ID]++
	}
	return n
}

// A campaign over numbers that answer and press keys, are busy or ring
// out: calls at the pace, retries per policy, keys acted on, results
// recorded, the campaign done.
func TestDialerRunsCampaign(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.add(testCampaign(1, nil), numConnect, numBusy, numNoAnswer, numDNC, numSilent, numReplay, numReplays)
	_, stop := e.dialer("vms-a", nil)
	e.waitFor("campaign done", 20*time.Second, func() bool { return e.store.state(1) == StateDone })
	stop()

	want := map[string][]rules.Outcome{
		numConnect:  {rules.Answered},
		numBusy:     {rules.Busy, rules.Busy},
		numNoAnswer: {rules.NoAnswer, rules.NoAnswer},
		numDNC:      {rules.Answered},
		numSilent:   {rules.Answered},
		numReplay:   {rules.Answered},
		numReplays:  {rules.Answered},
	}
	for n, w := range want {
		if got := outcomes(e.store.attemptsOf(n)); !slices.Equal(got, w) {
			t.Errorf("%s: attempts %v, want %v", n, got, w)
		}
	}
	c := e.store.attemptsOf(numConnect)[0]
	if c.DTMF != "1" || !c.Connected || c.Agent != "Agent 12" {
		t.Errorf("connect: %+v, want key 1 connected to Agent 12", c.Result)
	}
	if h := e.queue.handovers(); len(h) != 1 || h[0].Group != "sales" || h[0].TenantID != 7 || h[0].Caller != numConnect || h[0].Events == nil {
		t.Errorf("handovers %+v, want the connect number to group sales of tenant 7", h)
	}
	if d := e.store.attemptsOf(numDNC)[0]; d.DTMF != "9" || !d.DoNotCall || d.Connected {
		t.Errorf("do not call: %+v", d.Result)
	}
	if r := e.store.attemptsOf(numReplay)[0]; r.DTMF != "23" {
		t.Errorf("replay: dtmf %q, want 23", r.DTMF)
	}
	ch := engine.ChannelID(e.store.attemptsOf(numReplay)[0].ChannelID)
	if heard := e.fake.Heard(ch); len(heard) != 2 || heard[0] != "sound:abc" {
		t.Errorf("replay number heard %v, want the message twice", heard)
	}
	// Three replays at most: the fourth press of 2 ends the call.
	ch = engine.ChannelID(e.store.attemptsOf(numReplays)[0].ChannelID)
	if heard, c := e.fake.Heard(ch), e.store.attemptsOf(numReplays)[0]; len(heard) != 4 || c.DTMF != "2222" {
		t.Errorf("replays: heard %v, keys %q; want the message 4 times and 2222", heard, c.DTMF)
	}
	if c, _ := e.fake.Channel(ch); c.Hangup != engine.HangupNormal {
		t.Errorf("replays: hang-up %q, want normal by VMS", c.Hangup)
	}
	// Every call: the campaign's caller id, the trunk, the ring timeout
	// plus the grace; each attempt dialled once; one new call per pace.
	var starts []time.Time
	for _, a := range e.store.allAttempts() {
		starts = append(starts, a.Attempt.At)
		if a.Owner != "vms-a" || !controller.IsOutbound(engine.ChannelID(a.ChannelID)) {
			t.Errorf("attempt %+v: want owner vms-a and an outbound channel id", a.Attempt)
		}
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < pace {
			t.Errorf("calls %d and %d %v apart, want at least %v", i, i+1, gap, pace)
		}
	}
	for id, n := range e.originations() {
		if n != 1 {
			t.Errorf("%s originated %d times", id, n)
		}
	}
	for _, r := range e.fake.Originated() {
		if r.CallerID != "+3225550000" || r.Timeout != 15*time.Second {
			t.Errorf("originate %+v: want the campaign's caller id and 10 s + grace", r)
		}
	}
	// The silent person is hung up after the message and the key wait.
	sc, _ := e.fake.Channel(engine.ChannelID(e.store.attemptsOf(numSilent)[0].ChannelID))
	if sc.Hangup != engine.HangupNormal {
		t.Errorf("silent number: hang-up %q, want normal by VMS", sc.Hangup)
	}
}

// Two dialers on one store: only the lease holder dials; when it dies,
// the other takes over after the lease expired and goes on.
func TestDialerLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.add(testCampaign(2, func(s *rules.Campaign) { s.Pace = 300 * time.Millisecond }),
		numSilent, numDNC, numBusy, "+32470000011", "+32470000012")
	e.fake.SetDestination(dialString("+32470000011"), enginetest.Answers)
	e.fake.SetDestination(dialString("+32470000012"), enginetest.Answers)
	_, stopA := e.dialer("vms-a", nil)
	e.waitFor("a first call", 5*time.Second, func() bool { return len(e.store.allAttempts()) > 0 })
	// vms-b's clock jumps once vms-a died: a call vms-a left in
	// progress is then old enough to be lost.
	var offset atomic.Int64
	_, stopB := e.dialer("vms-b", func(c *Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	e.waitFor("a second call", 5*time.Second, func() bool { return len(e.store.allAttempts()) > 1 })
	for _, a := range e.store.allAttempts() {
		if a.Owner != "vms-a" {
			t.Fatalf("attempt by %s while vms-a holds the lease", a.Owner)
		}
	}
	stopA()
	offset.Store(int64(10 * time.Minute))
	e.waitFor("campaign done", 20*time.Second, func() bool { return e.store.state(2) == StateDone })
	stopB()
	owners := map[string]int{}
	for _, a := range e.store.allAttempts() {
		owners[a.Owner]++
	}
	if owners["vms-b"] == 0 {
		t.Errorf("owners %v, want vms-b to take over", owners)
	}
	for id, n := range e.originations() {
		if n != 1 {
			t.Errorf("%s originated %d times", id, n)
		}
	}
}

// A dialer that dies with a call in progress: the next one never dials
// that attempt again; once the attempt is too old to be in progress it is
// marked lost and the contact is called again as a new attempt; the other
// contacts are called, and every result is recorded.
func TestDialerCrashResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The person at numSilent never presses anything and the message
	// never ends (held playback): the call is in progress at the crash.
	e.store.add(testCampaign(3, nil), numSilent, numBusy, numDNC)
	_, stopA := e.dialer("vms-a", func(c *Config) { c.KeyWait = time.Hour })
	e.waitFor("first call answered", 5*time.Second, func() bool {
		as := e.store.attemptsOf(numSilent)
		if len(as) == 0 {
			return false
		}
		c, _ := e.fake.Channel(engine.ChannelID(as[0].ChannelID))
		return len(c.Heard) > 0
	})
	e.store.mu.Lock()
	e.store.failWrites = true // the process dies: nothing more reaches the store
	e.store.mu.Unlock()
	stopA()
	e.store.mu.Lock()
	e.store.failWrites = false
	e.store.mu.Unlock()
	if a := e.store.attemptsOf(numSilent); len(a) != 1 || a[0].Ended {
		t.Fatalf("after the crash: %+v, want one attempt in progress", a)
	}
	// The new process starts a while later: its clock is past the bound
	// of an attempt in progress.
	_, stopB := e.dialer("vms-b", func(c *Config) {
		c.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
		c.LeaseTTL = time.Second
	})
	e.waitFor("campaign done", 20*time.Second, func() bool { return e.store.state(3) == StateDone })
	stopB()
	got := e.store.attemptsOf(numSilent)
	if len(got) != 2 || !got[0].Lost || got[1].Outcome != rules.Answered || got[1].Number != 2 {
		t.Errorf("silent number attempts %+v, want attempt 1 lost and attempt 2 answered", got)
	}
	for id, n := range e.originations() {
		if n != 1 {
			t.Errorf("%s originated %d times", id, n)
		}
	}
	for _, n := range []string{numBusy, numDNC} {
		as := e.store.attemptsOf(n)
		if len(as) == 0 || !as[len(as)-1].Ended {
			t.Errorf("%s: attempts %+v, want a recorded result", n, as)
		}
	}
}

// A paused campaign stops placing calls and gives its lease back; resumed
// (and kicked), it goes on.
func TestDialerPauseResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.add(testCampaign(4, func(s *rules.Campaign) { s.Pace = 400 * time.Millisecond }),
		numSilent, numDNC, numBusy)
	d, stop := e.dialer("vms-a", nil)
	e.waitFor("a first call", 5*time.Second, func() bool { return len(e.store.allAttempts()) > 0 })
	e.store.setState(4, "paused")
	d.Kick()
	e.waitFor("lease given back", 5*time.Second, func() bool {
		e.store.mu.Lock()
		defer e.store.mu.Unlock()
		_, held := e.store.leases[4]
		return !held
	})
	n := len(e.store.allAttempts())
	time.Sleep(3 * 400 * time.Millisecond)
	if m := len(e.store.allAttempts()); m != n {
		t.Errorf("%d calls placed while paused", m-n)
	}
	e.store.setState(4, StateRunning)
	d.Kick()
	e.waitFor("campaign done", 20*time.Second, func() bool { return e.store.state(4) == StateDone })
	stop()
}

// Outside its calling windows a campaign places no call and is not
// started; its runner sleeps until the window opens.
func TestDialerWaitsForWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := testCampaign(5, func(s *rules.Campaign) {
		w, _ := rules.ParseWindow("mon 09:00-10:00")
		s.Windows = []rules.Window{w}
	})
	e.store.add(c, numSilent)
	// Tuesday noon in Brussels.
	tue := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)
	start := time.Now()
	_, stop := e.dialer("vms-a", func(cfg *Config) { cfg.Now = func() time.Time { return tue.Add(time.Since(start)) } })
	e.waitFor("lease taken", 5*time.Second, func() bool {
		e.store.mu.Lock()
		defer e.store.mu.Unlock()
		return e.store.leases[5].owner == "vms-a"
	})
	time.Sleep(500 * time.Millisecond)
	stop()
	if n := len(e.store.allAttempts()); n != 0 || e.store.state(5) != StateScheduled {
		t.Errorf("%d calls, state %s; want none and still scheduled", n, e.store.state(5))
	}
}

func TestCronSpecs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		windows, zone string
		want          []string
	}{
		{"mon-fri 09:00-17:00", "Europe/Brussels", []string{"CRON_TZ=Europe/Brussels 0 9 * * 1,2,3,4,5"}},
		{"sat-sun 10:30-12:00; daily 18:15-20:00", "America/New_York",
			[]string{"CRON_TZ=America/New_York 30 10 * * 0,6", "CRON_TZ=America/New_York 15 18 * * 0,1,2,3,4,5,6"}},
		{"wed 00:00-24:00", "", []string{"CRON_TZ=Europe/Brussels 0 0 * * 3"}},
	} {
		ws, err := rules.ParseWindows(tt.windows)
		if err != nil {
			t.Fatal(err)
		}
		got := CronSpecs(rules.Campaign{TimeZone: tt.zone, Windows: ws})
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.windows, got, tt.want)
		}
	}
}

func ExampleCronSpecs() {
	w, _ := rules.ParseWindow("mon-fri 09:00-17:00")
	fmt.Println(CronSpecs(rules.Campaign{TimeZone: "Europe/Brussels", Windows: []rules.Window{w}}))
	// Output: [CRON_TZ=Europe/Brussels 0 9 * * 1,2,3,4,5]
}

// A call the engine cannot place (disconnected) is not the number's
// fault: the attempt is left in progress, becomes lost and the contact is
// called again; meanwhile the runner places no call for a while.
func TestDialerEngineDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const numDown = "+32470000008"
	e.fake.SetDestination(dialString(numDown), enginetest.Behavior{Err: engine.ErrDisconnected})
	e.store.add(testCampaign(6, nil), numDown, numSilent)
	_, stop := e.dialer("vms-a", func(c *Config) { c.LostAfter = 500 * time.Millisecond })
	e.waitFor("first attempt", 5*time.Second, func() bool { return len(e.store.attemptsOf(numDown)) > 0 })
	time.Sleep(200 * time.Millisecond)
	if a := e.store.attemptsOf(numDown); len(a) != 1 || a[0].Ended {
		t.Fatalf("attempts %+v, want one left in progress", a)
	}
	e.fake.SetDestination(dialString(numDown), enginetest.Answers) // the engine is back
	e.waitFor("campaign done", 30*time.Second, func() bool { return e.store.state(6) == StateDone })
	stop()
	down := e.store.attemptsOf(numDown)
	if got := outcomes(down); !slices.Equal(got, []rules.Outcome{Lost, rules.Answered}) {
		t.Errorf("attempts %v, want lost then answered", got)
	}
	silent := e.store.attemptsOf(numSilent)
	if len(silent) != 1 || silent[0].Attempt.At.Sub(down[0].Attempt.At) < engineBackoff {
		t.Errorf("next call %v after the engine failed, want at least %v", silent[0].Attempt.At.Sub(down[0].Attempt.At), engineBackoff)
	}
}
