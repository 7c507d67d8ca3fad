package ari

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sipUA is the smallest SIP phone over UDP that can register with digest
// authentication and answer qualify OPTIONS: enough to bring a PJSIP
// endpoint online and offline for real.
type sipUA struct {
	t        *testing.T
	conn     *net.UDPConn
	server   *net.UDPAddr
	user     string
	callID   string
	tag      string
	cseq     int
	answer   atomic.Bool // answer OPTIONS
	options  atomic.Int32
	resp     chan sipMsg
	stopOnce sync.Once
}

type sipMsg struct {
	first   string // request or status line
	headers []sipHeader
}

type sipHeader struct{ name, value string }

func (m sipMsg) get(name string) string {
	for _, h := range m.headers {
		if strings.EqualFold(h.name, name) {
			return h.value
		}
	}
	return ""
}

func (m sipMsg) all(name string) []string {
	var out []string
	for _, h := range m.headers {
		if strings.EqualFold(h.name, name) {
			out = append(out, h.value)
		}
	}
	return out
}

func (m sipMsg) status() int {
	if !strings.HasPrefix(m.first, "SIP/2.0 ") {
		return 0
	}
	n, _ := strconv.Atoi(strings.Fields(m.first)[1])
	return n
}

func parseSIP(b []byte) (sipMsg, bool) {
	head, _, _ := strings.Cut(string(b), "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	if len(lines) == 0 || lines[0] == "" {
		return sipMsg{}, false
	}
	m := sipMsg{first: lines[0]}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		m.headers = append(m.headers, sipHeader{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	return m, true
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newSIPUA(t *testing.T, server, user string) *sipUA {
	t.Helper()
	sa, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ua := &sipUA{t: t, conn: conn, server: sa, user: user, callID: randHex(8) + "@127.0.0.1",
		tag: randHex(4), resp: make(chan sipMsg, 16)}
	ua.answer.Store(true)
	done := make(chan struct{})
	go ua.read(done)
	t.Cleanup(func() { ua.stop(); <-done })
	return ua
}

func (ua *sipUA) stop() { ua.stopOnce.Do(func() { ua.conn.Close() }) }

func (ua *sipUA) local() string { return ua.conn.LocalAddr().String() }

func (ua *sipUA) read(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 65536)
	for {
		n, from, err := ua.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		m, ok := parseSIP(buf[:n])
		if !ok {
			continue
		}
		if m.status() != 0 {
			select {
			case ua.resp <- m:
			default:
			}
			continue
		}
		if strings.HasPrefix(m.first, "OPTIONS ") {
			ua.options.Add(1)
			if ua.answer.Load() {
				ua.reply(m, from, "200 OK")
			}
		}
	}
}

// reply answers request m.
func (ua *sipUA) reply(m sipMsg, to *net.UDPAddr, status string) {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %s\r\n", status)
	for _, v := range m.all("Via") {
		fmt.Fprintf(&b, "Via: %s\r\n", v)
	}
	toH := m.get("To")
	if !strings.Contains(toH, "tag=") {
		toH += ";tag=" + randHex(4)
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
		m.get("From"), toH, m.get("Call-ID"), m.get("CSeq"))
	_, _ = ua.conn.WriteToUDP([]byte(b.String()), to)
}

// register sends REGISTER (expires 0 unregisters), answers the digest
// challenge with password and returns the final status.
func (ua *sipUA) register(password string, expires int) int {
	ua.t.Helper()
	uri := "sip:" + ua.server.String()
	auth := ""
	for range 2 {
		ua.cseq++
		var b strings.Builder
		fmt.Fprintf(&b, "REGISTER %s SIP/2.0\r\n", uri)
		fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n", ua.local(), randHex(6))
		fmt.Fprintf(&b, "Max-Forwards: 70\r\n")
		fmt.Fprintf(&b, "From: <sip:%s@127.0.0.1>;tag=%s\r\n", ua.user, ua.tag)
		fmt.Fprintf(&b, "To: <sip:%s@127.0.0.1>\r\n", ua.user)
		fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\n", ua.callID, ua.cseq)
		fmt.Fprintf(&b, "Contact: <sip:%s@%s>\r\nExpires: %d\r\n", ua.user, ua.local(), expires)
		if auth != "" {
			fmt.Fprintf(&b, "Authorization: %s\r\n", auth)
		}
		b.WriteString("User-Agent: VMS ari test\r\nContent-Length: 0\r\n\r\n")
		if _, err := ua.conn.WriteToUDP([]byte(b.String()), ua.server); err != nil {
			ua.t.Fatalf("send REGISTER: %v", err)
		}
		var m sipMsg
		for {
			select {
			case m = <-ua.resp:
			case <-time.After(10 * time.Second):
				ua.t.Fatal("no answer to REGISTER")
			}
			if m.status() >= 200 && strings.HasSuffix(m.get("CSeq"), " REGISTER") &&
				strings.HasPrefix(m.get("CSeq"), strconv.Itoa(ua.cseq)+" ") {
				break
			}
		}
		if m.status() != 401 || auth != "" {
			return m.status()
		}
		auth = ua.digest(m.all("WWW-Authenticate"), password, uri)
		if auth == "" {
			ua.t.Fatalf("no MD5 digest challenge in %v", m.all("WWW-Authenticate"))
		}
	}
	return 401
}

// digest answers the MD5 challenge among challenges.
func (ua *sipUA) digest(challenges []string, password, uri string) string {
	for _, c := range challenges {
		rest, ok := strings.CutPrefix(c, "Digest ")
		if !ok {
			continue
		}
		p := map[string]string{}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			p[strings.ToLower(k)] = strings.Trim(v, `"`)
		}
		if a := p["algorithm"]; a != "" && !strings.EqualFold(a, "MD5") {
			continue
		}
		h := func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
		ha1 := h(ua.user + ":" + p["realm"] + ":" + password)
		ha2 := h("REGISTER:" + uri)
		out := fmt.Sprintf(`Digest username="%s",realm="%s",nonce="%s",uri="%s",algorithm=MD5`, ua.user, p["realm"], p["nonce"], uri)
		if strings.Contains(p["qop"], "auth") {
			cnonce, nc := randHex(8), "00000001"
			out += fmt.Sprintf(`,response="%s",cnonce="%s",qop=auth,nc=%s`, h(ha1+":"+p["nonce"]+":"+nc+":"+cnonce+":auth:"+ha2), cnonce, nc)
		} else {
			out += fmt.Sprintf(`,response="%s"`, h(ha1+":"+p["nonce"]+":"+ha2))
		}
		if o := p["opaque"]; o != "" {
			out += fmt.Sprintf(`,opaque="%s"`, o)
		}
		return out
	}
	return ""
}
