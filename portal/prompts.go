package portal

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
)

// maxPromptBytes is the largest prompt accepted: about 90 seconds of 8 kHz
// audio, within the portal's request body limit.
const maxPromptBytes = 1536 << 10

type promptInput struct {
	Name string `json:"name" doc:"the id trees use: letters, digits, '-', '_', '.'"`
	Data []byte `json:"data" doc:"the WAV file, base64: RIFF/WAVE, PCM 16-bit mono at 8 or 16 kHz"`
}

type promptView struct {
	ID        uint      `json:"id"`
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	URL       string    `json:"url" doc:"where the media engine fetches it (content-addressed)"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) viewPrompt(p *store.Prompt) promptView {
	return promptView{ID: p.ID, Name: p.Name, SHA256: p.SHA256, Size: p.Size, URL: s.cfg.BaseURL + promptPath(p.SHA256), CreatedAt: p.CreatedAt}
}

func promptPath(sum string) string { return "/media/prompts/" + sum + ".wav" }

func (s *Server) registerPrompts(api *apiRouter, web *echo.Group, trm echo.MiddlewareFunc, op func(string, any, any, int) apiOp) {
	api.handle(http.MethodGet, "/tenants/:tid/prompts", s.apiListPrompts, op("A customer's prompts (announcements)", nil, []promptView{}, 0), trm)
	api.handle(http.MethodPost, "/tenants/:tid/prompts", s.apiCreatePrompt, op("Upload a prompt: a WAV file (PCM 16-bit mono, 8 or 16 kHz)", promptInput{}, promptView{}, http.StatusCreated), trm)
	api.handle(http.MethodDelete, "/tenants/:tid/prompts/:id", s.apiDeletePrompt, op("Delete a prompt no tree plays", nil, nil, http.StatusNoContent), trm)

	web.GET("/tenants/:tid/prompts", s.promptsPage, trm)
	web.POST("/tenants/:tid/prompts", s.promptCreate, trm)
	web.POST("/tenants/:tid/prompts/:id/delete", s.promptDelete, trm)
}

// checkWAV accepts what Asterisk's format_wav plays: a RIFF/WAVE file with
// a PCM "fmt " chunk (16-bit, mono, 8000 or 16000 Hz) and a non-empty
// "data" chunk inside the file.
func checkWAV(b []byte) error {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return vms.FieldError("file", "is not a WAV file (RIFF/WAVE)")
	}
	var haveFmt, haveData bool
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		if size < 0 || size > len(b)-body {
			return vms.FieldError("file", "is a truncated WAV file (chunk %q)", id)
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return vms.FieldError("file", "has a malformed format chunk")
			}
			f := b[body : body+size]
			format := binary.LittleEndian.Uint16(f[0:2])
			channels := binary.LittleEndian.Uint16(f[2:4])
			rate := binary.LittleEndian.Uint32(f[4:8])
			bits := binary.LittleEndian.Uint16(f[14:16])
			if format != 1 {
				return vms.FieldError("file", "must be PCM audio (it is compressed, format %d)", format)
			}
			if channels != 1 || bits != 16 || (rate != 8000 && rate != 16000) {
				return vms.FieldError("file", "must be 16-bit mono at 8000 or 16000 Hz (it is %d-bit, %d channels, %d Hz)", bits, channels, rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return vms.FieldError("file", "has its audio before its format chunk")
			}
			if size == 0 {
				return vms.FieldError("file", "holds no audio")
			}
			haveData = true
		}
		off = body + size + size%2
	}
	if !haveFmt || !haveData {
		return vms.FieldError("file", "is not a complete WAV file (format or data chunk missing)")
	}
	return nil
}

func (s *Server) createPrompt(c echo.Context, t *store.Tenant, in promptInput) (*store.Prompt, error) {
	name, err := cleanRoutingName("name", in.Name)
	if err != nil {
		return nil, err
	}
	if len(in.Data) > maxPromptBytes {
		return nil, vms.FieldError("file", "is larger than %d kB", maxPromptBytes>>10)
	}
	if err := checkWAV(in.Data); err != nil {
		return nil, err
	}
	p := &store.Prompt{TenantID: t.ID, Name: name, ContentType: "audio/wav", Data: in.Data}
	if err := s.store.CreatePrompt(c.Request().Context(), actor(c), p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) prompt(c echo.Context, t *store.Tenant) (*store.Prompt, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetPrompt(c.Request().Context(), t.ID, id)
}

func (s *Server) apiListPrompts(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ps, err := s.store.ListPrompts(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]promptView, 0, len(ps))
	for i := range ps {
		out = append(out, s.viewPrompt(&ps[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreatePrompt(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in promptInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := s.createPrompt(c, t, in)
	if err != nil {
		return renameField(err, "file", "data")
	}
	return c.JSON(http.StatusCreated, s.viewPrompt(p))
}

func (s *Server) apiDeletePrompt(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	p, err := s.prompt(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeletePrompt(c.Request().Context(), actor(c), t.ID, p.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) promptsPage(c echo.Context) error {
	return s.renderPrompts(c, http.StatusOK, routingPageData(c, "Prompts"))
}

func (s *Server) renderPrompts(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ps, err := s.store.ListPrompts(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	views := make([]promptView, 0, len(ps))
	for i := range ps {
		v := s.viewPrompt(&ps[i])
		v.URL = promptPath(v.SHA256)
		views = append(views, v)
	}
	data["Tenant"] = t
	data["Prompts"] = views
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	data["MaxKB"] = maxPromptBytes >> 10
	setDefaultForm(data, "prompt", map[string]string{})
	return s.render(c, status, "prompts.html", data)
}

func (s *Server) promptCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"Name": c.FormValue("name")}
	b, ok, err := readUpload(c, "file", maxPromptBytes)
	if err == nil && !ok {
		err = vms.FieldError("file", "choose a WAV file")
	}
	if err == nil {
		_, err = s.createPrompt(c, t, promptInput{Name: form["Name"], Data: b})
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := routingPageData(c, "Prompts")
		return s.renderPrompts(c, formFailed(data, "prompt", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/prompts", t.ID), "prompt-created")
}

func (s *Server) promptDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	p, err := s.prompt(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeletePrompt(c.Request().Context(), actor(c), t.ID, p.ID); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/prompts", t.ID), "prompt-deleted")
}

// mediaFile is the name of a media file: the SHA-256 of its content.
var mediaFile = regexp.MustCompile(`^([0-9a-f]{64})\.wav$`)

// mediaPrompt serves a prompt to the media engine (Asterisk's
// res_http_media_cache fetches sound:http://<vms>/media/prompts/<sha>.wav).
func (s *Server) mediaPrompt(c echo.Context) error {
	return serveMedia(c, func(ctx context.Context, sum string) ([]byte, error) {
		p, err := s.store.PromptBySHA256(ctx, sum)
		if err != nil {
			return nil, err
		}
		return p.Data, nil
	})
}

// serveMedia serves the WAV file named by :file, read by its SHA-256 with
// load. It is public: the address is the SHA-256 of the content, which
// cannot be guessed, and the content never changes, so it is cached for a
// year.
func serveMedia(c echo.Context, load func(ctx context.Context, sum string) ([]byte, error)) error {
	m := mediaFile.FindStringSubmatch(c.Param("file"))
	if m == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	data, err := load(c.Request().Context(), m[1])
	if vms.ErrorCode(err) == vms.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	etag := `"` + m[1] + `"`
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", etag)
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	// Asterisk's res_http_media_cache picks the file type from the
	// Content-Type and plays only "audio/x-wav" as WAV ("audio/wav" is
	// downloaded and then refused).
	return c.Blob(http.StatusOK, "audio/x-wav", data)
}
