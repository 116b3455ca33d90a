package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/alert"
	"github.com/slaqhq/slaq/alert/email"
	"github.com/slaqhq/slaq/alert/sentry"
)

// Alerts are the alert rules and notifiers of `slaq serve` (the config file's alerts
// section). The zero value is the alert package's defaults: every rule on, alerts to the log,
// and to Sentry when SENTRY_DSN is set.
type Alerts struct {
	// DeadLetterWindow: at most one dead-letter alert per job type per window. Default
	// alert.DefaultDeadLetterWindow; slaq.None turns the rule off.
	DeadLetterWindow time.Duration
	// SLABreachWindow: at most one SLA-breach alert per tier per window. Default
	// alert.DefaultSLABreachWindow; slaq.None turns the rule off.
	SLABreachWindow time.Duration
	// SLATiers are the tiers whose breaches alert. Default every tier.
	SLATiers []slaq.Tier
	// ThresholdCount and ThresholdWindow: alert when more than ThresholdCount dead letters
	// are in ThresholdWindow. Defaults alert.DefaultThresholdCount and
	// alert.DefaultThresholdWindow (the guide's 10 in 24 h).
	ThresholdCount  int64
	ThresholdWindow time.Duration
	// NoThreshold turns the threshold rule off. Default false.
	NoThreshold bool
	// Email mails every alert when set. Its password comes from the environment variable the
	// file names (password_env), never from the file. Default none.
	Email *email.Options
}

// alertsFile is the alerts section of the config file:
//
//	alerts:
//	  dead_letter: {window: 5m}                       # off: true turns a rule off
//	  sla_breach: {window: 5m, tiers: [CRITICAL, HIGH]}
//	  dead_letter_threshold: {count: 10, window: 24h}
//	  email:
//	    host: smtp.example.com
//	    port: 587
//	    tls: mandatory                                # mandatory (default), opportunistic or none
//	    username: slaq
//	    password_env: SMTP_PASSWORD                   # the variable holding the password
//	    from: slaq@example.com
//	    to: [oncall@example.com]
type alertsFile struct {
	DeadLetter *ruleFile  `yaml:"dead_letter"`
	SLABreach  *ruleFile  `yaml:"sla_breach"`
	Threshold  *ruleFile  `yaml:"dead_letter_threshold"`
	Email      *emailFile `yaml:"email"`
}

type ruleFile struct {
	Off    bool       `yaml:"off"`
	Window duration   `yaml:"window"`
	Tiers  []tierName `yaml:"tiers"` // sla_breach only
	Count  int64      `yaml:"count"` // dead_letter_threshold only
}

type emailFile struct {
	Host        string   `yaml:"host"`
	Port        int      `yaml:"port"`
	TLS         string   `yaml:"tls"`
	Username    string   `yaml:"username"`
	PasswordEnv string   `yaml:"password_env"`
	From        string   `yaml:"from"`
	To          []string `yaml:"to"`
	Timeout     duration `yaml:"timeout"`
	Subject     string   `yaml:"subject_prefix"`
}

// mergeAlerts copies the file's alerts section into c.Alerts; getenv reads password_env.
func (c *Config) mergeAlerts(f *alertsFile, getenv func(string) string, at func(string, []string, ...any) error) error {
	if f == nil {
		return nil
	}
	a := &c.Alerts
	path := func(p ...string) []string { return append([]string{"alerts"}, p...) }
	window := func(r *ruleFile) time.Duration {
		if r.Off {
			return slaq.None
		}
		return time.Duration(r.Window)
	}
	if r := f.DeadLetter; r != nil {
		a.DeadLetterWindow = window(r)
	}
	if r := f.SLABreach; r != nil {
		a.SLABreachWindow = window(r)
		a.SLATiers = nil
		for _, t := range r.Tiers {
			a.SLATiers = append(a.SLATiers, slaq.Tier(t))
		}
	}
	if r := f.Threshold; r != nil {
		if r.Count < 0 {
			return at("alerts: dead_letter_threshold count must not be negative", path("dead_letter_threshold", "count"))
		}
		a.NoThreshold, a.ThresholdCount, a.ThresholdWindow = r.Off, r.Count, time.Duration(r.Window)
	}
	if e := f.Email; e != nil {
		o := email.Options{Host: e.Host, Port: e.Port, TLS: e.TLS, Username: e.Username, From: e.From, To: e.To,
			Timeout: time.Duration(e.Timeout), SubjectPrefix: e.Subject}
		switch {
		case e.PasswordEnv != "" && getenv(e.PasswordEnv) == "":
			return at("alerts: email password_env names %s, which is not set", path("email", "password_env"), e.PasswordEnv)
		case e.PasswordEnv != "" && e.Username == "":
			return at("alerts: email password_env needs a username", path("email", "username"))
		case e.Username != "" && e.PasswordEnv == "":
			return at("alerts: email username needs password_env, the environment variable holding the SMTP password", path("email", "username"))
		}
		o.Password = getenv(e.PasswordEnv)
		if _, err := email.New(o); err != nil {
			return at("alerts: %v", path("email"), err)
		}
		a.Email = &o
	}
	return nil
}

// notifiers are where alerts go: the log, Sentry when SENTRY_DSN is set, and email when
// configured.
func (a Alerts) notifiers(env string, log *slog.Logger) ([]alert.Notifier, error) {
	ns := []alert.Notifier{alert.Log{Logger: log}}
	switch n, err := sentry.New(sentry.Options{Environment: env}); {
	case err == nil:
		ns = append(ns, n)
	case !errors.Is(err, sentry.ErrNoDSN):
		// The parser's error may quote the DSN, key included: say what is wrong without it.
		return nil, errors.New("SENTRY_DSN is not a valid Sentry DSN (want https://KEY@HOST/PROJECT)")
	}
	if a.Email != nil {
		n, err := email.New(*a.Email)
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		ns = append(ns, n)
	}
	return ns, nil
}
