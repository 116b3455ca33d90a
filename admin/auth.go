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
		return nil, errors.New("admin: at least one non-empty token is required (Options.Tokens)")
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

// refuse answers 401 with the JSON error and a WWW-Authenticate challenge, and returns
// true, when r carries no accepted token.
func (s *tokenSet) refuse(w http.ResponseWriter, r *http.Request) bool {
	if s.allowed(r) {
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="slaq"`)
	writeError(w, http.StatusUnauthorized, CodeUnauthorized, "missing or invalid bearer token")
	return true
}

// RequireToken returns next behind the admin API's own token check: a request without
// "Authorization: Bearer T", T one of tokens (compared in constant time), answers 401
// {"error":{"code":"unauthorized",…}} and never reaches next. It fails without a non-empty
// token. `slaq serve` puts /metrics behind it outside development.
func RequireToken(tokens []string, next http.Handler) (http.Handler, error) {
	s, err := newTokenSet(tokens)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.refuse(w, r) {
			next.ServeHTTP(w, r)
		}
	}), nil
}
