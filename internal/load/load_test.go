package load

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	var posts, probes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Path {
		case "/api/jobs":
			b, _ := io.ReadAll(r.Body)
			if string(b) != `{"type":"x"}` {
				w.WriteHeader(400)
				return
			}
			posts.Add(1)
			w.WriteHeader(201)
			io.WriteString(w, `{"success":true}`)
		case "/chunked":
			probes.Add(1)
			w.Write([]byte(strings.Repeat("a", 5000))) // over net/http's buffer: chunked
			w.(http.Flusher).Flush()
			w.Write([]byte("b"))
		}
	}))
	defer srv.Close()
	res, err := Run(t.Context(), Options{URL: srv.URL, Token: "tok", Body: []byte(`{"type":"x"}`), Clients: 3,
		Duration: 300 * time.Millisecond, ProbePath: "/chunked", ProbeInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Main.Requests == 0 || res.Main.Errors != 0 || res.Main.Status[201] != res.Main.Requests || res.Main.P99Ms <= 0 ||
		res.Main.P50Ms > res.Main.P99Ms || res.Main.PerSec <= 0 {
		t.Errorf("main: %+v", res.Main)
	}
	if res.Probe == nil || res.Probe.Requests < 5 || res.Probe.Requests > 40 || res.Probe.Errors != 0 {
		t.Errorf("probe (every 10 ms for 300 ms): %+v", res.Probe)
	}
	if posts.Load() < res.Main.Requests {
		t.Errorf("server saw %d posts, load counted %d", posts.Load(), res.Main.Requests)
	}
	// Paced: about Rate requests per second, whatever the server could take.
	res, err = Run(t.Context(), Options{URL: srv.URL, Token: "tok", Body: []byte(`{"type":"x"}`), Clients: 4, Rate: 200,
		Duration: 500 * time.Millisecond})
	if err != nil || res.Main.Requests < 70 || res.Main.Requests > 110 || res.Main.Errors != 0 {
		t.Errorf("paced at 200/s for 0.5 s: %+v (%v)", res.Main, err)
	}
	// Wrong token: every answer is an error.
	res, _ = Run(t.Context(), Options{URL: srv.URL, Token: "bad", Clients: 1, Duration: 50 * time.Millisecond})
	if res.Main.Errors == 0 || res.Main.Errors != res.Main.Requests || res.Main.Status[401] == 0 || res.Main.FirstErr != "status 401" {
		t.Errorf("bad token: %+v", res.Main)
	}
	if _, err := Run(t.Context(), Options{URL: "ftp://x"}); err == nil {
		t.Error("ftp url: no error")
	}
	if _, err := Run(t.Context(), Options{URL: "http://127.0.0.1:1", Duration: 50 * time.Millisecond}); err == nil {
		t.Error("nothing listening: no error")
	}
}
