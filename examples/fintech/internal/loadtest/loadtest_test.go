package loadtest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A small run prints every route's percentiles and every tier's pickup latency.
func TestRunPrintsRoutesAndTiers(t *testing.T) {
	var out bytes.Buffer
	err := Run(context.Background(), Options{Burst: 20, Rounds: 1, Clients: 2, Duration: 300 * time.Millisecond, DataDir: t.TempDir()}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"burst 1:", "POST /api/auth/forgot-password (burst)", "POST /api/payments/process",
		"POST /api/webhooks/cryptomus", "POST /api/webhooks/nowpayments", "POST /api/support/contact",
		"POST /api/reports/transactions", "POST /api/exports/transactions", "POST /api/auth/send-otp",
		"CRITICAL", "HIGH", "MEDIUM", "LOW", "BATCH", "worst route p99"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "POST" && f[len(f)-5] != "0" {
			t.Errorf("errors in %q", line)
		}
	}
}
