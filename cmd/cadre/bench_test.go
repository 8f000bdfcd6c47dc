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

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/audit"
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
	checkLabelling(t, env("DATABASE_URL"))
	var verify bytes.Buffer
	if err := run(t.Context(), []string{"journal", "verify"}, env, &verify, io.Discard); err != nil || !strings.Contains(verify.String(), "journal intact") {
		t.Errorf("journal verify after the seed: %v\n%s", err, verify.String())
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
		"ml-dashboard", "checklist", "library", "download", "campaign-page", "reseau", "region", "audit-workspace"} {
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

// checkLabelling reads the tiny national dataset: it holds each later step of
// the labelling, every dossier's history ends in its state, and every audit's
// sample replays from its seed.
func checkLabelling(t *testing.T, dbURL string) {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT set_config('cadre.scope', 'system', false)"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, sql string
		want      func(n int) bool
	}{
		{"decided dossiers with a label", `SELECT count(*) FROM autoevaluations ae JOIN commission_decisions d ON d.autoevaluation_id = ae.id
			JOIN labels l ON l.decision_id = d.id WHERE ae.etat = 'decidee' AND ae.decision = 'labellise'`, func(n int) bool { return n >= 1 }},
		{"adjourned dossiers", `SELECT count(*) FROM autoevaluations WHERE decision = 'ajourne'`, func(n int) bool { return n >= 1 }},
		{"audits under way with ratings, their dossier in audit", `SELECT count(*) FROM audits a JOIN autoevaluations ae ON ae.id = a.autoevaluation_id
			WHERE a.etat = 'en_cours' AND ae.etat = 'en_audit' AND EXISTS (SELECT 1 FROM audit_items i WHERE i.audit_id = a.id)`, func(n int) bool { return n >= 1 }},
		{"final reports with findings and frozen evidence", `SELECT count(*) FROM audits a WHERE a.etat = 'rapport_definitif'
			AND a.preuves_figees IS NOT NULL AND EXISTS (SELECT 1 FROM audit_constats k WHERE k.audit_id = a.id)`, func(n int) bool { return n >= 1 }},
		{"audits by a pair that is not certified and from the network", `SELECT count(*) FROM audits a JOIN users c ON c.id = a.auditeur_certifie
			JOIN users r ON r.id = a.auditeur_reseau WHERE c.qualification_audit IS DISTINCT FROM 'certifie' OR r.qualification_audit IS DISTINCT FROM 'reseau'`,
			func(n int) bool { return n == 0 }},
		{"statuses of the plans' actions", `SELECT count(DISTINCT statut) FROM plan_actions`, func(n int) bool { return n == 4 }},
		{"overdue open actions", `SELECT count(*) FROM plan_actions WHERE statut IN ('a_engager', 'en_cours') AND echeance < date '2026-12-02'`,
			func(n int) bool { return n >= 1 }},
		{"actions answering a finding", `SELECT count(*) FROM plan_actions WHERE constat_id IS NOT NULL`, func(n int) bool { return n >= 1 }},
		{"dossiers whose history does not end in their state", `SELECT count(*) FROM autoevaluations ae WHERE ae.etat <> coalesce((
			SELECT t.to_etat FROM autoevaluation_transitions t WHERE t.autoevaluation_id = ae.id ORDER BY t.at DESC, t.id DESC LIMIT 1), 'en_cours')`,
			func(n int) bool { return n == 0 }},
		{"steps dated after the dataset's day", `SELECT count(*) FROM autoevaluation_transitions WHERE at > date '2026-12-02'`,
			func(n int) bool { return n == 0 }},
	} {
		var n int
		if err := conn.QueryRow(ctx, c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if !c.want(n) {
			t.Errorf("%s: %d", c.what, n)
		}
	}
	rows, _ := conn.Query(ctx, `SELECT a.nature, a.candidats, a.visites, coalesce(a.siege, 0), a.seed,
		array_agg(s.tire_site_id ORDER BY s.rang), array_agg(s.aleatoire ORDER BY s.rang)
		FROM audits a JOIN audit_sites s ON s.audit_id = a.id GROUP BY a.id ORDER BY a.id`)
	var a audit.Audit
	var tires []int64
	var aleatoires []bool
	audits := 0
	_, err = pgx.ForEachRow(rows, []any{&a.Nature, &a.Candidats, &a.Visites, &a.Siege, &a.Seed, &tires, &aleatoires}, func() error {
		sample := make([]audit.SampledSite, len(tires))
		for i := range tires {
			sample[i] = audit.SampledSite{Rang: i + 1, SiteID: tires[i], TireID: tires[i], Aleatoire: aleatoires[i]}
		}
		audits++
		return audit.Verifier(a, sample)
	})
	if err != nil || audits == 0 {
		t.Errorf("the audits' samples replay: %v (%d audits)", err, audits)
	}
}
