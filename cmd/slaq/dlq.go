package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// dlqBatch is how many dead letters one retry or delete request names: 100.
const dlqBatch = 100

// deadLetter is a dead letter as the API shows it.
type deadLetter struct {
	JobID    string `json:"job_id"`
	Type     string `json:"type"`
	Tier     string `json:"tier"`
	Error    string `json:"error"`
	Attempts int    `json:"attempts"`
	FailedAt int64  `json:"failed_at"`
}

// dlqFilter is the filter flags of dlq list and dlq retry --all.
type dlqFilter struct {
	typ, tier, since, until string
}

func (f *dlqFilter) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "", "only this job type")
	fl.StringVar(&f.tier, "tier", "", "only this tier (name or 1-5)")
	fl.StringVar(&f.since, "since", "", "only failed at or after: a duration ago (24h), RFC 3339 or Unix ms")
	fl.StringVar(&f.until, "until", "", "only failed before: a duration ago, RFC 3339 or Unix ms")
}

// query returns the filter as query parameters and as a request body filter.
func (f *dlqFilter) query() (url.Values, map[string]any, error) {
	q, body := url.Values{}, map[string]any{}
	if f.typ != "" {
		q.Set("type", f.typ)
		body["type"] = f.typ
	}
	if f.tier != "" {
		q.Set("tier", f.tier)
		body["tier"] = f.tier
	}
	now := time.Now()
	for _, w := range []struct{ name, v string }{{"since", f.since}, {"until", f.until}} {
		if w.v == "" {
			continue
		}
		ms, err := parseWhen(w.v, now, false)
		if err != nil {
			return nil, nil, usageErr("--%s: %v", w.name, err)
		}
		q.Set(w.name, strconv.FormatInt(ms, 10))
		body[w.name] = ms
	}
	return q, body, nil
}

// parseWhen reads a time: a duration (ago, or ahead when future), RFC 3339, or Unix ms.
func parseWhen(s string, now time.Time, future bool) (int64, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if future {
			return now.Add(d).UnixMilli(), nil
		}
		return now.Add(-d).UnixMilli(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UnixMilli(), nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return ms, nil
	}
	return 0, fmt.Errorf("%q: want a duration (24h), an RFC 3339 time or Unix ms", s)
}

func newDLQCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "List, retry, delete and purge dead letters (jobs whose attempts ran out)",
	}
	cmd.AddCommand(newDLQListCmd(g), newDLQRetryCmd(g), newDLQDeleteCmd(g), newDLQPurgeCmd(g))
	return cmd
}

func newDLQListCmd(g *globalFlags) *cobra.Command {
	var f dlqFilter
	var limit, offset int
	cmd := &cobra.Command{
		Use:     "list [--type T] [--tier T] [--since 24h] [--until T]",
		Short:   "List dead letters, newest first",
		Example: "  slaq dlq list --type send_email --since 24h\n  slaq dlq list --tier critical --limit 20 --offset 20",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, _, err := f.query()
			if err != nil {
				return err
			}
			q.Set("limit", strconv.Itoa(limit))
			q.Set("offset", strconv.Itoa(offset))
			a, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer a.close()
			var page struct {
				DeadLetters []deadLetter `json:"dead_letters"`
				Total       int64
				NextOffset  int `json:"next_offset"`
			}
			raw, err := a.call(cmd.Context(), "GET", "/api/jobs/dead-letters?"+q.Encode(), nil, &page)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			rows := [][]string{{"JOB ID", "TYPE", "TIER", "ATTEMPTS", "FAILED AT", "ERROR"}}
			for _, d := range page.DeadLetters {
				rows = append(rows, []string{d.JobID, d.Type, d.Tier, strconv.Itoa(d.Attempts), fmtTime(d.FailedAt), oneLine(d.Error)})
			}
			if err := table(cmd.OutOrStdout(), rows); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d", len(page.DeadLetters), page.Total)
			if page.NextOffset > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "; more: --offset %d", page.NextOffset)
			}
			fmt.Fprintln(cmd.ErrOrStderr())
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().IntVar(&limit, "limit", 50, "page size (at most 1000)")
	cmd.Flags().IntVar(&offset, "offset", 0, "entries to skip")
	return cmd
}

// retryAnswer is the answer of the retry routes.
type retryAnswer struct {
	Retried   []string
	Errors    []struct{ ID, Code, Message string }
	Remaining int64
}

func newDLQRetryCmd(g *globalFlags) *cobra.Command {
	var f dlqFilter
	var all bool
	cmd := &cobra.Command{
		Use:   "retry ID... | --all [--type T] [--tier T] [--since T] [--until T]",
		Short: "Re-enqueue dead letters with fresh attempts",
		Long: `retry re-enqueues the named dead letters (or, with --all, every one the filter selects) with
fresh attempts, in batches of 100, with a progress bar. It goes on past failures, lists them,
and exits 1 if any failed.`,
		Example: "  slaq dlq retry 301JD5X9ZQ47KQ2M8VXN3TR\n  slaq dlq retry --all --type send_email --since 24h",
		RunE: func(cmd *cobra.Command, ids []string) error {
			if all == (len(ids) > 0) {
				return usageErr("name dead letters by id, or give --all (with an optional filter)")
			}
			_, filter, err := f.query()
			if err != nil {
				return err
			}
			if !all && (f.typ != "" || f.tier != "" || f.since != "" || f.until != "") {
				return usageErr("the filter flags go with --all")
			}
			a, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer a.close()
			if all {
				ids = nil // by filter
			}
			return retryDeadLetters(cmd, g, a, ids, filter)
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "retry every dead letter the filter selects")
	return cmd
}

func retryDeadLetters(cmd *cobra.Command, g *globalFlags, a *api, ids []string, filter map[string]any) error {
	ctx := cmd.Context()
	total := len(ids)
	if ids == nil {
		q, _, _ := (&dlqFilter{}).query()
		for k, v := range filter {
			q.Set(k, fmt.Sprint(v))
		}
		q.Set("limit", "1")
		var page struct{ Total int64 }
		if _, err := a.call(ctx, "GET", "/api/jobs/dead-letters?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		total = int(page.Total)
	}
	bar := newProgress(cmd.ErrOrStderr(), "retrying dead letters", total)
	var retried []string
	var failed []string
	for {
		var body map[string]any
		if ids != nil {
			if len(ids) == 0 {
				break
			}
			n := min(dlqBatch, len(ids))
			body = map[string]any{"ids": ids[:n]}
			ids = ids[n:]
		} else {
			body = map[string]any{"filter": filter, "limit": dlqBatch}
		}
		var r retryAnswer
		if _, err := a.call(ctx, "POST", "/api/jobs/dead-letters/retry", body, &r); err != nil {
			bar.finish()
			return err
		}
		retried = append(retried, r.Retried...)
		for _, e := range r.Errors {
			failed = append(failed, fmt.Sprintf("%s: %s (%s)", e.ID, e.Message, e.Code))
		}
		bar.add(len(r.Retried) + len(r.Errors))
		if ids == nil && (r.Remaining == 0 || len(r.Retried) == 0) {
			break // done, or only failures left: stop rather than loop on them
		}
	}
	bar.finish()
	out := cmd.OutOrStdout()
	if g.json {
		fmt.Fprintf(out, "{\"retried\": %d, \"failed\": %d}\n", len(retried), len(failed))
	} else {
		fmt.Fprintf(out, "retried %d dead letters\n", len(retried))
	}
	if len(failed) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "%d failed:\n  %s\n", len(failed), strings.Join(failed, "\n  "))
		return &exitError{exitFailure, errors.New("some dead letters were not retried")}
	}
	return nil
}

func newDLQDeleteCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID...",
		Short:   "Delete dead letters",
		Example: "  slaq dlq delete 301JD5X9ZQ47KQ2M8VXN3TR 301JD5X9ZQ4AAAAAAAAAAAA",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			a, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer a.close()
			deleted := 0
			bar := newProgress(cmd.ErrOrStderr(), "deleting dead letters", len(ids))
			for start := 0; start < len(ids); start += dlqBatch {
				batch := ids[start:min(start+dlqBatch, len(ids))]
				var r struct{ Deleted int }
				if _, err := a.call(cmd.Context(), "POST", "/api/jobs/dead-letters/delete", map[string]any{"ids": batch}, &r); err != nil {
					return err
				}
				deleted += r.Deleted
				if len(ids) > dlqBatch {
					bar.add(len(batch))
				}
			}
			if len(ids) > dlqBatch {
				bar.finish()
			}
			if g.json {
				fmt.Fprintf(cmd.OutOrStdout(), "{\"deleted\": %d}\n", deleted)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %d dead letters\n", deleted)
			}
			if deleted < len(ids) {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d of the ids named no dead letter\n", len(ids)-deleted)
				return &exitError{exitNotFound, errAlreadyReported}
			}
			return nil
		},
	}
}

func newDLQPurgeCmd(g *globalFlags) *cobra.Command {
	var olderThan time.Duration
	var before string
	cmd := &cobra.Command{
		Use:     "purge --older-than 72h | --before TIME",
		Short:   "Delete the dead letters that failed before a time",
		Example: "  slaq dlq purge --older-than 720h\n  slaq dlq purge --before 2026-01-01T00:00:00Z",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{}
			switch {
			case (olderThan > 0) == (before != ""):
				return usageErr("give --older-than or --before")
			case olderThan > 0:
				body["older_than"] = olderThan.String()
			default:
				ms, err := parseWhen(before, time.Now(), false)
				if err != nil {
					return usageErr("--before: %v", err)
				}
				body["before"] = ms
			}
			a, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer a.close()
			var r struct{ Deleted int }
			raw, err := a.call(cmd.Context(), "POST", "/api/jobs/dead-letters/purge", body, &r)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "purged %d dead letters\n", r.Deleted)
			return err
		},
	}
	cmd.Flags().DurationVar(&olderThan, "older-than", 0, "purge those that failed more than this long ago")
	cmd.Flags().StringVar(&before, "before", "", "purge those that failed before this time (RFC 3339, Unix ms, or a duration ago)")
	return cmd
}
