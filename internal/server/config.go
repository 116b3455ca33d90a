// Package server wires what `slaq serve` runs: the configuration (defaults, then a YAML file,
// then the environment, then flags), the store and the dead-letter queue it names, a slaq
// client, the admin API, /healthz and /readyz, and the process lifecycle (readiness off on
// SIGTERM or SIGINT, graceful shutdown within a grace period).
package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/httptarget"
)

// Defaults of [Config]; each applies when its setting is given nowhere.
const (
	// DefaultPort is the guide's port: 4000.
	DefaultPort = 4000
	// DefaultEnv is the environment with nothing set: "development", in which the server binds
	// loopback only, makes up an admin token when none is given, and serves the test routes.
	DefaultEnv = EnvDevelopment
	// EnvDevelopment is the SLAQ_ENV value that turns on development mode.
	EnvDevelopment = "development"
	// DefaultDataDir is where the embedded store and the local dead-letter queue live:
	// ./slaq-data.
	DefaultDataDir = "slaq-data"
	// StoreFile and DeadLetterFile are the files of the embedded store and of the local
	// dead-letter queue inside the data directory.
	StoreFile      = "slaq.db"
	DeadLetterFile = "dead-letters.db"
	// DefaultShutdownGrace is how long a shutdown lets requests and running jobs finish: 30 s.
	DefaultShutdownGrace = 30 * time.Second
	// DefaultDrainDelay is how long the server keeps serving, unready, after a stop signal
	// before it stops accepting: 0 (set it to your load balancer's probe interval).
	DefaultDrainDelay = 0
	// DefaultReadHeaderTimeout cuts off a client that has not sent its request line and
	// headers 5 s after connecting (or after its previous request): a slow-headers client
	// cannot hold a connection.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds reading a whole request, headers and body: 30 s. A client
	// sending its body slowly is cut off then.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds writing a response, from the end of the request headers:
	// 30 s.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection idle for 2 min.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultMaxHeaderBytes caps request headers: 64 KiB.
	DefaultMaxHeaderBytes = 64 << 10
	// StoreEmbedded and StoreRedis name the two stores.
	StoreEmbedded = "embedded"
	StoreRedis    = "redis"
)

// Config is everything `slaq serve` (and the CLI's direct mode) needs. [Default] returns the
// defaults; ApplyFile, ApplyEnv and the caller's flags override them in that order.
type Config struct {
	Env     string // SLAQ_ENV; default DefaultEnv
	Addr    string // listen address; default 127.0.0.1:Port in development, :Port otherwise
	Port    int    // PORT; default DefaultPort
	DataDir string // default DefaultDataDir

	Store       string // "embedded" or "redis"; default redis when RedisURL is set, else embedded
	RedisURL    string // REDIS_URL, or built from REDIS_HOST, REDIS_PORT, REDIS_PASSWORD
	RedisPrefix string // key prefix; default redisstore's ("slaq")
	DatabaseURL string // DATABASE_URL: the dead-letter queue; default DataDir/DeadLetterFile

	Tokens []string // ADMIN_TOKEN, comma-separated for several; required outside development

	// Workers runs job workers in the server. Default: on in development (with the built-in
	// development handlers), off otherwise (the server is the admin API; applications run
	// their workers).
	Workers *bool

	ShutdownGrace time.Duration // SLAQ_SHUTDOWN_GRACE; default DefaultShutdownGrace
	// Degrade is what an enqueue does when the store does not answer (slaq.Config.Degrade;
	// JobType.Degrade overrides it). Default: fail.
	Degrade slaq.Degrade
	// SpoolPath is the spool's file (DataDir/SpoolFile when empty), opened when a policy is
	// spool or the file declares `spool:`; SpoolLimit caps its jobs (outbox.DefaultSpoolLimit).
	SpoolPath  string
	SpoolLimit int
	// OutboxURL is an application database whose slaq_outbox (EnqueueTx) the server forwards
	// into the store; OutboxMigrate creates or upgrades the table on start.
	OutboxURL     string
	OutboxMigrate bool
	spoolDeclared bool
	// DeadLetterRetention purges dead letters older than this (slaq.Config.DeadLetterRetention).
	// Default 0: kept until deleted.
	DeadLetterRetention time.Duration
	DrainDelay          time.Duration // default DefaultDrainDelay
	ReadHeaderTimeout   time.Duration // default DefaultReadHeaderTimeout
	ReadTimeout         time.Duration // default DefaultReadTimeout
	WriteTimeout        time.Duration // default DefaultWriteTimeout
	IdleTimeout         time.Duration // default DefaultIdleTimeout
	MaxHeaderBytes      int           // default DefaultMaxHeaderBytes
	MaxPayloadBytes     int           // default slaq.DefaultMaxPayloadBytes

	// MetricsPublic serves /metrics without the admin token. Default: on in development,
	// off otherwise (the config file's metrics: {public: true} turns it on).
	MetricsPublic *bool

	// Sensitive names payload fields redacted in every job type's payload wherever the
	// server shows jobs (slaq.Config.Sensitive; per type: JobType's TypeConfig.Sensitive).
	Sensitive []string

	Alerts Alerts // from the config file

	Tiers     map[slaq.Tier]slaq.TierConfig // from the config file
	Types     map[string]JobType            // from the config file
	Schedules []Schedule                    // from the config file; the server fires them
}

// JobType is a job type declared in the config file.
type JobType struct {
	slaq.TypeConfig
	RateLimit *RateLimit         // optional: enforced in the store's fetch, shared by every process
	Target    *httptarget.Target // optional: the type's work is a signed POST to this URL
}

// RateLimit is at most Limit jobs per Per, with Burst extra at once.
type RateLimit struct {
	Limit int
	Per   time.Duration
	Burst int
}

// Schedule is a cron schedule that enqueues a job, declared in the config file (see
// slaq.Schedule).
type Schedule struct {
	Name          string
	Cron          string
	Zone          string // IANA zone; "" is UTC
	Type          string
	Tier          slaq.Tier // 0: the type's
	Payload       []byte    // JSON
	Missed        slaq.MissedPolicy
	CatchUpWindow time.Duration // 0: slaq.DefaultCatchUpWindow
}

// Default returns the configuration with nothing set.
func Default() Config {
	return Config{
		Env: DefaultEnv, Port: DefaultPort, DataDir: DefaultDataDir,
		ShutdownGrace: DefaultShutdownGrace, DrainDelay: DefaultDrainDelay,
		ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout, IdleTimeout: DefaultIdleTimeout,
		MaxHeaderBytes: DefaultMaxHeaderBytes, MaxPayloadBytes: slaq.DefaultMaxPayloadBytes,
	}
}

// Development reports whether the server runs in development mode.
func (c *Config) Development() bool { return strings.EqualFold(c.Env, EnvDevelopment) }

// ApplyEnv overrides c with the environment as getenv reads it (os.Getenv in the binary):
// SLAQ_ENV, PORT, ADMIN_TOKEN, REDIS_URL (else REDIS_HOST, REDIS_PORT, REDIS_PASSWORD),
// DATABASE_URL, SLAQ_DATA_DIR, SLAQ_SHUTDOWN_GRACE.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv("SLAQ_ENV"); v != "" {
		c.Env = v
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("PORT=%q: want a port number", v)
		}
		c.Port = p
	}
	if v := getenv("ADMIN_TOKEN"); v != "" {
		c.Tokens = SplitTokens(v)
	}
	if v := getenv("REDIS_URL"); v != "" {
		c.RedisURL = v
	} else if host, port, pass := getenv("REDIS_HOST"), getenv("REDIS_PORT"), getenv("REDIS_PASSWORD"); host != "" || port != "" || pass != "" {
		u, err := redisURL(host, port, pass)
		if err != nil {
			return err
		}
		c.RedisURL = u
	}
	if v := getenv("DATABASE_URL"); v != "" {
		c.DatabaseURL = v
	}
	if v := getenv("SLAQ_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := getenv("SLAQ_SHUTDOWN_GRACE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("SLAQ_SHUTDOWN_GRACE=%q: want a duration such as 30s", v)
		}
		c.ShutdownGrace = d
	}
	return nil
}

// SplitTokens splits a comma-separated token list, dropping empty entries.
func SplitTokens(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// redisURL builds a redis:// URL from the guide's REDIS_HOST, REDIS_PORT and REDIS_PASSWORD.
func redisURL(host, port, pass string) (string, error) {
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "6379"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("REDIS_PORT=%q: want a port number", port)
	}
	u := url.URL{Scheme: "redis", Host: net.JoinHostPort(host, port)}
	if pass != "" {
		u.User = url.UserPassword("", pass)
	}
	return u.String(), nil
}

// Resolve fills the settings that depend on others and checks the whole.
func (c *Config) Resolve() error {
	if c.Store == "" {
		c.Store = StoreEmbedded
		if c.RedisURL != "" {
			c.Store = StoreRedis
		}
	}
	switch c.Store {
	case StoreEmbedded, StoreRedis:
	default:
		return fmt.Errorf("store %q: want %s or %s", c.Store, StoreEmbedded, StoreRedis)
	}
	if c.Store == StoreRedis && c.RedisURL == "" {
		c.RedisURL = "redis://127.0.0.1:6379"
	}
	if c.Addr == "" {
		host := ""
		if c.Development() {
			host = "127.0.0.1"
		}
		c.Addr = net.JoinHostPort(host, strconv.Itoa(c.Port))
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, DeadLetterFile)
	}
	if c.Workers == nil {
		w := c.Development()
		for _, t := range c.Types {
			w = w || t.Target != nil // the server is the worker of its HTTP targets
		}
		c.Workers = &w
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.ShutdownGrace < 0 || c.DrainDelay < 0 {
		return fmt.Errorf("shutdown grace and drain delay must not be negative")
	}
	return nil
}

// RequireToken fails outside development without an admin token: `slaq serve` refuses to
// start then.
func (c *Config) RequireToken() error {
	if len(c.Tokens) == 0 && !c.Development() {
		return fmt.Errorf("SLAQ_ENV=%s needs an admin token: set ADMIN_TOKEN (comma-separated for several)", c.Env)
	}
	return nil
}

// metricsPublic reports whether /metrics answers without the admin token.
func (c *Config) metricsPublic() bool {
	if c.MetricsPublic != nil {
		return *c.MetricsPublic
	}
	return c.Development()
}

// StorePath is the embedded store's file.
func (c *Config) StorePath() string { return filepath.Join(c.DataDir, StoreFile) }

// ClientConfig is the slaq client configuration the file declares.
func (c *Config) ClientConfig() slaq.Config {
	cfg := slaq.Config{Tiers: c.Tiers, ShutdownGrace: c.ShutdownGrace, MaxPayloadBytes: c.MaxPayloadBytes, Sensitive: c.Sensitive,
		DeadLetterRetention: c.DeadLetterRetention, Degrade: c.Degrade}
	if len(c.Types) > 0 {
		cfg.Types = make(map[string]slaq.TypeConfig, len(c.Types))
		for name, t := range c.Types {
			cfg.Types[name] = t.TypeConfig
			if rl := t.RateLimit; rl != nil {
				if cfg.RateLimits == nil {
					cfg.RateLimits = make(map[string]slaq.RateLimit)
				}
				cfg.RateLimits[name] = slaq.RateLimit{Rate: rl.Limit, Per: rl.Per, Burst: rl.Burst, Tier: t.Tier}
			}
		}
	}
	for _, s := range c.Schedules {
		sc := slaq.Schedule{Name: s.Name, Spec: s.Cron, Zone: s.Zone, Type: s.Type, Missed: s.Missed, CatchUpWindow: s.CatchUpWindow}
		if len(s.Payload) > 0 {
			sc.Payload = json.RawMessage(s.Payload)
		}
		if s.Tier != 0 {
			sc.Options = []slaq.Option{slaq.WithTier(s.Tier)}
		}
		cfg.Schedules = append(cfg.Schedules, sc)
	}
	return cfg
}
