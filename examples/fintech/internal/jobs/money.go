package jobs

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MaxAmountMinor is the largest amount one payment may carry: 1,000,000.00.
const MaxAmountMinor = 100_000_000

var amountRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$`)

// ParseAmount reads a positive decimal amount with at most two decimals ("12.5", "100",
// "0.99") into minor units (cents).
func ParseAmount(s string) (int64, error) {
	if !amountRE.MatchString(s) {
		return 0, errors.New("amount must be a positive number with at most two decimals")
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + f
	if v <= 0 {
		return 0, errors.New("amount must be positive")
	}
	if v > MaxAmountMinor {
		return 0, fmt.Errorf("amount must be at most %s", FormatAmount(MaxAmountMinor))
	}
	return v, nil
}

// FormatAmount writes minor units as a decimal with two places.
func FormatAmount(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}
