package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
)

const networkCSV = "\uFEFFregion_code;region_nom;structure_code;structure_nom;structure_forme;structure_siret;site_code;site_nom;site_type;site_adresse;site_code_postal;site_commune\n" +
	"BRE;Bretagne;ML-RENNES;Mission Locale du bassin d'emploi de Rennes;association;;RENNES-SIEGE;Siège de Rennes;Siège;6 cours des Alliés;35000;Rennes\n" +
	"BRE;Bretagne;ML-RENNES;Mission Locale du bassin d'emploi de Rennes;association;;RENNES-ANT-1;Antenne de Maurepas;Antenne;10 place du Gros-Chêne;35700;Rennes\n"

func writeNetworkFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNetworkImport(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	env := envOf("DATABASE_URL", url, "CADRE_LOG_LEVEL", "warn")
	path := writeNetworkFile(t, "reseau.csv", networkCSV)
	networkRun := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(t.Context(), append([]string{"network", "import"}, args...), env, &out, io.Discard); err != nil {
			t.Fatalf("network import %v: %v", args, err)
		}
		return out.String()
	}
	sites := func() int {
		t.Helper()
		pool, err := postgres.Open(t.Context(), pgtest.AdminURL(url)) // counts every ML's sites
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		var n int
		if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM sites").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	out := networkRun("--dry-run", path)
	for _, want := range []string{
		"dry run: importing " + path + " would make 4 change(s):\n",
		"  ligne 2 : création de la région BRE « Bretagne »\n",
		"  ligne 3 : création du site RENNES-ANT-1 « Antenne de Maurepas » (antenne) de la Mission Locale ML-RENNES\n",
		"régions : 1 créée, 0 modifiée ; Missions Locales : 1 créée, 0 modifiée, 0 déplacée ; sites : 2 créés, 0 modifié, 0 déplacé\n",
		"dry run: nothing was written\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if n := sites(); n != 0 {
		t.Fatalf("the dry run wrote %d sites", n)
	}

	out = networkRun(path)
	if !strings.HasPrefix(out, "imported "+path+": 4 change(s):\n") || strings.Contains(out, "dry run") {
		t.Errorf("import output:\n%s", out)
	}
	if n := sites(); n != 2 {
		t.Errorf("%d sites after the import, want 2", n)
	}
	if out := networkRun(path, "--dry-run"); out != "dry run: "+path+" would change nothing, the database already matches it\n" {
		t.Errorf("dry run after the import: %q", out)
	}
	if out := networkRun(path); out != path+": no change, the database already matches it\n" {
		t.Errorf("second import: %q", out)
	}

	// A renamed ML: one change.
	renamed := writeNetworkFile(t, "renomme.csv", strings.ReplaceAll(networkCSV, "du bassin d'emploi de Rennes", "de Rennes"))
	if out := networkRun(renamed); !strings.Contains(out, "  ligne 2 : modification de la Mission Locale ML-RENNES : nom « Mission Locale du bassin d'emploi de Rennes » → « Mission Locale de Rennes »\n") {
		t.Errorf("import of the renamed ML:\n%s", out)
	}
}

func TestNetworkImportListsEveryProblem(t *testing.T) {
	t.Parallel()
	env := envOf("DATABASE_URL", pgtest.NewURL(t), "CADRE_LOG_LEVEL", "warn")
	broken := strings.Replace(networkCSV, ";35700;", ";357;", 1) +
		"BRE;Bretagne;ML-RENNES;Mission Locale du bassin d'emploi de Rennes;association;;RENNES-SIEGE;Siège bis;Bureau;;35000;Rennes\n"
	path := writeNetworkFile(t, "casse.csv", broken)
	for _, dryRun := range []bool{true, false} {
		args := []string{"network", "import", path}
		if dryRun {
			args = append(args, "--dry-run")
		}
		err := run(t.Context(), args, env, io.Discard, io.Discard)
		if err == nil {
			t.Fatalf("%v accepted a broken file", args)
		}
		var ee *exitError
		if errors.As(err, &ee) {
			t.Errorf("a broken file is not a usage error: %v", err)
		}
		for _, want := range []string{
			path + ": 3 problem(s), nothing was imported:\n",
			"\nligne 3 : colonne site_code_postal (« 357 »)",
			"\nligne 4 : colonne site_type (« Bureau »)",
			"\nligne 4 : le site RENNES-SIEGE figure déjà à la ligne 2",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	}
}

func TestNetworkUsageErrors(t *testing.T) {
	t.Parallel()
	path := writeNetworkFile(t, "reseau.csv", networkCSV)
	for _, args := range [][]string{
		{"network"},
		{"network", "export"},
		{"network", "import"},
		{"network", "import", "--dry-run"},
		{"network", "import", path, path},
		{"network", "import", "--force", path},
	} {
		err := run(t.Context(), args, envOf(), io.Discard, io.Discard)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "network import [--dry-run] FILE.csv") {
			t.Errorf("run %v = %v, want a usage error with exit code 2", args, err)
		}
	}
	err := run(t.Context(), []string{"network", "import", filepath.Join(t.TempDir(), "absent.csv")}, envOf(), io.Discard, io.Discard)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
