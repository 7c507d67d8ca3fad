package portal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/pcm"
	"github.com/vmsplatform/vms/store"
)

// Campaign messages (OUT-2): the customer's WAV file (PCM 11,025 Hz 8-bit
// mono, checked strictly by package pcm), kept as received, and its
// conversion to 8 kHz 16-bit that the engine plays from
// /media/messages/<sha256>.wav.

// maxMessageBytes bounds an uploaded message: about 130 seconds, and its
// base64 form still fits the portal's request body limit.
const maxMessageBytes = 1400 << 10

type messageInput struct {
	Name string `json:"name"`
	Data []byte `json:"data" doc:"the WAV file, base64: PCM, 11025 Hz, 8-bit, mono"`
}

type messageView struct {
	ID         uint      `json:"id"`
	Name       string    `json:"name"`
	SHA256     string    `json:"sha256" doc:"of the converted file"`
	DurationMS int       `json:"duration_ms"`
	URL        string    `json:"url" doc:"where the media engine fetches the converted file (content-addressed)"`
	Preview    string    `json:"preview" doc:"the converted file for logged-in users of the customer"`
	CreatedAt  time.Time `json:"created_at"`
}

func messagePath(sum string) string { return "/media/messages/" + sum + ".wav" }

func (s *Server) viewMessage(m *store.CampaignMessage) messageView {
	return messageView{ID: m.ID, Name: m.Name, SHA256: m.SHA256, DurationMS: m.DurationMS, URL: s.cfg.BaseURL + messagePath(m.SHA256),
		Preview: fmt.Sprintf("/tenants/%d/messages/%d/audio", m.TenantID, m.ID), CreatedAt: m.CreatedAt}
}

func (s *Server) registerMessages(api *apiRouter, web *echo.Group, gate echo.MiddlewareFunc, op func(string, any, any, int) apiOp) {
	api.handle(http.MethodGet, "/tenants/:tid/messages", s.apiListMessages, op("A customer's campaign messages", nil, []messageView{}, 0), gate)
	api.handle(http.MethodPost, "/tenants/:tid/messages", s.apiCreateMessage, op("Upload a campaign message (WAV PCM 11025 Hz 8-bit mono); it is converted for the engine and the original kept", messageInput{}, messageView{}, http.StatusCreated), gate)
	api.handle(http.MethodGet, "/tenants/:tid/messages/:id", s.apiGetMessage, op("A campaign message", nil, messageView{}, 0), gate)
	api.handle(http.MethodDelete, "/tenants/:tid/messages/:id", s.apiDeleteMessage, op("Delete a message no campaign uses", nil, nil, http.StatusNoContent), gate)

	web.GET("/tenants/:tid/messages", s.messagesPage, gate)
	web.POST("/tenants/:tid/messages", s.messageCreate, gate)
	web.GET("/tenants/:tid/messages/:id/audio", s.messageAudio, gate)
	web.POST("/tenants/:tid/messages/:id/delete", s.messageDelete, gate)
}

// createMessage validates, converts and saves an upload. A file that is
// not exactly what the contract requires is refused on the field "file"
// with what is wrong.
func (s *Server) createMessage(c echo.Context, t *store.Tenant, in messageInput) (*store.CampaignMessage, error) {
	name, err := cleanText("name", in.Name, true, 100)
	if err != nil {
		return nil, err
	}
	if len(in.Data) == 0 {
		return nil, vms.FieldError("file", "choose a WAV file")
	}
	if len(in.Data) > maxMessageBytes {
		return nil, vms.FieldError("file", "is larger than %d kB", maxMessageBytes>>10)
	}
	wav, m, err := pcm.Convert(in.Data)
	var fe *pcm.FormatError
	if errors.As(err, &fe) {
		return nil, vms.FieldError("file", "%s", fe.Message())
	}
	if err != nil {
		return nil, fmt.Errorf("portal: convert message: %w", err)
	}
	sum := sha256.Sum256(wav)
	return s.store.CreateCampaignMessage(c.Request().Context(), actor(c), t.ID, name, in.Data, wav,
		hex.EncodeToString(sum[:]), int(m.Duration().Milliseconds()))
}

func (s *Server) message(c echo.Context, t *store.Tenant) (*store.CampaignMessage, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetCampaignMessage(c.Request().Context(), t.ID, id)
}

func (s *Server) apiListMessages(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ms, err := s.store.ListCampaignMessages(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]messageView, 0, len(ms))
	for i := range ms {
		out = append(out, s.viewMessage(&ms[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateMessage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in messageInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	m, err := s.createMessage(c, t, in)
	if err != nil {
		return renameField(err, "file", "data")
	}
	return c.JSON(http.StatusCreated, s.viewMessage(m))
}

func (s *Server) apiGetMessage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	m, err := s.message(c, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.viewMessage(m))
}

func (s *Server) apiDeleteMessage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	m, err := s.message(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCampaignMessage(c.Request().Context(), actor(c), t.ID, m.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- pages ----

func (s *Server) messagesPage(c echo.Context) error {
	return s.renderMessages(c, http.StatusOK, outboundPageData(c, "Messages"))
}

func (s *Server) renderMessages(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ms, err := s.store.ListCampaignMessages(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	views := make([]messageView, 0, len(ms))
	for i := range ms {
		views = append(views, s.viewMessage(&ms[i]))
	}
	data["Tenant"] = t
	data["Messages"] = views
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	data["MaxKB"] = maxMessageBytes >> 10
	setDefaultForm(data, "message", map[string]string{})
	return s.render(c, status, "messages.html", data)
}

func (s *Server) messageCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"Name": c.FormValue("name")}
	b, ok, err := readUpload(c, "file", maxMessageBytes)
	if err == nil && !ok {
		err = vms.FieldError("file", "choose a WAV file")
	}
	if err == nil {
		_, err = s.createMessage(c, t, messageInput{Name: form["Name"], Data: b})
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := outboundPageData(c, "Messages")
		return s.renderMessages(c, formFailed(data, "message", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/messages", t.ID), "message-created")
}

// messageAudio plays the converted message to users of the tenant.
func (s *Server) messageAudio(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	m, err := s.message(c, t)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	return c.Blob(http.StatusOK, "audio/wav", m.Converted)
}

func (s *Server) messageDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	m, err := s.message(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCampaignMessage(c.Request().Context(), actor(c), t.ID, m.ID); err != nil {
		if vms.ErrorCode(err) == vms.ECONFLICT {
			data := outboundPageData(c, "Messages")
			data["Error"] = fmt.Sprintf("The message %s cannot be deleted: it %s.", m.Name, vms.ErrorMessage(err))
			return s.renderMessages(c, http.StatusConflict, data)
		}
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/messages", t.ID), "message-deleted")
}

// mediaMessage serves a converted campaign message to the media engine,
// like mediaPrompt.
func (s *Server) mediaMessage(c echo.Context) error {
	return serveMedia(c, func(ctx context.Context, sum string) ([]byte, error) {
		m, err := s.store.CampaignMessageBySHA(ctx, sum)
		if err != nil {
			return nil, err
		}
		return m.Converted, nil
	})
}
