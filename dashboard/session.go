package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CookieName is the session cookie: a random id, HttpOnly, SameSite=Strict, Secure over TLS.
const CookieName = "slaq_dashboard"

// tokenSet holds the SHA-256 digests of the admin tokens; a check compares against every one
// in constant time, as the admin API does.
type tokenSet struct{ digests [][sha256.Size]byte }

func newTokenSet(tokens []string) (*tokenSet, error) {
	s := &tokenSet{}
	for _, t := range tokens {
		if t = strings.TrimSpace(t); t != "" {
			s.digests = append(s.digests, sha256.Sum256([]byte(t)))
		}
	}
	if len(s.digests) == 0 {
		return nil, errors.New("dashboard: Options.Tokens needs at least one non-empty token")
	}
	return s, nil
}

func (s *tokenSet) accepts(token string) bool {
	d := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range s.digests {
		match |= subtle.ConstantTimeCompare(d[:], s.digests[i][:])
	}
	return match == 1
}

// session is one sign-in. flash is a message for the next page shown.
type session struct {
	key     [sha256.Size]byte
	expires time.Time
	mu      sync.Mutex
	flash   flash
}

// flash is a one-time message: kind is "ok" or "error".
type flash struct{ Kind, Text string }

func (s *session) setFlash(kind, text string) {
	s.mu.Lock()
	s.flash = flash{kind, text}
	s.mu.Unlock()
}

func (s *session) takeFlash() flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flash
	s.flash = flash{}
	return f
}

// sessions are the live sign-ins, keyed by the SHA-256 of the cookie's id.
type sessions struct {
	lifetime time.Duration
	max      int
	now      func() time.Time
	mu       sync.Mutex
	m        map[[sha256.Size]byte]*session
}

func newSessions(lifetime time.Duration, max int, now func() time.Time) *sessions {
	return &sessions{lifetime: lifetime, max: max, now: now, m: map[[sha256.Size]byte]*session{}}
}

// create starts a session and returns the id for the cookie.
func (ss *sessions) create() (string, *session) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	s := &session{key: sha256.Sum256([]byte(id)), expires: ss.now().Add(ss.lifetime)}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	for k, v := range ss.m {
		if !now.Before(v.expires) {
			delete(ss.m, k)
		}
	}
	for len(ss.m) >= ss.max {
		var oldest *session
		for _, v := range ss.m {
			if oldest == nil || v.expires.Before(oldest.expires) {
				oldest = v
			}
		}
		delete(ss.m, oldest.key)
	}
	ss.m[s.key] = s
	return id, s
}

// get returns the live session of id, or nil.
func (ss *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[k]
	if s == nil {
		return nil
	}
	if !ss.now().Before(s.expires) {
		delete(ss.m, k)
		return nil
	}
	return s
}

func (ss *sessions) end(id string) {
	k := sha256.Sum256([]byte(id))
	ss.mu.Lock()
	delete(ss.m, k)
	ss.mu.Unlock()
}

func (h *Handler) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: h.opts.Path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}

// requireSession runs f for a signed-in request; others go to the sign-in page (htmx
// requests through HX-Redirect, so a poll after expiry lands there too).
func (h *Handler) requireSession(f func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var s *session
		if c, err := r.Cookie(CookieName); err == nil {
			s = h.sessions.get(c.Value)
		}
		if s == nil {
			h.redirect(w, r, "login")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		f(w, r, s)
	}
}

// redirect sends the browser to rel, a path under the dashboard.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, rel string) {
	to := h.opts.Path + rel
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type loginView struct {
	Error string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil && h.sessions.get(c.Value) != nil {
		h.redirect(w, r, "")
		return
	}
	h.render(w, r, http.StatusOK, "login", nil, "Sign in", loginView{})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !h.tokens.accepts(r.PostFormValue("token")) {
		h.render(w, r, http.StatusUnauthorized, "login", nil, "Sign in",
			loginView{Error: "That token is not accepted. Use one of the server's admin tokens (ADMIN_TOKEN)."})
		return
	}
	id, _ := h.sessions.create()
	http.SetCookie(w, h.cookie(r, id, int(h.opts.SessionLifetime/time.Second)))
	h.redirect(w, r, "")
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		h.sessions.end(c.Value)
	}
	http.SetCookie(w, h.cookie(r, "", -1))
	h.redirect(w, r, "login")
}

// crossOrigin answers a state-changing request from another origin.
func (h *Handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, "error", nil, "Refused",
		errorView{Title: "Cross-origin request refused",
			Text: "This request came from another site. The dashboard only accepts changes made from its own pages."})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusNotFound, "error", s, "Not found",
		errorView{Title: "Not found", Text: "No page " + r.URL.Path + "."})
}
