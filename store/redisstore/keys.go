package redisstore

import (
	"strconv"

	"github.com/slaqhq/slaq/store"
)

// tierKeys are the names of one tier's keys. All share the hash tag "{prefix:N}", so each
// tier lives in one Cluster slot and every script touches one slot only.
type tierKeys struct {
	tag       string // "{prefix:N}"
	waiting   string // LIST of ids, LPUSH at the back, RPOP at the front
	delayed   string // ZSET id -> RunAt
	active    string // ZSET id -> LeaseUntil
	completed string // ZSET id -> FinishedAt (completed jobs kept for retention)
	expiry    string // ZSET id -> FinishedAt + RetainMs
	failed    string // ZSET id -> FinishedAt (waiting for the dead-letter queue)
	marker    string // ZSET with the one member "m": BZPOPMIN wakes waiters
	stats     string // HASH c: completed total, f: failed total, p: paused
	jobs      string // HASH id -> job record (see codec.go)
	started   string // HASH id -> StartedAt of the tier's active jobs
	unique    string // prefix of a unique key's STRING: unique + key (see uniqueKey)
	limits    string // HASH type -> "rate:periodMs:burst"
	rates     string // HASH type -> GCRA theoretical arrival time (ms)
	held      string // ZSET the rate-limit lanes: type \0 seq id, all scores 0
	lanes     string // ZSET type -> when its lane's head may start (ms)
}

// uniqueKey returns the name of the STRING that holds unique key key in the tier.
func (k *tierKeys) uniqueKey(key string) string { return k.unique + key }

func newTierKeys(prefix string, t store.Tier) tierKeys {
	tag := "{" + prefix + ":" + strconv.Itoa(int(t)) + "}"
	return tierKeys{
		tag:       tag,
		waiting:   tag + ":w",
		delayed:   tag + ":d",
		active:    tag + ":a",
		completed: tag + ":c",
		expiry:    tag + ":x",
		failed:    tag + ":f",
		marker:    tag + ":m",
		stats:     tag + ":s",
		jobs:      tag + ":j",
		started:   tag + ":t",
		unique:    tag + ":u:",
		limits:    tag + ":r",
		rates:     tag + ":g",
		held:      tag + ":h",
		lanes:     tag + ":l",
	}
}
