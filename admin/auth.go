package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// tokenSet holds the SHA-256 digests of the accepted tokens. Comparing digests makes every
// comparison the same length, and allowed compares against every token, so the time a check
// takes tells nothing about any token.
type tokenSet struct {
	digests [][sha256.Size]byte
}

func newTokenSet(tokens []string) (*tokenSet, error) {
	s := &tokenSet{}
	for _, t := range tokens {
		if t = strings.TrimSpace(t); t != "" {
			s.digests = append(s.digests, sha256.Sum256([]byte(t)))
		}
	}
	if len(s.digests) == 0 {
		return nil, errors.New("admin: Options.Tokens needs at least one non-empty token")
	}
	return s, nil
}

// allowed reports whether r carries "Authorization: Bearer T" with T an accepted token.
func (s *tokenSet) allowed(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range s.digests {
		match |= subtle.ConstantTimeCompare(d[:], s.digests[i][:])
	}
	return match == 1
}
