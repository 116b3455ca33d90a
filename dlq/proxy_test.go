package dlq

import (
	"encoding/binary"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// silentProxy forwards TCP connections to a PostgreSQL server until it goes silent. Silent, it
// forwards nothing more in either direction on any connection, open then or accepted later,
// yet closes none: the client sees a half-open connection, as when the server or the network
// path stops answering while the sockets stay up. A silenced connection stays silent for good,
// as one through a middlebox that lost its state would; after speak, new connections work.
type silentProxy struct {
	ln     net.Listener
	target string

	silent  atomic.Bool // new connections are silenced from the start
	onError atomic.Bool // go silent after relaying the server's answer to a statement that failed

	mu    sync.Mutex
	conns map[*proxyConn]struct{}
}

// proxyConn is one client connection and its server side.
type proxyConn struct {
	client, server net.Conn
	silent         atomic.Bool
}

// newSilentProxy starts a proxy to target (host:port); it and its connections close when the
// test ends.
func newSilentProxy(t *testing.T, target string) *silentProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &silentProxy{ln: ln, target: target, conns: make(map[*proxyConn]struct{})}
	t.Cleanup(p.close)
	go p.serve()
	return p
}

// proxiedDSN returns dsn with its host and port replaced by the proxy's and TLS off, so that
// the proxy can read the protocol's message framing.
func (p *silentProxy) proxiedDSN(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsn, err)
	}
	u.Host = p.ln.Addr().String()
	q := u.Query()
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	return u.String()
}

// silence stops all forwarding, on every open connection and on those accepted from now on.
func (p *silentProxy) silence() {
	p.silent.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.silent.Store(true)
	}
}

// speak makes connections accepted from now on forward again; silenced ones stay silent.
func (p *silentProxy) speak() { p.silent.Store(false) }

// silenceOnError makes the proxy go silent right after it relays the server's ReadyForQuery
// that follows the next ErrorResponse: the client learns the statement failed, then hears
// nothing more.
func (p *silentProxy) silenceOnError() { p.onError.Store(true) }

func (p *silentProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.client.Close()
		if c.server != nil {
			c.server.Close()
		}
	}
	clear(p.conns)
}

func (p *silentProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(client)
	}
}

// handle relays one client connection, or holds it open and mute when the proxy is silent.
func (p *silentProxy) handle(client net.Conn) {
	c := &proxyConn{client: client}
	c.silent.Store(p.silent.Load())
	if !c.silent.Load() {
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			return
		}
		c.server = server
	}
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		client.Close()
		if c.server != nil {
			c.server.Close()
		}
	}()
	if c.server == nil { // accepted while silent: swallow what the client sends until it hangs up
		p.relay(c, nil, client, nil)
		return
	}
	go func() {
		p.relay(c, c.server, client, nil)
		c.server.Close()
		client.Close()
	}()
	p.relay(c, client, c.server, &messageReader{})
}

// relay copies src to dst until either fails, dropping what it reads while c is silent. From
// the server (msgs != nil) it follows the message framing for silenceOnError.
func (p *silentProxy) relay(c *proxyConn, dst, src net.Conn, msgs *messageReader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		chunk := buf[:n]
		if msgs != nil && p.onError.Load() {
			if cut, fire := msgs.failedAnswerEnd(chunk); fire {
				p.onError.Store(false)
				if _, err := dst.Write(chunk[:cut]); err != nil {
					return
				}
				p.silence()
				continue
			}
		}
		if c.silent.Load() || dst == nil {
			continue
		}
		if _, err := dst.Write(chunk); err != nil {
			return
		}
	}
}

// messageReader follows the backend messages of a PostgreSQL stream (a type byte, then a
// big-endian int32 length that counts itself) across reads.
type messageReader struct {
	hdr     [5]byte
	hdrN    int
	remain  int
	sawFail bool // an ErrorResponse went by since the last ReadyForQuery
}

// failedAnswerEnd scans chunk and reports the offset just past the first ReadyForQuery that
// follows an ErrorResponse, if chunk holds one.
func (m *messageReader) failedAnswerEnd(chunk []byte) (int, bool) {
	for i := 0; i < len(chunk); {
		if m.remain == 0 && m.hdrN < len(m.hdr) {
			k := copy(m.hdr[m.hdrN:], chunk[i:])
			m.hdrN += k
			i += k
			if m.hdrN < len(m.hdr) {
				return 0, false
			}
			m.remain = int(binary.BigEndian.Uint32(m.hdr[1:])) - 4
		}
		k := min(m.remain, len(chunk)-i)
		m.remain -= k
		i += k
		if m.remain > 0 {
			return 0, false
		}
		typ := m.hdr[0]
		m.hdrN = 0
		switch {
		case typ == 'E':
			m.sawFail = true
		case typ == 'Z' && m.sawFail:
			return i, true
		case typ == 'Z':
			m.sawFail = false
		}
	}
	return 0, false
}

// postgresTarget is the host:port of the test PostgreSQL server.
func postgresTarget(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testDatabaseURL())
	if err != nil {
		t.Fatalf("parse %s: %v", testDatabaseURL(), err)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "5432"
	}
	return net.JoinHostPort(host, port)
}
