package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/slaqhq/slaq/store/redisstore"
)

// redisIOTimeout bounds each command the bench sends on its own connections.
const redisIOTimeout = 30 * time.Second

// scanCount is the COUNT hint of the SCAN that finds the bench's keys, and the most keys one
// DEL removes.
const scanCount = 1000

// respConn is a bare RESP connection: W2 times raw PINGs on it (no client library), and the
// harness reads INFO and deletes its own keys with it.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

// dialRedis connects to the first address of o (a single server), authenticates and selects
// o.DB.
func dialRedis(ctx context.Context, o redisstore.Options) (*respConn, error) {
	addr := redisstore.DefaultAddr
	if len(o.Addrs) > 0 {
		addr = o.Addrs[0]
	}
	if o.SentinelMaster != "" {
		return nil, errors.New("bench: Redis through Sentinel is not supported: point REDIS_URL at the server")
	}
	d := net.Dialer{Timeout: redisIOTimeout}
	var conn net.Conn
	var err error
	if o.TLS != nil {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: o.TLS}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: connect to Redis at %s: %w", addr, err)
	}
	c := &respConn{conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
	if o.Password != "" {
		args := []string{"AUTH", o.Password}
		if o.Username != "" {
			args = []string{"AUTH", o.Username, o.Password}
		}
		if _, err := c.do(args...); err != nil {
			c.close()
			return nil, fmt.Errorf("bench: Redis AUTH: %w", err)
		}
	}
	if o.DB != 0 {
		if _, err := c.do("SELECT", strconv.Itoa(o.DB)); err != nil {
			c.close()
			return nil, fmt.Errorf("bench: Redis SELECT %d: %w", o.DB, err)
		}
	}
	return c, nil
}

func (c *respConn) close() { _ = c.conn.Close() }

// ping sends the inline command PING\r\n and reads +PONG\r\n: the bare round trip.
func (c *respConn) ping() error {
	if _, err := c.conn.Write([]byte("PING\r\n")); err != nil {
		return fmt.Errorf("bench: PING: %w", err)
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("bench: PING: %w", err)
	}
	if string(line) != "+PONG\r\n" {
		return fmt.Errorf("bench: PING answered %q", line)
	}
	return nil
}

// do sends one command and returns its reply: string, int64, []any, nil, or an error for a
// Redis error reply.
func (c *respConn) do(args ...string) (any, error) {
	_ = c.conn.SetDeadline(time.Now().Add(redisIOTimeout))
	defer func() { _ = c.conn.SetDeadline(time.Time{}) }()
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := c.w.Flush(); err != nil {
		return nil, fmt.Errorf("bench: send %s: %w", args[0], err)
	}
	v, err := c.read()
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", args[0], err)
	}
	return v, nil
}

func (c *respConn) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, errors.New(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// info returns the fields of INFO section.
func (c *respConn) info(section string) (map[string]string, error) {
	v, err := c.do("INFO", section)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("bench: INFO %s answered %T", section, v)
	}
	out := make(map[string]string)
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

// infoFloat reads one numeric INFO field.
func (c *respConn) infoFloat(section, field string) (float64, error) {
	m, err := c.info(section)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(m[field], 64)
	if err != nil {
		return 0, fmt.Errorf("bench: INFO %s field %s: %w", section, field, err)
	}
	return f, nil
}

// deleteKeys deletes every key of the store with prefix — and only those: the server is
// shared, so the bench never flushes a database.
func (c *respConn) deleteKeys(prefix string) (int, error) {
	cursor, deleted := "0", 0
	for {
		v, err := c.do("SCAN", cursor, "MATCH", "{"+prefix+":*", "COUNT", strconv.Itoa(scanCount))
		if err != nil {
			return deleted, err
		}
		arr, ok := v.([]any)
		if !ok || len(arr) != 2 {
			return deleted, fmt.Errorf("bench: SCAN answered %v", v)
		}
		cursor, _ = arr[0].(string)
		keys, _ := arr[1].([]any)
		if len(keys) > 0 {
			args := make([]string, 0, len(keys)+1)
			args = append(args, "DEL")
			for _, k := range keys {
				s, _ := k.(string)
				args = append(args, s)
			}
			n, err := c.do(args...)
			if err != nil {
				return deleted, err
			}
			k, _ := n.(int64)
			deleted += int(k)
		}
		if cursor == "0" || cursor == "" {
			return deleted, nil
		}
	}
}
