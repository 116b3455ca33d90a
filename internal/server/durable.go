package server

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the outbox's PostgreSQL driver ("pgx")
	"go.yaml.in/yaml/v3"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/outbox"
)

// SpoolFile is the default spool file in the data directory (config `spool: {path: ...}`).
const SpoolFile = "spool.db"

// durableFile is the file's degradation and outbox settings:
//
//	degrade: spool                     # fail (default) | direct | spool: what an enqueue does when the store does not answer
//	spool: {path: ./slaq-data/spool.db, limit: 100000}
//	outbox: {url_env: APP_DATABASE_URL, migrate: true}   # forward an application's EnqueueTx outbox
type durableFile struct {
	Degrade string      `yaml:"degrade"`
	Spool   *spoolFile  `yaml:"spool"`
	Outbox  *outboxFile `yaml:"outbox"`
}

type spoolFile struct {
	Path  string `yaml:"path"`  // default DataDir/SpoolFile
	Limit int    `yaml:"limit"` // most jobs held; default outbox.DefaultSpoolLimit
}

type outboxFile struct {
	URL     string `yaml:"url"`     // a SQLite path or a postgres:// URL without a password
	URLEnv  string `yaml:"url_env"` // the environment variable holding the URL (for one with a password)
	Migrate bool   `yaml:"migrate"` // create or upgrade slaq_outbox on start
}

// parseDegrade reads a policy name; "" is the zero value (inherit).
func parseDegrade(s string) (slaq.Degrade, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return 0, nil
	case "fail":
		return slaq.DegradeFail, nil
	case "direct":
		return slaq.DegradeDirect, nil
	case "spool":
		return slaq.DegradeSpool, nil
	}
	return 0, fmt.Errorf("degrade %q: want fail, direct or spool", s)
}

// mergeDurable applies the file's degradation and outbox settings to c.
func (c *Config) mergeDurable(f durableFile, root *yaml.Node) error {
	d, err := parseDegrade(f.Degrade)
	if err != nil {
		return &positionError{lineOf(root, "degrade"), err.Error()}
	}
	c.Degrade = d
	if s := f.Spool; s != nil {
		if s.Limit < 0 {
			return &positionError{lineOf(root, "spool", "limit"), "spool limit must not be negative"}
		}
		c.SpoolPath, c.SpoolLimit = s.Path, s.Limit
		c.spoolDeclared = true
	}
	if o := f.Outbox; o != nil {
		switch {
		case o.URL != "" && o.URLEnv != "":
			return &positionError{lineOf(root, "outbox"), "outbox: give url or url_env, not both"}
		case o.URLEnv != "":
			c.OutboxURL = os.Getenv(o.URLEnv)
			if c.OutboxURL == "" {
				return &positionError{lineOf(root, "outbox", "url_env"), "outbox: environment variable " + o.URLEnv + " is empty"}
			}
		case o.URL != "":
			c.OutboxURL = o.URL
		default:
			return &positionError{lineOf(root, "outbox"), "outbox: needs url or url_env"}
		}
		c.OutboxMigrate = o.Migrate
	}
	return nil
}

// wantsSpool says whether the server keeps a spool: declared, or needed by a policy.
func (c *Config) wantsSpool() bool {
	if c.spoolDeclared || c.Degrade == slaq.DegradeSpool {
		return true
	}
	for _, t := range c.Types {
		if t.Degrade == slaq.DegradeSpool {
			return true
		}
	}
	return false
}

// openDurable opens the spool and the application outbox c names, into b.
func openDurable(ctx context.Context, c *Config, b *Backend) error {
	if c.wantsSpool() {
		path := c.SpoolPath
		if path == "" {
			path = filepath.Join(c.DataDir, SpoolFile)
		}
		sp, err := outbox.OpenSpool(ctx, path, outbox.Options{Limit: c.SpoolLimit})
		if err != nil {
			return fmt.Errorf("open spool: %w", err)
		}
		b.Spool, b.SpoolDesc = sp, absPath(path)
	}
	if c.OutboxURL != "" {
		driver, dsn := "sqlite", c.OutboxURL
		if isPostgres(dsn) {
			driver = "pgx"
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			return fmt.Errorf("open outbox database %s: %w", redactURL(dsn), err)
		}
		ob, err := outbox.New(ctx, db, outbox.Options{Migrate: c.OutboxMigrate})
		if err != nil {
			db.Close()
			return fmt.Errorf("open outbox at %s: %w", redactURL(dsn), err)
		}
		b.Outbox, b.outboxDB, b.OutboxDesc = ob, db, driver+" "+redactURL(dsn)
	}
	return nil
}
