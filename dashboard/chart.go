package dashboard

import (
	"strconv"
	"strings"
	"time"
)

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartW   = 240
	chartH   = 56
	chartPad = 2
)

// chart is one small inline-SVG chart, computed here and drawn by the template.
type chart struct {
	W, H    int
	P99     string  // polyline points of the p99 line (latency charts)
	P50     string  // polyline points of the p50 line
	TargetY float64 // y of the target line; 0: none
	Dots    []dot   // the p99 points, so a lone one shows
	Bars    []bar   // throughput bars
	Top     string  // the value at the top of the scale, for people
	Label   string  // what the chart shows, for screen readers
	Empty   bool    // nothing happened in the window
}

type bar struct{ X, Y, W, H float64 }

type dot struct{ X, Y float64 }

// latencyChart draws p99 and p50 pickup latency per step with the target as a dashed line;
// the scale reaches at least 125 % of the target so the line always shows.
func latencyChart(pts []Point, targetMs float64) chart {
	c := chart{W: chartW, H: chartH, Empty: true}
	top := targetMs * 1.25
	for _, p := range pts {
		top = max(top, p.P99)
		if p.Pickups > 0 {
			c.Empty = false
		}
	}
	if top <= 0 {
		top = 1
	}
	y := func(v float64) float64 { return chartPad + (chartH-2*chartPad)*(1-v/top) }
	var p99, p50 []string
	for i, p := range pts {
		if p.Pickups == 0 {
			continue
		}
		x := xAt(i, len(pts))
		p99 = append(p99, pt(x, y(p.P99)))
		c.Dots = append(c.Dots, dot{x, y(p.P99)})
		p50 = append(p50, pt(x, y(p.P50)))
	}
	c.P99, c.P50 = strings.Join(p99, " "), strings.Join(p50, " ")
	if targetMs > 0 {
		c.TargetY = y(targetMs)
	}
	c.Top = fmtDurationMs(top)
	c.Label = "pickup latency p99 and p50 per step, scale to " + c.Top
	if targetMs > 0 {
		c.Label += ", target " + fmtDurationMs(targetMs)
	}
	return c
}

// outputChart draws completed runs per second, one bar per step.
func outputChart(pts []Point, step time.Duration) chart {
	c := chart{W: chartW, H: chartH, Empty: true}
	perSec := func(p Point) float64 { return float64(p.Completed) / step.Seconds() }
	top := 0.0
	for _, p := range pts {
		top = max(top, perSec(p))
	}
	if top > 0 {
		c.Empty = false
	} else {
		top = 1
	}
	w := float64(chartW-2*chartPad) / float64(len(pts))
	for i, p := range pts {
		if p.Completed == 0 {
			continue
		}
		h := (chartH - 2*chartPad) * perSec(p) / top
		c.Bars = append(c.Bars, bar{X: chartPad + float64(i)*w, Y: chartH - chartPad - h, W: max(w-1, 1), H: h})
	}
	c.Top = strconv.FormatFloat(top, 'f', 1, 64) + "/s"
	c.Label = "completed jobs per second, scale to " + c.Top
	return c
}

func xAt(i, n int) float64 {
	if n < 2 {
		return chartPad
	}
	return chartPad + float64(chartW-2*chartPad)*float64(i)/float64(n-1)
}

func pt(x, y float64) string {
	return strconv.FormatFloat(x, 'f', 1, 64) + "," + strconv.FormatFloat(y, 'f', 1, 64)
}
