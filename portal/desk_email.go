package portal

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/store"
)

// EmailDesk answers and closes the e-mail contacts an agent holds (ACM-5);
// *mailqueue.Service implements it. agentID is the store Agent the contact
// must be assigned to; anything else is not found.
type EmailDesk interface {
	// Reply sends body to the sender of e-mail emailID, in its thread, and
	// ends the contact.
	Reply(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint, body string) error
	// Close ends the contact without a reply.
	Close(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint) error
}

// registerDeskEmails registers the e-mail part of the agent desktop: the
// agent's e-mails, one e-mail, its attachments, reply and close. Every
// route acts on e-mails assigned to the caller's own agent only; any other
// e-mail is not found.
func (s *Server) registerDeskEmails(api *apiRouter, web *echo.Group) {
	op := func(summary string, in, out any, status int) apiOp {
		return apiOp{Summary: summary, Tag: "desk", In: in, Out: out, Status: status, Component: string(formula.ACM)}
	}
	api.handle(http.MethodGet, "/desk/emails", s.apiDeskEmails, op("The e-mails assigned to me, oldest first", nil, []deskEmailView{}, 0))
	api.handle(http.MethodGet, "/desk/emails/:id", s.apiDeskEmail, op("One of my e-mails with its text and attachments", nil, deskEmailView{}, 0))
	api.handle(http.MethodPost, "/desk/emails/:id/reply", s.apiDeskEmailReply, op("Reply to one of my e-mails (sent from the group's address, in the sender's thread) and finish it", deskReplyInput{}, deskEmailView{}, 0))
	api.handle(http.MethodPost, "/desk/emails/:id/close", s.apiDeskEmailClose, op("Finish one of my e-mails without replying", nil, deskEmailView{}, 0))
	web.GET("/desk/emails/:id/attachments/:aid", s.deskEmailAttachment)
}

// deskEmailView is an e-mail contact as the agent desktop shows it.
type deskEmailView struct {
	ID         uint       `json:"id"`
	State      string     `json:"state" doc:"queued, assigned, answered or closed"`
	From       string     `json:"from"`
	FromName   string     `json:"from_name"`
	To         string     `json:"to" doc:"the group's address it was sent to"`
	Subject    string     `json:"subject"`
	ReceivedAt time.Time  `json:"received_at"`
	AssignedAt *time.Time `json:"assigned_at"`
	AnsweredAt *time.Time `json:"answered_at"`
	// Text is given by the single-e-mail answer only.
	Text        string                    `json:"text,omitempty" doc:"the mail's text; for a mail in HTML only, the text of its HTML"`
	Attachments []deskEmailAttachmentView `json:"attachments"`
	Reply       string                    `json:"reply,omitempty"`
}

type deskEmailAttachmentView struct {
	ID          uint   `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url" doc:"download address (portal session)"`
}

type deskReplyInput struct {
	Body string `json:"body" doc:"the reply text; the original is quoted below it"`
}

func viewDeskEmail(e *store.EmailContact, detail bool) deskEmailView {
	v := deskEmailView{ID: e.ID, State: e.State, From: e.FromAddr, FromName: e.FromName, To: e.ToAddr, Subject: e.Subject,
		ReceivedAt: e.ReceivedAt, AssignedAt: e.AssignedAt, AnsweredAt: e.AnsweredAt, Reply: e.ReplyBody,
		Attachments: []deskEmailAttachmentView{}}
	if detail {
		v.Text = e.TextBody
		if strings.TrimSpace(v.Text) == "" {
			v.Text = htmlText(e.HTMLBody)
		}
	}
	for _, a := range e.Attachments {
		v.Attachments = append(v.Attachments, deskEmailAttachmentView{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size,
			URL: fmt.Sprintf("/desk/emails/%d/attachments/%d", e.ID, a.ID)})
	}
	return v
}

// errNoEmail answers for an e-mail that does not exist or is not the
// caller's: the two are not told apart.
var errNoEmail = vms.Errorf(vms.ENOTFOUND, "no such e-mail")

// emailAgent returns the caller's agent (tenant and agent id). A caller who
// is no agent gets errNotAnAgent; the by-id routes turn it into "not
// found", as they do for e-mails of other agents.
func (s *Server) emailAgent(c echo.Context) (tenantID, agentID uint, err error) {
	p, _ := principal(c)
	if p.TenantID == nil {
		return 0, 0, errNotAnAgent
	}
	ctx := c.Request().Context()
	a, err := s.store.AgentByUser(ctx, p.UserID)
	if vms.ErrorCode(err) == vms.ENOTFOUND {
		return 0, 0, errNotAnAgent
	}
	if err != nil {
		return 0, 0, err
	}
	if a.TenantID != *p.TenantID {
		return 0, 0, errNotAnAgent
	}
	t, err := s.store.GetTenant(ctx, a.TenantID)
	if err != nil {
		return 0, 0, err
	}
	// Group e-mail addresses come with ACM only.
	if err := tenantComponent(t, formula.ACM); err != nil {
		return 0, 0, err
	}
	return a.TenantID, a.ID, nil
}

var errNotAnAgent = vms.Errorf(vms.EFORBIDDEN, "your account is not set up as an agent; ask your administrator")

// heldEmail returns the e-mail in :id when it is assigned to the caller's
// agent (whatever its state), with its attachments.
func (s *Server) heldEmail(c echo.Context) (tenantID, agentID uint, e *store.EmailContact, err error) {
	id, err := idParam(c, "id")
	if err != nil {
		return 0, 0, nil, err
	}
	tenantID, agentID, err = s.emailAgent(c)
	if errors.Is(err, errNotAnAgent) {
		return 0, 0, nil, errNoEmail
	}
	if err != nil {
		return 0, 0, nil, err
	}
	e, err = s.store.GetEmailContact(c.Request().Context(), tenantID, id)
	if vms.ErrorCode(err) == vms.ENOTFOUND {
		return 0, 0, nil, errNoEmail
	}
	if err != nil {
		return 0, 0, nil, err
	}
	if e.AgentID == nil || *e.AgentID != agentID {
		return 0, 0, nil, errNoEmail
	}
	return tenantID, agentID, e, nil
}

func (s *Server) apiDeskEmails(c echo.Context) error {
	tenantID, agentID, err := s.emailAgent(c)
	if err != nil {
		return err
	}
	es, err := s.store.ListEmailContacts(c.Request().Context(), tenantID, store.EmailFilter{AgentID: &agentID, State: store.EmailAssigned})
	if err != nil {
		return err
	}
	out := make([]deskEmailView, 0, len(es))
	for i := len(es) - 1; i >= 0; i-- { // oldest first: it has waited longest
		// An e-mail that went back to its queue (the agent logged out)
		// still names the agent in the store until another one takes it.
		if s.cfg.Center != nil && !s.cfg.Center.Holds(acd.AgentID(strconv.FormatUint(uint64(agentID), 10)), center.EmailContact(es[i].ID)) {
			continue
		}
		out = append(out, viewDeskEmail(&es[i], false))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiDeskEmail(c echo.Context) error {
	_, _, e, err := s.heldEmail(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewDeskEmail(e, true))
}

// errNoEmailDesk answers a reply or close when this process does not
// handle e-mail contacts.
var errNoEmailDesk = vms.Errorf(vms.EUNAVAILABLE, "e-mail contacts are not enabled on this server")

func (s *Server) apiDeskEmailReply(c echo.Context) error {
	tenantID, agentID, e, err := s.heldEmail(c)
	if err != nil {
		return err
	}
	var in deskReplyInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if s.cfg.Emails == nil {
		return errNoEmailDesk
	}
	ctx := c.Request().Context()
	if err := s.cfg.Emails.Reply(ctx, actor(c), tenantID, agentID, e.ID, in.Body); err != nil {
		return err
	}
	return s.answerEmail(c, tenantID, e.ID)
}

func (s *Server) apiDeskEmailClose(c echo.Context) error {
	tenantID, agentID, e, err := s.heldEmail(c)
	if err != nil {
		return err
	}
	if s.cfg.Emails == nil {
		return errNoEmailDesk
	}
	if err := s.cfg.Emails.Close(c.Request().Context(), actor(c), tenantID, agentID, e.ID); err != nil {
		return err
	}
	return s.answerEmail(c, tenantID, e.ID)
}

// answerEmail answers with e-mail id as it is now stored.
func (s *Server) answerEmail(c echo.Context, tenantID, id uint) error {
	e, err := s.store.GetEmailContact(c.Request().Context(), tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewDeskEmail(e, true))
}

// deskEmailAttachment downloads one attachment. It is always a download
// (never shown inline) so that an HTML or SVG attachment cannot run in
// the portal's origin.
func (s *Server) deskEmailAttachment(c echo.Context) error {
	tenantID, _, e, err := s.heldEmail(c)
	if err != nil {
		return err
	}
	aid, err := idParam(c, "aid")
	if err != nil {
		return err
	}
	a, err := s.store.GetEmailAttachment(c.Request().Context(), tenantID, e.ID, aid)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(a.Filename)}))
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	return c.Blob(http.StatusOK, "application/octet-stream", a.Data)
}

// downloadName is a safe file name for Content-Disposition.
func downloadName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '"' {
			return '_'
		}
		return r
	}, name)
	if strings.TrimSpace(name) == "" {
		return "attachment"
	}
	return name
}

// maxHTMLText bounds the text taken from a mail's HTML.
const maxHTMLText = 256 << 10

// htmlText returns the readable text of a mail's HTML: the text of its
// elements without scripts, styles and the head, a line break after each
// block, blank space squeezed. The result is shown as text, never as HTML.
func htmlText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // depth inside elements whose text is not shown
	for b.Len() < maxHTMLText {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title", "template", "noscript":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "br", "p", "div", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
				"blockquote", "pre", "hr", "section", "article", "header", "footer":
				b.WriteByte('\n')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
	return tidyText(b.String())
}

// tidyText squeezes the blank space of each line and keeps at most one
// empty line between lines of text.
func tidyText(s string) string {
	var out []string
	blank := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, line)
	}
	return strings.ToValidUTF8(strings.Join(out, "\n"), "\uFFFD")
}
