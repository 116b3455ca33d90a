package redisstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// rawKit seeds and reads one tier's Redis keys with plain commands on a client of its own.
// It never calls the store's code: key names are spelled here from the layout in doc.go, and
// records are written by the tests as literal strings in the documented format, so a test
// built on it checks the layout and the scripts against the documentation, not against the
// store's own encoder.
type rawKit struct {
	t      *testing.T
	c      rueidis.Client
	prefix string
	tier   store.Tier
}

// newRawKit connects to the shared server for prefix's keys of tier.
func newRawKit(t *testing.T, prefix string, tier store.Tier) *rawKit {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{testAddr()}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatalf("raw client: %v", err)
	}
	t.Cleanup(c.Close)
	return &rawKit{t: t, c: c, prefix: prefix, tier: tier}
}

// key returns the full name of the tier's key with suffix, e.g. "w" -> "{prefix:2}:w".
func (k *rawKit) key(suffix string) string {
	return "{" + k.prefix + ":" + strconv.Itoa(int(k.tier)) + "}:" + suffix
}

// do runs one command and fails the test on an error (a nil reply is not one).
func (k *rawKit) do(cmd string, key string, args ...string) *rueidis.RedisMessage {
	k.t.Helper()
	m, err := k.c.Do(context.Background(), k.c.B().Arbitrary(cmd).Keys(key).Args(args...).Build()).ToMessage()
	if err != nil && !rueidis.IsRedisNil(err) {
		k.t.Fatalf("%s %s %v: %v", cmd, key, args, err)
	}
	return &m
}

// hset sets fields of the HASH with suffix: field, value, field, value, ...
func (k *rawKit) hset(suffix string, fv ...string) { k.t.Helper(); k.do("HSET", k.key(suffix), fv...) }

// zadd adds members to the ZSET with suffix: score, member, score, member, ...
func (k *rawKit) zadd(suffix string, sm ...string) { k.t.Helper(); k.do("ZADD", k.key(suffix), sm...) }

// rpush appends items to the LIST with suffix (the LIST's tail is its pop end).
func (k *rawKit) rpush(suffix string, items ...string) {
	k.t.Helper()
	k.do("RPUSH", k.key(suffix), items...)
}

// set sets the STRING with suffix.
func (k *rawKit) set(suffix, value string) { k.t.Helper(); k.do("SET", k.key(suffix), value) }

// dump returns every key of the tier, by suffix, as a canonical string of its type and
// content: "list[a b]" (head to tail), "zset[m=score ...]" (ascending), "hash[f=v ...]"
// (fields sorted) or "string[v]".
func (k *rawKit) dump() map[string]string {
	k.t.Helper()
	out := map[string]string{}
	pattern := k.key("*")
	var cursor uint64
	for {
		e, err := k.c.Do(context.Background(), k.c.B().Scan().Cursor(cursor).Match(pattern).Count(1000).Build()).AsScanEntry()
		if err != nil {
			k.t.Fatalf("scan: %v", err)
		}
		for _, name := range e.Elements {
			out[strings.TrimPrefix(name, k.key(""))] = k.show(name)
		}
		if cursor = e.Cursor; cursor == 0 {
			return out
		}
	}
}

// show returns the canonical string of key name (see dump).
func (k *rawKit) show(name string) string {
	k.t.Helper()
	typ, err := k.do("TYPE", name).ToString()
	if err != nil {
		k.t.Fatal(err)
	}
	strs := func(m *rueidis.RedisMessage) []string {
		s, err := m.AsStrSlice()
		if err != nil {
			k.t.Fatalf("%s: %v", name, err)
		}
		return s
	}
	switch typ {
	case "list":
		return "list[" + strings.Join(strs(k.do("LRANGE", name, "0", "-1")), " ") + "]"
	case "zset":
		zs, err := k.do("ZRANGE", name, "0", "-1", "WITHSCORES").AsZScores()
		if err != nil {
			k.t.Fatalf("%s: %v", name, err)
		}
		var parts []string
		for _, z := range zs {
			parts = append(parts, z.Member+"="+strconv.FormatFloat(z.Score, 'f', -1, 64))
		}
		return "zset[" + strings.Join(parts, " ") + "]"
	case "hash":
		m, err := k.do("HGETALL", name).AsStrMap()
		if err != nil {
			k.t.Fatalf("%s: %v", name, err)
		}
		var parts []string
		for _, f := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, f+"="+m[f])
		}
		return "hash[" + strings.Join(parts, " ") + "]"
	case "string":
		v, err := k.do("GET", name).ToString()
		if err != nil {
			k.t.Fatalf("%s: %v", name, err)
		}
		return "string[" + v + "]"
	}
	k.t.Fatalf("%s: unexpected type %q", name, typ)
	return ""
}

// wantState fails the test unless the tier's keys are exactly want (suffix -> dump string).
func (k *rawKit) wantState(what string, want map[string]string) {
	k.t.Helper()
	got := k.dump()
	if maps.Equal(got, want) {
		return
	}
	var b strings.Builder
	for _, key := range slices.Sorted(maps.Keys(joinKeys(got, want))) {
		if got[key] != want[key] {
			fmt.Fprintf(&b, "\n  %s:\n     got %q\n    want %q", key, got[key], want[key])
		}
	}
	k.t.Fatalf("%s: raw state differs:%s", what, b.String())
}

func joinKeys(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for key := range a {
		out[key] = true
	}
	for key := range b {
		out[key] = true
	}
	return out
}
