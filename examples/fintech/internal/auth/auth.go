// Package auth issues and checks the service's bearer tokens: JWTs signed with HS256 and a
// secret from the environment (JWT_SECRET), carrying the user id and role.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTTL is how long an issued token is valid: 1 hour.
const DefaultTTL = time.Hour

// DefaultLeeway is the clock skew allowed when checking expiry: 5 s.
const DefaultLeeway = 5 * time.Second

// MinSecretBytes is the shortest JWT_SECRET accepted: 32 bytes (HS256's key size).
const MinSecretBytes = 32

// Errors of Parse, each wrapping ErrUnauthorized.
var ErrUnauthorized = errors.New("unauthorized")

// Claims are what a token says.
type Claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// User is an authenticated caller.
type User struct {
	ID   int64
	Role string
}

// Issuer signs and checks tokens with one secret.
type Issuer struct {
	secret []byte
	// Now tells the time; default time.Now.
	Now func() time.Time
}

// TokenIssuer is the issuer ("iss") of every token.
const TokenIssuer = "advancia-pay-ledger"

// New returns an issuer for secret, which must be at least MinSecretBytes long.
func New(secret string) (*Issuer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("auth: JWT_SECRET must be at least %d bytes", MinSecretBytes)
	}
	return &Issuer{secret: []byte(secret), Now: time.Now}, nil
}

// Sign returns a token for user valid for ttl (DefaultTTL when 0).
func (i *Issuer) Sign(u User, ttl time.Duration) (string, error) {
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := i.Now()
	c := Claims{Role: u.Role, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: TokenIssuer, Subject: strconv.FormatInt(u.ID, 10),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}

// Parse checks token (signature, HS256 only, issuer, expiry required) and returns its user.
func (i *Issuer) Parse(token string) (User, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return i.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(TokenIssuer),
		jwt.WithExpirationRequired(), jwt.WithLeeway(DefaultLeeway), jwt.WithTimeFunc(i.Now))
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return User{}, fmt.Errorf("%w: token expired", ErrUnauthorized)
		}
		return User{}, fmt.Errorf("%w: invalid token", ErrUnauthorized)
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id <= 0 {
		return User{}, fmt.Errorf("%w: token has no user", ErrUnauthorized)
	}
	if c.Role == "" {
		c.Role = "user"
	}
	return User{ID: id, Role: c.Role}, nil
}

// Bearer returns the token of an "Authorization: Bearer …" header, or "".
func Bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

type ctxKey struct{}

// WithUser returns ctx carrying u.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// FromContext returns the user a guarded route was called by.
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(ctxKey{}).(User)
	return u, ok
}
