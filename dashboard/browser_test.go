package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/testenv"
)

// browserDeadline bounds Chromium's start, and browserStep each browser call.
const (
	browserDeadline = 60 * time.Second
	browserStep     = 20 * time.Second
)

// screenshots is where the browser tests save their screenshots: $SLAQ_TEST_ARTIFACTS, else
// a fresh directory under the system's temporary directory, kept after the test.
func screenshots(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SLAQ_TEST_ARTIFACTS")
	if dir == "" {
		d, err := os.MkdirTemp("", "slaq-dashboard-screenshots-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser starts headless Chromium (Debian's chromium) for the test, and accepts every
// confirmation dialog (pause, resume, cancel, delete). Without chromium the test fails under
// CI=true (.ci/run installs it) and is skipped otherwise.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "no chromium on PATH; install it with: apt-get install -y chromium"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPING: " + msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1360, 900),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	start, cancel := context.WithTimeout(context.Background(), browserDeadline)
	defer cancel()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }() // the first run starts the browser; it must not carry a timeout
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-start.Done():
		t.Fatal("chromium did not start in time")
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}); err != nil {
				fmt.Fprintf(os.Stderr, "browser test: accepting a dialog: %v\n", err) // for a step that then times out
			}
		}
	}()
	return ctx
}

// bound returns ctx limited to browserStep, for one browser call.
func bound(t *testing.T, ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(ctx, browserStep)
	t.Cleanup(cancel)
	return c
}

// run runs browser steps, failing the test on error.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(bound(t, ctx), steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// shoot saves a full-page PNG screenshot as dir/name.png.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(bound(t, ctx), chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// waitJS polls a JavaScript condition in the page until it is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	_, err := chromedp.Run(bound(t, ctx), chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(browserStep),
		chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// eval runs a JavaScript expression for its effect.
func eval(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(bound(t, ctx), chromedp.Evaluate[bool](expr)); err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
}

// text returns the text of the first element matching the CSS selector sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(bound(t, ctx), chromedp.Text(css(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// TestBrowser drives the dashboard in headless Chromium on each backend: sign in (after a
// wrong token is refused), see counts change without a reload, pause and resume a tier, retry
// a dead letter, cancel a delayed job, see a cross-site POST refused, sign out.
func TestBrowser(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { browserFlow(t, backend) })
	}
}

func browserFlow(t *testing.T, backend string) {
	e := newEnv(t, backend)
	ctx := browser(t)
	dir := screenshots(t)
	tag := strings.ReplaceAll(backend, "+", "-")
	dash := e.url + "/dashboard/"

	// A wrong token is refused, the right one signs in.
	run(t, ctx, "open", chromedp.Navigate(dash), chromedp.WaitVisible(css("#token")))
	run(t, ctx, "wrong token", chromedp.SendKeys(css("#token"), "not-the-token"),
		chromedp.Click(css("#sign-in")), chromedp.WaitVisible(css("#login-error")))
	if s := text(t, ctx, "#login-error"); !strings.Contains(s, "not accepted") {
		t.Fatalf("wrong token: %q", s)
	}
	shoot(t, ctx, dir, tag+"-wrong-token")
	run(t, ctx, "sign in", chromedp.SendKeys(css("#token"), token),
		chromedp.Click(css("#sign-in")), chromedp.WaitVisible(css("#tier-CRITICAL")))

	// Counts change after an enqueue, without a reload (a marker set in the page survives).
	eval(t, ctx, `window.__noReload = true`)
	sel := `#tier-CRITICAL [data-count="completed"]`
	before, _ := strconv.Atoi(text(t, ctx, sel))
	for range 3 {
		e.enqueue("ok", slaq.WithTier(slaq.Critical))
	}
	waitJS(t, ctx, "completed count +3", fmt.Sprintf(`document.querySelector(%q)?.textContent.trim() === "%d"`, sel, before+3))
	waitJS(t, ctx, "no reload", `window.__noReload === true`)

	// Some work in every tier, for the charts and the screenshot.
	for _, tier := range slaq.Tiers {
		for range 20 {
			e.enqueue("ok", slaq.WithTier(tier))
		}
	}
	waitJS(t, ctx, "BATCH completed", `+document.querySelector('#tier-BATCH [data-count="completed"]').textContent >= 20`)

	// Pause HIGH (confirmed in the dialog): the badge shows, the store agrees, a job waits.
	run(t, ctx, "pause HIGH", chromedp.Click(css("#toggle-HIGH")), chromedp.WaitVisible(css("#tier-HIGH .badge.paused")))
	if m, err := e.client.Metrics(t.Context()); err != nil || !m["HIGH"].Paused {
		t.Fatalf("after pause: HIGH paused %v (%v)", m["HIGH"].Paused, err)
	}
	held := e.enqueue("ok", slaq.WithTier(slaq.High))
	waitJS(t, ctx, "HIGH waiting 1", `document.querySelector('#tier-HIGH [data-count="waiting"]').textContent.trim() === "1"`)
	shoot(t, ctx, dir, tag+"-tiers-paused")
	run(t, ctx, "resume HIGH", chromedp.Click(css("#toggle-HIGH")))
	waitJS(t, ctx, "HIGH resumed", `document.querySelector('#tier-HIGH').dataset.paused === "false"`)
	waitJS(t, ctx, "HIGH waiting 0", `document.querySelector('#tier-HIGH [data-count="waiting"]').textContent.trim() === "0"`)
	if j, err := e.client.Job(t.Context(), held); err == nil && j.State != slaq.State("completed") {
		t.Errorf("held job %s: %s after resume", held, j.State)
	}
	run(t, ctx, "phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	shoot(t, ctx, dir, tag+"-tiers-phone")
	run(t, ctx, "laptop size", chromedp.EmulateViewport(1360, 900))
	shoot(t, ctx, dir, tag+"-tiers")

	// Nothing dead-lettered yet, then a dead letter: retry it and see it leave the list.
	run(t, ctx, "dead letters", chromedp.Click(css(`nav a[href$="dead-letters"]`)), chromedp.WaitVisible(css("#dlq-empty")))
	if s := text(t, ctx, "#dlq-empty"); !strings.Contains(s, "Nothing dead-lettered yet") {
		t.Errorf("empty dead letters: %q", s)
	}
	id := e.deadLetter(slaq.Medium)
	row := "#dl-" + id
	run(t, ctx, "reload dead letters", chromedp.Navigate(dash+"dead-letters"), chromedp.WaitVisible(css(row)),
		chromedp.Click(css(row+" summary")), chromedp.WaitVisible(css(row+" .error-text")))
	if s := text(t, ctx, row+" .error-text"); !strings.Contains(s, "upstream said 502") {
		t.Errorf("dead letter error: %q", s)
	}
	shoot(t, ctx, dir, tag+"-dead-letters")
	run(t, ctx, "retry", chromedp.Click(css("#retry-"+id)), chromedp.WaitVisible(css(".flash.ok")),
		chromedp.WaitNotPresent(css(row)))
	if s := text(t, ctx, ".flash.ok"); !strings.Contains(s, "Retried 1 of 1") {
		t.Errorf("retry flash: %q", s)
	}
	testenv.PollUntil(t, 20*time.Second, "retried job completes", func() bool {
		j, err := e.client.Job(t.Context(), id)
		return err == nil && j.State == "completed"
	})

	// Cancel a delayed job from the jobs list, then look it up: gone.
	delayed := e.enqueue("ok", slaq.WithTier(slaq.Low), slaq.Delay(time.Hour))
	run(t, ctx, "delayed jobs", chromedp.Navigate(dash+"jobs?tier=LOW&state=delayed"), chromedp.WaitVisible(css("#job-"+delayed)))
	shoot(t, ctx, dir, tag+"-jobs-delayed")
	run(t, ctx, "cancel", chromedp.Click(css("#cancel-"+delayed)), chromedp.WaitNotPresent(css("#job-"+delayed)),
		chromedp.WaitVisible(css(".flash.ok")))
	if _, err := e.client.Job(t.Context(), delayed); err == nil {
		t.Errorf("cancelled job %s still exists", delayed)
	}
	run(t, ctx, "lookup", chromedp.SendKeys(css("#lookup-id"), delayed+"\n"), chromedp.WaitVisible(css("#job-error")))

	// A job's detail: payload pretty-printed, attempts.
	done := e.enqueue("ok", slaq.WithTier(slaq.Critical))
	testenv.PollUntil(t, 20*time.Second, "job completes", func() bool { j, err := e.client.Job(t.Context(), done); return err == nil && j.State == "completed" })
	run(t, ctx, "job page", chromedp.Navigate(dash+"jobs/"+done), chromedp.WaitVisible(css("#job-payload")))
	if s := text(t, ctx, "#job-payload"); !strings.Contains(s, "\"to\": \"a@example.com\"") {
		t.Errorf("payload not pretty-printed: %q", s)
	}

	// A form on another site posting to the dashboard is refused, and changes nothing.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<form id="f" method="post" action="%stiers/BATCH/pause"><input name="confirm" value="yes"></form>
<script>document.getElementById("f").submit()</script>`, dash)
	}))
	defer evil.Close()
	run(t, ctx, "cross-site post", chromedp.Navigate(evil.URL), chromedp.WaitVisible(css("#error-title")))
	if s := text(t, ctx, "#error-title"); s != "Cross-origin request refused" {
		t.Errorf("cross-site post: %q", s)
	}
	shoot(t, ctx, dir, tag+"-cross-site-refused")
	if m, err := e.client.Metrics(t.Context()); err != nil || m["BATCH"].Paused {
		t.Fatalf("a cross-site post paused BATCH (%v)", err)
	}

	// Sign out: the dashboard asks for the token again.
	run(t, ctx, "sign out", chromedp.Navigate(dash), chromedp.WaitVisible(css(".logout button")),
		chromedp.Click(css(".logout button")), chromedp.WaitVisible(css("#token")),
		chromedp.Navigate(dash+"jobs"), chromedp.WaitVisible(css("#token")))
}
