package ari

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/vmsplatform/vms/engine"
)

// The controller's ChannelInspector is declared by the controller; this
// driver only provides the method (drivers never import the controller).

// InspectChannel describes a channel the application still holds as the
// CallArrived it was: caller, dialed number and the Stasis arguments from
// the dialplan (AppData "vms,inbound,<dialed>"), and whether it is
// answered. The controller uses it to route afresh an inbound call adopted
// after a restart before it was answered (controller.ChannelInspector).
func (c *Client) InspectChannel(ctx context.Context, id engine.ChannelID) (engine.CallArrived, bool, error) {
	var ch Channel
	if err := c.do(ctx, "GET", "/channels/"+url.PathEscape(string(id)), nil, nil, &ch); err != nil {
		return engine.CallArrived{}, false, fmt.Errorf("ari: inspect %s: %w", id, err)
	}
	ev := engine.CallArrived{
		Channel:    engine.ChannelID(ch.ID),
		Caller:     ch.Caller.Number,
		CallerName: ch.Caller.Name,
		Dialed:     ch.Dialplan.Exten,
		At:         ch.CreationTime.Time,
	}
	if strings.EqualFold(ch.Dialplan.AppName, "Stasis") && ch.Dialplan.AppData != "" {
		parts := strings.Split(ch.Dialplan.AppData, ",")
		ev.Args = parts[1:] // parts[0] is the application name
		if len(ev.Args) > 1 && (ev.Args[0] == "inbound" || ev.Args[0] == argsDialed) {
			ev.Dialed = ev.Args[1]
		}
	}
	return ev, ch.State == "Up", nil
}
