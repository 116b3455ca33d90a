package server

import (
	"fmt"
	"strconv"
	"strings"
)

// cronFields are the five fields of a cron expression with their ranges and names.
var cronFields = []struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{"day of week", 0, 7, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// cronMacros are the accepted shorthands.
var cronMacros = map[string]bool{"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true, "@daily": true, "@midnight": true, "@hourly": true}

// checkCron checks a standard five-field cron expression (minute hour day-of-month month
// day-of-week, with *, lists, ranges, steps and month/day names) or a macro such as @daily.
func checkCron(spec string) error {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "@") {
		if !cronMacros[strings.ToLower(spec)] {
			return fmt.Errorf("unknown macro; want @yearly, @monthly, @weekly, @daily or @hourly")
		}
		return nil
	}
	fields := strings.Fields(spec)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	for i, f := range fields {
		for _, part := range strings.Split(f, ",") {
			if err := checkCronPart(part, i); err != nil {
				return fmt.Errorf("%s field %q: %v", cronFields[i].name, f, err)
			}
		}
	}
	return nil
}

func checkCronPart(part string, field int) error {
	cf := cronFields[field]
	rng, step, hasStep := strings.Cut(part, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n < 1 || n > cf.max {
			return fmt.Errorf("step %q: want 1-%d", step, cf.max)
		}
	}
	if rng == "*" {
		return nil
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	a, err := cronValue(lo, field)
	if err != nil {
		return err
	}
	if !isRange {
		return nil
	}
	b, err := cronValue(hi, field)
	if err != nil {
		return err
	}
	if a > b {
		return fmt.Errorf("range %s: start after end", rng)
	}
	return nil
}

func cronValue(s string, field int) (int, error) {
	cf := cronFields[field]
	for i, name := range cf.names {
		if strings.EqualFold(s, name) {
			return cf.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < cf.min || n > cf.max {
		return 0, fmt.Errorf("%q: want %d-%d", s, cf.min, cf.max)
	}
	return n, nil
}
