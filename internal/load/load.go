// Package load drives HTTP load at a slaq server from its own process, for the HTTP
// performance targets (POST /api/jobs with many keep-alive clients, GET /api/jobs/metrics
// under that load). It speaks HTTP/1.1 over raw keep-alive connections with a fixed,
// pre-encoded request, so the load generator spends little CPU per request and what it
// measures is the server.
package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of [Options].
const (
	DefaultClients       = 50
	DefaultDuration      = 10 * time.Second
	MaxDuration          = 10 * time.Minute // a run is bounded whatever it is asked
	DefaultProbeInterval = 20 * time.Millisecond
	dialTimeout          = 5 * time.Second
	ioTimeout            = 10 * time.Second
)

// Options describe one run.
type Options struct {
	URL      string        // base URL, e.g. http://127.0.0.1:4000; required
	Token    string        // bearer token
	Method   string        // default POST
	Path     string        // default /api/jobs
	Body     []byte        // request body (JSON)
	Clients  int           // concurrent keep-alive connections; default DefaultClients
	Duration time.Duration // how long to run; default DefaultDuration, at most MaxDuration
	Warmup   time.Duration // run this long first without recording; default 0
	// Rate, when positive, paces the clients to this many requests per second in all
	// (open loop, each client at Rate/Clients), and a latency counts from when its request
	// was due, so a server that falls behind shows it (no coordinated omission). Default 0:
	// every client sends back to back (closed loop), the most the server takes.
	Rate float64

	// ProbePath, when set, is requested with GET on one more connection every
	// ProbeInterval (default DefaultProbeInterval) during the run, and measured apart.
	ProbePath     string
	ProbeInterval time.Duration
}

// Stats are one stream's results.
type Stats struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"` // transport errors and non-2xx answers
	PerSec   float64       `json:"per_sec"`
	P50Ms    float64       `json:"p50_ms"`
	P90Ms    float64       `json:"p90_ms"`
	P99Ms    float64       `json:"p99_ms"`
	MaxMs    float64       `json:"max_ms"`
	Status   map[int]int64 `json:"status"` // answers by status code
	FirstErr string        `json:"first_error,omitempty"`
}

// Result is a run's outcome.
type Result struct {
	Clients  int     `json:"clients"`
	Seconds  float64 `json:"seconds"`
	Main     Stats   `json:"main"`
	Probe    *Stats  `json:"probe,omitempty"`
	Method   string  `json:"method"`
	Path     string  `json:"path"`
	ProbeURL string  `json:"probe_path,omitempty"`
}

// recorder collects one connection's latencies.
type recorder struct {
	lat      []time.Duration
	errs     int64
	status   map[int]int64
	firstErr error
}

// Run drives the load and returns what it measured.
func Run(ctx context.Context, o Options) (*Result, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("load: url %q: want http://host:port", o.URL)
	}
	if o.Method == "" {
		o.Method = "POST"
	}
	if o.Path == "" {
		o.Path = "/api/jobs"
	}
	if o.Clients <= 0 {
		o.Clients = DefaultClients
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	o.Duration = min(o.Duration, MaxDuration)
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	req := encode(o.Method, u.Host, o.Path, o.Token, o.Body)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now().Add(o.Warmup)
	end := start.Add(o.Duration)
	recs := make([]*recorder, o.Clients)
	var wg sync.WaitGroup
	var every time.Duration
	if o.Rate > 0 {
		every = time.Duration(float64(o.Clients) / o.Rate * float64(time.Second))
	}
	for i := range recs {
		recs[i] = &recorder{status: map[int]int64{}}
		wg.Add(1)
		go func(r *recorder, offset time.Duration) {
			defer wg.Done()
			drive(ctx, u.Host, req, start, end, every, offset, r)
		}(recs[i], every*time.Duration(i)/time.Duration(o.Clients))
	}
	var probe *recorder
	if o.ProbePath != "" {
		probe = &recorder{status: map[int]int64{}}
		preq := encode("GET", u.Host, o.ProbePath, o.Token, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			drive(ctx, u.Host, preq, start, end, o.ProbeInterval, 0, probe)
		}()
	}
	wg.Wait()
	secs := o.Duration.Seconds()
	res := &Result{Clients: o.Clients, Seconds: secs, Main: summarize(recs, secs), Method: o.Method, Path: o.Path, ProbeURL: o.ProbePath}
	if probe != nil {
		s := summarize([]*recorder{probe}, secs)
		res.Probe = &s
	}
	if res.Main.Requests == 0 && res.Main.FirstErr != "" {
		return res, fmt.Errorf("load: no request succeeded: %s", res.Main.FirstErr)
	}
	return res, ctx.Err()
}

// encode builds the bytes of one HTTP/1.1 keep-alive request.
func encode(method, host, path, token string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host)
	if token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	if body != nil {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// drive sends req on one connection until end, every interval from offset on (interval 0:
// back to back), recording each answer's latency once start has passed. A paced request's
// latency counts from when it was due.
func drive(ctx context.Context, host string, req []byte, start, end time.Time, interval, offset time.Duration, r *recorder) {
	var conn net.Conn
	var br *bufio.Reader
	fail := func(err error) {
		r.errs++
		if r.firstErr == nil {
			r.firstErr = err
		}
		if conn != nil {
			conn.Close()
			conn = nil
		}
	}
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	next := time.Now().Add(offset)
	for ctx.Err() == nil {
		now := time.Now()
		if now.After(end) {
			return
		}
		due := now
		if interval > 0 {
			if d := next.Sub(now); d > 0 {
				time.Sleep(d) // pacing to the asked rate, not a wait for a result
			}
			due = next
			next = next.Add(interval)
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", host, dialTimeout)
			if err != nil {
				fail(err)
				time.Sleep(10 * time.Millisecond) // back off a refused dial rather than spin
				continue
			}
			conn, br = c, bufio.NewReaderSize(c, 16<<10)
		}
		t0 := time.Now()
		conn.SetDeadline(t0.Add(ioTimeout))
		if _, err := conn.Write(req); err != nil {
			fail(err)
			continue
		}
		status, keep, err := readResponse(br)
		if err != nil {
			fail(err)
			continue
		}
		from := t0
		if due.Before(t0) {
			from = due // it was due earlier: the wait counts
		}
		lat := time.Since(from)
		if t0.After(start) {
			r.status[status]++
			if status < 200 || status > 299 {
				r.errs++
				if r.firstErr == nil {
					r.firstErr = fmt.Errorf("status %d", status)
				}
			}
			r.lat = append(r.lat, lat)
		}
		if !keep {
			conn.Close()
			conn = nil
		}
	}
}

// readResponse reads one response and returns its status and whether the connection stays
// open. It understands Content-Length and chunked bodies.
func readResponse(br *bufio.Reader) (int, bool, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	parts := strings.SplitN(string(line), " ", 3)
	if len(parts) < 2 {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(h) <= 2 {
			break
		}
		k, v, _ := strings.Cut(string(h), ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "content-length":
			length, _ = strconv.Atoi(v)
		case "transfer-encoding":
			chunked = strings.EqualFold(v, "chunked")
		case "connection":
			keep = !strings.EqualFold(v, "close")
		}
	}
	switch {
	case chunked:
		for {
			sz, err := br.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			n, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(string(sz), ";", 2)[0]), 16, 64)
			if err != nil {
				return 0, false, fmt.Errorf("bad chunk size %q", sz)
			}
			if _, err := br.Discard(int(n) + 2); err != nil {
				return 0, false, err
			}
			if n == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := br.Discard(length); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, errors.New("answer without Content-Length")
	}
	return status, keep, nil
}

func summarize(recs []*recorder, secs float64) Stats {
	var all []time.Duration
	s := Stats{Status: map[int]int64{}}
	for _, r := range recs {
		all = append(all, r.lat...)
		s.Errors += r.errs
		for k, v := range r.status {
			s.Status[k] += v
		}
		if r.firstErr != nil && s.FirstErr == "" {
			s.FirstErr = r.firstErr.Error()
		}
	}
	s.Requests = int64(len(all))
	s.PerSec = float64(s.Requests) / secs
	if len(all) == 0 {
		return s
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		i := int(p/100*float64(len(all))+0.999999) - 1
		return float64(all[max(i, 0)]) / float64(time.Millisecond)
	}
	s.P50Ms, s.P90Ms, s.P99Ms = pct(50), pct(90), pct(99)
	s.MaxMs = float64(all[len(all)-1]) / float64(time.Millisecond)
	return s
}
