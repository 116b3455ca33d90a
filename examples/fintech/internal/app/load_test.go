package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slaqhq/slaq"

	"github.com/slaqhq/slaq/examples/fintech/internal/ledger"
)

// The guide's load test: 100 concurrent forgot-password requests against the running
// service are all answered and queued within 1 s, and all 100 emails reach the SMTP server
// within 10 s, while a LOW export and a BATCH cleanup are running (held running, mid-work,
// until the burst is through, so their workers are taken for the whole test). It is timed,
// so it runs alone: not in parallel with this package's other tests, nor its two variants.
func TestGuideLoad(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			started := make(chan string, 2)
			release := make(chan struct{})
			e := newEnv(t, opts{backend: b, midway: func(ctx context.Context, j *slaq.Job) {
				started <- j.Type
				select {
				case <-release:
				case <-ctx.Done():
				}
			}})
			ctx := context.Background()
			// Work for the slow jobs: a ledger to export, old logs to delete.
			u1, _ := e.app.Ledger.UserByEmail(ctx, "user1@example.com")
			ps := make([]ledger.NewPayment, 2000)
			for i := range ps {
				ps[i] = ledger.NewPayment{UserID: u1.ID, AmountMinor: int64(100 + i), Currency: "USD", Method: "card"}
			}
			if err := e.app.Ledger.ImportTransactions(ctx, ps, ledger.StatusCompleted); err != nil {
				t.Fatal(err)
			}
			for range 50 {
				_ = e.app.Ledger.LogAt(ctx, "info", "old", time.Now().AddDate(-1, 0, 0).UnixMilli())
			}
			_, out := e.do("POST", "/api/exports/transactions", e.user, `{}`)
			export, _ := out["jobId"].(string)
			cleanup, err := e.app.Queue.CleanupOldLogs(ctx, 90)
			if err != nil || export == "" {
				t.Fatalf("export %v, cleanup %v", out, err)
			}
			defer close(release)
			for range 2 {
				select {
				case <-started:
				case <-time.After(10 * time.Second):
					t.Fatal("the export and the cleanup did not start")
				}
			}

			mails := e.sink.Subscribe(200)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
			defer client.CloseIdleConnections()
			begin := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			took := make([]time.Duration, 101)
			for i := 1; i <= 100; i++ {
				wg.Go(func() {
					defer func() { took[i] = time.Since(begin) }()
					resp, err := client.Post(e.srv.URL+"/api/auth/forgot-password", "application/json",
						strings.NewReader(fmt.Sprintf(`{"email":"user%d@example.com"}`, i)))
					if err != nil {
						errs <- err
						return
					}
					resp.Body.Close()
					if resp.StatusCode != 200 {
						errs <- fmt.Errorf("user%d: %d", i, resp.StatusCode)
					}
				})
			}
			wg.Wait()
			answered := time.Since(begin)
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			m, err := e.app.Client.Metrics(ctx)
			if err != nil {
				t.Fatal(err)
			}
			queued := time.Since(begin)
			if got := m["CRITICAL"].Total; got != 100 {
				t.Fatalf("CRITICAL holds %d jobs after the burst, want 100", got)
			}
			if queued > time.Second {
				slices.Sort(took)
				t.Fatalf("100 requests answered in %s (the 50th by %s, the 99th by %s), queued by %s: want within 1 s",
					answered, took[50], took[99], queued)
			}
			seen := map[string]bool{}
			deadline := time.After(10*time.Second - time.Since(begin))
			for len(seen) < 100 {
				select {
				case msg := <-mails:
					if strings.Contains(msg.Subject, "Reset your Advancia Pay password") {
						seen[msg.To[0]] = true
					}
				case <-deadline:
					t.Fatalf("%d of 100 reset emails reached SMTP within 10 s", len(seen))
				}
			}
			delivered := time.Since(begin)
			// The slow jobs ran the whole time.
			for _, id := range []string{export, cleanup} {
				if j, err := e.app.Client.Job(ctx, id); err != nil || j.State != "active" {
					t.Fatalf("job %s is not running during the burst: %v %v", id, j, err)
				}
			}
			cm := m["CRITICAL"].Latency
			t.Logf("100 requests answered in %s, all queued by %s, 100 emails delivered by %s; CRITICAL pickup p50 %.2f ms p99 %.2f ms (shared machine)",
				answered.Round(time.Millisecond), queued.Round(time.Millisecond), delivered.Round(time.Millisecond), cm.P50, cm.P99)
		})
	}
}
