package server

import (
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
)

const opsFile = `env: production
http: {read_header_timeout: 2s, read_timeout: 10s, write_timeout: 15s, idle_timeout: 1m, max_header_bytes: 8192}
metrics: {public: true}
sensitive: [password]
job_types:
  send_password_reset: {tier: CRITICAL, sensitive: [token]}
alerts:
  dead_letter: {window: 10m}
  sla_breach: {window: 1m, tiers: [critical, 2]}
  dead_letter_threshold: {count: 25, window: 12h}
  email:
    host: 127.0.0.1
    port: 2525
    tls: none
    username: slaq
    password_env: SLAQ_TEST_SMTP_PASSWORD
    from: slaq@example.com
    to: [oncall@example.com, backup@example.com]
`

func TestOpsConfigFile(t *testing.T) {
	t.Setenv("SLAQ_TEST_SMTP_PASSWORD", "smtp-pass")
	c := Default()
	if err := c.ApplyFile(writeFile(t, opsFile)); err != nil {
		t.Fatal(err)
	}
	if c.ReadHeaderTimeout != 2*time.Second || c.ReadTimeout != 10*time.Second || c.WriteTimeout != 15*time.Second ||
		c.IdleTimeout != time.Minute || c.MaxHeaderBytes != 8192 {
		t.Errorf("http: %+v", c)
	}
	if !c.metricsPublic() {
		t.Error("metrics: {public: true} ignored")
	}
	cc := c.ClientConfig()
	if strings.Join(cc.Sensitive, ",") != "password" || strings.Join(cc.Types["send_password_reset"].Sensitive, ",") != "token" {
		t.Errorf("sensitive fields: %v, %+v", cc.Sensitive, cc.Types)
	}
	a := c.Alerts
	if a.DeadLetterWindow != 10*time.Minute || a.SLABreachWindow != time.Minute || len(a.SLATiers) != 2 || a.SLATiers[1] != slaq.High ||
		a.ThresholdCount != 25 || a.ThresholdWindow != 12*time.Hour || a.NoThreshold {
		t.Errorf("rules: %+v", a)
	}
	if e := a.Email; e == nil || e.Host != "127.0.0.1" || e.Port != 2525 || e.Username != "slaq" || e.Password != "smtp-pass" || len(e.To) != 2 || e.TLS != "none" {
		t.Errorf("email: %+v", a.Email)
	}
	// Rules can be turned off, and the defaults stay when the section is absent.
	c = Default()
	if err := c.ApplyFile(writeFile(t, "alerts:\n  dead_letter: {off: true}\n  sla_breach: {off: true}\n  dead_letter_threshold: {off: true}\n")); err != nil {
		t.Fatal(err)
	}
	if c.Alerts.DeadLetterWindow != slaq.None || c.Alerts.SLABreachWindow != slaq.None || !c.Alerts.NoThreshold || c.Alerts.Email != nil {
		t.Errorf("rules off: %+v", c.Alerts)
	}
	c = Default()
	if c.metricsPublic() != true || (&Config{Env: "production"}).metricsPublic() {
		t.Error("/metrics default: public in development only")
	}
}

func TestOpsConfigFileErrors(t *testing.T) {
	t.Setenv("SLAQ_TEST_SMTP_PASSWORD", "")
	for _, c := range []struct{ body, want string }{
		{"alerts:\n  email:\n    host: h\n    from: a@b.c\n    to: [c@d.e]\n    username: u\n    password_env: SLAQ_TEST_SMTP_PASSWORD\n",
			"line 7: alerts: email password_env names SLAQ_TEST_SMTP_PASSWORD, which is not set"},
		{"alerts:\n  email:\n    host: h\n    from: a@b.c\n    to: [c@d.e]\n    username: u\n    password: hunter2\n", "field password not found"},
		{"alerts:\n  email:\n    host: h\n    from: a@b.c\n    to: [c@d.e]\n    username: u\n", "line 6: alerts: email username needs password_env"},
		{"alerts:\n  email:\n    from: a@b.c\n    to: [c@d.e]\n", "line 3: alerts: email: host, from and to are required"},
		{"alerts:\n  email: {host: h, from: a@b.c, to: [c@d.e], tls: maybe}\n", `tls "maybe"`},
		{"alerts:\n  sla_breach: {tiers: [URGENT]}\n", `line 2: unknown tier "URGENT"`},
		{"alerts:\n  dead_letter: {window: soon}\n", `line 2: "soon" is not a duration`},
		{"alerts:\n  dead_letter_threshold:\n    count: -1\n", "line 3: alerts: dead_letter_threshold count"},
		{"alerts:\n  pager: {}\n", "field pager not found"},
		{"http:\n  read_timeout: fast\n", `line 2: "fast" is not a duration`},
		{"http:\n  max_header_bytes: -1\n", "line 2: http: max_header_bytes"},
		{"metrics: {public: maybe}\n", "line 1: cannot unmarshal"},
	} {
		p := writeFile(t, c.body)
		cfg := Default()
		err := cfg.ApplyFile(p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.body, err, c.want)
		}
	}
}
