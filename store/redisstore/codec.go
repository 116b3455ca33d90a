package redisstore

import (
	"fmt"
	"strconv"

	"github.com/slaqhq/slaq/store"
)

// A job's HASH holds one short field per non-zero [store.Job] field, so that small jobs stay
// in Redis' compact listpack encoding. The id and the tier are not stored: the key names them.
const (
	fType        = "t" // Type
	fPayload     = "p" // Payload, stored as given
	fState       = "s" // State, e.g. "waiting"
	fAttempts    = "n" // Attempts
	fMaxAttempts = "m" // MaxAttempts
	fTimeout     = "o" // TimeoutMs
	fBackoff     = "b" // BackoffMs
	fRunAt       = "r" // RunAt
	fCreatedAt   = "c" // CreatedAt
	fStartedAt   = "g" // StartedAt
	fFinishedAt  = "f" // FinishedAt
	fLeaseUntil  = "l" // LeaseUntil
	fLastError   = "e" // LastError
	fUniqueKey   = "u" // UniqueKey
	fUniqueTTL   = "v" // UniqueTTLMs
	fRetain      = "k" // RetainMs
	fResult      = "x" // Result
)

// appendFields appends j's non-zero fields (but not State, which the scripts set) as
// field/value pairs and returns the extended slice and the number of pairs appended.
func appendFields(dst []string, j *store.Job) ([]string, int) {
	n0 := len(dst)
	str := func(f, v string) {
		if v != "" {
			dst = append(dst, f, v)
		}
	}
	num := func(f string, v int64) {
		if v != 0 {
			dst = append(dst, f, strconv.FormatInt(v, 10))
		}
	}
	str(fType, j.Type)
	str(fPayload, string(j.Payload))
	num(fAttempts, int64(j.Attempts))
	num(fMaxAttempts, int64(j.MaxAttempts))
	num(fTimeout, j.TimeoutMs)
	num(fBackoff, j.BackoffMs)
	num(fRunAt, j.RunAt)
	num(fCreatedAt, j.CreatedAt)
	num(fStartedAt, j.StartedAt)
	num(fFinishedAt, j.FinishedAt)
	num(fLeaseUntil, j.LeaseUntil)
	str(fLastError, j.LastError)
	str(fUniqueKey, j.UniqueKey)
	num(fUniqueTTL, j.UniqueTTLMs)
	num(fRetain, j.RetainMs)
	str(fResult, string(j.Result))
	return dst, (len(dst) - n0) / 2
}

// decodeJob builds the job with id from its HASH as field/value pairs.
func decodeJob(id string, kv []string) (*store.Job, error) {
	t, err := store.TierOfID(id)
	if err != nil {
		return nil, err
	}
	j := &store.Job{ID: id, Tier: t}
	for i := 0; i+1 < len(kv); i += 2 {
		f, v := kv[i], kv[i+1]
		switch f {
		case fType:
			j.Type = v
		case fPayload:
			j.Payload = []byte(v)
		case fState:
			j.State = store.State(v)
		case fLastError:
			j.LastError = v
		case fUniqueKey:
			j.UniqueKey = v
		case fResult:
			j.Result = []byte(v)
		default:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("redisstore: job %s field %q: %w", id, f, err)
			}
			setNum(j, f, n)
		}
	}
	return j, nil
}

// setNum sets j's numeric field f; it ignores fields it does not know (a newer version's).
func setNum(j *store.Job, f string, n int64) {
	switch f {
	case fAttempts:
		j.Attempts = int(n)
	case fMaxAttempts:
		j.MaxAttempts = int(n)
	case fTimeout:
		j.TimeoutMs = n
	case fBackoff:
		j.BackoffMs = n
	case fRunAt:
		j.RunAt = n
	case fCreatedAt:
		j.CreatedAt = n
	case fStartedAt:
		j.StartedAt = n
	case fFinishedAt:
		j.FinishedAt = n
	case fLeaseUntil:
		j.LeaseUntil = n
	case fUniqueTTL:
		j.UniqueTTLMs = n
	case fRetain:
		j.RetainMs = n
	}
}
