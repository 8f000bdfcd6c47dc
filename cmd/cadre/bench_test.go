package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/postgres/pgtest"
)

// TestSeedNationalAndBench seeds the national dataset at its tiny size and
// runs the benchmark on it for a moment: every scenario answers without
// error, and the JSON has the names and fields the issue asks for.
func TestSeedNationalAndBench(t *testing.T) {
	t.Parallel()
	benchInProcess = true
	env := envOf("DATABASE_URL", pgtest.NewURL(t), "CADRE_LOG_LEVEL", "error")
	// The benchmark seeds the empty database itself.
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--size", "tiny", "--seed", "7", "--clients", "2", "--duration", "100ms", "--json", jsonPath}, env, &out, io.Discard)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	if err := run(t.Context(), []string{"seed", "national", "--size", "tiny"}, env, io.Discard, io.Discard); err == nil {
		t.Error("seeding a filled database succeeded")
	}
	// Its accounts share a published password: production does not serve them.
	prod := func(k string) string {
		if k == "CADRE_ENV" {
			return "production"
		}
		if k == "CADRE_ADDR" {
			return "127.0.0.1:0"
		}
		return env(k)
	}
	var ee *exitError
	if err := run(t.Context(), []string{"serve"}, prod, io.Discard, io.Discard); !errors.As(err, &ee) || ee.code != 1 ||
		!strings.Contains(err.Error(), "national") {
		t.Errorf("production serve on the national dataset: %v, want refused", err)
	}
	if !strings.Contains(out.String(), "| fonction-page | directeur |") {
		t.Errorf("no Markdown table:\n%s", out.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Scenarios []map[string]any `json:"scenarios"`
		RSSIdle   *float64         `json:"rss_idle_mb"`
		RSSPeak   *float64         `json:"rss_peak_mb"`
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatal(err)
	}
	if report.RSSIdle == nil || report.RSSPeak == nil || *report.RSSPeak <= 0 {
		t.Errorf("rss_idle_mb, rss_peak_mb = %v, %v", report.RSSIdle, report.RSSPeak)
	}
	seen := map[string]map[string]any{}
	for _, s := range report.Scenarios {
		seen[s["name"].(string)] = s
	}
	for _, name := range []string{"floor-healthz", "floor-static", "floor-readyz", "floor-signed-in", "fonction-page", "save",
		"ml-dashboard", "checklist", "library", "download", "campaign-page", "reseau", "region"} {
		s, ok := seen[name]
		if !ok {
			t.Errorf("scenario %s missing", name)
			continue
		}
		for _, field := range []string{"rps", "p50_ms", "p95_ms", "p99_ms", "errors", "floor"} {
			if _, ok := s[field]; !ok {
				t.Errorf("%s: no %s", name, field)
			}
		}
		if s["skipped"] == true || s["errors"].(float64) != 0 || s["rps"].(float64) <= 0 {
			t.Errorf("%s: skipped %v, %v errors (%v), %v rps", name, s["skipped"], s["errors"], s["errors_by_status"], s["rps"])
		}
	}
}

func TestNationalDataAndBenchAreRefusedInProduction(t *testing.T) {
	t.Parallel()
	prod := envOf("DATABASE_URL", "postgres://nowhere.invalid/cadre", "CADRE_ENV", "production")
	for _, args := range [][]string{{"seed", "national"}, {"bench"}} {
		var ee *exitError
		if err := run(t.Context(), args, prod, io.Discard, io.Discard); !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v in production: %v, want refused with code 2", args, err)
		}
	}
}
