package store

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Tier
		ok   bool
	}{
		{"1", Critical, true}, {"5", Batch, true}, {" 3 ", Medium, true},
		{"critical", Critical, true}, {"BATCH", Batch, true}, {"Low", Low, true},
		{"0", 0, false}, {"6", 0, false}, {"-1", 0, false},
		{"257", 0, false}, // would wrap to Critical if converted before the range check
		{"", 0, false}, {"urgent", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseTier(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseTier(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestIndexPanicsOnInvalidTier(t *testing.T) {
	t.Parallel()
	defer func() {
		msg, _ := recover().(string)
		if !strings.HasPrefix(msg, "store: invalid tier") {
			t.Fatalf("Tier(9).Index() panicked with %q, want a message starting with \"store: invalid tier\"", msg)
		}
	}()
	_ = Tier(9).Index()
}

func TestTierOfID(t *testing.T) {
	t.Parallel()
	for _, tier := range Tiers {
		id := NewID(tier, 1_700_000_000_000)
		if got, err := TierOfID(id); err != nil || got != tier || len(id) != IDLen {
			t.Fatalf("TierOfID(NewID(%s)) = %v, %v (id %q)", tier, got, err, id)
		}
	}
	for _, id := range []string{"", "1", "0ABC", "6ABC", "XABC"} {
		if _, err := TierOfID(id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("TierOfID(%q) = %v, want an error wrapping ErrNotFound", id, err)
		}
	}
}
