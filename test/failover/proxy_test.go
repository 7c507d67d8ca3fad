package failover

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// tcpProxy forwards TCP connections from a local port to an upstream
// address. Down closes every connection and the listener, so new
// connections are refused, as when the database server stops; Up listens
// again on the same address.
type tcpProxy struct {
	Addr     string // 127.0.0.1:<port> clients connect to
	upstream string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// startProxy starts a proxy to upstream on a free local port; it is shut
// down at cleanup.
func startProxy(t testing.TB, upstream string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: listen: %v", err)
	}
	p := &tcpProxy{Addr: ln.Addr().String(), upstream: upstream, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(func() {
		p.Down()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() { defer p.wg.Done(); p.pipe(c) }()
		}
	}()
}

// track registers a connection; it reports false (and closes c) when the
// proxy is down.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *tcpProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *tcpProxy) pipe(client net.Conn) {
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	server, err := net.DialTimeout("tcp", p.upstream, 10*time.Second)
	if err != nil {
		return
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	go func() { io.Copy(server, client); done <- struct{}{} }() //nolint:errcheck // ends with either side
	go func() { io.Copy(client, server); done <- struct{}{} }() //nolint:errcheck // ends with either side
	<-done
	// Closing both ends (deferred) ends the other copy.
	client.Close()
	server.Close()
	<-done
}

// Down refuses new connections and cuts every open one.
func (p *tcpProxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return
	}
	p.ln.Close()
	p.ln = nil
	for c := range p.conns {
		c.Close()
	}
}

// Up accepts connections again on the same address.
func (p *tcpProxy) Up(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	// The port was ours a moment ago; retry briefly should the kernel
	// still hold it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", p.Addr)
		if err == nil {
			p.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy: listen again on %s: %v", p.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProxy checks the outage the failover tests rely on: data flows while
// up, open connections are cut and new ones refused while down, and
// connections work again once up.
func TestProxy(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }() //nolint:errcheck // test echo server
		}
	}()
	p := startProxy(t, echo.Addr().String())

	roundTrip := func(c net.Conn, msg string) error {
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			return err
		}
		if _, err := c.Write([]byte(msg)); err != nil {
			return err
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if string(buf) != msg {
			return errors.New("echo mismatch: " + string(buf))
		}
		return nil
	}

	open, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatalf("dial while up: %v", err)
	}
	defer open.Close()
	if err := roundTrip(open, "before"); err != nil {
		t.Fatalf("round trip while up: %v", err)
	}

	p.Down()
	if err := roundTrip(open, "during"); err == nil {
		t.Error("an open connection still works while the proxy is down")
	}
	if c, err := net.DialTimeout("tcp", p.Addr, 2*time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted while the proxy is down")
	}

	p.Up(t)
	again, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatalf("dial after up: %v", err)
	}
	defer again.Close()
	if err := roundTrip(again, "after"); err != nil {
		t.Errorf("round trip after up: %v", err)
	}
}
