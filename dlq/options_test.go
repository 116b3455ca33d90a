package dlq

import (
	"strings"
	"testing"
	"time"
)

func TestOpenWithOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		want    time.Duration // the query timeout the DB uses
		wantErr string
	}{
		{"zero is the default", Options{}, DefaultQueryTimeout, ""},
		{"set", Options{QueryTimeout: 250 * time.Millisecond}, 250 * time.Millisecond, ""},
		{"negative", Options{QueryTimeout: -time.Second}, 0, "dlq: open: negative QueryTimeout -1s"},
	}
	for _, b := range testBackends {
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				db, err := OpenWith(t.Context(), b.dsn(t), tt.opts)
				if tt.wantErr != "" {
					if err == nil {
						db.Close()
						t.Fatalf("OpenWith(%+v) succeeded, want an error", tt.opts)
					}
					if !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("OpenWith(%+v) = %v, want an error containing %q", tt.opts, err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("OpenWith(%+v): %v", tt.opts, err)
				}
				defer db.Close()
				if db.queryTimeout != tt.want {
					t.Errorf("query timeout = %v, want %v", db.queryTimeout, tt.want)
				}
				if err := db.Ping(t.Context()); err != nil {
					t.Errorf("Ping: %v", err)
				}
			})
		}
	}
}
