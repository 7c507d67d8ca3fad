package portal

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
	"github.com/vmsplatform/vms/test/browsertest"
)

// campaignFixture is one tenant's outbound objects: the call list
// "customers" holding fixtureMember, the message "welcome" and the draft
// campaign "spring" over them.
type campaignFixture struct {
	List, Message, Campaign uint
}

var (
	campaignFixturesMu sync.Mutex
	campaignFixtures   = map[*harness]map[uint]campaignFixture{}
)

// campaignObj returns the id of a campaign fixture of f, seeding them
// (without audit entries, so that the walk's comparison ignores them) on
// first use.
func (h *harness) campaignObj(f tenantFixture, obj string) uint {
	h.t.Helper()
	campaignFixturesMu.Lock()
	defer campaignFixturesMu.Unlock()
	byTenant := campaignFixtures[h]
	if byTenant == nil {
		byTenant = map[uint]campaignFixture{}
		campaignFixtures[h] = byTenant
		h.t.Cleanup(func() {
			campaignFixturesMu.Lock()
			delete(campaignFixtures, h)
			campaignFixturesMu.Unlock()
		})
	}
	fx, ok := byTenant[f.T.ID]
	if !ok {
		fx = h.seedCampaigns(f.T.ID)
		byTenant[f.T.ID] = fx
	}
	switch obj {
	case "calllist":
		return fx.List
	case "message":
		return fx.Message
	case "campaign":
		return fx.Campaign
	}
	return 0
}

func (h *harness) seedCampaigns(tenantID uint) campaignFixture {
	h.t.Helper()
	db := h.st.DB()
	must := func(err error) {
		if err != nil {
			h.t.Fatalf("seed campaign fixtures: %v", err)
		}
	}
	l := &store.CallList{TenantID: tenantID, Name: "customers", Size: 1}
	must(db.Create(l).Error)
	must(db.Create(&store.CallListEntry{ListID: l.ID, Line: 1, E164: fixtureMember, Name: "Fixture"}).Error)
	wav := messageWAV(1000)
	m := &store.CampaignMessage{TenantID: tenantID, Name: "welcome", Original: wav, Converted: wav, SHA256: sha256Hex(wav), DurationMS: 90}
	must(db.Create(m).Error)
	set, _ := json.Marshal(testSettings("spring"))
	c := &store.Campaign{TenantID: tenantID, Name: "spring", MessageID: m.ID, Settings: string(set), State: store.CampaignDraft, Version: 1}
	must(db.Omit("ListIDs", "Progress").Create(c).Error)
	must(db.Create(&store.CampaignList{CampaignID: c.ID, ListID: l.ID}).Error)
	return campaignFixture{List: l.ID, Message: m.ID, Campaign: c.ID}
}

// useFormula gives tenants A and B the formula f ("" = Classic) without
// an audit entry.
func (h *harness) useFormula(f string) {
	h.t.Helper()
	if f == "" {
		f = "Classic"
	}
	for _, tn := range []*store.Tenant{h.A.T, h.B.T} {
		if err := h.st.DB().Model(&store.Tenant{}).Where("id = ?", tn.ID).UpdateColumn("formula", f).Error; err != nil {
			h.t.Fatal(err)
		}
	}
}

func testSettings(name string) campaign.Campaign {
	ws, _ := campaign.ParseWindows("daily 00:00-24:00")
	return campaign.Campaign{Name: name, CallerID: "+3222110003", TimeZone: "Europe/Brussels",
		Busy: campaign.Retry{Attempts: 2, Delay: 5 * time.Minute}, NoAnswer: campaign.Retry{Attempts: 2, Delay: 5 * time.Minute},
		RingTimeout: 20 * time.Second, Windows: ws, Pace: 5 * time.Second}
}

// messageWAV returns a valid campaign message: PCM 11,025 Hz 8-bit mono,
// a 440 Hz tone of n samples.
func messageWAV(n int) []byte {
	return wavFile(11025, 8, 1, n)
}

func wavFile(rate uint32, bits, channels uint16, n int) []byte {
	bps := int(bits / 8)
	data := make([]byte, n*bps*int(channels))
	for i := range n * int(channels) {
		v := math.Sin(2 * math.Pi * 440 * float64(i/int(channels)) / float64(rate))
		if bits == 8 {
			data[i] = byte(128 + 100*v)
		} else {
			binary.LittleEndian.PutUint16(data[2*i:], uint16(int16(20000*v)))
		}
	}
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*uint32(channels)*uint32(bps))
	b = binary.LittleEndian.AppendUint16(b, channels*uint16(bps))
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// upload posts a multipart form with one file as u.
func (h *harness) upload(u *store.User, path string, fields map[string]string, file string, content []byte) response {
	h.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_, csrf := h.session(u)
	_ = w.WriteField(csrfField, csrf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", file)
	_, _ = fw.Write(content)
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	tok, _ := h.session(u)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
	return h.serve(req)
}

func TestCampaignRoutesNeedOutbound(t *testing.T) {
	h := sqliteHarness(t)
	for _, path := range []string{"/api/v1/tenants/%d/campaigns", "/api/v1/tenants/%d/call-lists", "/api/v1/tenants/%d/messages"} {
		r := h.api(h.A.Admin, http.MethodGet, fmt.Sprintf(path, h.A.T.ID), nil)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Outbound campaigns") {
			t.Errorf("%s on a Classic tenant: %d %s", path, r.Status, r.Body)
		}
		if r := h.api(h.C.Admin, http.MethodGet, fmt.Sprintf(path, h.C.T.ID), nil); r.Status != http.StatusOK {
			t.Errorf("%s on an Outbound tenant: %d %s", path, r.Status, r.Body)
		}
	}
}

func TestCallListUploadAndEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		c := h.C
		base := fmt.Sprintf("/api/v1/tenants/%d/call-lists", c.T.ID)
		audit := h.auditCount()

		// A bad row refuses the whole file, every problem by line.
		r := h.api(c.Admin, http.MethodPost, base, map[string]any{"name": "March", "csv": "number;name\n02 511 22 33;Ann\nnot a number;Bob\n0475 11 22 33;Cy\n0475112233;Dup\n"})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad list: %d %s", r.Status, r.Body)
		}
		var pe listProblemsError
		r.json(t, &pe)
		if len(pe.Problems) != 2 || pe.Problems[0].Line != 3 || pe.Problems[1].Line != 5 {
			t.Fatalf("problems = %+v, want lines 3 and 5", pe.Problems)
		}
		if n := h.auditCount(); n != audit {
			t.Fatalf("a refused list wrote %d audit entries", n-audit)
		}
		// Through the page: the rows' errors are shown, nothing saved.
		pr := h.upload(c.Admin, fmt.Sprintf("/tenants/%d/call-lists", c.T.ID), map[string]string{"name": "March"}, "list.csv", []byte("0475 11 22 33\n12\n"))
		if pr.Status != http.StatusUnprocessableEntity || !strings.Contains(pr.Body, "Line 2: number:") {
			t.Fatalf("page upload of a bad list: %d\n%.2000s", pr.Status, pr.Body)
		}
		if r := h.api(c.Admin, http.MethodGet, base, nil); r.Body != "[]\n" && r.Body != "[]" {
			t.Fatalf("lists after refusals: %s", r.Body)
		}

		// A good file.
		pr = h.upload(c.Admin, fmt.Sprintf("/tenants/%d/call-lists", c.T.ID), map[string]string{"name": "March"}, "list.csv", []byte("\ufeffnumber;name;customer\n02 511 22 33;Ann;C-1\n0475 11 22 33;Bob;C-2\n"))
		if pr.Status != http.StatusSeeOther {
			t.Fatalf("page upload: %d\n%.2000s", pr.Status, pr.Body)
		}
		var lists []callListView
		h.api(c.Admin, http.MethodGet, base, nil).json(t, &lists)
		if len(lists) != 1 || lists[0].Size != 2 {
			t.Fatalf("lists = %+v", lists)
		}
		path := fmt.Sprintf("%s/%d", base, lists[0].ID)
		var one callListView
		h.api(c.RO, http.MethodGet, path, nil).json(t, &one)
		if len(one.Entries) != 2 || one.Entries[0].Number != "+3225112233" || one.Entries[0].Fields["customer"] != "C-1" {
			t.Fatalf("entries = %+v", one.Entries)
		}

		// A list without a file starts empty; its numbers are typed in.
		if r := h.page(c.Admin, http.MethodPost, fmt.Sprintf("/tenants/%d/call-lists", c.T.ID), url.Values{"name": {"Typed"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("empty list: %d\n%.2000s", r.Status, r.Body)
		}
		r = h.api(c.Admin, http.MethodGet, base, nil)
		if !strings.Contains(r.Body, `"name":"Typed","size":0`) {
			t.Fatalf("lists = %s", r.Body)
		}

		// Typed entries: normalised, or refused with a reason.
		if r := h.api(c.RW, http.MethodPost, path+"/entries", map[string]any{"number": "0476 99 88 77", "name": "Dee"}); r.Status != http.StatusCreated || !strings.Contains(r.Body, "+32476998877") {
			t.Fatalf("typed entry: %d %s", r.Status, r.Body)
		}
		if r := h.api(c.RW, http.MethodPost, path+"/entries", map[string]any{"number": "12"}); r.Status != http.StatusUnprocessableEntity || r.apiErr(t).Field != "number" {
			t.Fatalf("bad typed entry: %d %s", r.Status, r.Body)
		}
		if r := h.api(c.RW, http.MethodPost, path+"/entries", map[string]any{"number": "+32476998877"}); r.Status != http.StatusConflict {
			t.Fatalf("duplicate typed entry: %d %s", r.Status, r.Body)
		}
		if r := h.api(c.RW, http.MethodDelete, path+"/entries/+32476998877", nil); r.Status != http.StatusNoContent {
			t.Fatalf("remove entry: %d %s", r.Status, r.Body)
		}

		// Limits refuse clearly, never truncate.
		if r := h.api(h.Op, http.MethodPut, fmt.Sprintf("/api/v1/tenants/%d/campaign-limits", c.T.ID), map[string]any{"lists": 1, "numbers_per_list": 2, "scheduled": 1, "running": 1, "min_pace_seconds": 5}); r.Status != http.StatusOK {
			t.Fatalf("operator sets limits: %d %s", r.Status, r.Body)
		}
		if r := h.api(c.Admin, http.MethodPut, fmt.Sprintf("/api/v1/tenants/%d/campaign-limits", c.T.ID), map[string]any{"lists": 9, "numbers_per_list": 9, "scheduled": 1, "running": 1, "min_pace_seconds": 1}); r.Status != http.StatusForbidden {
			t.Fatalf("the customer sets its own limits: %d %s", r.Status, r.Body)
		}
		r = h.api(c.Admin, http.MethodPut, path, map[string]any{"csv": "0475 11 22 31\n0475 11 22 32\n0475 11 22 34\n"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "the list has 3 numbers; the limit is 2") {
			t.Fatalf("list over the limit: %d %s", r.Status, r.Body)
		}
		r = h.api(c.Admin, http.MethodPost, base, map[string]any{"name": "April", "csv": "0475 11 22 31\n"})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "at most 1 call list can be kept; this would make 3") {
			t.Fatalf("a list over the limit of lists: %d %s", r.Status, r.Body)
		}
		if r := h.api(c.Admin, http.MethodPost, path+"/entries", map[string]any{"number": "0476 99 88 70"}); r.Status != http.StatusConflict {
			t.Fatalf("typed entry over the limit: %d %s", r.Status, r.Body)
		}
		h.api(c.Admin, http.MethodGet, path, nil).json(t, &one)
		if one.Size != 2 {
			t.Errorf("list size after refusals = %d, want 2", one.Size)
		}
	})
}

func TestMessageUploadAndMedia(t *testing.T) {
	h := sqliteHarness(t)
	c := h.C
	page := fmt.Sprintf("/tenants/%d/messages", c.T.ID)
	// Each wrong file is refused with what is wrong, on the file field.
	for _, bad := range []struct {
		name string
		wav  []byte
		want string
	}{
		{"16-bit", wavFile(11025, 16, 1, 500), "16"},
		{"stereo", wavFile(11025, 8, 2, 500), "channel"},
		{"22 kHz", wavFile(22050, 8, 1, 500), "22050 Hz"},
		{"not a WAV", []byte("hello, this is not audio at all"), "WAV"},
	} {
		r := h.upload(c.Admin, page, map[string]string{"name": bad.name}, "m.wav", bad.wav)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-file"`) || !strings.Contains(r.Body, bad.want) {
			t.Errorf("%s: %d, want the file error mentioning %q\n%.3000s", bad.name, r.Status, bad.want, r.Body)
		}
	}
	r := h.api(c.Admin, http.MethodPost, "/api/v1"+page, map[string]any{"name": "stereo", "data": wavFile(11025, 8, 2, 500)})
	if r.Status != http.StatusUnprocessableEntity || r.apiErr(t).Field != "data" {
		t.Errorf("API stereo upload: %d %s", r.Status, r.Body)
	}

	orig := messageWAV(11025)
	if r := h.upload(c.Admin, page, map[string]string{"name": "welcome"}, "welcome.wav", orig); r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%.2000s", r.Status, r.Body)
	}
	var ms []messageView
	h.api(c.RO, http.MethodGet, "/api/v1"+page, nil).json(t, &ms)
	if len(ms) != 1 || ms[0].DurationMS != 1000 || !strings.HasSuffix(ms[0].URL, "/media/messages/"+ms[0].SHA256+".wav") {
		t.Fatalf("messages = %+v", ms)
	}
	stored, err := h.st.GetCampaignMessage(h.ctx(), c.T.ID, ms[0].ID)
	if err != nil || !bytes.Equal(stored.Original, orig) {
		t.Fatalf("the original is not kept: %v", err)
	}
	// The engine's public, content-addressed route: 8 kHz 16-bit mono.
	r = h.page(nil, http.MethodGet, "/media/messages/"+ms[0].SHA256+".wav", nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "audio/x-wav" {
		t.Fatalf("media: %d %v", r.Status, r.Header)
	}
	b := []byte(r.Body)
	if len(b) < 44 || binary.LittleEndian.Uint32(b[24:28]) != 8000 || binary.LittleEndian.Uint16(b[34:36]) != 16 || binary.LittleEndian.Uint16(b[22:24]) != 1 {
		t.Fatalf("converted header: % x", b[:min(44, len(b))])
	}
	if r := h.page(nil, http.MethodGet, "/media/messages/"+strings.Repeat("0", 64)+".wav", nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown media: %d", r.Status)
	}
	// The preview is for users of the tenant only.
	if r := h.page(c.RO, http.MethodGet, ms[0].Preview, nil); r.Status != http.StatusOK || r.Body != string(b) {
		t.Errorf("preview: %d", r.Status)
	}
	if r := h.page(nil, http.MethodGet, ms[0].Preview, nil); r.Status != http.StatusSeeOther {
		t.Errorf("anonymous preview: %d", r.Status)
	}
}

func TestCampaignCreateScheduleAndResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		c := h.C
		ctx := h.ctx()
		g := store.DefaultAgentGroup(c.T.ID)
		g.Key = "sales"
		if err := st.CreateAgentGroup(ctx, store.System, &g); err != nil {
			t.Fatal(err)
		}
		fx := h.seedCampaigns(c.T.ID)
		base := fmt.Sprintf("/api/v1/tenants/%d/campaigns", c.T.ID)

		// Every invalid setting is reported by field.
		bad := map[string]any{"name": "", "message_id": fx.Message, "list_ids": []uint{fx.List}, "caller_id": "12",
			"keys":    map[string]any{"1": map[string]any{"action": "connect", "group": "nope"}, "x": map[string]any{"action": "replay"}},
			"busy":    map[string]any{"attempts": 0, "delay_minutes": 5},
			"windows": []string{"mon-fri 17:00-09:00"}, "pace_seconds": 1, "ring_timeout_seconds": 5,
			"no_answer": map[string]any{"attempts": 2, "delay_minutes": 5}}
		r := h.api(c.Admin, http.MethodPost, base, bad)
		var pe campaignProblemsError
		r.json(t, &pe)
		fields := map[string]bool{}
		for _, p := range pe.Problems {
			fields[p.Field] = true
		}
		for _, f := range []string{"name", "caller_id", "keys", "keys.1.group", "busy.attempts", "windows[0]", "pace", "ring_timeout"} {
			if !fields[f] {
				t.Errorf("no problem on %s: %+v", f, pe.Problems)
			}
		}
		// The form shows them at their fields.
		form := url.Values{"name": {"x"}, "message_id": {fmt.Sprint(fx.Message)}, "list_ids": {fmt.Sprint(fx.List)}, "caller_id": {"02 511 22 33"},
			"busy_attempts": {"2"}, "busy_delay_minutes": {"5"}, "no_answer_attempts": {"2"}, "no_answer_delay_minutes": {"5"},
			"ring_timeout_seconds": {"20"}, "pace_seconds": {"1"}, "windows": {"mon-fri 09:00-17:00\nsun 25:00-26:00"},
			"key_1_action": {"connect"}, "key_1_group": {""}}
		pr := h.page(c.Admin, http.MethodPost, fmt.Sprintf("/tenants/%d/campaigns", c.T.ID), form)
		for _, id := range []string{`id="err-pace_seconds"`, `id="err-windows"`, `id="err-key_1"`} {
			if pr.Status != http.StatusUnprocessableEntity || !strings.Contains(pr.Body, id) {
				t.Errorf("form errors: %d, want %s\n%.4000s", pr.Status, id, pr.Body)
			}
		}

		// A valid campaign through the form.
		form.Set("pace_seconds", "5")
		form.Set("windows", "daily 00:00-24:00")
		form.Set("key_1_group", "sales")
		form.Set("key_9_action", "do_not_call")
		pr = h.page(c.Admin, http.MethodPost, fmt.Sprintf("/tenants/%d/campaigns", c.T.ID), form)
		if pr.Status != http.StatusSeeOther {
			t.Fatalf("create: %d\n%.4000s", pr.Status, pr.Body)
		}
		var cs []campaignView
		h.api(c.RO, http.MethodGet, base, nil).json(t, &cs)
		var x campaignView
		for _, v := range cs {
			if v.Name == "x" {
				x = v
			}
		}
		if x.State != store.CampaignDraft || x.Settings.CallerID != "+3225112233" || x.Settings.Keys["1"].Group != "sales" || x.Settings.TimeZone != c.T.TimeZone {
			t.Fatalf("created campaign = %+v", x)
		}
		// Optimistic concurrency on the API.
		in := x.Settings
		in.Name = "x2"
		in.Version = x.Version + 1
		if r := h.api(c.Admin, http.MethodPut, fmt.Sprintf("%s/%d", base, x.ID), in); r.Status != http.StatusConflict {
			t.Fatalf("stale update: %d %s", r.Status, r.Body)
		}
		in.Version = x.Version
		if r := h.api(c.Admin, http.MethodPut, fmt.Sprintf("%s/%d", base, x.ID), in); r.Status != http.StatusOK {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}

		// Schedule through the page: the contacts are frozen.
		pr = h.page(c.Admin, http.MethodPost, fmt.Sprintf("/tenants/%d/campaigns/%d/state", c.T.ID, x.ID), url.Values{"action": {"schedule"}})
		if pr.Status != http.StatusSeeOther {
			t.Fatalf("schedule: %d\n%.3000s", pr.Status, pr.Body)
		}
		if r := h.api(c.Admin, http.MethodPost, fmt.Sprintf("%s/%d/state", base, x.ID), map[string]any{"action": "resume"}); r.Status != http.StatusConflict {
			t.Fatalf("resume a scheduled campaign: %d %s", r.Status, r.Body)
		}
		// The dialer's side: run, call the fixture member, answered, key 1.
		now := h.clock.Now()
		if _, err := st.SetCampaignState(ctx, store.System, c.T.ID, x.ID, nil, store.CampaignRunning); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.TryCampaignLease(ctx, x.ID, "test", time.Minute, now); !ok || err != nil {
			t.Fatal(ok, err)
		}
		contacts, _ := st.CampaignContacts(ctx, x.ID)
		a, err := st.BeginAttempt(ctx, x.ID, contacts[0].ID, 1, "chan-1", "test", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.EndAttempt(ctx, a.ID, "answered", "1", true, "=Smith", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		var one campaignView
		h.api(c.RO, http.MethodGet, fmt.Sprintf("%s/%d", base, x.ID), nil).json(t, &one)
		if one.State != store.CampaignRunning || one.Progress.Total != 1 || one.Progress.Done != 1 || one.Progress.Connected != 1 || one.Percent != 100 {
			t.Fatalf("progress = %+v", one)
		}
		var res []contactResultView
		h.api(c.RO, http.MethodGet, fmt.Sprintf("%s/%d/results", base, x.ID), nil).json(t, &res)
		if len(res) != 1 || res[0].Result != "answered" || len(res[0].History) != 1 || res[0].History[0].DTMF != "1" {
			t.Fatalf("results = %+v", res)
		}
		pr = h.page(c.RO, http.MethodGet, fmt.Sprintf("/tenants/%d/campaigns/%d/results.csv", c.T.ID, x.ID), nil)
		rows, err := csv.NewReader(strings.NewReader(pr.Body)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv: %v\n%s", err, pr.Body)
		}
		if got := strings.Join(rows[1], ","); !strings.HasPrefix(got, "+3247511223") || !strings.Contains(got, ",answered,1,true,'=Smith") {
			t.Errorf("csv row = %s", got)
		}
		for _, p := range []string{"/tenants/%d/campaigns", "/tenants/%d/campaigns/" + fmt.Sprint(x.ID), "/tenants/%d/campaigns/" + fmt.Sprint(x.ID) + "/results"} {
			if r := h.page(c.RO, http.MethodGet, fmt.Sprintf(p, c.T.ID), nil); r.Status != http.StatusOK || !strings.Contains(r.Body, "x2") {
				t.Errorf("%s: %d", p, r.Status)
			}
		}
		// Pause, resume, stop; a stopped campaign is final.
		for _, act := range []string{"pause", "resume", "stop"} {
			if r := h.api(c.RW, http.MethodPost, fmt.Sprintf("%s/%d/state", base, x.ID), map[string]any{"action": act}); r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", act, r.Status, r.Body)
			}
		}
		if r := h.api(c.RW, http.MethodPost, fmt.Sprintf("%s/%d/state", base, x.ID), map[string]any{"action": "schedule"}); r.Status != http.StatusConflict {
			t.Fatalf("schedule a stopped campaign: %d %s", r.Status, r.Body)
		}
	})
}

func TestCampaignLimitsOnTenantPage(t *testing.T) {
	h := sqliteHarness(t)
	c := h.C
	r := h.page(h.Op, http.MethodGet, fmt.Sprintf("/tenants/%d", c.T.ID), nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="limits-form"`) {
		t.Fatalf("operator's tenant page: %d", r.Status)
	}
	if r := h.page(c.Admin, http.MethodGet, fmt.Sprintf("/tenants/%d", c.T.ID), nil); strings.Contains(r.Body, `id="limits-form"`) || !strings.Contains(r.Body, `id="campaign-limits"`) {
		t.Errorf("the customer sees the limits form")
	}
	bad := url.Values{"lists": {"3"}, "numbers_per_list": {"50"}, "scheduled": {"1"}, "running": {"2"}, "min_pace_seconds": {"5"}}
	if r := h.page(h.Op, http.MethodPost, fmt.Sprintf("/tenants/%d/campaign-limits", c.T.ID), bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-running"`) {
		t.Fatalf("invalid limits: %d", r.Status)
	}
	bad.Set("running", "1")
	if r := h.page(h.Op, http.MethodPost, fmt.Sprintf("/tenants/%d/campaign-limits", c.T.ID), bad); r.Status != http.StatusSeeOther {
		t.Fatalf("save limits: %d\n%.2000s", r.Status, r.Body)
	}
	l, _ := h.st.GetCampaignLimits(h.ctx(), c.T.ID)
	if l.Lists != 3 || l.NumbersPerList != 50 {
		t.Errorf("limits = %+v", l)
	}
}

// TestCampaignsInBrowser uploads a call list with a bad row (the row's
// error is shown and nothing is saved), then a good one, creates a
// campaign and sees its progress bar.
func TestCampaignsInBrowser(t *testing.T) {
	b := browsertest.Start(t, browsertest.Options{})
	h := sqliteHarness(t)
	c := h.C
	fx := h.seedCampaigns(c.T.ID)
	srv := httptest.NewServer(h.srv.Handler())
	defer srv.Close()
	tok, _ := h.session(c.Admin)
	browsertest.Run(b, "set the session cookie", func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: tok, URL: srv.URL})
	})
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := file("bad.csv", "number;name\n0475 11 22 01;Ann\nnot a number;Bob\n")
	good := file("good.csv", "number;name\n0475 11 22 01;Ann\n0475 11 22 02;Bob\n")

	if st := b.Navigate(fmt.Sprintf("%s/tenants/%d/call-lists", srv.URL, c.T.ID)); st != http.StatusOK {
		t.Fatalf("call lists page: %d", st)
	}
	b.Fill("#calllist-form input[name=name]", "March")
	browsertest.Run(b, "choose the bad file", chromedp.SetUploadFiles(`#calllist-form input[name="file"]`, []string{bad}))
	if st := b.Submit("#calllist-form button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("bad upload: %d", st)
	}
	if got := b.Text("#calllist-problems"); !strings.Contains(got, "Line 3") || !strings.Contains(got, "number") {
		t.Fatalf("row error shown = %q", got)
	}
	if !b.Visible("#err-file") || b.Value("#calllist-form input[name=name]") != "March" {
		t.Fatal("no error on the file field, or the name is lost")
	}
	if ls, _ := h.st.ListCallLists(h.ctx(), c.T.ID); len(ls) != 1 {
		t.Fatalf("lists after the refused upload: %d, want only the fixture", len(ls))
	}
	if dir := os.Getenv("VMS_SCREENSHOTS"); dir != "" {
		b.Screenshot(dir + "/calllist-error.png")
	}
	browsertest.Run(b, "choose the good file", chromedp.SetUploadFiles(`#calllist-form input[name="file"]`, []string{good}))
	if st := b.Submit("#calllist-form button[type=submit]"); st != http.StatusOK {
		t.Fatalf("good upload: %d", st)
	}
	if n := b.Count("#entries tbody tr"); n != 2 {
		t.Fatalf("%d entries shown, want 2", n)
	}
	ls, _ := h.st.ListCallLists(h.ctx(), c.T.ID)
	var march uint
	for _, l := range ls {
		if l.Name == "March" {
			march = l.ID
		}
	}

	if st := b.Navigate(fmt.Sprintf("%s/tenants/%d/campaigns/new", srv.URL, c.T.ID)); st != http.StatusOK {
		t.Fatalf("new campaign page: %d", st)
	}
	b.Fill("#campaign-form input[name=name]", "Spring offer")
	b.Fill("#campaign-form select[name=message_id]", fmt.Sprint(fx.Message))
	b.Click(fmt.Sprintf(`#campaign-form input[name=list_ids][value="%d"]`, march))
	b.Fill("#campaign-form input[name=caller_id]", "02 511 22 33")
	b.Fill("#campaign-form textarea[name=windows]", "weekdays 9-5")
	if st := b.Submit("#save-campaign"); st != http.StatusUnprocessableEntity {
		t.Fatalf("a window that does not parse: %d", st)
	}
	if !b.Visible("#err-windows") || b.Value("#campaign-form input[name=name]") != "Spring offer" {
		t.Fatal("no error on the windows, or the input is lost")
	}
	b.Fill("#campaign-form textarea[name=windows]", "mon-fri 09:00-17:00\nsat 10:00-12:00")
	if st := b.Submit("#save-campaign"); st != http.StatusOK {
		t.Fatalf("create: %d", st)
	}
	if st := b.Submit("#schedule"); st != http.StatusOK {
		t.Fatalf("schedule: %d", st)
	}
	if got := b.Text(`#campaign-status [data-field="state"]`); got != "scheduled" {
		t.Errorf("state shown = %q", got)
	}
	if dir := os.Getenv("VMS_SCREENSHOTS"); dir != "" {
		b.Screenshot(dir + "/campaign.png")
	}
	if st := b.Navigate(fmt.Sprintf("%s/tenants/%d/campaigns", srv.URL, c.T.ID)); st != http.StatusOK {
		t.Fatalf("campaigns page: %d", st)
	}
	if n := b.Count(`#campaigns progress[data-field="bar"]`); n != 2 {
		t.Fatalf("%d progress bars, want 2", n)
	}
	var max float64
	b.Eval(`(() => { const r = [...document.querySelectorAll("#campaigns tr[data-campaign]")].find(r => r.textContent.includes("Spring offer")); return r.querySelector("progress").max; })()`, &max)
	if max != 2 {
		t.Errorf("progress bar of the scheduled campaign: max %v, want its 2 contacts", max)
	}
	// The page follows the campaign live: one contact done by the dialer
	// shows in the bar without a reload.
	ctx := h.ctx()
	var spring uint
	cs, _ := h.st.ListCampaigns(ctx, c.T.ID)
	for _, cp := range cs {
		if cp.Name == "Spring offer" {
			spring = cp.ID
		}
	}
	now := h.clock.Now()
	if _, err := h.st.SetCampaignState(ctx, store.System, c.T.ID, spring, nil, store.CampaignRunning); err != nil {
		t.Fatal(err)
	}
	if ok, err := h.st.TryCampaignLease(ctx, spring, "test", time.Minute, now); !ok || err != nil {
		t.Fatal(ok, err)
	}
	contacts, _ := h.st.CampaignContacts(ctx, spring)
	a, err := h.st.BeginAttempt(ctx, spring, contacts[0].ID, 1, "chan-1", "test", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.EndAttempt(ctx, a.ID, "answered", "", false, "", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`#campaigns tr[data-campaign="%d"]`, spring)
	for deadline := time.Now().Add(20 * time.Second); ; {
		var done float64
		b.Eval(fmt.Sprintf(`document.querySelector(%q).querySelector("progress").value`, row), &done)
		if done == 1 && b.Text(row+` [data-field="state"]`) == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the progress bar did not follow the campaign: %v done, state %q", done, b.Text(row+` [data-field="state"]`))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := b.Text(row + ` [data-field="percent"]`); got != "50%" {
		t.Errorf("percent shown = %q", got)
	}
	if dir := os.Getenv("VMS_SCREENSHOTS"); dir != "" {
		b.Screenshot(dir + "/campaigns.png")
	}
	// The refused posts answer 422, which the browser logs; nothing else.
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "422") {
			t.Errorf("console error: %s", e)
		}
	}
}
