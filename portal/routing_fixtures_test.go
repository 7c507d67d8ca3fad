package portal

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/vmsplatform/vms/store"
)

// Routing fixtures of the authorisation walk.
const (
	fixtureTreeDoc = `{"id":"main","start":"end","nodes":[{"id":"end","type":"hangup"}]}`
	fixtureMember  = "+32475112233"
)

// routingFixture is one tenant's routing objects.
type routingFixture struct {
	Tree, Prompt, List, Site, Call uint
}

var (
	routingFixturesMu sync.Mutex
	routingFixtures   = map[*harness]map[uint]routingFixture{}
)

// routingObj returns the id of a routing fixture of f's tenant, creating
// the fixtures on first use. They are written straight to the database,
// without audit entries, so that creating them midway through the walk
// does not look like a change made by a refused request.
func (h *harness) routingObj(f tenantFixture, obj string) uint {
	h.t.Helper()
	routingFixturesMu.Lock()
	defer routingFixturesMu.Unlock()
	byTenant := routingFixtures[h]
	if byTenant == nil {
		byTenant = map[uint]routingFixture{}
		routingFixtures[h] = byTenant
		h.t.Cleanup(func() {
			routingFixturesMu.Lock()
			delete(routingFixtures, h)
			routingFixturesMu.Unlock()
		})
	}
	fx, ok := byTenant[f.T.ID]
	if !ok {
		fx = h.seedRouting(f.T.ID)
		byTenant[f.T.ID] = fx
	}
	switch obj {
	case "tree":
		return fx.Tree
	case "prompt":
		return fx.Prompt
	case "list":
		return fx.List
	case "site":
		return fx.Site
	case "call":
		return fx.Call
	}
	return 0
}

func (h *harness) seedRouting(tenantID uint) routingFixture {
	h.t.Helper()
	db := h.st.DB()
	now := h.clock.Now().UTC()
	must := func(err error) {
		if err != nil {
			h.t.Fatalf("seed routing fixtures: %v", err)
		}
	}
	tr := &store.RoutingTree{TenantID: tenantID, Key: "main", Name: "Main", Version: 1}
	must(db.Create(tr).Error)
	must(db.Create(&store.RoutingTreeVersion{TreeID: tr.ID, TenantID: tenantID, Version: 1, Document: fixtureTreeDoc}).Error)
	wav := testWAV(8000, 100)
	p := &store.Prompt{TenantID: tenantID, Name: "hello", SHA256: sha256Hex(wav), Size: int64(len(wav)), ContentType: "audio/wav", Data: wav}
	must(db.Create(p).Error)
	l := &store.CallerList{TenantID: tenantID, Name: "vip"}
	must(db.Create(l).Error)
	must(db.Create(&store.CallerListEntry{ListID: l.ID, E164: fixtureMember}).Error)
	st := &store.Site{TenantID: tenantID, Name: "hq"}
	must(db.Create(st).Error)
	cr := &store.CallRecord{CallID: fmt.Sprintf("fixture-%d", tenantID), TenantID: tenantID,
		Caller: "+32475000001", Dialed: "+3222110001", ArrivedAt: now, Outcome: "answered"}
	must(db.Omit("Legs").Create(cr).Error)
	return routingFixture{Tree: tr.ID, Prompt: p.ID, List: l.ID, Site: st.ID, Call: cr.ID}
}

// testWAV returns a valid prompt: PCM 16-bit mono at rate, samples long.
func testWAV(rate uint32, samples int) []byte {
	data := make([]byte, 2*samples)
	for i := range samples {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(int16((i%16)*100)))
	}
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*2)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
