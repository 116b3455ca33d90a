package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq/internal/server"
)

// apiTimeout bounds one API call of an operator command: 30 s.
const apiTimeout = 30 * time.Second

// api calls the admin API, over the network (--server) or in this process (direct mode).
type api struct {
	base  string
	token string
	hc    *http.Client
	close func() error
	where string // for messages: the server URL, or the store
}

// apiError is an error answer of the admin API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%s)", e.Message, e.Code) }

// connect returns the API the command should use: the server of --server/SLAQ_SERVER, or
// the admin API over the store opened here.
func (g *globalFlags) connect(cmd *cobra.Command) (*api, error) {
	if u := g.serverURL(); u != "" {
		token, err := g.apiToken()
		if err != nil {
			return nil, err
		}
		return &api{base: strings.TrimRight(u, "/"), token: token, where: u,
			hc: httpClient(), close: func() error { return nil }}, nil
	}
	cfg, err := g.loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	d, err := server.OpenDirect(cmd.Context(), cfg)
	if err != nil {
		return nil, err
	}
	return &api{base: "http://direct", token: d.Token, where: d.Backend.StoreDesc,
		hc: &http.Client{Transport: inProcess{d.Handler}, Timeout: apiTimeout}, close: d.Close}, nil
}

// inProcess is a RoundTripper that serves requests with a handler in this process.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// call sends body (JSON-encoded unless nil) and decodes the answer into out (unless nil).
// It returns the raw answer too, for --json. An error answer becomes an *apiError, with
// the matching exit code.
func (a *api) call(ctx context.Context, method, path string, body, out any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, a.where, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var eb struct{ Error apiError }
		if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
			eb.Error = apiError{Code: "http_" + resp.Status, Message: strings.TrimSpace(string(raw))}
		}
		eb.Error.Status = resp.StatusCode
		return raw, &exitError{codeFor(resp.StatusCode), &eb.Error}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return raw, nil
}

// codeFor maps an HTTP status to an exit code.
func codeFor(status int) int {
	switch {
	case status == http.StatusUnauthorized:
		return exitUnauthorized
	case status == http.StatusNotFound:
		return exitNotFound
	case status >= 400 && status < 500 && status != http.StatusConflict:
		return exitUsage
	}
	return exitFailure
}

// httpClient is the client of --server calls.
func httpClient() *http.Client { return &http.Client{Timeout: apiTimeout} }
