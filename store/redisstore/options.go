package redisstore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults of [Options]. Each applies when its field is left at the zero value.
const (
	// DefaultAddr is the Redis address used when Options.Addrs is empty.
	DefaultAddr = "127.0.0.1:6379"
	// DefaultPrefix is the key prefix used when Options.Prefix is empty.
	DefaultPrefix = "slaq"
	// DefaultClientName is the CLIENT SETNAME of every connection when Options.ClientName is empty.
	DefaultClientName = "slaq"
	// DefaultPromoteBatch is the most delayed jobs one Fetch makes waiting.
	DefaultPromoteBatch = 1000
	// DefaultSweepBatch is the most jobs one Rescue script call moves, and the most of each
	// kind one Clean script call deletes; the store calls again while more are due (Clean up
	// to its request's Limit), so Redis is never blocked for long.
	DefaultSweepBatch = 1000
	// DefaultWaitRetryDelay is how long Wait pauses after its blocking call failed twice
	// (Redis unreachable), so callers that loop on Wait do not spin.
	DefaultWaitRetryDelay = 100 * time.Millisecond
	// DefaultDialTimeout bounds connecting to Redis.
	DefaultDialTimeout = 5 * time.Second
	// DefaultCallTimeout bounds each Redis call whose context has no deadline (Wait excepted).
	DefaultCallTimeout = 10 * time.Second
)

// Options configure a [Store]. The zero value connects to 127.0.0.1:6379 with prefix "slaq".
type Options struct {
	// Addrs are the Redis addresses (host:port): one for a single server, several seed nodes
	// for a Cluster (detected automatically), or the Sentinels when SentinelMaster is set.
	// Default: [DefaultAddr].
	Addrs []string
	// Username for Redis ACL authentication. Default: none.
	Username string
	// Password for Redis authentication. Default: none.
	Password string
	// DB is the database number (single server or Sentinel only). Default: 0.
	DB int
	// SentinelMaster is the Sentinel master set name; when set, Addrs are Sentinels.
	// Default: empty (no Sentinel).
	SentinelMaster string
	// TLS enables TLS with this configuration. Default: nil (plain TCP).
	TLS *tls.Config
	// Prefix starts every key the store writes; it must not contain '{' or '}'.
	// Default: [DefaultPrefix].
	Prefix string
	// ClientName is set with CLIENT SETNAME on every connection, for operators.
	// Default: [DefaultClientName].
	ClientName string
	// PromoteBatch is the most delayed jobs one Fetch promotes. Default: [DefaultPromoteBatch].
	PromoteBatch int
	// SweepBatch is the most jobs one Rescue script call moves, and the most of each kind
	// one Clean script call deletes. Default: [DefaultSweepBatch].
	SweepBatch int
	// WaitRetryDelay is the pause after Wait's blocking call failed twice in a row.
	// Default: [DefaultWaitRetryDelay].
	WaitRetryDelay time.Duration
	// DialTimeout bounds connecting to Redis. Default: [DefaultDialTimeout].
	DialTimeout time.Duration
	// CallTimeout bounds each call to Redis (but Wait's) whose context has no earlier
	// deadline, so a hung server fails calls instead of hanging them.
	// Default: [DefaultCallTimeout].
	CallTimeout time.Duration
	// NoAutoPipelining gives every call a pooled connection of its own instead of letting
	// concurrent calls share connections through rueidis' auto-pipelining. Default false
	// (auto-pipelining on): measured with slaq bench, it is as fast for sequential work and
	// much faster for bursts (W4: 100 concurrent enqueues done in 2.8 ms instead of 13.6 ms,
	// first pickup 2.8 ms instead of 12.7 ms), because a burst dials no new connections.
	NoAutoPipelining bool
}

// withDefaults returns o with every zero field set to its default, or an error for a bad field.
func (o Options) withDefaults() (Options, error) {
	if len(o.Addrs) == 0 {
		o.Addrs = []string{DefaultAddr}
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		return o, fmt.Errorf("redisstore: prefix %q must not contain '{' or '}'", o.Prefix)
	}
	if o.ClientName == "" {
		o.ClientName = DefaultClientName
	}
	if o.PromoteBatch <= 0 {
		o.PromoteBatch = DefaultPromoteBatch
	}
	if o.SweepBatch <= 0 {
		o.SweepBatch = DefaultSweepBatch
	}
	if o.WaitRetryDelay <= 0 {
		o.WaitRetryDelay = DefaultWaitRetryDelay
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	return o, nil
}

// FromEnv reads Options from the environment: REDIS_URL when set (see [ParseURL]), otherwise
// the guide's REDIS_HOST (default 127.0.0.1), REDIS_PORT (default 6379) and REDIS_PASSWORD.
func FromEnv() (Options, error) {
	if u := os.Getenv("REDIS_URL"); u != "" {
		o, err := ParseURL(u)
		if err != nil {
			return Options{}, fmt.Errorf("redisstore: REDIS_URL: %w", err)
		}
		return o, nil
	}
	host, port := os.Getenv("REDIS_HOST"), os.Getenv("REDIS_PORT")
	if host == "" && port == "" && os.Getenv("REDIS_PASSWORD") == "" {
		return Options{}, nil
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "6379"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return Options{}, fmt.Errorf("redisstore: REDIS_PORT %q is not a port number", port)
	}
	return Options{Addrs: []string{net.JoinHostPort(host, port)}, Password: os.Getenv("REDIS_PASSWORD")}, nil
}

// ParseURL reads Options from a URL of the form
//
//	redis[s]://[[user]:password@]host[:port][/db][?addr=host:port&sentinel_master=name&prefix=p]
//
// rediss enables TLS. The port defaults to 6379 and db to 0. Each addr parameter adds a
// seed node (Cluster) or a Sentinel; sentinel_master sets Options.SentinelMaster. Errors
// never quote the URL: it may hold a password.
func ParseURL(s string) (Options, error) {
	u, err := url.Parse(s)
	if err != nil { // url.Parse's error quotes the whole URL, password included
		return Options{}, errors.New("parse redis url: not a valid URL (percent-encode special characters in the password)")
	}
	var o Options
	switch u.Scheme {
	case "redis":
	case "rediss":
		o.TLS = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	default:
		return Options{}, fmt.Errorf("redis url scheme %q: want redis or rediss", u.Scheme)
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "6379"
	}
	o.Addrs = []string{net.JoinHostPort(host, port)}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if o.DB, err = strconv.Atoi(p); err != nil || o.DB < 0 {
			return Options{}, fmt.Errorf("redis url database %q: want a number >= 0", p)
		}
	}
	q := u.Query()
	o.Addrs = append(o.Addrs, q["addr"]...)
	o.SentinelMaster = q.Get("sentinel_master")
	o.Prefix = q.Get("prefix")
	return o, nil
}
