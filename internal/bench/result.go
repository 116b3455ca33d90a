package bench

// Metric is one measured figure of a run.
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Machine describes where a run ran.
type Machine struct {
	NProc        int    `json:"nproc"`
	GoMaxProcs   int    `json:"gomaxprocs"`
	RedisVersion string `json:"redis_version"`
	GoVersion    string `json:"go_version"`
}

// Result is the outcome of one run of one workload variant.
type Result struct {
	Store    string   `json:"store"`
	Workload string   `json:"workload"`
	Variant  string   `json:"variant"`
	Metrics  []Metric `json:"metrics"`
	// NA lists metrics that do not apply to this store (e.g. the PING round trip of W2 on the
	// embedded store); they are reported as n/a.
	NA []string `json:"na,omitempty"`
	// Config describes settings worth printing beside the figures (e.g. W3 elastic's reserves).
	Config map[string]string `json:"config,omitempty"`
	// Flags are warnings about the run, e.g. other processes using the CPU meanwhile.
	Flags   []string `json:"flags,omitempty"`
	Machine Machine  `json:"machine"`
}

func (r *Result) add(name string, v float64) { r.Metrics = append(r.Metrics, Metric{name, v}) }

// Value returns the metric called name and whether the run has it.
func (r *Result) Value(name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

func (r *Result) setConfig(k, v string) {
	if r.Config == nil {
		r.Config = make(map[string]string)
	}
	r.Config[k] = v
}
