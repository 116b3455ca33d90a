package faults_test

import (
	"os"
	"testing"

	"github.com/slaqhq/slaq/internal/faults"
)

// summary collects one row per scenario; TestMain prints it when the suite ends.
var summary faults.Table

func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv(childEnv) == "" {
		summary.Print(os.Stdout)
	}
	os.Exit(code)
}
