package server

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerTalksToServicesNeverToTheStore: the HTTP layer parses, calls a
// service and renders; it never reaches the store or the database driver, so no
// handler can write around a service's rules.
func TestServerTalksToServicesNeverToTheStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	for _, dep := range deps {
		if dep == "github.com/unml/cadre/internal/postgres" || strings.HasPrefix(dep, "github.com/jackc/pgx") {
			t.Errorf("internal/server depends on %s", dep)
		}
	}
}
