package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The reference service uses slaq as a user would: no package of it (tests included)
// imports slaq's internal packages.
func TestImportsOnlyPublicAPI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const self, internal = "github.com/slaqhq/slaq/examples/fintech", "github.com/slaqhq/slaq/internal/"
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], self) {
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, internal) {
				t.Errorf("%s imports %s: the reference service must use slaq's public API only", fields[0], imp)
			}
		}
	}
	if checked < 8 {
		t.Fatalf("checked %d packages of the service, want all of them (go list output:\n%s)", checked, out)
	}
}
