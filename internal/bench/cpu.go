package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicksPerSecond is USER_HZ, the unit of /proc/stat on Linux (100 on every supported
// architecture).
const clockTicksPerSecond = 100

// busyOtherCPUShare is the share of the run's wall time, on one core, that other processes
// may use before the run is flagged as disturbed (WORKLOADS: machine).
const busyOtherCPUShare = 0.10

// selfCPU returns this process's user+sys CPU time (getrusage RUSAGE_SELF).
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("bench: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// machineCPU returns the busy CPU time (user, nice, system, irq, softirq) of every core since boot, from
// /proc/stat; it fails where there is none.
func machineCPU() (time.Duration, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("bench: machine CPU: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, errors.New("bench: machine CPU: /proc/stat is empty")
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, fmt.Errorf("bench: machine CPU: unexpected /proc/stat line %q", sc.Text())
	}
	var busy int64
	for i, f := range fields[1:] {
		switch i {
		case 3, 4, 7, 8, 9: // idle, iowait, steal, and guest time (already counted in user)
			continue
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: machine CPU: %w", err)
		}
		busy += v
	}
	return time.Duration(busy) * time.Second / clockTicksPerSecond, nil
}

// cpuMark is the CPU counters at one instant.
type cpuMark struct {
	wall    int64 // process clock
	self    time.Duration
	redis   time.Duration // -1: no Redis
	machine time.Duration // -1: unknown
}
