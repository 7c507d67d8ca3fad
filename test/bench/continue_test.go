//go:build bench

package bench

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/test/astertest"
)

// The "ari-continue" path is an experiment, not what VMS does today: the
// call enters Stasis of its own application, the real ari driver reports
// it, the same compiled one-node tree is evaluated, and the number
// decision is carried out by handing the channel back to the dialplan
// (engine.Continuer, POST /channels/{id}/continue into vms-bench-plain,
// which Dial()s) instead of originate + bridge over REST. It measures what
// the controller would gain by using Continuer for plain number decisions.
const (
	continueApp     = "vms-continue"
	continueContext = "vms-bench-continue"
)

// continueDialplan is the context the experiment's calls enter.
const continueDialplan = `
[` + continueContext + `]
exten => _[+0-9].,1,Stasis(` + continueApp + `,inbound,${EXTEN})
 same => n,Hangup()
`

// continuer is the experiment's dispatcher.
type continuer struct {
	eng       *countingEngine
	continued atomic.Int64
	failed    atomic.Int64
	// tpProcessed is the application taskprocessor's processed count
	// after the previous run.
	tpProcessed int
}

// startContinuer connects the experiment's application to the instance.
func startContinuer(t *testing.T, a *astertest.Asterisk) *continuer {
	t.Helper()
	drv, err := ari.New(ari.Config{URL: a.ARIURL, User: a.ARIUser, Password: a.ARIPassword, App: continueApp})
	if err != nil {
		t.Fatalf("ari: %v", err)
	}
	tree := routing.Tree{ID: "bench", Start: "dest", Nodes: []routing.Node{
		{ID: "dest", Type: routing.TypeNumber, Number: destination},
	}}
	plan, err := routing.Compile(&tree, routing.RefSet{})
	if err != nil {
		t.Fatalf("compile the bench tree: %v", err)
	}
	c := &continuer{eng: &countingEngine{Engine: drv, stats: map[string]*cmdStat{}, adds: map[engine.BridgeID]int{}}}
	ctx, cancel := context.WithCancel(context.Background())
	drvDone, loopDone := make(chan error, 1), make(chan struct{})
	go func() { drvDone <- drv.Run(ctx) }()
	go func() {
		defer close(loopDone)
		inbox := drv.Inbox()
		for {
			ev, err := inbox.Next(ctx)
			if err != nil {
				return
			}
			arr, ok := ev.(engine.CallArrived)
			if !ok {
				continue
			}
			go c.route(ctx, drv, plan, arr)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-loopDone
		drv.Close()
		if err := <-drvDone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("ari Run: %v", err)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for !drv.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("ari events WebSocket not up (continue experiment)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c
}

// route evaluates the plan for one call and continues it in the dialplan.
func (c *continuer) route(ctx context.Context, drv *ari.Client, plan *routing.Plan, arr engine.CallArrived) {
	if arr.Events != nil {
		defer arr.Events.Close()
	}
	d := plan.Evaluate(routing.Facts{Time: time.Now(), Dialed: "+" + strings.TrimPrefix(arr.Dialed, "+")})
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := errors.New("not a number decision")
	if d.Node != nil && d.Node.Type == routing.TypeNumber {
		err = drv.Continue(cctx, arr.Channel, "vms-bench-plain", strings.TrimPrefix(d.Node.Number, "+"))
	}
	c.eng.count("continue", start, err)
	if err != nil {
		c.failed.Add(1)
		_ = drv.Hangup(cctx, arr.Channel, engine.HangupCongestion)
		return
	}
	c.continued.Add(1)
}
