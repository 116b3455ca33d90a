package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/admin"
)

// Direct is the admin API over the store and dead-letter queue of a configuration, opened in
// this process, for the CLI's commands run without --server. Its token is made up: the API
// is only reachable through Handler.
type Direct struct {
	Handler http.Handler
	Token   string
	Backend *Backend
	Client  *slaq.Client
}

// OpenDirect opens what cfg (resolved) names and builds the admin API over it.
func OpenDirect(ctx context.Context, cfg Config) (*Direct, error) {
	b, err := Open(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	ccfg := cfg.ClientConfig()
	ccfg.DeadLetters = b.DeadLetters
	client, err := slaq.New(b.Store, ccfg)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("client: %w", err)
	}
	token := randomToken()
	h, err := admin.New(admin.Options{Client: client, DeadLetters: b.DeadLetters, Tokens: []string{token},
		Development: cfg.Development(), MaxPayloadBytes: cfg.MaxPayloadBytes})
	if err != nil {
		b.Close()
		return nil, err
	}
	return &Direct{Handler: h, Token: token, Backend: b, Client: client}, nil
}

// Close closes the store and the dead-letter queue.
func (d *Direct) Close() error { return d.Backend.Close() }
