package redisstore

import (
	"context"
	"fmt"

	"github.com/slaqhq/slaq/store"
)

// Clean enforces req's retention in req.Tier with clean script calls that each delete at most
// Options.SweepBatch jobs of each kind (so Redis is never blocked for long), until req.Limit
// jobs of a kind are deleted or none of that kind is left to delete. Completed jobs go when
// FinishedAt + RetainMs <= req.Now and beyond the req.KeepCompleted newest; failed jobs when
// FinishedAt + req.FailedRetainMs <= req.Now (FailedRetainMs > 0) and beyond the
// req.KeepFailed newest. A Limit below 1 is an error.
func (s *Store) Clean(ctx context.Context, req store.CleanRequest) (store.CleanResult, error) {
	var res store.CleanResult
	if err := s.live(); err != nil {
		return res, err
	}
	k, err := s.keys(req.Tier)
	if err != nil {
		return res, err
	}
	if req.Limit < 1 {
		return res, fmt.Errorf("redisstore: clean %s: limit %d, want at least 1", req.Tier, req.Limit)
	}
	cutoff := ""
	if req.FailedRetainMs > 0 {
		cutoff = itoa(req.Now - req.FailedRetainMs)
	}
	leftC, leftF := req.Limit, req.Limit
	for leftC > 0 || leftF > 0 {
		askC, askF := min(leftC, s.opts.SweepBatch), min(leftF, s.opts.SweepBatch)
		m, err := s.run(ctx, call{s: scriptClean,
			keys: []string{k.completed, k.expiry, k.failed, k.jobs},
			args: []string{itoa(req.Now), itoa(int64(max(req.KeepCompleted, 0))), itoa(int64(askC)),
				cutoff, itoa(int64(max(req.KeepFailed, 0))), itoa(int64(askF))},
		})
		if err != nil {
			return res, fmt.Errorf("redisstore: clean %s: %w", req.Tier, err)
		}
		r, err := m.AsIntSlice()
		if err != nil || len(r) != 2 {
			return res, fmt.Errorf("redisstore: clean %s: unexpected reply %v: %v", req.Tier, m, err)
		}
		res.Completed += int(r[0])
		res.Failed += int(r[1])
		leftC, leftF = stillToClean(leftC, askC, r[0]), stillToClean(leftF, askF, r[1])
	}
	return res, nil
}

// stillToClean returns how many deletions of a kind Clean still asks for after a call that asked
// for ask of left and got got: none once a call got fewer than it asked.
func stillToClean(left, ask int, got int64) int {
	if got < int64(ask) {
		return 0
	}
	return left - ask
}
