package dlq

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slaqhq/slaq/store"
)

// rejecter is what the engine, which cannot name dlq's types, looks for in Add's error.
type rejecter interface{ Rejected() map[string]string }

// poisonCase is a job some database refuses, or that the queue must store although it is odd.
type poisonCase struct {
	name     string
	mutate   func(j *store.Job)
	refused  map[string]string            // backend name -> a word the reason must contain; absent: stored
	check    func(t *testing.T, e *Entry) // for a stored job: what it must look like
	sameType bool                         // a stored job keeps its type byte for byte
}

// randomText returns n characters that do not compress, so that an index holds them in full.
func randomText(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// oddPayload is valid JSON to json.Valid, yet not UTF-8: a text column cannot hold it.
var oddPayload = []byte("{\"name\": \"caf\xe9\", \"raw\": \"\xff\xfe\x80\"}")

var poisonCases = []poisonCase{
	{
		name:   "payload with invalid UTF-8 in a JSON string",
		mutate: func(j *store.Job) { j.Payload = bytes.Clone(oddPayload) },
		check: func(t *testing.T, e *Entry) {
			if !bytes.Equal(e.Payload, oddPayload) {
				t.Errorf("payload = %q, want %q byte for byte", e.Payload, oddPayload)
			}
		},
	},
	{
		name:     "type with NUL",
		mutate:   func(j *store.Job) { j.Type = "send\x00email" },
		refused:  map[string]string{"postgres": "0x00"},
		sameType: true,
	},
	{
		name:     "type with invalid UTF-8",
		mutate:   func(j *store.Job) { j.Type = "send_\xffemail" },
		refused:  map[string]string{"postgres": "invalid byte sequence"},
		sameType: true,
	},
	{
		name:     "3000-character type",
		mutate:   func(j *store.Job) { j.Type = randomText(3000) },
		refused:  map[string]string{"postgres": "index row"},
		sameType: true,
	},
	{
		name:    "unique key with NUL",
		mutate:  func(j *store.Job) { j.UniqueKey = "user:\x00" },
		refused: map[string]string{"postgres": "0x00"},
	},
	{
		name:   "error with NUL and invalid UTF-8",
		mutate: func(j *store.Job) { j.LastError = "exit\x00status \xff2" },
		check: func(t *testing.T, e *Entry) {
			if want := "exit\uFFFDstatus \uFFFD2"; e.Error != want {
				t.Errorf("error = %q, want %q", e.Error, want)
			}
		},
	},
	{
		name:   "error over the length cap",
		mutate: func(j *store.Job) { j.LastError = "boom: " + strings.Repeat("é", MaxErrorBytes) },
		check: func(t *testing.T, e *Entry) {
			if len(e.Error) > MaxErrorBytes || !utf8.ValidString(e.Error) {
				t.Errorf("error is %d bytes (valid UTF-8: %v), want at most MaxErrorBytes = %d of UTF-8",
					len(e.Error), utf8.ValidString(e.Error), MaxErrorBytes)
			}
			if !strings.HasPrefix(e.Error, "boom: éé") || !strings.Contains(e.Error, truncatedMarker) {
				t.Errorf("error = %.40q...%q, want its head kept and the marker %q",
					e.Error, e.Error[max(0, len(e.Error)-80):], truncatedMarker)
			}
		},
	},
	{
		name:    "payload not JSON",
		mutate:  func(j *store.Job) { j.Payload = []byte(`{"a":`) },
		refused: map[string]string{"postgres": "JSON", "sqlite": "JSON"},
	},
	{
		name:    "empty type",
		mutate:  func(j *store.Job) { j.Type = "" },
		refused: map[string]string{"postgres": "empty type", "sqlite": "empty type"},
	},
	{
		name:    "invalid tier",
		mutate:  func(j *store.Job) { j.Tier = 6 },
		refused: map[string]string{"postgres": "invalid tier 6", "sqlite": "invalid tier 6"},
	},
	{
		name:    "no finish time",
		mutate:  func(j *store.Job) { j.FinishedAt = 0 },
		refused: map[string]string{"postgres": "no FinishedAt", "sqlite": "no FinishedAt"},
	},
}

// TestAddRefusedRow puts one poison job between two good ones: the good ones are always stored,
// and the poison one is either stored as the case says or reported alone as rejected.
func TestAddRefusedRow(t *testing.T) {
	t.Parallel()
	for _, b := range testBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range poisonCases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					db := openTest(t, b.dsn(t))
					bad := deadJob("3poison", "export", store.Medium, t0)
					c.mutate(bad)
					jobs := []*store.Job{deadJob("3good1", "export", store.Medium, t0), bad,
						deadJob("3good2", "export", store.Medium, t0)}
					err := db.Add(t.Context(), jobs)
					word, refused := c.refused[b.name]
					checkAdded(t, db, jobs, err, map[string]string{bad.ID: word}, refused)
					if refused {
						return
					}
					e := mustGet(t, db, bad.ID)
					if c.sameType && e.Type != bad.Type {
						t.Errorf("type = %q, want %q byte for byte", e.Type, bad.Type)
					}
					if c.check != nil {
						c.check(t, e)
					}
					j, err := db.Job(t.Context(), bad.ID)
					if err != nil {
						t.Fatalf("Job: %v", err)
					}
					if !bytes.Equal(j.Payload, bad.Payload) || j.Type != bad.Type || j.UniqueKey != bad.UniqueKey {
						t.Errorf("Job gave type %q key %q payload %q, want %q %q %q",
							j.Type, j.UniqueKey, j.Payload, bad.Type, bad.UniqueKey, bad.Payload)
					}
				})
			}
		})
	}
}

// TestAddManyRefusedRows adds every poison job in one batch among many good ones.
func TestAddManyRefusedRows(t *testing.T) {
	t.Parallel()
	for _, b := range testBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := openTest(t, b.dsn(t))
			var jobs []*store.Job
			want := map[string]string{}
			for i, c := range poisonCases {
				jobs = append(jobs, deadJob("2good"+string(rune('a'+i)), "export", store.High, t0))
				bad := deadJob("2bad"+string(rune('a'+i)), "export", store.High, t0)
				c.mutate(bad)
				jobs = append(jobs, bad)
				if word, ok := c.refused[b.name]; ok {
					want[bad.ID] = word
				}
			}
			err := db.Add(t.Context(), jobs)
			checkAdded(t, db, jobs, err, want, true)
			// Adding the same batch again is as idempotent as ever.
			err = db.Add(t.Context(), jobs)
			checkAdded(t, db, jobs, err, want, true)
		})
	}
}

// checkAdded checks Add's outcome: with anyRefused, err reports exactly the ids of want (each
// reason containing its word) as rejected; otherwise err is nil. Every other job is stored.
func checkAdded(t *testing.T, db *DB, jobs []*store.Job, err error, want map[string]string, anyRefused bool) {
	t.Helper()
	if !anyRefused {
		if err != nil {
			t.Fatalf("Add = %v, want every job stored", err)
		}
		want = nil
	} else {
		var r rejecter
		if !errors.As(err, &r) {
			t.Fatalf("Add = %v (%T), want an error with Rejected() naming %v", err, err, slices.Sorted(maps.Keys(want)))
		}
		var re *RejectedError
		if !errors.As(err, &re) {
			t.Errorf("Add error %T is not a *RejectedError", err)
		}
		got := r.Rejected()
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
			t.Errorf("Rejected() = %v, want the ids %v", got, slices.Sorted(maps.Keys(want)))
		}
		for id, word := range want {
			if !strings.Contains(got[id], word) {
				t.Errorf("reason for %q = %q, want it to contain %q", id, got[id], word)
			}
			if len(want) <= maxListedRejections && !strings.Contains(err.Error(), id) {
				t.Errorf("Add error %q does not name the rejected job %q", err, id)
			}
		}
		if head := fmt.Sprintf("refused %d jobs", len(want)); !strings.Contains(err.Error(), head) {
			t.Errorf("Add error %q does not say %q", err, head)
		}
		if !strings.HasPrefix(err.Error(), "dlq: add") {
			t.Errorf("Add error %q, want the prefix \"dlq: add\"", err)
		}
	}
	stored := 0
	for _, j := range jobs {
		if _, refused := want[j.ID]; refused {
			if _, err := db.Get(t.Context(), j.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(rejected %q) = %v, want ErrNotFound", j.ID, err)
			}
			continue
		}
		stored++
		if _, err := db.Get(t.Context(), j.ID); err != nil {
			t.Errorf("Get(%q): %v, want it stored", j.ID, err)
		}
	}
	if n := mustCount(t, db, Filter{}); n != int64(stored) {
		t.Errorf("Count = %d, want %d", n, stored)
	}
}
