package postgres_test

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/internal/referentiel"
	refdata "github.com/unml/cadre/referentiel"
)

func parse(t *testing.T, path string) *referentiel.Referentiel {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := referentiel.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func cadreCommun(t *testing.T) *referentiel.Referentiel {
	t.Helper()
	refs, err := referentiel.ParseFS(refdata.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if r.Code == referentiel.DefaultCode {
			return r
		}
	}
	t.Fatal("no cadre commun among the embedded files")
	return nil
}

func count(t *testing.T, store *postgres.Store) int {
	t.Helper()
	list, err := store.ListReferentiels(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range list {
		n += in.Items
	}
	return n
}

func TestImportRoundTripAndIdempotency(t *testing.T) {
	t.Parallel()
	store := postgres.NewStore(pgtest.New(t))
	for _, r := range []*referentiel.Referentiel{cadreCommun(t), parse(t, "../referentiel/testdata/label-fixture.yaml")} {
		created, err := store.ImportReferentiel(t.Context(), r)
		if err != nil || !created {
			t.Fatalf("import %s: created=%v err=%v", r.Code, created, err)
		}
		// What comes back from the tables is the very tree that went in.
		loaded, _, err := store.Referentiel(t.Context(), r.Code, r.Version)
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Fingerprint() != r.Fingerprint() {
			t.Errorf("%s: the loaded tree differs from the imported one", r.Code)
		}
		if got, want := len(loaded.Items()), len(r.Items()); got != want {
			t.Errorf("%s: %d items loaded, want %d", r.Code, got, want)
		}
		before := count(t, store)
		created, err = store.ImportReferentiel(t.Context(), r)
		if err != nil || created {
			t.Errorf("second import of %s: created=%v err=%v; want a no-op", r.Code, created, err)
		}
		if after := count(t, store); after != before {
			t.Errorf("second import changed the item count: %d → %d", before, after)
		}
	}
}

func TestChangedContentUnderAnExistingVersionIsRefused(t *testing.T) {
	t.Parallel()
	store := postgres.NewStore(pgtest.New(t))
	r := cadreCommun(t)
	if _, err := store.ImportReferentiel(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	before := count(t, store)
	r.Volets[0].Caracteristiques[0].Modalites[0].Texte += " (modifié)"
	_, err := store.ImportReferentiel(t.Context(), r)
	if domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("err = %v, want ECONFLICT", err)
	}
	if msg := domain.ErrorMessage(err); !contains(msg, "nouvelle version") {
		t.Errorf("message does not say to give a new version: %s", msg)
	}
	if after := count(t, store); after != before {
		t.Errorf("a refused import changed the data: %d → %d items", before, after)
	}
	// Under a new version it is welcome, and the old version stays as it was.
	r.Version = "2018-bis"
	if created, err := store.ImportReferentiel(t.Context(), r); err != nil || !created {
		t.Fatalf("new version: created=%v err=%v", created, err)
	}
	old, _, _ := store.Referentiel(t.Context(), r.Code, "2018")
	if old.Fingerprint() != cadreCommun(t).Fingerprint() {
		t.Error("importing a new version changed the old one")
	}
	latest, _, _ := store.Referentiel(t.Context(), r.Code, "")
	if latest.Version != "2018-bis" {
		t.Errorf("latest version = %s, want 2018-bis", latest.Version)
	}
}

func TestConcurrentImportsCreateOnce(t *testing.T) {
	t.Parallel()
	store := postgres.NewStore(pgtest.New(t))
	var wg sync.WaitGroup
	results := make([]bool, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = store.ImportReferentiel(t.Context(), cadreCommun(t)) })
	}
	wg.Wait()
	created := 0
	for i := range results {
		if errs[i] != nil {
			t.Errorf("import %d: %v", i, errs[i])
		}
		if results[i] {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d imports created the référentiel, want exactly 1", created)
	}
}

func TestSearchReferentiel(t *testing.T) {
	t.Parallel()
	store := postgres.NewStore(pgtest.New(t))
	r := cadreCommun(t)
	if _, err := store.ImportReferentiel(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	_, id, err := store.Referentiel(t.Context(), r.Code, r.Version)
	if err != nil {
		t.Fatal(err)
	}
	// The expected matches, computed from the parsed tree.
	expect := func(pred func(referentiel.AssessableItem) bool) []string {
		var codes []string
		for _, it := range r.Items() {
			if pred(it) {
				codes = append(codes, it.Code)
			}
		}
		slices.Sort(codes)
		return codes
	}
	search := func(q string) []string {
		found, err := store.SearchReferentiel(t.Context(), id, q)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for c := range found {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		return codes
	}
	hasWord := func(w string) func(referentiel.AssessableItem) bool {
		return func(it referentiel.AssessableItem) bool {
			all := it.Code + " " + it.Texte
			for _, p := range it.Precisions {
				all += " " + p
			}
			return contains(referentiel.Fold(all), w)
		}
	}
	equipes := expect(hasWord("equipe"))
	if len(equipes) == 0 {
		t.Fatal("no item mentions équipes: the test has nothing to check")
	}
	for _, q := range []string{"equipe", "ÉQUIPE", "  Équipe "} {
		if got := search(q); !slices.Equal(got, equipes) {
			t.Errorf("search %q = %v, want %v", q, got, equipes)
		}
	}
	both := expect(func(it referentiel.AssessableItem) bool { return hasWord("jeunes")(it) && hasWord("numerique")(it) })
	if got := search("jeunes numérique"); !slices.Equal(got, both) || len(both) == 0 {
		t.Errorf("two-word search = %v, want %v", got, both)
	}
	byCode := expect(func(it referentiel.AssessableItem) bool { return len(it.Code) > 5 && it.Code[:6] == "F2.R1." })
	if got := search("f2.r1."); !slices.Equal(got, byCode) || len(byCode) == 0 {
		t.Errorf("code search = %v, want %v", got, byCode)
	}
	for _, q := range []string{"%", "_", `\`, "zzzz-introuvable"} {
		if got := search(q); len(got) != 0 {
			t.Errorf("search %q matched %d items, want none", q, len(got))
		}
	}
}

func TestUnknownReferentielIsNotFound(t *testing.T) {
	t.Parallel()
	store := postgres.NewStore(pgtest.New(t))
	if _, _, err := store.Referentiel(t.Context(), "inconnu", ""); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("err = %v, want ENOTFOUND", err)
	}
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }
