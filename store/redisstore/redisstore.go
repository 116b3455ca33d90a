package redisstore

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// Store is the Redis implementation of [store.Store]. It is safe for concurrent use, and
// any number of processes may share one Redis through Stores with the same Prefix.
type Store struct {
	client rueidis.Client
	opts   Options
	tiers  [store.NumTiers]tierKeys

	waiters [store.NumTiers]waiter // each tier's blocking call, shared by its Waits (see Wait)

	closing   context.Context // done once Close has begun: unblocks Wait
	close     context.CancelFunc
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// New connects to Redis as opts say, loads the scripts and returns the store.
func New(ctx context.Context, opts Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	co := rueidis.ClientOption{
		InitAddress:  o.Addrs,
		Username:     o.Username,
		Password:     o.Password,
		SelectDB:     o.DB,
		ClientName:   o.ClientName,
		TLSConfig:    o.TLS,
		DisableCache: true,
		// Concurrent calls share connections (auto-pipelining) unless Options.NoAutoPipelining;
		// see its doc for the measurement. Blocking calls (Wait) always get a dedicated one.
		DisableAutoPipelining: o.NoAutoPipelining,
		Dialer:                net.Dialer{Timeout: o.DialTimeout}, // Go's default TCP keep-alive notices dead peers
	}
	if o.SentinelMaster != "" {
		co.Sentinel = rueidis.SentinelOption{MasterSet: o.SentinelMaster, Username: o.Username, Password: o.Password, TLSConfig: o.TLS}
	}
	client, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("redisstore: connect to %v: %w", o.Addrs, err)
	}
	s := &Store{client: client, opts: o}
	for _, t := range store.Tiers {
		s.tiers[t.Index()] = newTierKeys(o.Prefix, t)
	}
	s.closing, s.close = context.WithCancel(context.Background())
	if err := s.loadScripts(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return s, nil
}

// Close cancels blocked Wait calls and closes every connection. It is safe to call twice.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.close()
		s.client.Close()
	})
	return nil
}

// Ping checks that every Redis node the store uses answers PING (on a Cluster, each master
// holds some tiers), within Options.CallTimeout unless ctx has an earlier deadline.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.live(); err != nil {
		return err
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	nodes := s.client.Nodes()
	if len(nodes) == 0 {
		return fmt.Errorf("redisstore: ping: no Redis node known")
	}
	for addr, node := range nodes {
		if err := node.Do(ctx, node.B().Ping().Build()).Error(); err != nil {
			return fmt.Errorf("redisstore: ping %s: %w", addr, err)
		}
	}
	return nil
}

// Prefix returns the key prefix the store uses.
func (s *Store) Prefix() string { return s.opts.Prefix }

// keys returns tier's key names, or an error for an invalid tier.
func (s *Store) keys(t store.Tier) (*tierKeys, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("redisstore: invalid tier %d", t)
	}
	return &s.tiers[t.Index()], nil
}

// live returns store.ErrClosed (wrapped) once Close has begun.
func (s *Store) live() error {
	if s.closing.Err() != nil {
		return fmt.Errorf("redisstore: %w", store.ErrClosed)
	}
	return nil
}

// callCtx returns ctx bounded by Options.CallTimeout unless it has a deadline already.
func (s *Store) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.opts.CallTimeout)
}
