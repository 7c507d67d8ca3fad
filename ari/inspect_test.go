package ari

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/vmsplatform/vms/engine"
)

func TestInspectChannel(t *testing.T) {
	f := newFakeARI(t)
	c := newTestClient(t, f)
	f.reply(http.MethodGet, "/ari/channels/in1", 200, `{"id":"in1","state":"Ring",
		"caller":{"name":"Alice","number":"+3225551234"},
		"dialplan":{"context":"vms-inbound","exten":"3225550100","priority":2,"app_name":"Stasis","app_data":"vms,inbound,+3225550100"},
		"creationtime":"2026-11-26T10:00:00.000+0000"}`)
	ev, answered, err := c.InspectChannel(context.Background(), "in1")
	if err != nil {
		t.Fatal(err)
	}
	if answered || ev.Channel != "in1" || ev.Caller != "+3225551234" || ev.CallerName != "Alice" || ev.Dialed != "+3225550100" ||
		len(ev.Args) != 2 || ev.Args[0] != "inbound" || ev.At.IsZero() {
		t.Errorf("InspectChannel = %+v answered=%v", ev, answered)
	}

	f.reply(http.MethodGet, "/ari/channels/up1", 200, `{"id":"up1","state":"Up","dialplan":{"exten":"3225550100","app_name":"Dial","app_data":"x"}}`)
	ev, answered, err = c.InspectChannel(context.Background(), "up1")
	if err != nil || !answered || ev.Dialed != "3225550100" || ev.Args != nil {
		t.Errorf("answered channel outside Stasis args: %+v %v %v", ev, answered, err)
	}

	f.reply(http.MethodGet, "/ari/channels/gone", 404, `{"message":"Channel not found"}`)
	if _, _, err := c.InspectChannel(context.Background(), "gone"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("gone channel: err = %v, want ErrNotFound", err)
	}
}
