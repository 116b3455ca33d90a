package admin_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
	"github.com/slaqhq/slaq/internal/testenv"
)

// FuzzRequestBodies sends arbitrary bodies and query strings, with a valid token, to every
// route that reads a body or query (development routes included): the API answers a JSON
// document with a status below 500 (bad input is the client's fault), and never panics.
func FuzzRequestBodies(f *testing.F) {
	seeds := []string{
		`{"type":"send_email","priority":3,"payload":{"to":"a@b.c"}}`,
		`{"type":"x","tier":"critical","payload":null,"delay_ms":-1}`,
		`{"priority":5}`, `{"priority":"batch"}`, `{"priority":0}`, `{"tier":9}`,
		`{"ids":["1ABC","2DEF"]}`, `{"older_than_ms":-5}`, `{"email":"not-an-email"}`,
		`{"startDate":"2026-01-01","format":"pdf"}`, `[]`, `null`, `{`, `{"a":1}{"b":2}`,
		"\xff\xfe", `{"type":"` + strings.Repeat("t", 300) + `"}`, `{"payload":"` + strings.Repeat("é", 100) + `"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s), "limit=5&tier=2")
	}
	f.Add(uint8(3), []byte(`{}`), "limit=-1&tier=nope&cursor=%ff")
	st, dead := testenv.SQLiteStore(f), testenv.SQLiteDLQ(f)
	client, err := slaq.New(st, slaq.Config{DeadLetters: dead})
	if err != nil {
		f.Fatal(err)
	}
	h, err := admin.New(admin.Options{Client: client, DeadLetters: dead, Tokens: []string{token}, Development: true,
		MaxPayloadBytes: 2048})
	if err != nil {
		f.Fatal(err)
	}
	routes := h.Routes()
	f.Fuzz(func(t *testing.T, route uint8, body []byte, query string) {
		r := routes[int(route)%len(routes)]
		path := strings.ReplaceAll(r.Pattern, "{id}", "1ABC")
		req := httptest.NewRequest(r.Method, "http://slaq.test"+path, bytes.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s?%s with body %q: %d %s", r.Method, path, query, body, w.Code, w.Body.Bytes())
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: %d with a body that is not JSON: %q", r.Method, path, w.Code, w.Body.Bytes())
		}
	})
}
