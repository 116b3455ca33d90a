package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/httptarget"
)

// fileConfig is the YAML config file. Every field is optional. Example:
//
//	env: production
//	listen: ":4000"
//	data_dir: /var/lib/slaq
//	redis_url: redis://redis.internal:6379
//	database_url: postgres://slaq@db.internal/slaq
//	shutdown_grace: 30s
//	dead_letter_retention: 720h  # purge dead letters older than this (default: keep them)
//	http: {read_header_timeout: 5s, read_timeout: 30s, write_timeout: 30s, idle_timeout: 2m, max_header_bytes: 65536}
//	metrics: {public: false}   # true: /metrics without the admin token (default: only in development)
//	sensitive: [password]      # payload fields shown as "[redacted]" for every job type
//	tiers:
//	  CRITICAL: {workers: 20, attempts: 5, timeout: 30s, sla: 1s}
//	job_types:
//	  send_email: {tier: MEDIUM, attempts: 3, timeout: 1m, rate_limit: {limit: 50, per: 1m}}
//	  send_password_reset: {tier: CRITICAL, sensitive: [token]}
//	  charge_card: {tier: HIGH, url: "https://app.internal/jobs/charge", secret_env: CHARGE_SECRET}
//	schedules:
//	  - {name: cleanup, cron: "0 2 * * *", type: cleanup_old_logs, tier: BATCH, payload: {days: 90}}
//	  - {name: newsletter, cron: "0 9 * * MON", zone: Europe/Berlin, type: send_bulk_emails, missed: catch_up}
//	degrade: spool             # see durableFile: fail | direct | spool, and spool: / outbox:
//	alerts:                    # see alertsFile
//	  dead_letter: {window: 5m}
//	  email: {host: smtp.example.com, username: slaq, password_env: SMTP_PASSWORD, from: slaq@example.com, to: [oncall@example.com]}
type fileConfig struct {
	Env           string                 `yaml:"env"`
	Listen        string                 `yaml:"listen"`
	Port          int                    `yaml:"port"`
	DataDir       string                 `yaml:"data_dir"`
	Store         string                 `yaml:"store"`
	RedisURL      string                 `yaml:"redis_url"`
	RedisPrefix   string                 `yaml:"redis_prefix"`
	DatabaseURL   string                 `yaml:"database_url"`
	Workers       *bool                  `yaml:"workers"`
	ShutdownGrace *duration              `yaml:"shutdown_grace"`
	DrainDelay    *duration              `yaml:"drain_delay"`
	DLRetention   *duration              `yaml:"dead_letter_retention"`
	MaxPayload    int                    `yaml:"max_payload_bytes"`
	Tiers         map[tierName]tierFile  `yaml:"tiers"`
	JobTypes      map[string]jobTypeFile `yaml:"job_types"`
	Schedules     []scheduleFile         `yaml:"schedules"`
	HTTP          *httpFile              `yaml:"http"`
	Metrics       *metricsFile           `yaml:"metrics"`
	Sensitive     []string               `yaml:"sensitive"`
	Alerts        *alertsFile            `yaml:"alerts"`
	durableFile   `yaml:",inline"`
}

// httpFile is the file's http section: the server's timeouts and header limit.
type httpFile struct {
	ReadHeaderTimeout *duration `yaml:"read_header_timeout"`
	ReadTimeout       *duration `yaml:"read_timeout"`
	WriteTimeout      *duration `yaml:"write_timeout"`
	IdleTimeout       *duration `yaml:"idle_timeout"`
	MaxHeaderBytes    int       `yaml:"max_header_bytes"`
}

// metricsFile is the file's metrics section.
type metricsFile struct {
	Public *bool `yaml:"public"`
}

type tierFile struct {
	Workers    int      `yaml:"workers"`
	Attempts   int      `yaml:"attempts"`
	Backoff    duration `yaml:"backoff"`
	Timeout    duration `yaml:"timeout"`
	SLA        duration `yaml:"sla"`
	Lease      duration `yaml:"lease"`
	Reserve    int      `yaml:"reserve"`
	MaxWorkers int      `yaml:"max_workers"`
	Cap        int      `yaml:"cap"`
}

type jobTypeFile struct {
	Tier        tierName       `yaml:"tier"`
	Attempts    int            `yaml:"attempts"`
	Backoff     duration       `yaml:"backoff"`
	Timeout     duration       `yaml:"timeout"`
	RateLimit   *rateLimitFile `yaml:"rate_limit"`
	URL         string         `yaml:"url"`          // an HTTP target: POST each run here
	SecretEnv   string         `yaml:"secret_env"`   // the environment variable holding its signing secret
	HTTPTimeout duration       `yaml:"http_timeout"` // default httptarget.DefaultTimeout
	Sensitive   []string       `yaml:"sensitive"`    // payload fields shown as "[redacted]"
	Degrade     string         `yaml:"degrade"`      // fail, direct or spool: overrides the top-level degrade
}

type rateLimitFile struct {
	Limit int      `yaml:"limit"`
	Per   duration `yaml:"per"`
	Burst int      `yaml:"burst"`
}

type scheduleFile struct {
	Name          string       `yaml:"name"`
	Cron          cronSpec     `yaml:"cron"`
	Zone          yaml.Node    `yaml:"zone"` // an IANA zone; default UTC
	Type          string       `yaml:"type"`
	Tier          tierName     `yaml:"tier"`
	Payload       yaml.Node    `yaml:"payload"`
	Missed        missedPolicy `yaml:"missed"`          // skip (default) or catch_up
	CatchUpWindow duration     `yaml:"catch_up_window"` // default slaq.DefaultCatchUpWindow
}

// tierName is a tier in the file, by name or number; a bad one is an error naming its line.
type tierName slaq.Tier

// UnmarshalYAML reads a tier name or number.
func (t *tierName) UnmarshalYAML(n *yaml.Node) error {
	v, err := slaq.ParseTier(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return lineErr(n, "%v", err)
	}
	*t = tierName(v)
	return nil
}

// duration is a Go duration in the file ("30s", "1m30s").
type duration time.Duration

// UnmarshalYAML reads a non-negative duration.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 || n.Kind != yaml.ScalarNode {
		return lineErr(n, "%q is not a duration such as 30s or 5m", n.Value)
	}
	*d = duration(v)
	return nil
}

// cronSpec is a cron expression or descriptor, checked with slaq's parser (in UTC; the
// schedule's zone is checked with the schedule).
type cronSpec string

// UnmarshalYAML checks the expression.
func (c *cronSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return lineErr(n, "cron: want a cron expression such as \"0 2 * * *\" or a descriptor such as @daily")
	}
	if _, err := (slaq.Schedule{Spec: n.Value}).Next(time.Now()); err != nil {
		return lineErr(n, "cron %q: %v", n.Value, trimSpec(err, n.Value))
	}
	*c = cronSpec(n.Value)
	return nil
}

// trimSpec drops the parser's own `cron spec "…": ` prefix, which the file's message repeats.
func trimSpec(err error, spec string) string {
	return strings.TrimPrefix(err.Error(), fmt.Sprintf("cron spec %q: ", spec))
}

// missedPolicy is a schedule's missed-tick policy in the file: skip or catch_up.
type missedPolicy slaq.MissedPolicy

// UnmarshalYAML reads skip or catch_up.
func (m *missedPolicy) UnmarshalYAML(n *yaml.Node) error {
	p, err := slaq.ParseMissedPolicy(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return lineErr(n, "missed %q: want skip or catch_up", n.Value)
	}
	*m = missedPolicy(p)
	return nil
}

// positionError is an error at a line of the file.
type positionError struct {
	line int
	msg  string
}

func (e *positionError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func lineErr(n *yaml.Node, format string, args ...any) error {
	return &positionError{n.Line, fmt.Sprintf(format, args...)}
}

// ApplyFile overrides c with the YAML config file at path. A bad file is an error naming the
// file and the line.
func (c *Config) ApplyFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	if err := c.applyYAML(f); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

func (c *Config) applyYAML(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return cleanYAMLError(err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // parsed once already; for the lines of semantic errors
	return c.merge(fc, &root)
}

// cleanYAMLError turns the library's "yaml: unmarshal errors:\n  line 3: …" into one line.
func cleanYAMLError(err error) error {
	var pe *positionError
	if errors.As(err, &pe) {
		return pe
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return errors.New(strings.Join(lines, "; "))
}

// lineOf returns the line of the value at path in the document (0 if absent).
func lineOf(root *yaml.Node, path ...string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		if n.Kind != yaml.MappingNode {
			return n.Line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				n, found = n.Content[i+1], true
				break
			}
		}
		if !found {
			return n.Line
		}
	}
	return n.Line
}

// merge copies what the file sets into c, checking what decoding could not.
func (c *Config) merge(fc fileConfig, root *yaml.Node) error {
	at := func(format string, path []string, args ...any) error {
		return &positionError{lineOf(root, path...), fmt.Sprintf(format, args...)}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Env, fc.Env)
	set(&c.Addr, fc.Listen)
	set(&c.DataDir, fc.DataDir)
	set(&c.Store, fc.Store)
	set(&c.RedisURL, fc.RedisURL)
	set(&c.RedisPrefix, fc.RedisPrefix)
	set(&c.DatabaseURL, fc.DatabaseURL)
	if fc.Port != 0 {
		if fc.Port < 0 || fc.Port > 65535 {
			return at("port %d: want 0-65535", []string{"port"}, fc.Port)
		}
		c.Port = fc.Port
	}
	if fc.Store != "" && fc.Store != StoreEmbedded && fc.Store != StoreRedis {
		return at("store %q: want %s or %s", []string{"store"}, fc.Store, StoreEmbedded, StoreRedis)
	}
	if fc.Workers != nil {
		c.Workers = fc.Workers
	}
	if fc.ShutdownGrace != nil {
		c.ShutdownGrace = time.Duration(*fc.ShutdownGrace)
	}
	if fc.DrainDelay != nil {
		c.DrainDelay = time.Duration(*fc.DrainDelay)
	}
	if fc.DLRetention != nil { // a negative duration does not parse
		c.DeadLetterRetention = time.Duration(*fc.DLRetention)
	}
	if fc.MaxPayload != 0 {
		if fc.MaxPayload < 0 {
			return at("max_payload_bytes must be positive", []string{"max_payload_bytes"})
		}
		c.MaxPayloadBytes = fc.MaxPayload
	}
	for name, t := range fc.Tiers {
		tier := slaq.Tier(name)
		path := []string{"tiers", keyIn(root, "tiers", tier)}
		for _, v := range []struct {
			field string
			n     int
		}{{"workers", t.Workers}, {"attempts", t.Attempts}, {"reserve", t.Reserve}, {"max_workers", t.MaxWorkers}, {"cap", t.Cap}} {
			if v.n < 0 {
				return at("tier %s: %s must not be negative", append(path, v.field), tier, v.field)
			}
		}
		if c.Tiers == nil {
			c.Tiers = make(map[slaq.Tier]slaq.TierConfig)
		}
		c.Tiers[tier] = slaq.TierConfig{Workers: t.Workers, MaxAttempts: t.Attempts, Backoff: time.Duration(t.Backoff),
			Timeout: time.Duration(t.Timeout), SLA: time.Duration(t.SLA), Lease: time.Duration(t.Lease),
			Reserve: t.Reserve, MaxWorkers: t.MaxWorkers, Cap: t.Cap}
	}
	for name, jt := range fc.JobTypes {
		path := []string{"job_types", name}
		if strings.TrimSpace(name) == "" {
			return at("a job type needs a name", path)
		}
		if jt.Attempts < 0 {
			return at("job type %s: attempts must not be negative", append(path, "attempts"), name)
		}
		t := JobType{TypeConfig: slaq.TypeConfig{Tier: slaq.Tier(jt.Tier), MaxAttempts: jt.Attempts,
			Backoff: time.Duration(jt.Backoff), Timeout: time.Duration(jt.Timeout), Sensitive: jt.Sensitive}}
		d, err := parseDegrade(jt.Degrade)
		if err != nil {
			return at("job type %s: %v", append(path, "degrade"), name, err)
		}
		t.Degrade = d
		if rl := jt.RateLimit; rl != nil {
			if rl.Limit < 1 || rl.Per <= 0 || rl.Burst < 0 {
				return at("job type %s: rate_limit needs limit >= 1 and per > 0 (e.g. {limit: 100, per: 1m})", append(path, "rate_limit"), name)
			}
			t.RateLimit = &RateLimit{Limit: rl.Limit, Per: time.Duration(rl.Per), Burst: rl.Burst}
		}
		if jt.URL != "" {
			secret := os.Getenv(jt.SecretEnv)
			if jt.SecretEnv == "" || secret == "" {
				return at("job type %s: url needs secret_env naming a set environment variable with the signing secret", append(path, "url"), name)
			}
			t.Target = &httptarget.Target{URL: jt.URL, Secret: []byte(secret), Timeout: time.Duration(jt.HTTPTimeout)}
			if _, err := httptarget.New(*t.Target, httptarget.Options{}); err != nil {
				return at("job type %s: %v", append(path, "url"), name, err)
			}
		}
		if c.Types == nil {
			c.Types = make(map[string]JobType)
		}
		c.Types[name] = t
	}
	if err := c.mergeDurable(fc.durableFile, root); err != nil {
		return err
	}
	if err := c.mergeHTTP(fc, at); err != nil {
		return err
	}
	if err := c.mergeAlerts(fc.Alerts, os.Getenv, at); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, s := range fc.Schedules {
		line := lineOfSchedule(root, i)
		switch {
		case s.Name == "":
			return &positionError{line, fmt.Sprintf("schedule %d needs a name", i+1)}
		case seen[s.Name]:
			return &positionError{line, fmt.Sprintf("schedule %q is declared twice", s.Name)}
		case s.Cron == "":
			return &positionError{line, fmt.Sprintf("schedule %q needs a cron spec, e.g. \"0 2 * * *\"", s.Name)}
		case s.Type == "":
			return &positionError{line, fmt.Sprintf("schedule %q needs a job type", s.Name)}
		}
		seen[s.Name] = true
		payload := []byte("null")
		if s.Payload.Kind != 0 {
			var v any
			if err := s.Payload.Decode(&v); err != nil {
				return lineErr(&s.Payload, "schedule %q: payload: %v", s.Name, err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				return lineErr(&s.Payload, "schedule %q: payload cannot be JSON: %v", s.Name, err)
			}
			payload = b
		}
		if s.Zone.Kind != 0 && (s.Zone.Kind != yaml.ScalarNode || s.Zone.Value == "") {
			return lineErr(&s.Zone, "schedule %q: zone: want an IANA zone such as Europe/Berlin", s.Name)
		}
		if _, err := (slaq.Schedule{Spec: string(s.Cron), Zone: s.Zone.Value}).Next(time.Now()); err != nil {
			return &positionError{cmp.Or(s.Zone.Line, line), fmt.Sprintf("schedule %q: %v", s.Name, err)}
		}
		c.Schedules = append(c.Schedules, Schedule{Name: s.Name, Cron: string(s.Cron), Zone: s.Zone.Value, Type: s.Type,
			Tier: slaq.Tier(s.Tier), Payload: payload, Missed: slaq.MissedPolicy(s.Missed), CatchUpWindow: time.Duration(s.CatchUpWindow)})
	}
	return nil
}

// mergeHTTP copies the http and metrics sections and the sensitive list.
func (c *Config) mergeHTTP(fc fileConfig, at func(string, []string, ...any) error) error {
	if h := fc.HTTP; h != nil {
		for _, d := range []struct {
			dst *time.Duration
			v   *duration
		}{{&c.ReadHeaderTimeout, h.ReadHeaderTimeout}, {&c.ReadTimeout, h.ReadTimeout}, {&c.WriteTimeout, h.WriteTimeout}, {&c.IdleTimeout, h.IdleTimeout}} {
			if d.v != nil {
				*d.dst = time.Duration(*d.v)
			}
		}
		if h.MaxHeaderBytes < 0 {
			return at("http: max_header_bytes must be positive", []string{"http", "max_header_bytes"})
		}
		if h.MaxHeaderBytes > 0 {
			c.MaxHeaderBytes = h.MaxHeaderBytes
		}
	}
	if m := fc.Metrics; m != nil && m.Public != nil {
		c.MetricsPublic = m.Public
	}
	if len(fc.Sensitive) > 0 {
		c.Sensitive = fc.Sensitive
	}
	return nil
}

// keyIn returns the key under section that names tier as the file spells it.
func keyIn(root *yaml.Node, section string, tier slaq.Tier) string {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != section {
			continue
		}
		m := n.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			if t, err := slaq.ParseTier(m.Content[j].Value); err == nil && t == tier {
				return m.Content[j].Value
			}
		}
	}
	return tier.String()
}

// lineOfSchedule returns the line of the i-th schedule.
func lineOfSchedule(root *yaml.Node, i int) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == "schedules" && i < len(n.Content[k+1].Content) {
			return n.Content[k+1].Content[i].Line
		}
	}
	return 0
}
