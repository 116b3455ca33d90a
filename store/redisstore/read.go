package redisstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/rueidis"

	"github.com/slaqhq/slaq/store"
)

// Get returns the job with id, or an error wrapping store.ErrNotFound. It reads with the get
// script: an active job's state, StartedAt and LeaseUntil are not in its record.
func (s *Store) Get(ctx context.Context, id string) (*store.Job, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	t, err := store.TierOfID(id)
	if err != nil {
		return nil, fmt.Errorf("redisstore: get: %w", err)
	}
	k := &s.tiers[t.Index()]
	m, err := s.run(ctx, call{s: scriptGet, keys: []string{k.jobs, k.active, k.started}, args: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("redisstore: get job %s: %w", id, err)
	}
	arr, err := m.ToArray()
	if err != nil || len(arr) == 0 {
		return nil, fmt.Errorf("redisstore: get job %s: unexpected reply %v: %v", id, m, err)
	}
	if arr[0].IsNil() {
		return nil, fmt.Errorf("redisstore: job %s: %w", id, store.ErrNotFound)
	}
	rec, err := arr[0].ToString()
	if err != nil {
		return nil, fmt.Errorf("redisstore: get job %s: %w", id, err)
	}
	j, err := decodeRecord(id, rec)
	if err != nil {
		return nil, err
	}
	if len(arr) == 3 && !arr[1].IsNil() {
		if err := setActive(j, arr[1], arr[2]); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// setActive marks j active with LeaseUntil from its active ZSET score and StartedAt from its
// started HASH entry (kept from the record when the entry is missing).
func setActive(j *store.Job, lease, started rueidis.RedisMessage) error {
	var err error
	j.State = store.StateActive
	if j.LeaseUntil, err = parseMs(lease); err != nil {
		return fmt.Errorf("redisstore: job %s: LeaseUntil: %w", j.ID, err)
	}
	if !started.IsNil() {
		if j.StartedAt, err = parseMs(started); err != nil {
			return fmt.Errorf("redisstore: job %s: StartedAt: %w", j.ID, err)
		}
	}
	return nil
}

// parseMs reads a millisecond time from a bulk string reply (a ZSET score or a HASH value).
func parseMs(m rueidis.RedisMessage) (int64, error) {
	s, err := m.ToString()
	if err != nil {
		return 0, err
	}
	return parseScore(s)
}

// parseScore reads a millisecond time printed by Redis (an integer, or a score in exponent form).
func parseScore(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	return int64(f), err
}

// Counts reads every tier's counts with O(1) commands (LLEN, ZCARD, HMGET), pipelined in
// one round trip per server. Waiting includes the jobs rate limits hold in their lanes.
func (s *Store) Counts(ctx context.Context) ([store.NumTiers]store.Counts, error) {
	var out [store.NumTiers]store.Counts
	if err := s.live(); err != nil {
		return out, err
	}
	const per = 5
	b := s.client.B()
	cmds := make(rueidis.Commands, 0, per*store.NumTiers)
	for i := range s.tiers {
		k := &s.tiers[i]
		cmds = append(cmds,
			b.Llen().Key(k.waiting).Build(),
			b.Zcard().Key(k.active).Build(),
			b.Zcard().Key(k.delayed).Build(),
			b.Hmget().Key(k.stats).Field("c", "f", "p").Build(),
			b.Zcard().Key(k.held).Build())
	}
	ctx, cancel := s.callCtx(ctx)
	defer cancel()
	res := s.client.DoMulti(ctx, cmds...)
	for i := range out {
		r := res[i*per : (i+1)*per]
		c := &out[i]
		var errs [per]error
		c.Waiting, errs[0] = r[0].AsInt64()
		c.Active, errs[1] = r[1].AsInt64()
		c.Delayed, errs[2] = r[2].AsInt64()
		st, err := r[3].ToArray()
		errs[3] = err
		var held int64
		held, errs[4] = r[4].AsInt64()
		c.Waiting += held
		for _, e := range errs {
			if e != nil {
				return out, fmt.Errorf("redisstore: counts of %s: %w", store.Tiers[i], e)
			}
		}
		c.Completed, _ = st[0].AsInt64()
		c.Failed, _ = st[1].AsInt64()
		c.Paused = !st[2].IsNil()
	}
	return out, nil
}

// MaxListLimit is the largest page [Store.List] returns (store.ListRequest.Limit).
const MaxListLimit = 1000

// listing says how one state is listed: from which key, in which order (see scripts/list.lua)
// and how a member of that key becomes a job id.
type listing struct {
	key   string
	order string // "w" the waiting LIST, "a" ascending score, "r" descending score
	code  byte   // the cursor's first byte, so a cursor of one state is refused by another
	strip int    // bytes before the id in a member
}

// listingOf returns how state st of the tier with keys k is listed.
func listingOf(k *tierKeys, st store.State) (listing, error) {
	switch st {
	case store.StateWaiting:
		return listing{k.waiting, "w", 'w', 0}, nil
	case store.StateDelayed:
		return listing{k.delayed, "a", 'd', 10}, nil
	case store.StateActive:
		return listing{k.active, "a", 'a', 0}, nil
	case store.StateCompleted:
		return listing{k.completed, "r", 'c', 0}, nil
	case store.StateFailed:
		return listing{k.failed, "r", 'f', 0}, nil
	}
	return listing{}, fmt.Errorf("redisstore: list: unknown state %q", st)
}

// List returns one page of req.Tier's jobs in req.State with one list script call: waiting
// jobs next to run first, delayed by RunAt, active by LeaseUntil, completed and failed most
// recently finished first. Ids whose record is gone are skipped. Waiting jobs that a rate
// limit holds back (they wait in their type's lane, not in the tier's LIST) are listed after
// the LIST's jobs, each limited type's together in their order.
//
// Cost: a ZSET state (every state but waiting) is paged with a cursor naming the last entry's
// score and member, so a page costs O(log n + page) wherever it starts. The waiting LIST has
// no index: its cursor names the last job listed, found again with LPOS from the pop end, so
// a page costs O(d + page), d = that job's distance from the pop end (deep pages of a long
// backlog cost more). Jobs claimed or handed back between pages do not shift the walk; when
// the cursor's own job is no longer waiting (claimed, with every job listed before it, or
// cancelled), the next page starts again at the pop end, which relists the jobs of earlier
// pages only when the cursor's job was cancelled.
func (s *Store) List(ctx context.Context, req store.ListRequest) (store.ListPage, error) {
	var page store.ListPage
	if err := s.live(); err != nil {
		return page, err
	}
	k, err := s.keys(req.Tier)
	if err != nil {
		return page, err
	}
	if req.Limit < 1 || req.Limit > MaxListLimit {
		return page, fmt.Errorf("redisstore: list: limit %d, want 1 to %d", req.Limit, MaxListLimit)
	}
	l, err := listingOf(k, req.State)
	if err != nil {
		return page, err
	}
	cur, code, err := decodeCursor(req.Cursor, l.code)
	if err != nil {
		return page, err
	}
	keys := []string{l.key, k.jobs}
	switch req.State {
	case store.StateActive:
		keys = append(keys, k.started)
	case store.StateWaiting:
		keys = append(keys, k.held)
	}
	order, arg3, arg4 := l.order, cur.score, cur.member
	switch {
	case code == heldCode:
		order = "h"
	case l.order == "w":
		arg3 = itoa(cur.offset)
	}
	m, err := s.run(ctx, call{s: scriptList, keys: keys,
		args: []string{order, itoa(int64(req.Limit)), arg3, arg4, strconv.Itoa(l.strip)}})
	if err != nil {
		return page, fmt.Errorf("redisstore: list %s %s: %w", req.Tier, req.State, err)
	}
	return parseList(m, req, l)
}

// parseList reads the list script's reply (see scripts/list.lua) into a page of req's
// listing l, skipping ids without a record, and makes the next page's cursor when the script
// found more entries than req.Limit.
func parseList(m rueidis.RedisMessage, req store.ListRequest, l listing) (store.ListPage, error) {
	var page store.ListPage
	arr, err := m.ToArray()
	if err != nil || len(arr) != 6 {
		return page, fmt.Errorf("redisstore: list: unexpected reply %v: %v", m, err)
	}
	start, err := arr[4].AsInt64()
	if err != nil {
		return page, fmt.Errorf("redisstore: list: unexpected reply %v: %w", m, err)
	}
	heldAt, err := arr[5].AsInt64() // 1-based index of the first held member, 0: none
	if err != nil {
		return page, fmt.Errorf("redisstore: list: unexpected reply %v: %w", m, err)
	}
	isHeld := func(i int) bool { return heldAt > 0 && int64(i) >= heldAt-1 }
	var parts [4][]rueidis.RedisMessage
	for i := range parts {
		if parts[i], err = arr[i].ToArray(); err != nil {
			return page, fmt.Errorf("redisstore: list: unexpected reply %v: %w", m, err)
		}
	}
	members, scores, recs, starts := parts[0], parts[1], parts[2], parts[3]
	n := min(len(members), req.Limit)
	if len(recs) != len(members) || (l.order != "w" && heldAt == 0 && len(scores) != len(members)) ||
		(req.State == store.StateActive && len(starts) != len(members)) {
		return page, fmt.Errorf("redisstore: list: unexpected reply %v", m)
	}
	page.Jobs = make([]*store.Job, 0, n)
	for i := range n {
		if recs[i].IsNil() {
			continue
		}
		member, err := members[i].ToString()
		if err != nil {
			return page, fmt.Errorf("redisstore: list: %w", err)
		}
		rec, err := recs[i].ToString()
		if err != nil {
			return page, fmt.Errorf("redisstore: list: %w", err)
		}
		id, ok := listedID(member, l.strip, isHeld(i))
		if !ok {
			continue
		}
		j, err := decodeRecord(id, rec)
		if err != nil {
			return page, err
		}
		if req.State == store.StateActive {
			if err := setActive(j, scores[i], starts[i]); err != nil {
				return page, err
			}
		} else if j.State != req.State {
			continue // the id's record is in another state (not expected; skipped)
		}
		page.Jobs = append(page.Jobs, j)
	}
	if len(members) > req.Limit {
		next := listCursor{offset: start + int64(req.Limit)}
		if next.member, err = members[n-1].ToString(); err != nil {
			return page, fmt.Errorf("redisstore: list: %w", err)
		}
		code := l.code
		switch {
		case isHeld(n - 1):
			code, next.score = heldCode, "0"
		case l.order != "w":
			if next.score, err = scores[n-1].ToString(); err != nil {
				return page, fmt.Errorf("redisstore: list: %w", err)
			}
		}
		page.Next = next.encode(code)
	}
	return page, nil
}

// heldCode starts the cursor of a waiting listing that reached the jobs a rate limit holds
// back (the held ZSET, listed after the waiting LIST).
const heldCode = 'h'

// listedID returns the job id in a listed member: the member less strip bytes, or for a held
// member (type "\0" 10 hex digits id) what follows the sequence number.
func listedID(member string, strip int, held bool) (string, bool) {
	if held {
		_, rest, ok := strings.Cut(member, "\x00")
		if !ok || len(rest) <= 10 {
			return "", false
		}
		return rest[10:], true
	}
	if len(member) < strip {
		return "", false
	}
	return member[strip:], true
}

// listCursor is where a page of List starts: after the waiting job member, expected offset
// entries from the LIST's pop end, or after (score, member) in a ZSET's order.
type listCursor struct {
	offset int64  // waiting: the page's first job's distance from the pop end, if nothing moved
	score  string // ZSETs: the last listed entry's score, "" for the first page
	member string // the last listed entry ("" for the first page)
}

// encode returns the cursor as an opaque string: base64url of "w:offset:id" (waiting) or
// "code:score:member".
func (c listCursor) encode(code byte) string {
	mid := c.score
	if code == 'w' {
		mid = itoa(c.offset)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(string(code) + ":" + mid + ":" + c.member))
}

// decodeCursor reads a cursor made by encode for a listing whose cursors start with code (a
// waiting listing's may also start with heldCode), and returns it with its code.
func decodeCursor(s string, code byte) (listCursor, byte, error) {
	var c listCursor
	if s == "" {
		return c, code, nil
	}
	bad := fmt.Errorf("redisstore: list: malformed cursor %q", s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || b[1] != ':' {
		return c, 0, bad
	}
	if b[0] != code && (code != 'w' || b[0] != heldCode) {
		return c, 0, fmt.Errorf("redisstore: list: cursor %q is from a listing of another state", s)
	}
	mid, member, ok := strings.Cut(string(b[2:]), ":")
	if !ok || member == "" {
		return c, 0, bad
	}
	switch b[0] {
	case 'w':
		if c.offset, err = strconv.ParseInt(mid, 10, 64); err != nil || c.offset < 0 {
			return c, 0, bad
		}
	case heldCode:
		if _, ok := listedID(member, 0, true); !ok {
			return c, 0, bad
		}
	default:
		if _, err := parseScore(mid); err != nil {
			return c, 0, bad
		}
		c.score = mid
	}
	c.member = member
	return c, b[0], nil
}
