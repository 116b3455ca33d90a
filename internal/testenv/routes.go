package testenv

import (
	"regexp"
	"strings"
)

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// SamplePath turns a net/http route pattern's path into a path it matches, for tests that
// walk a route table: {$} ends the path, every other wildcard becomes "x1", and a subtree
// pattern (ending in /) gets "x1" appended.
func SamplePath(pattern string) string {
	if p, ok := strings.CutSuffix(pattern, "{$}"); ok {
		return wildcard.ReplaceAllString(p, "x1")
	}
	p := wildcard.ReplaceAllString(pattern, "x1")
	if strings.HasSuffix(p, "/") {
		p += "x1"
	}
	return p
}
