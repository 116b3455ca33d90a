// Package app wires the fintech service: the ledger, slaq (store, dead-letter queue,
// outbox, client, workers), the routes, slaq's admin API, dashboard and Prometheus
// exporter, and the schedules.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/slaqhq/slaq"
)

// Defaults of Config.
const (
	DefaultPort      = 4000
	DefaultDataDir   = "fintech-data"
	DefaultSeedUsers = 100 // development's demo accounts user1…user100@example.com
	// DefaultCleanupDays is how old a log row the daily cleanup deletes: 90 days (the guide's).
	DefaultCleanupDays = 90
)

// Config is the service's configuration; FromEnv reads it from the environment.
type Config struct {
	Addr        string // listen address; default 127.0.0.1:PORT in development, :PORT else
	Development bool   // SLAQ_ENV is not "production": demo users, made-up secrets, .eml outbox
	DataDir     string // DATA_DIR: SQLite files, the mail outbox, reports; default DefaultDataDir
	// RedisURL, when set (REDIS_URL, or the guide's REDIS_HOST/REDIS_PORT/REDIS_PASSWORD),
	// puts the jobs on Redis; default the embedded store in DataDir/slaq.db.
	RedisURL    string
	DatabaseURL string // DATABASE_URL: a postgres:// URL puts the ledger, outbox and dead letters there
	JWTSecret   string // JWT_SECRET (32 bytes or more); development makes one up
	AdminToken  string // ADMIN_TOKEN for slaq's admin API and dashboard; development makes one up
	SMTPURL     string // SMTP_URL; empty: .eml files in DataDir/outbox (development only)
	MailFrom    string // MAIL_FROM; default mail.DefaultFrom
	BaseURL     string // BASE_URL, the start of links in emails; default http://127.0.0.1:PORT
	// CryptomusKey (CRYPTOMUS_API_KEY) and NOWPaymentsSecret (NOWPAYMENTS_IPN_SECRET) check
	// the webhooks; development makes them up (and prints them).
	CryptomusKey, NOWPaymentsSecret string
	// LedgerSynchronous (LEDGER_SYNCHRONOUS) is the SQLite ledger's synchronous setting;
	// default ledger.DefaultSynchronous (FULL). NORMAL trades power-cut durability of the latest
	// commits for much faster writes (see the README's figures).
	LedgerSynchronous string
	SeedUsers         int  // demo accounts to create; default DefaultSeedUsers in development, 0 else
	NoSchedules       bool // do not run the cleanup and newsletter schedules
	// ScheduleZone (SCHEDULE_ZONE) is the IANA zone the schedules' times are in; default UTC.
	ScheduleZone string
	CleanupDays  int // default DefaultCleanupDays

	// For tests and the load command.
	Tiers  map[slaq.Tier]slaq.TierConfig // overrides of slaq's tier defaults
	Midway func(ctx context.Context, j *slaq.Job)
	Logger *slog.Logger // default slog.Default()
	Now    func() time.Time
}

// FromEnv reads the configuration from the environment (see Config's fields).
func FromEnv() (Config, error) {
	c := Config{
		Development:       os.Getenv("SLAQ_ENV") != "production",
		DataDir:           os.Getenv("DATA_DIR"),
		DatabaseURL:       os.Getenv("DATABASE_URL"),
		JWTSecret:         os.Getenv("JWT_SECRET"),
		AdminToken:        os.Getenv("ADMIN_TOKEN"),
		SMTPURL:           os.Getenv("SMTP_URL"),
		MailFrom:          os.Getenv("MAIL_FROM"),
		BaseURL:           os.Getenv("BASE_URL"),
		CryptomusKey:      os.Getenv("CRYPTOMUS_API_KEY"),
		NOWPaymentsSecret: os.Getenv("NOWPAYMENTS_IPN_SECRET"),
		RedisURL:          os.Getenv("REDIS_URL"),
		LedgerSynchronous: os.Getenv("LEDGER_SYNCHRONOUS"),
		ScheduleZone:      os.Getenv("SCHEDULE_ZONE"),
	}
	if c.RedisURL == "" && os.Getenv("REDIS_HOST") != "" {
		c.RedisURL = "redis://" // redisstore.FromEnv reads REDIS_HOST, REDIS_PORT, REDIS_PASSWORD
	}
	port := DefaultPort
	if p := os.Getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("PORT %q: want a port number", p)
		}
		port = n
	}
	c.Addr = fmt.Sprintf(":%d", port)
	if c.Development {
		c.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	if c.BaseURL == "" {
		c.BaseURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	}
	return c, nil
}

// complete fills the defaults and checks what production requires.
func (c *Config) complete() error {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.CleanupDays == 0 {
		c.CleanupDays = DefaultCleanupDays
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Development {
		if c.SeedUsers == 0 {
			c.SeedUsers = DefaultSeedUsers
		}
		if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
			return err
		}
		return c.devSecrets()
	}
	for name, v := range map[string]string{"JWT_SECRET": c.JWTSecret, "ADMIN_TOKEN": c.AdminToken, "SMTP_URL": c.SMTPURL,
		"CRYPTOMUS_API_KEY": c.CryptomusKey, "NOWPAYMENTS_IPN_SECRET": c.NOWPaymentsSecret} {
		if v == "" {
			return fmt.Errorf("%s is required outside development (SLAQ_ENV=production)", name)
		}
	}
	return os.MkdirAll(c.DataDir, 0o755)
}

func (c *Config) path(name string) string { return filepath.Join(c.DataDir, name) }

// DevSecretsFile holds, in DataDir, the secrets development made up, so that tokens and
// signatures stay valid across restarts.
const DevSecretsFile = "dev-secrets.json"

// devSecrets fills the secrets not given from DevSecretsFile, making up (and saving) those
// it lacks.
func (c *Config) devSecrets() error {
	var saved map[string]string
	path := c.path(DevSecretsFile)
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &saved)
	}
	if saved == nil {
		saved = map[string]string{}
	}
	changed := false
	for name, s := range map[string]*string{"JWT_SECRET": &c.JWTSecret, "ADMIN_TOKEN": &c.AdminToken,
		"CRYPTOMUS_API_KEY": &c.CryptomusKey, "NOWPAYMENTS_IPN_SECRET": &c.NOWPaymentsSecret} {
		if *s != "" {
			continue
		}
		if saved[name] == "" {
			saved[name], changed = randomHex(32), true
		}
		*s = saved[name]
	}
	if !changed {
		return nil
	}
	b, _ := json.MarshalIndent(saved, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("save development secrets: %w", err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
