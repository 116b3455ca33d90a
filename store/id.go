package store

import (
	"fmt"
	"math/rand/v2"
)

// IDLen is the length of a job id made by [NewID].
const IDLen = 1 + 10 + 12

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new job id for tier t: the tier's digit, then the time in ms and 60 random
// bits, both in Crockford base32, so ids sort by creation time within a tier and a store can
// tell a job's tier from its id alone (see [TierOfID]). Example: "1" + "01JD5X9ZQ4" + "7KQ2M8VXN3TR".
func NewID(t Tier, nowMs int64) string {
	var b [IDLen]byte
	b[0] = '0' + byte(t)
	ms := uint64(nowMs)
	for i := 10; i >= 1; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	rnd := rand.Uint64()
	for i := IDLen - 1; i >= 11; i-- {
		b[i] = crockford[rnd&31]
		rnd >>= 5
	}
	return string(b[:])
}

// TierOfID returns the tier encoded in a job id made by [NewID].
func TierOfID(id string) (Tier, error) {
	if len(id) < 2 {
		return 0, fmt.Errorf("malformed job id %q: %w", id, ErrNotFound)
	}
	t := Tier(id[0] - '0')
	if !t.Valid() {
		return 0, fmt.Errorf("malformed job id %q: %w", id, ErrNotFound)
	}
	return t, nil
}
