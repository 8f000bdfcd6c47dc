package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
)

// NationalPlan is the shape of the national dataset: how many of each thing,
// decided by the caller (internal/national) from a seed. Every pseudo-random
// choice made here in SQL hashes the row's key with Seed, so that the same plan
// gives the same rows, ids included, in an empty database.
type NationalPlan struct {
	Seed int64
	// RegionNames holds one name per région, in order.
	RegionNames []string
	// One entry per Mission Locale: its région (index into RegionNames), its
	// number of sites, of contributors and of evidence pieces.
	MLRegion       []int32
	MLSites        []int32
	MLContributors []int32
	MLPreuves      []int32
	// BigFileEvery: every n-th ML (n, 2n+1, …, counting from 1) holds a 1 MB file
	// for the benchmark's download.
	BigFileEvery int
	// National and regional accounts.
	Poles, Admins, Auditeurs, ReferentsPerRegion int
	// PasswordHash is every account's password hash.
	PasswordHash string
	// ReferentielID is the référentiel every campaign rates (already imported).
	ReferentielID int64
	// FirstNames and LastNames make people's names; Comments and PreuveTitles
	// (with their types) make the text of answers and pieces.
	FirstNames, LastNames, Comments, PreuveTitles, PreuveTypes []string
	// AsOf is the day the dataset describes (no step is dated after it);
	// Sessions the commission's session dates, in order.
	AsOf     time.Time
	Sessions []time.Time
	// Texts are the words of reviews, audits, plans and decisions.
	Texts NationalTexts
	// Draw draws an audit's sample of sites (the audit's rule): the sites in
	// rank order, and whether chance chose each.
	Draw func(nature string, candidats []int64, siege int64, visites []int64, seed int64) (sites []int64, aleatoire []bool)
}

// NationalTexts are the French texts the labelling's steps pick from.
type NationalTexts struct {
	// The avis régional's strengths and areas of progress, and the référent's remarks on items.
	PointsForts, AxesProgres, Remarques []string
	// The auditors' comments on items and reasons for refusing a piece.
	AuditComments, Motifs []string
	// Constats holds one text per nature of finding (point_fort,
	// piste_progres, point_vigilance, ecart_mineur, ecart_majeur); the ML's
	// observations, the pair's answers and the reports' summaries.
	Constats, Observations, Reponses, Syntheses []string
	// Actions are the plans' action titles; Abandons the reasons of abandoned ones.
	Actions, Abandons []string
	// Decisions holds the motifs of each result (labellise, ajourne,
	// non_labellise); Conditions an adjournment's; Membres a session's members.
	Decisions           []string
	Conditions, Membres string
}

// NationalEmailDomain ends every account the national dataset creates.
const NationalEmailDomain = ".national.demo"

// SeedNational writes the national dataset into an empty database in one
// transaction, set-based: a few dozen statements whatever the size.
func (s *Store) SeedNational(ctx context.Context, actor *domain.Actor, p NationalPlan) error {
	return s.inTx(ctx, actor, "SeedNational", func(tx *jtx) error {
		for _, st := range append(nationalSQL, labellingSQL...) {
			if st.sql == "" {
				if err := nationalGoSteps[st.name](ctx, tx, &p); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.Exec(ctx, st.sql, st.args(&p)...); err != nil {
				return err
			}
		}
		// One entry for the whole dataset: it is written set-based, not
		// change by change.
		tx.journal(journal.Entry{Action: journal.ActSeed, ObjectType: "dataset", ObjectID: "national",
			Label: "national", After: journal.JSON(map[string]any{"seed": p.Seed})})
		return nil
	})
}

type nationalStep struct {
	name string
	sql  string
	args func(p *NationalPlan) []any
}

// nationalGoSteps are the steps without SQL (sql ""), by name: those that need Go.
var nationalGoSteps = map[string]func(ctx context.Context, tx pgx.Tx, p *NationalPlan) error{"samples": drawSamples}

func noArgs(*NationalPlan) []any { return nil }

// rnd(k, salt, n) is a pseudo-random integer in [0, n), a function of the key,
// the salt and the seed only.
var nationalSQL = []nationalStep{
	{"random function", `CREATE FUNCTION pg_temp.rnd(k bigint, salt bigint, n bigint, seed bigint) RETURNS bigint
		LANGUAGE sql IMMUTABLE AS 'SELECT (hashint8extended(k * 1009 + salt, seed) & 9223372036854775807) % n'`, noArgs},
	{"régions", `INSERT INTO regions (code, nom)
		SELECT 'R' || lpad(i::text, 2, '0'), n FROM unnest($1::text[]) WITH ORDINALITY AS x(n, i) ORDER BY i`,
		func(p *NationalPlan) []any { return []any{p.RegionNames} }},
	{"structures", `INSERT INTO structures (code, nom, region_id, forme, documents_arml)
		SELECT 'ML-' || lpad(i::text, 4, '0'), 'Mission Locale n° ' || lpad(i::text, 4, '0'),
		       (SELECT id FROM regions WHERE code = 'R' || lpad((r + 1)::text, 2, '0')),
		       CASE WHEN pg_temp.rnd(i, 1, 5, $2) = 0 THEN 'gip' ELSE 'association' END, pg_temp.rnd(i, 2, 3, $2) = 0
		FROM unnest($1::int[]) WITH ORDINALITY AS x(r, i) ORDER BY i`,
		func(p *NationalPlan) []any { return []any{p.MLRegion, p.Seed} }},
	{"structure régions", `INSERT INTO structure_regions (structure_id, region_id) SELECT id, region_id FROM structures ORDER BY id`, noArgs},
	{"sites", `INSERT INTO sites (code, structure_id, nom, kind, adresse, code_postal, commune)
		SELECT st.code || '-S' || lpad(k::text, 2, '0'), st.id,
		       CASE WHEN k = 1 THEN 'Siège' ELSE (ARRAY['Antenne', 'Relais', 'Permanence'])[1 + pg_temp.rnd(st.id * 100 + k, 3, 3, $2)] || ' n° ' || k END,
		       CASE WHEN k = 1 THEN 'siege' ELSE (ARRAY['antenne', 'relais', 'permanence'])[1 + pg_temp.rnd(st.id * 100 + k, 3, 3, $2)] END,
		       (1 + pg_temp.rnd(st.id * 100 + k, 4, 120, $2)) || ' rue de la République',
		       lpad((1000 + pg_temp.rnd(st.id * 100 + k, 5, 94000, $2))::text, 5, '0'),
		       'Commune ' || lpad(x.i::text, 4, '0') || '-' || k
		FROM unnest($1::int[]) WITH ORDINALITY AS x(n, i)
		JOIN structures st ON st.code = 'ML-' || lpad(x.i::text, 4, '0')
		CROSS JOIN LATERAL generate_series(1, x.n) AS k
		ORDER BY st.id, k`,
		func(p *NationalPlan) []any { return []any{p.MLSites, p.Seed} }},
	// People: one row per account, its email, name and membership.
	{"people", `CREATE TEMP TABLE nat_people ON COMMIT DROP AS
		WITH p AS (
			SELECT 1 AS g, i, 'pole-' || i || '@unml' AS local, 'pole' AS role, NULL::bigint AS region_id, NULL::bigint AS structure_id
			FROM generate_series(1, $1) i
			UNION ALL SELECT 2, i, 'admin-' || i || '@unml', 'admin', NULL, NULL FROM generate_series(1, $2) i
			UNION ALL SELECT 3, i, 'auditeur-' || i || '@unml', 'auditeur', NULL, NULL FROM generate_series(1, $3) i
			UNION ALL SELECT 4, r.id * 100 + k, 'referent-' || k || '@' || lower(r.code), 'referent_arml', r.id, NULL
			FROM regions r CROSS JOIN generate_series(1, $4) k
			UNION ALL SELECT 5, st.id * 1000, 'directeur@' || lower(st.code), 'directeur', NULL, st.id FROM structures st
			UNION ALL SELECT 6, st.id * 1000 + k, 'contributeur-' || k || '@' || lower(st.code), 'contributeur', NULL, st.id
			FROM unnest($5::int[]) WITH ORDINALITY AS x(n, i)
			JOIN structures st ON st.code = 'ML-' || lpad(x.i::text, 4, '0')
			CROSS JOIN LATERAL generate_series(1, x.n) AS k)
		SELECT g, i, local || '` + NationalEmailDomain + `' AS email, role, region_id, structure_id,
		       CASE WHEN g = 3 THEN CASE WHEN i <= ceil($3 * 0.4) THEN 'certifie' ELSE 'reseau' END END AS qualification,
		       ($7::text[])[1 + pg_temp.rnd(g * 1000000 + i, 6, cardinality($7::text[]), $6)] || ' ' ||
		       ($8::text[])[1 + pg_temp.rnd(g * 1000000 + i, 7, cardinality($8::text[]), $6)] AS nom
		FROM p`,
		func(p *NationalPlan) []any {
			return []any{p.Poles, p.Admins, p.Auditeurs, p.ReferentsPerRegion, p.MLContributors, p.Seed, p.FirstNames, p.LastNames}
		}},
	// Two auditors in five are certified, the others from the network.
	{"users", `INSERT INTO users (email, nom, password_hash, qualification_audit) SELECT email, nom, $1, qualification FROM nat_people ORDER BY g, i`,
		func(p *NationalPlan) []any { return []any{p.PasswordHash} }},
	{"memberships", `INSERT INTO memberships (user_id, role, region_id, structure_id)
		SELECT u.id, np.role, np.region_id, np.structure_id FROM nat_people np JOIN users u ON u.email = np.email ORDER BY u.id`, noArgs},
	{"rgpd", `INSERT INTO rgpd_acquittements (user_id, acquitte)
		SELECT m.user_id, '2024-01-15' FROM memberships m WHERE m.role IN ('directeur', 'contributeur') ORDER BY m.user_id`, noArgs},
	// Who writes for each ML: its director and its first contributor, if any.
	{"ml writers", `CREATE TEMP TABLE nat_ml ON COMMIT DROP AS
		SELECT st.id AS structure_id, d.user_id AS directeur, coalesce(c.user_id, d.user_id) AS contributeur
		FROM structures st
		JOIN memberships d ON d.structure_id = st.id AND d.role = 'directeur'
		LEFT JOIN LATERAL (SELECT user_id FROM memberships WHERE structure_id = st.id AND role = 'contributeur' ORDER BY id LIMIT 1) c ON true`, noArgs},
	// The open campaign closes at the end of March 2027: its closing reminders
	// stay out of the benchmark's way until then.
	{"campagnes", `INSERT INTO campagnes (nom, referentiel_id, ouverture, cloture, etat, created_by, created_at, opened_at, closed_at)
		SELECT 'Auto-évaluation ' || y, $1, make_date(y, CASE WHEN y = 2026 THEN 9 ELSE 2 END, 3),
		       CASE WHEN y = 2026 THEN date '2027-03-31' ELSE make_date(y, 6, 30) END,
		       CASE WHEN y = 2026 THEN 'ouverte' ELSE 'close' END, (SELECT min(id) FROM users),
		       make_date(y, 1, 10), make_date(y, CASE WHEN y = 2026 THEN 9 ELSE 2 END, 3), CASE WHEN y = 2026 THEN NULL ELSE make_date(y, 7, 1) END
		FROM generate_series(2024, 2026) y ORDER BY y`,
		func(p *NationalPlan) []any { return []any{p.ReferentielID} }},
	{"campagne structures", `INSERT INTO campagne_structures (campagne_id, structure_id)
		SELECT c.id, st.id FROM campagnes c CROSS JOIN structures st ORDER BY c.id, st.id`, noArgs},
	// In the closed campaigns 9 MLs in 10 submitted; in the open one, 1 in 4.
	{"autoevaluations", `INSERT INTO autoevaluations (campagne_id, structure_id, etat, created_at, updated_at)
		SELECT c.id, st.id,
		       CASE WHEN pg_temp.rnd(c.id * 10000 + st.id, 8, 100, $1) < CASE WHEN c.etat = 'close' THEN 90 ELSE 25 END
		            THEN 'soumise' ELSE 'en_cours' END,
		       c.opened_at, c.opened_at + interval '40 days'
		FROM campagnes c CROSS JOIN structures st ORDER BY c.id, st.id`,
		func(p *NationalPlan) []any { return []any{p.Seed} }},
	{"submissions", `INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_user, by_role, at)
		SELECT ae.id, 'soumettre', 'en_cours', 'soumise', w.directeur, 'directeur', ae.updated_at
		FROM autoevaluations ae JOIN nat_ml w ON w.structure_id = ae.structure_id
		WHERE ae.etat = 'soumise' ORDER BY ae.id`, noArgs},
	// About 90 % of the items rated, nearly all with a comment; a few "non
	// concerné" (never on an imperative item) with their justification.
	{"cotations", `INSERT INTO cotations (autoevaluation_id, item_id, valeur, non_concerne, justification, commentaire, version, updated_by, updated_at)
		SELECT ae.id, i.id,
		       CASE WHEN nc THEN NULL ELSE 1 + pg_temp.rnd(ae.id * 1000 + i.ordre, 10, 4, $1) END, nc,
		       CASE WHEN nc THEN 'Action portée par le réseau régional pour notre territoire.' ELSE '' END,
		       CASE WHEN pg_temp.rnd(ae.id * 1000 + i.ordre, 11, 10, $1) = 0 THEN ''
		            ELSE ($2::text[])[1 + pg_temp.rnd(ae.id * 1000 + i.ordre, 12, cardinality($2::text[]), $1)] END,
		       1, CASE WHEN i.ordre % 3 = 0 THEN w.directeur ELSE w.contributeur END,
		       ae.created_at + (pg_temp.rnd(ae.id * 1000 + i.ordre, 13, 2400, $1) || ' minutes')::interval
		FROM autoevaluations ae
		JOIN campagnes c ON c.id = ae.campagne_id
		JOIN referentiel_items i ON i.referentiel_id = c.referentiel_id
		JOIN nat_ml w ON w.structure_id = ae.structure_id
		CROSS JOIN LATERAL (SELECT NOT i.imperatif AND pg_temp.rnd(ae.id * 1000 + i.ordre, 14, 30, $1) = 0 AS nc) x
		WHERE ae.etat <> 'en_cours' OR pg_temp.rnd(ae.id * 1000 + i.ordre, 9, 100, $1) < 80 + pg_temp.rnd(ae.id, 15, 20, $1)
		ORDER BY ae.id, i.id`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.Comments} }},
	{"cotation history", `INSERT INTO cotation_historique (autoevaluation_id, item_id, version, changed_by, changed_at, new_valeur,
			old_non_concerne, new_non_concerne, old_justification, new_justification, old_commentaire, new_commentaire)
		SELECT autoevaluation_id, item_id, 1, updated_by, updated_at, valeur, false, non_concerne, '', justification, '', commentaire
		FROM cotations ORDER BY autoevaluation_id, item_id`, noArgs},
	// Evidence: files (small PDFs, four distinct contents per ML), links and
	// pieces shown on the day.
	{"preuves", `INSERT INTO preuves (structure_id, nature, titre, type, date_document, fin_validite, url, statut, motif, created_by, created_at, updated_at)
		SELECT st.id, nat, ($3::text[])[t] || ' (' || k || ')', ($4::text[])[t],
		       date '2023-01-01' + pg_temp.rnd(st.id * 1000 + k, 21, 1300, $2)::int,
		       CASE WHEN pg_temp.rnd(st.id * 1000 + k, 22, 6, $2) = 0 THEN date '2026-06-30' END,
		       CASE WHEN nat = 'lien' THEN 'https://www.' || lower(st.code) || '.example/documents/' || k END,
		       CASE WHEN pg_temp.rnd(st.id * 1000 + k, 23, 5, $2) = 0 THEN 'acceptee' ELSE 'deposee' END, '',
		       w.directeur, timestamptz '2024-01-15' + (pg_temp.rnd(st.id * 1000 + k, 24, 1000, $2) || ' days')::interval,
		       timestamptz '2024-01-15' + (pg_temp.rnd(st.id * 1000 + k, 24, 1000, $2) || ' days')::interval
		FROM unnest($1::int[]) WITH ORDINALITY AS x(n, i)
		JOIN structures st ON st.code = 'ML-' || lpad(x.i::text, 4, '0')
		JOIN nat_ml w ON w.structure_id = st.id
		CROSS JOIN LATERAL generate_series(1, x.n) AS k
		CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.rnd(st.id * 1000 + k, 20, 100, $2) < 55 THEN 'fichier'
		                                WHEN pg_temp.rnd(st.id * 1000 + k, 20, 100, $2) < 95 THEN 'lien' ELSE 'sur_place' END AS nat,
		                           1 + pg_temp.rnd(st.id * 1000 + k, 25, cardinality($3::text[]), $2) AS t) y
		ORDER BY st.id, k`,
		func(p *NationalPlan) []any { return []any{p.MLPreuves, p.Seed, p.PreuveTitles, p.PreuveTypes} }},
	{"small contents", `INSERT INTO preuve_contenus (structure_id, sha256, taille, mime, created_at)
		SELECT st.id, sha256(d), length(d), 'application/pdf', '2024-01-15'
		FROM structures st CROSS JOIN generate_series(1, 4) k
		CROSS JOIN LATERAL (SELECT convert_to(format(E'%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%% %s, document %s\ntrailer << /Root 1 0 R >>\n%%%%EOF\n', st.nom, k), 'UTF8') AS d) x
		ORDER BY st.id, k`, noArgs},
	{"small chunks", `INSERT INTO preuve_morceaux (contenu_id, seq, data)
		SELECT c.id, 0, convert_to(format(E'%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%% %s, document %s\ntrailer << /Root 1 0 R >>\n%%%%EOF\n',
		       st.nom, row_number() OVER (PARTITION BY c.structure_id ORDER BY c.id)), 'UTF8')
		FROM preuve_contenus c JOIN structures st ON st.id = c.structure_id ORDER BY c.id`, noArgs},
	{"file versions", `INSERT INTO preuve_versions (preuve_id, version, contenu_id, nom, created_by, created_at)
		SELECT p.id, 1,
		       (SELECT c.id FROM preuve_contenus c WHERE c.structure_id = p.structure_id ORDER BY c.id
		        OFFSET pg_temp.rnd(p.id, 26, 4, $1) LIMIT 1),
		       'document-' || p.id || '.pdf', p.created_by, p.created_at
		FROM preuves p WHERE p.nature = 'fichier' ORDER BY p.id`,
		func(p *NationalPlan) []any { return []any{p.Seed} }},
	// The 1 MB file of every n-th ML: four chunks, its real SHA-256 computed
	// once they are stored.
	{"big files", `WITH st AS (SELECT id FROM structures WHERE (id - 1) % $1 = 0),
		c AS (INSERT INTO preuve_contenus (structure_id, sha256, taille, mime, created_at)
			SELECT id, sha256(convert_to('big ' || id, 'UTF8')), 4 * 262144, 'application/pdf', '2024-01-15' FROM st ORDER BY id RETURNING id, structure_id),
		m AS (INSERT INTO preuve_morceaux (contenu_id, seq, data)
			SELECT c.id, k, CASE WHEN k = 0 THEN convert_to(rpad(E'%PDF-1.4\n%', 262144, 'cadre '), 'UTF8')
			                     WHEN k = 3 THEN convert_to(rpad('%', 262144 - 6, 'cadre ') || E'%%EOF\n', 'UTF8')
			                     ELSE convert_to(rpad('%', 262144, 'cadre '), 'UTF8') END
			FROM c CROSS JOIN generate_series(0, 3) k),
		p AS (INSERT INTO preuves (structure_id, nature, titre, type, date_document, created_by, created_at, updated_at)
			SELECT c.structure_id, 'fichier', 'Rapport d''activité annuel (1 Mo)', 'autre', '2026-03-31', w.directeur, '2026-04-01', '2026-04-01'
			FROM c JOIN nat_ml w ON w.structure_id = c.structure_id ORDER BY c.structure_id RETURNING id, structure_id, created_by)
		INSERT INTO preuve_versions (preuve_id, version, contenu_id, nom, created_by, created_at)
		SELECT p.id, 1, c.id, 'rapport-activite.pdf', p.created_by, '2026-04-01' FROM p JOIN c ON c.structure_id = p.structure_id`,
		func(p *NationalPlan) []any { return []any{p.BigFileEvery} }},
	{"big files' sums", `UPDATE preuve_contenus c SET sha256 = (SELECT sha256(string_agg(data, ''::bytea ORDER BY seq)) FROM preuve_morceaux WHERE contenu_id = c.id)
		WHERE taille = 4 * 262144`, noArgs},
	// Each piece supports one to three items of the open campaign's référentiel.
	{"preuve items", `INSERT INTO preuve_items (preuve_id, item_id)
		SELECT DISTINCT p.id, i.id FROM preuves p
		CROSS JOIN generate_series(1, 1 + pg_temp.rnd(p.id, 27, 3, $1)::int) k
		JOIN referentiel_items i ON i.referentiel_id = $2
			AND i.ordre = (SELECT min(ordre) FROM referentiel_items WHERE referentiel_id = $2) +
			               pg_temp.rnd(p.id * 10 + k, 28, (SELECT count(*) FROM referentiel_items WHERE referentiel_id = $2), $1)
		ORDER BY 1, 2`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.ReferentielID} }},
	{"preuve sites", `INSERT INTO preuve_sites (preuve_id, site_id)
		SELECT p.id, s.id FROM preuves p JOIN sites s ON s.structure_id = p.structure_id AND s.kind = 'siege'
		WHERE pg_temp.rnd(p.id, 29, 4, $1) = 0 ORDER BY p.id`,
		func(p *NationalPlan) []any { return []any{p.Seed} }},
}

// BenchSheet is an open sheet the benchmark works on as its ML's director:
// the sheet, the ML's 1 MB file, and the answers of the given items.
type BenchSheet struct {
	Email                   string
	StructureID, AutoevalID int64
	BigFileID               int64
	// Items holds, for each item asked for, its current version and rating.
	Items map[string]BenchAnswer
}

// BenchAnswer is an item's saved state.
type BenchAnswer struct{ Version, Valeur int }

// BenchTargets is what the benchmark needs from the national dataset.
type BenchTargets struct {
	Sheets []BenchSheet
	// PoleEmail is a national team member's; CampagneID the open campaign.
	PoleEmail  string
	CampagneID int64
	// Referents are ARML référents, each with their région.
	Referents []BenchReferent
	// AuditID is an audit under way (0: none) and AuditeurEmail its
	// certified auditor's, who works in it.
	AuditID       int64
	AuditeurEmail string
	// Counts of the dataset, for the report.
	Regions, Structures, Sites, Users, Preuves, Cotations int
}

// BenchReferent is an ARML référent and their région.
type BenchReferent struct {
	Email    string
	RegionID int64
}

// NationalBenchTargets reads, from a database the national dataset filled,
// the open sheets whose ML holds a 1 MB file (in structure order, at most
// limit), with the answers of items, and the national and regional accounts.
func (s *Store) NationalBenchTargets(ctx context.Context, limit int, items []string) (_ BenchTargets, err error) {
	defer wrap(&err, "NationalBenchTargets")
	var t BenchTargets
	// The bench reads every ML: the system scope.
	err = s.read(ctx, systemTenant, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM regions), (SELECT count(*) FROM structures), (SELECT count(*) FROM sites),
			(SELECT count(*) FROM users), (SELECT count(*) FROM preuves), (SELECT count(*) FROM cotations),
			coalesce((SELECT max(id) FROM campagnes WHERE etat = 'ouverte'), 0),
			coalesce((SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id AND m.role = 'pole'
			          WHERE u.email LIKE '%' || $1 AND u.disabled_at IS NULL ORDER BY u.id LIMIT 1), '')`, NationalEmailDomain).
			Scan(&t.Regions, &t.Structures, &t.Sites, &t.Users, &t.Preuves, &t.Cotations, &t.CampagneID, &t.PoleEmail)
		if err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT DISTINCT ON (r.id) u.email, r.id AS region_id FROM regions r
			JOIN memberships m ON m.region_id = r.id AND m.role = 'referent_arml' JOIN users u ON u.id = m.user_id
			WHERE u.email LIKE '%' || $1 AND u.disabled_at IS NULL ORDER BY r.id, u.id`, NationalEmailDomain)
		t.Referents, err = pgx.CollectRows(rows, pgx.RowToStructByName[BenchReferent])
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT a.id, u.email FROM audits a JOIN users u ON u.id = a.auditeur_certifie
			WHERE a.etat = 'en_cours' AND u.disabled_at IS NULL AND u.email LIKE '%' || $1 ORDER BY a.id LIMIT 1`, NationalEmailDomain).
			Scan(&t.AuditID, &t.AuditeurEmail)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT u.email, st.id, ae.id, f.id
			FROM autoevaluations ae
			JOIN campagnes c ON c.id = ae.campagne_id AND c.etat = 'ouverte'
			JOIN structures st ON st.id = ae.structure_id
			JOIN LATERAL (SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
			              WHERE m.structure_id = st.id AND m.role = 'directeur' AND u.disabled_at IS NULL AND u.email LIKE '%' || $1
			              ORDER BY u.id LIMIT 1) u ON true
			JOIN LATERAL (SELECT p.id FROM preuves p JOIN preuve_versions v ON v.preuve_id = p.id JOIN preuve_contenus pc ON pc.id = v.contenu_id
			              WHERE p.structure_id = st.id AND pc.taille >= 1048576 ORDER BY p.id LIMIT 1) f ON true
			WHERE ae.etat = 'en_cours' ORDER BY st.id LIMIT $2`, NationalEmailDomain, limit)
		t.Sheets, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (BenchSheet, error) {
			sh := BenchSheet{Items: map[string]BenchAnswer{}}
			return sh, row.Scan(&sh.Email, &sh.StructureID, &sh.AutoevalID, &sh.BigFileID)
		})
		if err != nil {
			return err
		}
		ids := make([]int64, len(t.Sheets))
		at := map[int64]int{}
		for i, sh := range t.Sheets {
			ids[i], at[sh.AutoevalID] = sh.AutoevalID, i
		}
		rows, _ = tx.Query(ctx, `SELECT c.autoevaluation_id, i.code, c.version, coalesce(c.valeur, 0)
			FROM cotations c JOIN referentiel_items i ON i.id = c.item_id
			WHERE c.autoevaluation_id = ANY($1) AND i.code = ANY($2)`, ids, items)
		var id int64
		var code string
		var a BenchAnswer
		_, err = pgx.ForEachRow(rows, []any{&id, &code, &a.Version, &a.Valeur}, func() error {
			t.Sheets[at[id]].Items[code] = a
			return nil
		})
		if err != nil {
			return err
		}
		return nil
	})
	return t, err
}
