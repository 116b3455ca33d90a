package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq/internal/server"
)

// globalFlags are the flags every command takes: where the store is (or the server), and how
// to print.
type globalFlags struct {
	config      string
	env         string
	dataDir     string
	store       string
	redisURL    string
	redisPrefix string
	databaseURL string
	server      string
	token       string
	json        bool
}

func addGlobalFlags(root *cobra.Command) *globalFlags {
	g := &globalFlags{}
	f := root.PersistentFlags()
	f.StringVar(&g.config, "config", "", "YAML config `FILE` (default: SLAQ_CONFIG, else none)")
	f.StringVar(&g.env, "env", "", "environment, e.g. development or production (default: SLAQ_ENV, else development)")
	f.StringVar(&g.dataDir, "data-dir", "", "directory of the embedded store and local dead letters (default: SLAQ_DATA_DIR, else ./"+server.DefaultDataDir+")")
	f.StringVar(&g.store, "store", "", "store: embedded or redis (default: redis when a Redis URL is set, else embedded)")
	f.StringVar(&g.redisURL, "redis-url", "", "Redis URL (default: REDIS_URL, else REDIS_HOST/REDIS_PORT/REDIS_PASSWORD)")
	f.StringVar(&g.redisPrefix, "redis-prefix", "", "Redis key prefix (default \"slaq\")")
	f.StringVar(&g.databaseURL, "database-url", "", "dead-letter database: postgres:// URL or SQLite path (default: DATABASE_URL, else DATA_DIR/"+server.DeadLetterFile+")")
	f.StringVar(&g.server, "server", "", "talk to a running slaq server at `URL` instead of the store (default: SLAQ_SERVER)")
	f.StringVar(&g.token, "token", "", "admin token for --server (default: SLAQ_TOKEN)")
	f.BoolVar(&g.json, "json", false, "print the API's JSON instead of a table")
	return g
}

// loadConfig builds the configuration: defaults, then the config file, then the
// environment, then the flags given on the command line (the global ones, then extra's),
// resolved.
func (g *globalFlags) loadConfig(cmd *cobra.Command, extra ...func(*server.Config) error) (server.Config, error) {
	cfg := server.Default()
	file := g.config
	if file == "" {
		file = os.Getenv("SLAQ_CONFIG")
	}
	if file != "" {
		if err := cfg.ApplyFile(file); err != nil {
			return cfg, usageErr("%v", err)
		}
	}
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return cfg, usageErr("environment: %v", err)
	}
	changed := func(name string) bool { return cmd.Flags().Changed(name) }
	for _, s := range []struct {
		flag string
		dst  *string
		v    string
	}{
		{"env", &cfg.Env, g.env}, {"data-dir", &cfg.DataDir, g.dataDir}, {"store", &cfg.Store, g.store},
		{"redis-url", &cfg.RedisURL, g.redisURL}, {"redis-prefix", &cfg.RedisPrefix, g.redisPrefix},
		{"database-url", &cfg.DatabaseURL, g.databaseURL},
	} {
		if changed(s.flag) {
			*s.dst = s.v
		}
	}
	for _, f := range extra {
		if err := f(&cfg); err != nil {
			return cfg, err
		}
	}
	if err := cfg.Resolve(); err != nil {
		return cfg, usageErr("%v", err)
	}
	return cfg, nil
}

// serverURL is --server, else SLAQ_SERVER; "" means direct mode.
func (g *globalFlags) serverURL() string {
	if g.server != "" {
		return g.server
	}
	return os.Getenv("SLAQ_SERVER")
}

// apiToken is --token, else SLAQ_TOKEN.
func (g *globalFlags) apiToken() (string, error) {
	t := g.token
	if t == "" {
		t = os.Getenv("SLAQ_TOKEN")
	}
	if t == "" {
		return "", usageErr("--server needs a token: set SLAQ_TOKEN (or --token)")
	}
	return t, nil
}
