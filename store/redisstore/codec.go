package redisstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slaqhq/slaq/store"
)

// A job is stored as one record string in its tier's jobs HASH (see scripts/lib.lua, which
// reads and edits it inside Redis): 16 header fields each followed by '|', then the Type,
// UniqueKey, LastError, Result and Payload bytes back to back. Numeric fields are decimal and
// empty when zero. One string per job keeps a job with a 200-byte payload in one allocation,
// and the record stays readable with redis-cli (HGET).
const (
	hState = iota
	hAttempts
	hRunAt
	hStartedAt
	hFinishedAt
	hLeaseUntil
	hRetain
	hMaxAttempts
	hTimeout
	hBackoff
	hCreatedAt
	hUniqueTTL
	hTypeLen
	hUniqueLen
	hErrorLen
	hResultLen
	numHeader
)

// stateCodes maps each state a record can carry to its one-letter code. An active job's
// record keeps its waiting letter: the active ZSET, not the record, makes it active.
var stateCodes = map[store.State]byte{
	store.StateWaiting: 'w', store.StateDelayed: 'd', store.StateCompleted: 'c', store.StateFailed: 'f',
}

// stateOfCode returns the state of a record's letter, or false for a letter no record carries.
func stateOfCode(c byte) (store.State, bool) {
	switch c {
	case 'w':
		return store.StateWaiting, true
	case 'd':
		return store.StateDelayed, true
	case 'c':
		return store.StateCompleted, true
	case 'f':
		return store.StateFailed, true
	}
	return "", false
}

// encodeRecord returns j's record with the given state (waiting, delayed, completed or failed).
func encodeRecord(j *store.Job, state store.State) string {
	var h [numHeader]int64
	h[hAttempts], h[hRunAt], h[hStartedAt] = int64(j.Attempts), j.RunAt, j.StartedAt
	h[hFinishedAt], h[hLeaseUntil], h[hMaxAttempts] = j.FinishedAt, j.LeaseUntil, int64(j.MaxAttempts)
	h[hTimeout], h[hBackoff], h[hCreatedAt] = j.TimeoutMs, j.BackoffMs, j.CreatedAt
	h[hUniqueTTL], h[hRetain] = j.UniqueTTLMs, j.RetainMs
	h[hTypeLen], h[hUniqueLen] = int64(len(j.Type)), int64(len(j.UniqueKey))
	h[hErrorLen], h[hResultLen] = int64(len(j.LastError)), int64(len(j.Result))
	b := make([]byte, 0, 64+len(j.Type)+len(j.UniqueKey)+len(j.LastError)+len(j.Result)+len(j.Payload))
	b = append(b, stateCodes[state], '|')
	for _, v := range h[1:] {
		if v != 0 {
			b = strconv.AppendInt(b, v, 10)
		}
		b = append(b, '|')
	}
	b = append(b, j.Type...)
	b = append(b, j.UniqueKey...)
	b = append(b, j.LastError...)
	b = append(b, j.Result...)
	b = append(b, j.Payload...)
	return string(b)
}

// decodeRecord builds the job with id from its record.
func decodeRecord(id, rec string) (*store.Job, error) {
	t, err := store.TierOfID(id)
	if err != nil {
		return nil, err
	}
	var h [numHeader]int64
	var state store.State
	rest := rec
	for i := range h {
		f, r, ok := strings.Cut(rest, "|")
		if !ok {
			return nil, fmt.Errorf("redisstore: job %s: record has %d header fields, want %d", id, i, numHeader)
		}
		rest = r
		if i == hState {
			valid := len(f) == 1
			if valid {
				state, valid = stateOfCode(f[0])
			}
			if !valid {
				return nil, fmt.Errorf("redisstore: job %s: bad state %q", id, f)
			}
			continue
		}
		if f != "" {
			if h[i], err = strconv.ParseInt(f, 10, 64); err != nil {
				return nil, fmt.Errorf("redisstore: job %s: header field %d: %w", id, i, err)
			}
		}
	}
	body := func(n int64) (string, error) {
		if n < 0 || n > int64(len(rest)) {
			return "", fmt.Errorf("redisstore: job %s: record body too short", id)
		}
		s := rest[:n]
		rest = rest[n:]
		return s, nil
	}
	j := &store.Job{ID: id, Tier: t, State: state,
		Attempts: int(h[hAttempts]), RunAt: h[hRunAt], StartedAt: h[hStartedAt],
		FinishedAt: h[hFinishedAt], LeaseUntil: h[hLeaseUntil], MaxAttempts: int(h[hMaxAttempts]),
		TimeoutMs: h[hTimeout], BackoffMs: h[hBackoff], CreatedAt: h[hCreatedAt],
		UniqueTTLMs: h[hUniqueTTL], RetainMs: h[hRetain]}
	var res string
	for _, p := range []struct {
		dst *string
		n   int64
	}{{&j.Type, h[hTypeLen]}, {&j.UniqueKey, h[hUniqueLen]}, {&j.LastError, h[hErrorLen]}, {&res, h[hResultLen]}} {
		if *p.dst, err = body(p.n); err != nil {
			return nil, err
		}
	}
	if res != "" {
		j.Result = []byte(res)
	}
	if rest != "" {
		j.Payload = []byte(rest)
	}
	return j, nil
}
