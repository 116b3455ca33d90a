package slaq

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule defaults and limits; each default applies when its field is left at the zero value.
const (
	// DefaultScheduleZone is the time zone of a Schedule that names none: UTC.
	DefaultScheduleZone = "UTC"
	// DefaultCatchUpWindow is how old a missed tick may be and still be caught up by
	// MissedCatchUp: 24 h.
	DefaultCatchUpWindow = 24 * time.Hour
	// DefaultScheduleTolerance is how late a tick may be fired and still count as on time
	// (a process busy or briefly stalled); later, the tick is missed and the schedule's
	// MissedPolicy decides. It is also the margin by which replicas' clocks may differ: 1 min.
	DefaultScheduleTolerance = time.Minute
	// MaxScheduleNameLength is the longest schedule name, in bytes: 128.
	MaxScheduleNameLength = 128
	// MinScheduleEvery is the shortest "@every" interval: 1 s.
	MinScheduleEvery = time.Second
)

// MissedPolicy says what a schedule does about ticks that passed while no process ran it
// (downtime), or that a process found long past (it was suspended, its clock jumped).
type MissedPolicy uint8

// The missed-tick policies.
const (
	// MissedSkip (the default) fires no missed tick: the schedule's next run is its next tick
	// to come.
	MissedSkip MissedPolicy = iota
	// MissedCatchUp fires the most recent missed tick once, late, if it is at most
	// Schedule.CatchUpWindow old; older missed ticks never run, so a long outage costs one
	// catch-up run, not a burst. The first start of a schedule that never ran catches up too.
	MissedCatchUp
)

// String returns the policy's name: "skip" or "catch_up".
func (p MissedPolicy) String() string {
	switch p {
	case MissedSkip:
		return "skip"
	case MissedCatchUp:
		return "catch_up"
	}
	return fmt.Sprintf("MissedPolicy(%d)", uint8(p))
}

// ParseMissedPolicy reads "skip" or "catch_up" (case-insensitive; "" is skip). Anything else
// is an error wrapping [ErrInvalid].
func ParseMissedPolicy(s string) (MissedPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "skip":
		return MissedSkip, nil
	case "catch_up":
		return MissedCatchUp, nil
	}
	return 0, badSchedule("missed-tick policy %q: want skip or catch_up", s)
}

// MarshalText writes the policy's name.
func (p MissedPolicy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Schedule enqueues a job of Type with Payload at every tick of Spec, in Zone (Config.Schedules).
//
// Spec is a five-field cron expression (minute hour day-of-month month day-of-week: "0 2 * * *"
// is 02:00 every day, "0 9 * * MON" 09:00 every Monday) or a descriptor (@yearly, @monthly,
// @weekly, @daily, @hourly, "@every 10m"), parsed by github.com/robfig/cron/v3: lists, ranges,
// steps and month and day names; day-of-week 0-6 (Sunday is 0); no seconds field. "@every d"
// counts from the Unix epoch, not from when a process started, so every replica computes the
// same ticks; it ignores Zone and takes whole seconds, at least [MinScheduleEvery].
//
// Every replica that has the schedule fires it, with no leader: the job of a tick is enqueued
// with the unique key "cron:<Name>:<tick in Unix ms>", atomically with the enqueue, so it is
// stored once per tick however many replicas run (their clocks must agree within
// Config.ScheduleTolerance). A tick's job that the store could not take is tried again while
// the tick is due.
//
// Daylight-saving time (Zone's wall clock, as robfig/cron/v3 computes it; tested in
// America/New_York):
//   - spring forward: a wall-clock time that does not exist that day is skipped. A 02:30 daily
//     schedule does not run on 8 March 2026 (02:00 jumps to 03:00) and next runs at 02:30 on
//     9 March; an hourly one has no 02:00 tick that day.
//   - fall back: a wall-clock time that happens twice runs twice, once at each instant. A 01:30
//     daily schedule runs at 01:30 EDT and again at 01:30 EST on 1 November 2026 (05:30 and
//     06:30 UTC); a 02:30 one runs once (02:30 EST), as on any other day.
//
// Use UTC (the default), or a time outside 01:00-03:00, for jobs that must run exactly once a day.
type Schedule struct {
	// Name identifies the schedule: required, unique among Config.Schedules, at most
	// MaxScheduleNameLength bytes, no control characters. It is part of every tick's unique
	// key, so renaming a schedule makes its current tick fire again.
	Name string
	// Spec is the cron expression or descriptor. Required.
	Spec string
	// Zone is the IANA time zone the Spec is read in, e.g. "Europe/Berlin". Default
	// DefaultScheduleZone (UTC). "Local" is refused: replicas on machines in different zones
	// would disagree. Binaries that run where no zone database is installed should import
	// time/tzdata (the slaq binary does).
	Zone string
	// Type is the job type to enqueue. Required.
	Type string
	// Payload is the job's payload, encoded once at New as Enqueue would encode it.
	Payload any
	// Options are the enqueue options of every job (WithTier, Timeout, MaxAttempts, ...);
	// Unique is refused (each tick gets its own key). Default: the job type's settings.
	Options []Option
	// Missed is the missed-tick policy. Default MissedSkip.
	Missed MissedPolicy
	// CatchUpWindow is how old a missed tick may be and still be caught up (MissedCatchUp
	// only). Default DefaultCatchUpWindow.
	CatchUpWindow time.Duration
}

// ScheduleStatus is a schedule as Client.Schedules reports it.
type ScheduleStatus struct {
	Name   string
	Spec   string
	Zone   string // the zone the Spec is read in, "UTC" by default
	Type   string
	Tier   Tier // the tier its jobs go to
	Missed MissedPolicy
	// LastRun is the latest tick whose job this process saw stored: enqueued by this process,
	// or found already enqueued by another replica (the unique key names the first job). Zero
	// until this process has seen a tick: a process started since the latest tick shows none
	// (a MissedCatchUp schedule learns it at start). It is the tick's time, not when the job
	// ran.
	LastRun time.Time
	// LastID is the id of LastRun's job.
	LastID string
	// LastError is why this process last failed to enqueue a tick's job ("" after a success).
	LastError string
	// NextRun is the next tick after now.
	NextRun time.Time
}

// Next returns the first tick of s strictly after t, checking Spec and Zone: an invalid
// spec or zone, or a spec that never fires (30 February), is an error wrapping [ErrInvalid].
func (s Schedule) Next(t time.Time) (time.Time, error) {
	cs, err := parseSpec(s.Spec, s.Zone)
	if err != nil {
		return time.Time{}, err
	}
	n := cs.next(t)
	if n.IsZero() {
		return time.Time{}, badSchedule("cron spec %q never fires", s.Spec)
	}
	return n, nil
}

// scheduleError is a problem with a schedule; it wraps ErrInvalid.
type scheduleError struct{ msg string }

func (e *scheduleError) Error() string { return e.msg }
func (e *scheduleError) Unwrap() error { return ErrInvalid }

func badSchedule(format string, args ...any) error {
	return &scheduleError{fmt.Sprintf(format, args...)}
}

// cronParser reads five fields or a descriptor, as Schedule documents.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronSpec is a parsed Spec in its zone.
type cronSpec struct {
	loc   *time.Location
	sched cron.Schedule // nil for @every
	every int64         // @every: the interval in ms, counted from the Unix epoch
}

// parseSpec parses spec in zone.
func parseSpec(spec, zone string) (cs *cronSpec, err error) {
	defer func() {
		if r := recover(); r != nil { // the parser must not take a process down with bad input
			cs, err = nil, badSchedule("cron spec %q: %v", spec, r)
		}
	}()
	loc, err := loadZone(zone)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(spec)
	fields := strings.Fields(s)
	switch {
	case s == "":
		return nil, badSchedule("empty cron spec: want five fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily")
	case strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ="):
		return nil, badSchedule("cron spec %q names a time zone: give it in the schedule's zone instead", spec)
	case fields[0] == "@every":
		d, perr := time.ParseDuration(strings.Join(fields[1:], ""))
		if len(fields) != 2 || perr != nil || d < MinScheduleEvery || d%time.Second != 0 {
			return nil, badSchedule("cron spec %q: @every wants one duration of whole seconds, at least %s, e.g. @every 10m", spec, MinScheduleEvery)
		}
		return &cronSpec{loc: loc, every: d.Milliseconds()}, nil
	}
	sched, perr := cronParser.Parse(s)
	if perr != nil {
		return nil, badSchedule("cron spec %q: %v", spec, perr)
	}
	return &cronSpec{loc: loc, sched: sched}, nil
}

// loadZone loads an IANA zone; "" is UTC.
func loadZone(zone string) (*time.Location, error) {
	if zone == "" {
		return time.UTC, nil
	}
	if strings.EqualFold(zone, "Local") {
		return nil, badSchedule("zone %q: name an IANA zone such as Europe/Berlin (Local differs between machines)", zone)
	}
	if !strings.HasPrefix(zone, "/") && !strings.Contains(zone, "\x00") {
		if loc, err := time.LoadLocation(zone); err == nil {
			return loc, nil
		}
	}
	return nil, badSchedule("zone %q: unknown time zone; want an IANA name such as America/New_York or UTC", zone)
}

// next returns the first tick strictly after t, or the zero time when there is none.
func (c *cronSpec) next(t time.Time) time.Time {
	if c.every > 0 {
		ms := t.UnixMilli()
		k := ms / c.every
		if ms < 0 && ms%c.every != 0 {
			k-- // floor, before the epoch
		}
		return time.UnixMilli((k + 1) * c.every).In(c.loc)
	}
	return c.sched.Next(t.In(c.loc))
}

// schedulePayload encodes a schedule's payload once, as Enqueue would.
func schedulePayload(p any) (json.RawMessage, error) {
	b, err := encodePayload(p)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// errNoUnique is the reason a schedule's options may not hold Unique.
var errNoUnique = errors.New("options hold Unique: a schedule's jobs get their unique key from the tick")
