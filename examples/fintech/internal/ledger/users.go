package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Roles a user can have; the admin routes need RoleAdmin.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// User is one account.
type User struct {
	ID         int64
	Email      string
	Name       string
	Role       string
	Newsletter bool // receives the weekly newsletter
	CreatedAt  int64
}

// CreateUser adds a user, or returns the existing one with that email.
func (d *DB) CreateUser(ctx context.Context, email, name, role string, newsletter bool) (User, error) {
	if _, err := d.w.ExecContext(ctx, d.q(`INSERT INTO users (email, name, role, newsletter, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING`), email, name, role, newsletter, d.now()); err != nil {
		return User{}, fmt.Errorf("ledger: create user %s: %w", email, err)
	}
	return d.userBy(ctx, d.w, "email", email)
}

// SeedUsers makes the demo accounts if they are missing: admin@example.com (admin) and
// user1@example.com … userN@example.com, all subscribed to the newsletter.
func (d *DB) SeedUsers(ctx context.Context, n int) error {
	if _, err := d.CreateUser(ctx, "admin@example.com", "Admin", RoleAdmin, false); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		for i := 1; i <= n; i++ {
			if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO users (email, name, role, newsletter, created_at)
				VALUES (?, ?, 'user', TRUE, ?) ON CONFLICT (email) DO NOTHING`),
				fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("User %d", i), d.now()); err != nil {
				return fmt.Errorf("ledger: seed users: %w", err)
			}
		}
		return nil
	})
}

// UserByEmail returns the user with email, or ErrNotFound.
func (d *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	return d.userBy(ctx, d.r, "email", email)
}

// UserByID returns the user with id, or ErrNotFound.
func (d *DB) UserByID(ctx context.Context, id int64) (User, error) {
	return d.userBy(ctx, d.r, "id", id)
}

func (d *DB) userBy(ctx context.Context, db *sql.DB, col string, v any) (User, error) {
	var u User
	err := db.QueryRowContext(ctx, d.q("SELECT id, email, name, role, newsletter, created_at FROM users WHERE "+col+" = ?"), v).
		Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Newsletter, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("ledger: user %s %v: %w", col, v, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("ledger: user %s %v: %w", col, v, err)
	}
	return u, nil
}

// NewsletterUsers returns the users subscribed to the newsletter, by id.
func (d *DB) NewsletterUsers(ctx context.Context) ([]User, error) {
	rows, err := d.r.QueryContext(ctx, "SELECT id, email, name, role, newsletter, created_at FROM users WHERE newsletter ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("ledger: newsletter users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Newsletter, &u.CreatedAt); err != nil {
			return nil, fmt.Errorf("ledger: newsletter users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
