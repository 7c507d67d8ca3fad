package failover

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/vmsplatform/vms/test/sipptest"
)

// A VMS process killed while Asterisk's dialplan (vms-dial) connects a
// call, the way VMS routes number destinations by default: the call stays
// up, Asterisk reports its end to the next VMS process, and the call's
// record is complete (caller, dialed number, tenant, answered, ended).
func TestFailoverDialplanCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("real vms binary, Asterisk, SIPp and PostgreSQL: not in -short")
	}
	l := newLab(t)
	env := maps.Clone(l.env)
	delete(env, "VMS_BRIDGE_CALLS") // the default: number destinations through vms-dial
	vms1 := startVMS(t, t, "vms-1", env)
	l.waitRegistered(t, vms1.Name)

	const callerD = "+32470000011"
	res := make(chan *sipptest.CallResult, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		res <- l.call(t, "0470000011", 20*time.Second)
	}()
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(90 * time.Second):
		}
	})
	l.waitInvitesTo(t, reception, 1)
	eventually(t, 30*time.Second, "call connected by the dialplan", func() (bool, string) {
		var cs []struct {
			State    string `json:"state"`
			Dialplan struct {
				Context string `json:"context"`
				AppName string `json:"app_name"`
			} `json:"dialplan"`
		}
		l.ari(t, "/ari/channels", nil, &cs)
		for _, c := range cs {
			if c.State == "Up" && c.Dialplan.Context == "vms-dial" && c.Dialplan.AppName == "Dial" {
				return len(l.vmsBridges(t)) == 0, fmt.Sprintf("VMS bridges %+v", l.vmsBridges(t))
			}
		}
		return false, fmt.Sprintf("channels %+v", cs)
	})
	vms1.Kill(t)
	eventually(t, 30*time.Second, "Asterisk closes the dead VMS's connections", func() (bool, string) {
		n := closeWait(l.ast.HTTPPort)
		return n == 0, fmt.Sprintf("%d connection(s) in CLOSE_WAIT", n)
	})
	select {
	case r := <-res:
		t.Fatalf("the call ended when VMS was killed (successful %d, failed %d)", r.Successful, r.Failed)
	default:
	}
	vms2 := startVMS(t, t, "vms-2", env)
	l.waitRegistered(t, vms2.Name)

	var r *sipptest.CallResult
	select {
	case r = <-res:
	case <-time.After(90 * time.Second):
		t.Fatal("the call did not end")
	}
	if r.Successful != 1 || r.Failed != 0 {
		t.Errorf("call across the kill: successful %d, failed %d, final status %d; want one call ended normally", r.Successful, r.Failed, r.FinalStatus)
	}
	eventually(t, 30*time.Second, "the call's record completed by vms-2", func() (bool, string) {
		rec := l.recordOf(t, callerD)
		return rec != nil && rec.EndedAt != nil && rec.AnsweredAt != nil && rec.Outcome == "answered" && rec.Dialed == mainNumber,
			fmt.Sprintf("record %+v", rec)
	})
	eventually(t, 30*time.Second, "no channel left in Asterisk", func() (bool, string) {
		cs := l.channels(t)
		return len(cs) == 0, fmt.Sprintf("channels %+v", cs)
	})
}
