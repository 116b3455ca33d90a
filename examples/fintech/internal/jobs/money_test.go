package jobs

import "testing"

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"1": 100, "0.99": 99, "12.5": 1250, "25.50": 2550, "1000000": 100_000_000} {
		if got, err := ParseAmount(in); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.00", "-1", "1.005", "01", "1e3", "1,5", " 1", "1000000.01", "99999999999"} {
		if _, err := ParseAmount(in); err == nil {
			t.Errorf("%q was accepted", in)
		}
	}
	if FormatAmount(2550) != "25.50" || FormatAmount(-5) != "-0.05" {
		t.Fatal(FormatAmount(2550), FormatAmount(-5))
	}
}
