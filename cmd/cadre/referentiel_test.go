package main

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/unml/cadre/internal/postgres/pgtest"
)

const fixture = "../../internal/referentiel/testdata/label-fixture.yaml"

func TestReferentielCheckListsEveryProblemWithItsLine(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"referentiel", "check", fixture}, envOf(), &out, io.Discard); err != nil {
		t.Fatalf("check on the valid fixture: %v", err)
	}
	if !strings.Contains(out.String(), "is valid (8 assessable items)") {
		t.Errorf("check printed %q", out.String())
	}

	// A broken copy: a duplicate code, an empty text, an unknown key, a bad volet type.
	broken := strings.NewReplacer(
		"code: L1.2\n", "code: L1.1\n",
		`texte: "Un tableau de bord partagé rend compte de l'activité aux financeurs."`, `texte: ""`,
		"          - code: L2.1\n", "          - code: L2.1\n            couleur: rouge\n",
		"type: chapitres", "type: sections",
	).Replace(string(good))
	path := filepath.Join(t.TempDir(), "casse.yaml")
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(t.Context(), []string{"referentiel", "check", path}, envOf(), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("check accepted a broken file")
	}
	msg := err.Error()
	lineOf := func(needle string) int {
		for i, l := range strings.Split(broken, "\n") {
			if strings.Contains(l, needle) {
				return i + 1
			}
		}
		t.Fatalf("fixture lacks %q", needle)
		return 0
	}
	// With an unknown volet type the chapters cannot be read, so put the type back
	// and check the three others are all listed with their lines.
	if !strings.Contains(msg, path+":"+strconv.Itoa(lineOf("type: sections"))+":") {
		t.Errorf("the unknown volet type is not reported at its line:\n%s", msg)
	}
	broken = strings.Replace(broken, "type: sections", "type: chapitres", 1)
	os.WriteFile(path, []byte(broken), 0o600)
	err = run(t.Context(), []string{"referentiel", "check", path}, envOf(), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("check accepted a broken file")
	}
	msg = err.Error()
	duplicate := strings.Count(broken[:strings.LastIndex(broken, "code: L1.1")], "\n") + 1
	for line, what := range map[int]string{duplicate: "duplicate code", lineOf(`texte: ""`): "empty text", lineOf("couleur: rouge"): "unknown key"} {
		if !strings.Contains(msg, path+":"+strconv.Itoa(line)+":") {
			t.Errorf("%s at line %d not listed:\n%s", what, line, msg)
		}
	}
	if n := strings.Count(msg, path+":"); n < 3 {
		t.Errorf("%d problems listed, want at least 3:\n%s", n, msg)
	}
}

func TestReferentielImportAndExport(t *testing.T) {
	t.Parallel()
	env := envOf("DATABASE_URL", pgtest.NewURL(t))
	var out bytes.Buffer
	if err := run(t.Context(), []string{"referentiel", "import", fixture}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported référentiel label version test-1 (8 assessable items)") {
		t.Errorf("import printed %q", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"referentiel", "import", fixture}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing changed") {
		t.Errorf("second import printed %q", out.String())
	}

	out.Reset()
	if err := run(t.Context(), []string{"referentiel", "export", "--referentiel", "label:test-1"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 9 || rows[0][0] != "Code" || rows[1][0] != "L1.1" || rows[1][5] != "oui" ||
		rows[1][2] != "Les exigences du label > Gouvernance et pilotage" {
		t.Errorf("CSV export = %q", rows[:min(3, len(rows))])
	}

	xlsx := filepath.Join(t.TempDir(), "label.xlsx")
	if err := run(t.Context(), []string{"referentiel", "export", "--format", "xlsx", "--referentiel", "label", "--output", xlsx}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, err := f.GetRows("Référentiel")
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet) != 9 || sheet[8][0] != "L3.2" || sheet[8][3] != "Les actions du plan d'amélioration ont un pilote et une échéance." {
		t.Errorf("XLSX export has %d rows, last %q", len(sheet), sheet[len(sheet)-1])
	}

	// The default export is the cadre commun, imported by serve; here nothing is.
	if err := run(t.Context(), []string{"referentiel", "export", "--format", "pdf"}, env, io.Discard, io.Discard); err == nil {
		t.Error("export accepted an unknown format")
	}
}
