package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Kinds of one-time codes.
const (
	CodeReset = "reset" // a password-reset token
	CodeOTP   = "otp"   // a one-time sign-in code
)

// SaveCode stores the SHA-256 of a one-time code for email (never the code itself), valid
// for ttl.
func (d *DB) SaveCode(ctx context.Context, email, kind, code string, ttl time.Duration) error {
	now := d.now()
	if _, err := d.w.ExecContext(ctx, d.q(`INSERT INTO auth_codes (email, kind, code_hash, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?)`), email, kind, hashCode(code), now+ttl.Milliseconds(), now); err != nil {
		return fmt.Errorf("ledger: save %s code: %w", kind, err)
	}
	return nil
}

// CheckCode reports whether code is an unexpired code of kind for email.
func (d *DB) CheckCode(ctx context.Context, email, kind, code string) (bool, error) {
	var n int
	err := d.r.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM auth_codes WHERE email = ? AND kind = ? AND code_hash = ? AND expires_at > ?`),
		email, kind, hashCode(code), d.now()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("ledger: check %s code: %w", kind, err)
	}
	return n > 0, nil
}

func hashCode(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}
