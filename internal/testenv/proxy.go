package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a target while up; while down it refuses new ones and
// cuts those it holds: a server that becomes unreachable, for tests of the real drivers'
// failure paths. It listens on a loopback port and stops when the test ends.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	up      bool
	conns   map[net.Conn]struct{}
	refusal int
}

// NewProxy starts a proxy to target (host:port), up.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, up: true, conns: make(map[net.Conn]struct{})}
	t.Cleanup(func() { _ = ln.Close(); p.SetUp(false) })
	go p.serve()
	return p
}

// Addr is the proxy's own address, to give the client under test.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Refused counts the connections refused while down.
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refusal
}

// SetUp brings the proxy up or down; going down cuts every connection it holds.
func (p *Proxy) SetUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			_ = c.Close()
		}
		clear(p.conns)
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !p.up {
			p.refusal++
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.mu.Unlock()
		go p.forward(c)
	}
}

func (p *Proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if !p.up {
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
	_ = c.Close()
}
