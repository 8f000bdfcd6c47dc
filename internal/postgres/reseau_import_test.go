package postgres_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/postgres/pgtest"
	"github.com/unml/cadre/internal/reseau"
)

const networkHeader = "region_code;region_nom;structure_code;structure_nom;structure_forme;structure_siret;site_code;site_nom;site_type;site_adresse;site_code_postal;site_commune\n"

func networkPlan(t *testing.T, csv string) *reseau.Plan {
	t.Helper()
	plan, err := reseau.Parse(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return plan
}

func demoPlan(t *testing.T) *reseau.Plan {
	t.Helper()
	data, err := os.ReadFile("../reseau/testdata/demo.csv")
	if err != nil {
		t.Fatal(err)
	}
	return networkPlan(t, string(data))
}

func mustImportNetwork(t *testing.T, store *postgres.Store, plan *reseau.Plan, dryRun bool) reseau.Changes {
	t.Helper()
	changes, err := store.ImportNetwork(t.Context(), nil, plan, dryRun)
	if err != nil {
		t.Fatalf("ImportNetwork(dryRun=%v): %v", dryRun, err)
	}
	return changes
}

// networkState dumps the network tables, timestamps included, one sorted line
// per row, so that two states compare as strings.
func networkState(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var state string
	err := pool.QueryRow(t.Context(), `
		SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
			SELECT concat_ws(' ', 'region', code, nom, created_at, updated_at) AS line FROM regions
			UNION ALL
			SELECT concat_ws(' ', 'structure', s.code, s.nom, r.code, s.forme, coalesce(s.siret, '-'), s.created_at, s.updated_at)
			FROM structures s JOIN regions r ON r.id = s.region_id
			UNION ALL
			SELECT concat_ws(' ', 'site', si.code, st.code, si.nom, si.kind, si.adresse, si.code_postal, si.commune, si.created_at, si.updated_at)
			FROM sites si JOIN structures st ON st.id = si.structure_id
			UNION ALL
			SELECT concat_ws(' ', 'history', st.code, r.code, sr.since, coalesce(sr.until::text, 'open'), coalesce(sr.moved_by::text, 'import'))
			FROM structure_regions sr JOIN structures st ON st.id = sr.structure_id JOIN regions r ON r.id = sr.region_id
		) t`).Scan(&state)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// networkUpdatedAt returns the updated_at of every row of the network, keyed "site CODE"…
func networkUpdatedAt(t *testing.T, pool *pgxpool.Pool) map[string]time.Time {
	t.Helper()
	rows, _ := pool.Query(t.Context(), `
		SELECT 'region ' || code, updated_at FROM regions
		UNION ALL SELECT 'structure ' || code, updated_at FROM structures
		UNION ALL SELECT 'site ' || code, updated_at FROM sites`)
	m := map[string]time.Time{}
	var key string
	var at time.Time
	if _, err := pgx.ForEachRow(rows, []any{&key, &at}, func() error { m[key] = at; return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

type regionPeriod struct {
	Region string
	Open   bool
}

// regionHistory returns the régions of a structure, oldest first, checking that each
// period starts when the previous one ends and that imports leave moved_by empty.
func regionHistory(t *testing.T, pool *pgxpool.Pool, structure string) []regionPeriod {
	t.Helper()
	rows, _ := pool.Query(t.Context(), `
		SELECT r.code, sr.since, sr.until, sr.moved_by
		FROM structure_regions sr JOIN structures s ON s.id = sr.structure_id JOIN regions r ON r.id = sr.region_id
		WHERE s.code = $1 ORDER BY sr.since, sr.id`, structure)
	var periods []regionPeriod
	var region string
	var since time.Time
	var until *time.Time
	var movedBy *int64
	var lastUntil *time.Time
	_, err := pgx.ForEachRow(rows, []any{&region, &since, &until, &movedBy}, func() error {
		if lastUntil != nil && !lastUntil.Equal(since) {
			t.Errorf("%s: a period starts at %v, the previous one ended at %v", structure, since, *lastUntil)
		}
		if movedBy != nil {
			t.Errorf("%s: moved_by = %d after an import, want NULL", structure, *movedBy)
		}
		periods = append(periods, regionPeriod{region, until == nil})
		lastUntil = until
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return periods
}

func TestImportNetworkCreatesThenChangesNothing(t *testing.T) {
	t.Parallel()
	app := pgtest.New(t)
	store := postgres.NewStore(app)
	pool := pgtest.Admin(t, app) // the checks see past row-level security
	changes := mustImportNetwork(t, store, demoPlan(t), false)

	counts := []struct {
		e    reseau.Entity
		a    reseau.Action
		want int
	}{
		{reseau.EntityRegion, reseau.Created, 2},
		{reseau.EntityStructure, reseau.Created, 3},
		{reseau.EntitySite, reseau.Created, 10},
	}
	for _, c := range counts {
		if got := changes.Count(c.e, c.a); got != c.want {
			t.Errorf("%s %s: %d, want %d", c.e, c.a, got, c.want)
		}
	}
	if len(changes) != 15 {
		t.Errorf("%d changes, want 15:\n%s", len(changes), changeLines(changes))
	}
	wantFirst := []string{
		"création de la région BRE « Bretagne »",
		"création de la région ARA « Auvergne-Rhône-Alpes »",
		"création de la Mission Locale ML-RENNES « Mission Locale du bassin d'emploi de Rennes » dans la région BRE",
		"création de la Mission Locale ML-BREST « Mission Locale du Pays de Brest » dans la région BRE",
		"création de la Mission Locale ML-LYON « Mission Locale de Lyon » dans la région ARA",
		"création du site RENNES-SIEGE « Siège de la Mission Locale de Rennes » (siège) de la Mission Locale ML-RENNES",
	}
	if got := strings.Split(changeLines(changes), "\n")[:len(wantFirst)]; !slices.Equal(got, wantFirst) {
		t.Errorf("first changes =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantFirst, "\n"))
	}

	var sites, sieges int
	if err := pool.QueryRow(t.Context(), "SELECT count(*), count(*) FILTER (WHERE kind = 'siege') FROM sites").Scan(&sites, &sieges); err != nil {
		t.Fatal(err)
	}
	if sites != 10 || sieges != 3 {
		t.Errorf("%d sites of which %d sièges, want 10 and 3", sites, sieges)
	}
	var adresse string
	if err := pool.QueryRow(t.Context(), "SELECT adresse FROM sites WHERE code = 'RENNES-PERM-1'").Scan(&adresse); err != nil || adresse != "Espace social, 4 place du Docteur Joly" {
		t.Errorf("RENNES-PERM-1 adresse = %q, %v", adresse, err)
	}
	for structure, region := range map[string]string{"ML-RENNES": "BRE", "ML-BREST": "BRE", "ML-LYON": "ARA"} {
		if got := regionHistory(t, pool, structure); !slices.Equal(got, []regionPeriod{{region, true}}) {
			t.Errorf("history of %s = %v, want one open period in %s", structure, got, region)
		}
	}

	// The same file again: no change, nothing written, not even updated_at.
	before := networkState(t, pool)
	for _, dryRun := range []bool{true, false} {
		if changes := mustImportNetwork(t, store, demoPlan(t), dryRun); len(changes) != 0 {
			t.Errorf("second import (dryRun=%v) reports changes:\n%s", dryRun, changeLines(changes))
		}
	}
	if after := networkState(t, pool); after != before {
		t.Errorf("second import changed the database:\n--- before\n%s\n--- after\n%s", before, after)
	}
}

func changeLines(cs reseau.Changes) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.String() + "\n")
	}
	return b.String()
}

// networkUpdate is a partial file over the demo network: what it leaves out stays.
const networkUpdate = networkHeader +
	// 2: the ML renamed, its antenne moved to another town
	"BRE;Bretagne;ML-RENNES;Mission Locale du bassin rennais;association;;RENNES-ANT-2;Antenne de Thorigné-Fouillard;Antenne;2 rue de Rennes;35235;Thorigné-Fouillard\n" +
	// 3: the ML moved to another région, which is renamed
	"ARA;ARML Auvergne-Rhône-Alpes;ML-BREST;Mission Locale du Pays de Brest;association;;;;;;;\n" +
	// 4: a site moved to another ML
	"ARA;ARML Auvergne-Rhône-Alpes;ML-BREST;Mission Locale du Pays de Brest;association;;RENNES-PERM-1;Permanence de Bruz;Permanence;\"Espace social, 4 place du Docteur Joly\";35170;Bruz\n" +
	// 5 and 6: the ML becomes a GIP and its siège moves, the new one listed first
	"ARA;ARML Auvergne-Rhône-Alpes;ML-LYON;Mission Locale de Lyon;gip;;LYON-ANT-1;Antenne de Lyon 8e;Siège;5 avenue Jean Mermoz;69008;Lyon\n" +
	"ARA;ARML Auvergne-Rhône-Alpes;ML-LYON;Mission Locale de Lyon;gip;;LYON-SIEGE;Siège de la Mission Locale de Lyon;Antenne;24 rue Étienne Rognon;69007;Lyon\n"

var networkUpdateChanges = []string{
	"modification de la région ARA : nom « Auvergne-Rhône-Alpes » → « ARML Auvergne-Rhône-Alpes »",
	"modification de la Mission Locale ML-RENNES : nom « Mission Locale du bassin d'emploi de Rennes » → « Mission Locale du bassin rennais »",
	"déplacement de la Mission Locale ML-BREST : région BRE → ARA",
	"modification de la Mission Locale ML-LYON : forme juridique « Association » → « GIP »",
	"modification du site RENNES-ANT-2 : nom « Antenne de Cesson-Sévigné » → « Antenne de Thorigné-Fouillard », adresse « 2 rue de la Chalotais » → « 2 rue de Rennes », code postal « 35510 » → « 35235 », commune « Cesson-Sévigné » → « Thorigné-Fouillard »",
	"déplacement du site RENNES-PERM-1 : Mission Locale ML-RENNES → ML-BREST",
	"modification du site LYON-ANT-1 : type « antenne » → « siège »",
	"modification du site LYON-SIEGE : type « siège » → « antenne »",
}

func TestImportNetworkUpdatesAndMoves(t *testing.T) {
	t.Parallel()
	app := pgtest.New(t)
	store := postgres.NewStore(app)
	pool := pgtest.Admin(t, app) // the checks see past row-level security
	mustImportNetwork(t, store, demoPlan(t), false)
	before := networkUpdatedAt(t, pool)

	changes := mustImportNetwork(t, store, networkPlan(t, networkUpdate), false)
	if got := strings.Split(strings.TrimSuffix(changeLines(changes), "\n"), "\n"); !slices.Equal(got, networkUpdateChanges) {
		t.Errorf("changes =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(networkUpdateChanges, "\n"))
	}
	if changes.Count(reseau.EntityStructure, reseau.Moved) != 1 || changes.Count(reseau.EntitySite, reseau.Updated) != 3 {
		t.Errorf("counts: %s", changes.Summary())
	}
	if c := changes[2]; c.Line != 3 || c.Action != reseau.Moved || c.From != "BRE" || c.To != "ARA" {
		t.Errorf("the move = %+v", c)
	}

	check := func(sql, code string, want ...string) {
		t.Helper()
		got := make([]string, len(want))
		dest := make([]any, len(want))
		for i := range got {
			dest[i] = &got[i]
		}
		if err := pool.QueryRow(t.Context(), sql, code).Scan(dest...); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
	const siteSQL = "SELECT st.code, si.kind, si.commune FROM sites si JOIN structures st ON st.id = si.structure_id WHERE si.code = $1"
	const structureSQL = "SELECT s.nom, r.code, s.forme FROM structures s JOIN regions r ON r.id = s.region_id WHERE s.code = $1"
	check(structureSQL, "ML-BREST", "Mission Locale du Pays de Brest", "ARA", "association")
	check(structureSQL, "ML-LYON", "Mission Locale de Lyon", "ARA", "gip")
	check(structureSQL, "ML-RENNES", "Mission Locale du bassin rennais", "BRE", "association")
	check(siteSQL, "RENNES-PERM-1", "ML-BREST", "permanence", "Bruz")
	check(siteSQL, "RENNES-ANT-2", "ML-RENNES", "antenne", "Thorigné-Fouillard")
	check(siteSQL, "LYON-ANT-1", "ML-LYON", "siege", "Lyon")
	check(siteSQL, "LYON-SIEGE", "ML-LYON", "antenne", "Lyon")
	// Left out of the file, hence untouched.
	check(siteSQL, "BREST-SIEGE", "ML-BREST", "siege", "Brest")

	if got := regionHistory(t, pool, "ML-BREST"); !slices.Equal(got, []regionPeriod{{"BRE", false}, {"ARA", true}}) {
		t.Errorf("history of ML-BREST = %v, want BRE closed then ARA open", got)
	}
	if got := regionHistory(t, pool, "ML-RENNES"); !slices.Equal(got, []regionPeriod{{"BRE", true}}) {
		t.Errorf("history of ML-RENNES = %v, want BRE only", got)
	}

	after := networkUpdatedAt(t, pool)
	changed := []string{"region ARA", "structure ML-RENNES", "structure ML-BREST", "structure ML-LYON",
		"site RENNES-ANT-2", "site RENNES-PERM-1", "site LYON-ANT-1", "site LYON-SIEGE"}
	for key, at := range after {
		if slices.Contains(changed, key) != at.After(before[key]) {
			t.Errorf("%s: updated_at %v → %v; changed by the import: %v", key, before[key], at, slices.Contains(changed, key))
		}
	}

	// Again: nothing to do.
	state := networkState(t, pool)
	if changes := mustImportNetwork(t, store, networkPlan(t, networkUpdate), false); len(changes) != 0 {
		t.Errorf("second import of the update reports:\n%s", changeLines(changes))
	}
	if networkState(t, pool) != state {
		t.Error("second import of the update changed the database")
	}

	// Moving back reopens a period in the first région.
	back := strings.ReplaceAll(networkUpdate, "ARA;ARML Auvergne-Rhône-Alpes;ML-BREST", "BRE;Bretagne;ML-BREST")
	changes = mustImportNetwork(t, store, networkPlan(t, back), false)
	if got := changeLines(changes); got != "déplacement de la Mission Locale ML-BREST : région ARA → BRE\n" {
		t.Errorf("moving back: %s", got)
	}
	if got := regionHistory(t, pool, "ML-BREST"); !slices.Equal(got, []regionPeriod{{"BRE", false}, {"ARA", false}, {"BRE", true}}) {
		t.Errorf("history of ML-BREST = %v", got)
	}
}

func TestImportNetworkSwapsSiegesBetweenMissionsLocales(t *testing.T) {
	t.Parallel()
	app := pgtest.New(t)
	store := postgres.NewStore(app)
	pool := pgtest.Admin(t, app) // the checks see past row-level security
	mustImportNetwork(t, store, networkPlan(t, networkHeader+
		"BRE;Bretagne;ML-A;Mission Locale A;;;A-1;Site un;siège;;;Vannes\n"+
		"BRE;Bretagne;ML-B;Mission Locale B;;;B-1;Site deux;siège;;;Lorient\n"), false)
	// Each siège goes to the other ML: whatever the order of the writes, one ML
	// briefly has two sièges unless the import demotes them first.
	changes := mustImportNetwork(t, store, networkPlan(t, networkHeader+
		"BRE;Bretagne;ML-A;Mission Locale A;;;B-1;Site deux;siège;;;Lorient\n"+
		"BRE;Bretagne;ML-B;Mission Locale B;;;A-1;Site un;siège;;;Vannes\n"), false)
	want := "déplacement du site B-1 : Mission Locale ML-B → ML-A\ndéplacement du site A-1 : Mission Locale ML-A → ML-B\n"
	if got := changeLines(changes); got != want {
		t.Errorf("changes =\n%swant\n%s", got, want)
	}
	var pairs string
	if err := pool.QueryRow(t.Context(), `
		SELECT string_agg(st.code || ':' || si.code, ' ' ORDER BY st.code) FROM sites si JOIN structures st ON st.id = si.structure_id
		WHERE si.kind = 'siege'`).Scan(&pairs); err != nil || pairs != "ML-A:B-1 ML-B:A-1" {
		t.Errorf("sièges = %q, %v", pairs, err)
	}
}

func TestImportNetworkDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	app := pgtest.New(t)
	store := postgres.NewStore(app)
	pool := pgtest.Admin(t, app) // the checks see past row-level security
	empty := networkState(t, pool)
	changes := mustImportNetwork(t, store, demoPlan(t), true)
	if len(changes) != 15 {
		t.Errorf("dry run reports %d changes, want 15", len(changes))
	}
	if got := networkState(t, pool); got != empty {
		t.Errorf("dry run wrote:\n%s", got)
	}

	mustImportNetwork(t, store, demoPlan(t), false)
	state := networkState(t, pool)
	changes = mustImportNetwork(t, store, networkPlan(t, networkUpdate), true)
	if got := strings.Split(strings.TrimSuffix(changeLines(changes), "\n"), "\n"); !slices.Equal(got, networkUpdateChanges) {
		t.Errorf("dry run of the update reports:\n%s", strings.Join(got, "\n"))
	}
	if networkState(t, pool) != state {
		t.Error("dry run of the update wrote to the database")
	}
}

func TestImportNetworkConflictsWithTheDatabase(t *testing.T) {
	t.Parallel()
	app := pgtest.New(t)
	store := postgres.NewStore(app)
	pool := pgtest.Admin(t, app) // the checks see past row-level security
	mustImportNetwork(t, store, demoPlan(t), false)
	state := networkState(t, pool)

	cases := []struct {
		name  string
		plan  *reseau.Plan
		lines []int
		want  []string
	}{
		{
			name: "a second siège through a site absent from the file",
			plan: networkPlan(t, networkHeader+
				"NOR;Normandie;ML-CAEN;Mission Locale de Caen;;;CAEN-SIEGE;Siège de Caen;Siège;;14000;Caen\n"+
				"BRE;Bretagne;ML-RENNES;Mission Locale du bassin d'emploi de Rennes;;;RENNES-CENTRE;Nouveau siège;Siège;;35000;Rennes\n"+
				"BRE;Bretagne;ML-BREST;Mission Locale du Pays de Brest;;;BREST-ANT-1;Antenne de Landerneau;Antenne;12 quai de Léon;29800;Landerneau\n"+
				"ARA;Auvergne-Rhône-Alpes;ML-LYON;Mission Locale de Lyon;;;BREST-REL-1;Relais de Saint-Renan;Siège;;29290;Saint-Renan\n"),
			lines: []int{3, 5},
			want: []string{
				"le site RENNES-CENTRE ne peut pas être le siège de la Mission Locale ML-RENNES : elle a déjà pour siège le site RENNES-SIEGE, absent du fichier",
				"le site BREST-REL-1 ne peut pas être le siège de la Mission Locale ML-LYON : elle a déjà pour siège le site LYON-SIEGE, absent du fichier",
			},
		},
		{
			// Parse never builds such a plan; a caller that does still gets the
			// database's refusal as a problem of its line.
			name: "a value the schema refuses",
			plan: &reseau.Plan{
				Regions:    []reseau.Region{{Region: domain.Region{Code: "NOR", Nom: "Normandie"}, Line: 2}},
				Structures: []reseau.Structure{{Structure: domain.Structure{Code: "ML-CAEN", Nom: "Mission Locale de Caen", Forme: "association"}, RegionCode: "NOR", Line: 2}},
				Sites: []reseau.Site{{Site: domain.Site{Code: "CAEN-SIEGE", Nom: "Siège", Kind: "siege", CodePostal: "14 000", Commune: "Caen"},
					StructureCode: "ML-CAEN", Line: 7}},
			},
			lines: []int{7},
			want:  []string{"la base de données refuse le site CAEN-SIEGE : une valeur ne respecte pas la règle « sites_code_postal_check »"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, dryRun := range []bool{true, false} {
				changes, err := store.ImportNetwork(t.Context(), nil, tc.plan, dryRun)
				var perr *reseau.ParseError
				if !errors.As(err, &perr) {
					t.Fatalf("dryRun=%v: changes %v, err %v; want a *reseau.ParseError", dryRun, changes, err)
				}
				if len(perr.Problems) != len(tc.want) {
					t.Fatalf("dryRun=%v: problems:\n%v", dryRun, err)
				}
				for i, p := range perr.Problems {
					if p.Line != tc.lines[i] || !strings.HasPrefix(p.Message, tc.want[i]) {
						t.Errorf("dryRun=%v: problem %d = %q, want line %d: %q", dryRun, i, p, tc.lines[i], tc.want[i])
					}
				}
				if msg := err.Error(); strings.Contains(msg, "SQLSTATE") || strings.Contains(msg, "duplicate key") || strings.Contains(msg, "violates") {
					t.Errorf("raw SQL error shown: %s", msg)
				}
				if domain.ErrorCode(err) != domain.EINVALID {
					t.Errorf("error code %s, want %s", domain.ErrorCode(err), domain.EINVALID)
				}
				// Everything rolled back, the new région and ML included.
				if got := networkState(t, pool); got != state {
					t.Errorf("dryRun=%v: the failed import wrote:\n%s", dryRun, got)
				}
			}
		})
	}
}
