package ari

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// DefaultDialContext is the context of the shipped dialplan
// (dialplans/asterisk/extensions.conf) that rings a destination for a
// channel VMS hands over with DialInDialplan.
const DefaultDialContext = "vms-dial"

// Stasis arguments of a channel coming back from the dial context:
// dialed,<dialed>,<DIALSTATUS>,<HANGUPCAUSE> when the destination did not
// answer (from <DialContext>-back); ended,<dialed>,<DIALSTATUS>,
// <ANSWEREDTIME_MS>,<HANGUPCAUSE>,<DIALEDTIME_MS>,<caller> from the
// context's h extension when the call ended there, <dialed> being the
// number as the caller's network sent it (Asterisk's DNID).
const (
	argsDialed = "dialed"
	argsEnded  = "ended"
)

// maxExtension is the longest extension Asterisk keeps
// (AST_MAX_EXTENSION is 80 bytes with the terminating NUL).
const maxExtension = 79

// DialInDialplan implements engine.DialplanDialer with the shipped
// dialplan's dial context: one REST command, POST
// /channels/{id}/continue into <DialContext>, extension "<ring
// seconds>*<dialed>*<caller>*<dial string>", which carries everything
// the dialplan needs. The application is not subscribed to the channel
// while it is there (that would bring it every event of the call, about
// fifty a call): the context comes back into Stasis itself when the
// destination did not answer, and its h extension reports the end of the
// call. A request that does not fit an extension (too long, or
// characters the dialplan would read as syntax) fails with
// engine.ErrUnsupported before any command.
func (c *Client) DialInDialplan(ctx context.Context, ch engine.ChannelID, req engine.DialRequest) error {
	ext, err := dialExtension(req)
	if err != nil {
		return fmt.Errorf("ari: dial %s in the dialplan: %w", ch, err)
	}
	c.mu.Lock()
	ok := c.dialOK
	if ok {
		c.handed[ch] = struct{}{}
	}
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("ari: dial %s in the dialplan: %w: Asterisk's dialplan has no %s context", ch, engine.ErrUnsupported, c.cfg.DialContext)
	}
	if err := c.Continue(ctx, ch, c.cfg.DialContext, ext); err != nil {
		c.mu.Lock()
		delete(c.handed, ch)
		c.mu.Unlock()
		return err
	}
	return nil
}

// dialContextGlobal is the global variable by which the shipped
// extensions.conf says that it has the dial context, and its name. A
// dialplan without it (installed before the context existed) would hang
// the caller up: VMS then bridges number destinations itself.
const dialContextGlobal = "VMS_DIAL_CONTEXT"

// checkDialContext reads dialContextGlobal once per connection (Asterisk
// may have reloaded its dialplan) and enables DialInDialplan when it names
// the configured dial context.
func (c *Client) checkDialContext(ctx context.Context) {
	var v struct {
		Value string `json:"value"`
	}
	err := c.do(ctx, http.MethodGet, "/asterisk/variable", url.Values{"variable": {dialContextGlobal}}, nil, &v)
	ok := err == nil && v.Value == c.cfg.DialContext
	c.mu.Lock()
	c.dialOK = ok
	c.mu.Unlock()
	if !ok {
		c.log.Warn("Asterisk's dialplan does not announce the dial context (install VMS's extensions.conf); VMS rings number destinations itself and bridges them over ARI",
			slog.String("context", c.cfg.DialContext), slog.String("global", dialContextGlobal), slog.String("value", v.Value))
	}
}

// dialExtension encodes a dial request as an extension of the dial
// context.
func dialExtension(req engine.DialRequest) (string, error) {
	ring := "" // no limit
	if req.Timeout > 0 {
		ring = strconv.Itoa(int((req.Timeout + time.Second - 1) / time.Second))
	}
	dialed := strings.TrimPrefix(req.Dialed, "+")
	if dialed == "" || !allIn(dialed, isDigit) {
		// A call back from the dial context needs it (Stasis arguments,
		// static fallback).
		return "", fmt.Errorf("%w: dialed number %q", engine.ErrUnsupported, req.Dialed)
	}
	caller := req.CallerID
	if !allIn(strings.TrimPrefix(caller, "+"), isDigit) {
		caller = "" // withheld or not a number: the caller's own stays
	}
	if req.Endpoint == "" || !allIn(req.Endpoint, dialStringRune) {
		return "", fmt.Errorf("%w: dial string %q", engine.ErrUnsupported, req.Endpoint)
	}
	ext := ring + "*" + dialed + "*" + caller + "*" + req.Endpoint
	if len(ext) > maxExtension {
		return "", fmt.Errorf("%w: dial string %q too long for an extension", engine.ErrUnsupported, req.Endpoint)
	}
	return ext, nil
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// dialStringRune reports the characters a dial string may have to travel
// in an extension: none that Asterisk's dialplan parses (",", "&", "$",
// "[", "(", "*", "|", ...).
func dialStringRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', isDigit(r):
		return true
	}
	return strings.ContainsRune("/@._+-:=~", r)
}

func allIn(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

// dialplanEnded reads the Stasis arguments of a channel reporting its end
// from the dial context's h extension: ended, <dialed>, <DIALSTATUS>,
// <ANSWEREDTIME_MS>, <HANGUPCAUSE>, <DIALEDTIME_MS>, <caller>.
func dialplanEnded(id engine.ChannelID, args []string, at time.Time) engine.DialplanEnded {
	arg := func(i int) string {
		if i < len(args) {
			return strings.TrimSpace(args[i])
		}
		return ""
	}
	ev := engine.DialplanEnded{Channel: id, Answered: arg(2) == "ANSWER", At: at}
	if d := strings.TrimPrefix(arg(1), "+"); d != "" && allIn(d, isDigit) {
		ev.Dialed = "+" + d
	}
	if ms, err := strconv.Atoi(arg(3)); err == nil && ms > 0 {
		ev.Talk = time.Duration(ms) * time.Millisecond
	}
	if ms, err := strconv.Atoi(arg(5)); err == nil && ms > 0 {
		ev.Dialing = time.Duration(ms) * time.Millisecond
	}
	ev.Caller = arg(6)
	ev.Cause, _ = strconv.Atoi(arg(4))
	if ev.Cause <= 0 {
		ev.Cause = engine.CauseNormalClearing
	}
	return ev
}

// returned reads the Stasis arguments of a channel back from the dial
// context: dialed, <dialed>, <DIALSTATUS>, <HANGUPCAUSE>.
func returned(id engine.ChannelID, args []string, at time.Time) engine.ChannelReturned {
	var status string
	var cause int
	if len(args) > 2 {
		status = args[2]
	}
	if len(args) > 3 {
		cause, _ = strconv.Atoi(strings.TrimSpace(args[3]))
	}
	if cause <= 0 || cause == engine.CauseNormalClearing {
		// Asterisk leaves HANGUPCAUSE empty or normal when Dial gave
		// up itself (no answer in time).
		if dc := dialStatusCause(status); dc != 0 {
			cause = dc
		}
	}
	var o engine.Outcome
	switch {
	case status == "NOANSWER":
		o = engine.OutcomeNoAnswer
	case cause == engine.CauseCallRejected:
		o = engine.OutcomeRejected
	case status == "BUSY":
		o = engine.OutcomeBusy
	default:
		o = engine.OutcomeUnreachable
	}
	return engine.ChannelReturned{Channel: id, Outcome: o, Cause: cause, CauseText: causeText(cause), At: at}
}
