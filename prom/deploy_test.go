package prom_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/slaqhq/slaq/prom"
)

var metricName = regexp.MustCompile(`\bslaq_[a-z_]+`)

// TestDeployNamesExist: every metric the sample Grafana dashboard and alert rules name is one
// the exporter exposes (a histogram's _bucket, _sum and _count series included).
func TestDeployNamesExist(t *testing.T) {
	var exprs []string
	dash, err := os.ReadFile("../deploy/grafana/slaq.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &d); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	rules, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(rules, &r); err != nil {
		t.Fatalf("alert rules: %v", err)
	}
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			if rule.Alert == "" || rule.Expr == "" {
				t.Errorf("a rule without alert name or expr: %+v", rule)
			}
			exprs = append(exprs, rule.Expr)
		}
	}
	if len(exprs) < 10 {
		t.Fatalf("only %d expressions found", len(exprs))
	}
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			base := name
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(name, suf); ok && slices.Contains(prom.Names, b) {
					base = b
				}
			}
			if !slices.Contains(prom.Names, base) {
				t.Errorf("%q names %s, which the exporter does not expose", e, name)
			}
		}
	}
}
