package slaq_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/internal/maint"
	"github.com/slaqhq/slaq/internal/service"
	"github.com/slaqhq/slaq/store/redisstore"
)

// The forwarder process of TestForwarderKilledBetweenStoreAndDelete: this test binary run
// again with SLAQ_FORWARD_CHILD="DSN|PREFIX". It forwards one batch, says "stored" once the
// store holds it, and blocks before deleting the rows, until it is killed.
func TestForwarderChildProcess(t *testing.T) {
	spec := os.Getenv("SLAQ_FORWARD_CHILD")
	if spec == "" {
		t.Skip("runs only as a child of TestForwarderKilledBetweenStoreAndDelete")
	}
	dsn, prefix, _ := strings.Cut(spec, "|")
	st, err := redisstore.New(context.Background(), redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	o := newOutbox(t, openSQL(t, "pgx", dsn))
	f := maint.NewForwarder(maint.ForwarderConfig{Outbox: o, Store: st, Clock: service.System(), Logger: slog.Default(),
		Name: "outbox", Batch: 1000, Every: time.Hour, RetryMin: time.Second, RetryMax: time.Second, StampRunAt: true,
		AfterStore: func() { fmt.Println("stored"); select {} }})
	if err := f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {}
}

// A forwarder killed with SIGKILL after its store write and before its outbox delete: the
// rows stay, the next forwarder moves them again, and the store holds each job once.
func TestForwarderKilledBetweenStoreAndDelete(t *testing.T) {
	t.Parallel()
	dsn := pgSchema(t, "")
	db := openSQL(t, "pgx", dsn)
	st := openRedis(t)
	ctx := context.Background()
	c := newClient(t, st, slaq.Config{Outbox: newOutbox(t, db)}) // not started: no forwarder here yet
	ids := pay(ctx, t, c, db, 30, true)

	cmd := exec.Command(os.Args[0], "-test.run=^TestForwarderChildProcess$")
	cmd.Env = append(os.Environ(), "SLAQ_FORWARD_CHILD="+dsn+"|"+st.(*redisstore.Store).Prefix())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := &child{cmd: cmd, lines: make(chan string, 100)}
	go scanLines(out, ch.lines)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ch.expect(t, "stored")
	ch.kill(t)

	for _, id := range ids {
		if _, err := st.Get(ctx, id); err != nil {
			t.Fatalf("job %s not in the store after the child's store write: %v", id, err)
		}
	}
	o := newOutbox(t, db)
	if n, err := o.Len(ctx); err != nil || n != len(ids) {
		t.Fatalf("outbox holds %d rows (%v) after the kill, want %d: the delete must not have happened", n, err, len(ids))
	}
	var forwarded []string
	c2 := newClient(t, st, slaq.Config{Outbox: newOutbox(t, db), Observers: []slaq.Observer{slaq.ObserverFunc(func(e slaq.Event) {
		if e.Kind == slaq.EventForwarded {
			forwarded = append(forwarded, e.Job.ID)
		}
	})}})
	if err := c2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the outbox to empty", func() bool { n, err := o.Len(ctx); return err == nil && n == 0 })
	if err := c2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if len(forwarded) != 0 {
		t.Fatalf("%d jobs stored again as new after the crash: %v", len(forwarded), forwarded)
	}
	counts, err := st.Counts(ctx)
	if err != nil || counts[slaq.High.Index()].Waiting != int64(len(ids)) {
		t.Fatalf("store counts %+v (%v), want %d waiting, each job once", counts[slaq.High.Index()], err, len(ids))
	}
}

func scanLines(r io.Reader, lines chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines <- sc.Text()
	}
	close(lines)
	_, _ = io.Copy(io.Discard, r)
}
