package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// labellingSQL takes the national dataset's submitted dossiers through the
// labelling's later steps, set-based as nationalSQL, after it:
//   - 2024: every submitted dossier has its avis régional, an initial audit by
//     a pair (one certified auditor, one from the network: national auditors
//     hold no ML or ARML membership, so the conflict rule holds), its sample,
//     ratings, verdicts, findings and final report, and the decision of the
//     commission's session after it (80 % labellisé, 15 % ajourné, 5 % non
//     labellisé), with the labels it gives: décidée;
//   - 2025: every submitted dossier has its avis; 30 % are in audit (ratings
//     under way), 8 % at the provisional report, the others await their audit;
//   - 2026 (open): 30 % of the submitted dossiers have their avis.
//
// Each ML's plan d'amélioration holds 8 to 15 actions in every status, one per
// écart of its final report among them. Shares are taken by rank over a hashed
// order (not by a hash per row), so that even the tiny dataset holds every kind.
// Every step of the démarche is in autoevaluation_transitions.
var labellingSQL = []nationalStep{
	// The fate of each submitted dossier and its dates, step after step.
	{"dossiers", `CREATE TEMP TABLE nat_dossiers ON COMMIT DROP AS
		WITH d AS (
			SELECT ae.id, ae.structure_id, extract(year FROM c.ouverture)::int AS y, ae.updated_at AS soumise_at, st.region_id,
			       (row_number() OVER (PARTITION BY c.id ORDER BY pg_temp.rnd(ae.id, 40, 1000000, $1), ae.id) - 1)::float8 / count(*) OVER (PARTITION BY c.id) AS fe,
			       (row_number() OVER (PARTITION BY c.id ORDER BY pg_temp.rnd(ae.id, 41, 1000000, $1), ae.id) - 1)::float8 / count(*) OVER (PARTITION BY c.id) AS fr
			FROM autoevaluations ae JOIN campagnes c ON c.id = ae.campagne_id JOIN structures st ON st.id = ae.structure_id
			WHERE ae.etat = 'soumise'),
		r AS (SELECT region_id, array_agg(user_id ORDER BY user_id) AS ids FROM memberships WHERE role = 'referent_arml' GROUP BY region_id),
		u AS (SELECT (SELECT array_agg(user_id ORDER BY user_id) FROM memberships WHERE role = 'pole') AS poles,
		             (SELECT array_agg(id ORDER BY id) FROM users WHERE qualification_audit = 'certifie') AS certifies,
		             (SELECT array_agg(id ORDER BY id) FROM users WHERE qualification_audit = 'reseau') AS reseaux)
		SELECT d.id, d.structure_id, d.y, x.etat, x.decision, w.directeur,
		       r.ids[1 + pg_temp.rnd(d.id, 42, cardinality(r.ids), $1)] AS referent,
		       u.poles[1 + pg_temp.rnd(d.id, 43, cardinality(u.poles), $1)] AS pole,
		       u.certifies[1 + pg_temp.rnd(d.id, 44, cardinality(u.certifies), $1)] AS certifie,
		       u.reseaux[1 + pg_temp.rnd(d.id, 45, cardinality(u.reseaux), $1)] AS reseau,
		       a.avis_at, b.affecte_at, b.debut, b.fin, c.provisoire_at, e.definitif_at,
		       (SELECT min(s) FROM unnest($2::date[]) s WHERE s >= e.definitif_at::date + 3) AS session
		FROM d
		JOIN nat_ml w ON w.structure_id = d.structure_id
		LEFT JOIN r ON r.region_id = d.region_id
		CROSS JOIN u
		CROSS JOIN LATERAL (SELECT
			CASE WHEN d.y = 2024 THEN 'decidee'
			     WHEN d.y = 2025 THEN CASE WHEN d.fe < 0.30 THEN 'en_audit' WHEN d.fe < 0.38 THEN 'rapport_provisoire' ELSE 'avis_rendu' END
			     WHEN d.fe < 0.30 THEN 'avis_rendu' ELSE 'soumise' END AS etat,
			CASE WHEN d.y = 2024 THEN CASE WHEN d.fr < 0.80 THEN 'labellise' WHEN d.fr < 0.95 THEN 'ajourne' ELSE 'non_labellise' END END AS decision) x
		CROSS JOIN LATERAL (SELECT CASE WHEN x.etat <> 'soumise' THEN d.soumise_at + make_interval(
			days => (3 + pg_temp.rnd(d.id, 46, CASE WHEN d.y = 2024 THEN 17 ELSE 37 END, $1))::int, hours => (9 + pg_temp.rnd(d.id, 47, 8, $1))::int) END AS avis_at) a
		CROSS JOIN LATERAL (SELECT t0.at0 AS affecte_at, (t0.at0 + make_interval(days => (7 + pg_temp.rnd(d.id, 53, 24, $1))::int))::date AS debut,
			(t0.at0 + make_interval(days => (7 + pg_temp.rnd(d.id, 53, 24, $1) + pg_temp.rnd(d.id, 54, 2, $1))::int))::date AS fin
			FROM (SELECT CASE
				WHEN x.etat = 'decidee' THEN a.avis_at + make_interval(days => (2 + pg_temp.rnd(d.id, 49, 9, $1) +
					CASE WHEN pg_temp.rnd(d.id, 50, 100, $1) < 45 THEN pg_temp.rnd(d.id, 51, 240, $1) ELSE 0 END)::int)
				WHEN x.etat = 'en_audit' THEN timestamptz '2026-09-15 10:00' + make_interval(days => pg_temp.rnd(d.id, 52, 41, $1)::int)
				WHEN x.etat = 'rapport_provisoire' THEN timestamptz '2026-09-01 10:00' + make_interval(days => pg_temp.rnd(d.id, 52, 50, $1)::int)
				END AS at0) t0) b
		CROSS JOIN LATERAL (SELECT CASE WHEN x.etat IN ('rapport_provisoire', 'decidee')
			THEN b.fin + (3 + pg_temp.rnd(d.id, 55, 10, $1))::int + time '11:00' END AS provisoire_at) c
		CROSS JOIN LATERAL (SELECT CASE WHEN x.etat = 'decidee'
			THEN c.provisoire_at + make_interval(days => (16 + pg_temp.rnd(d.id, 56, 10, $1))::int) END AS definitif_at) e`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.Sessions} }},
	// The avis régional: a dossier the commission did not label was seen with
	// reservations, or unfavourably, by its ARML.
	{"avis", `INSERT INTO revue_avis (autoevaluation_id, structure_id, points_forts, axes_progres, recommandation, texte, by_user, at)
		SELECT d.id, d.structure_id, ($2::text[])[1 + pg_temp.rnd(d.id, 60, cardinality($2::text[]), $1)],
		       ($3::text[])[1 + pg_temp.rnd(d.id, 61, cardinality($3::text[]), $1)],
		       CASE WHEN d.decision = 'non_labellise' THEN 'defavorable' WHEN d.decision = 'ajourne' THEN 'favorable_reserves'
		            WHEN pg_temp.rnd(d.id, 62, 100, $1) < 75 THEN 'favorable'
		            WHEN d.decision IS NULL AND pg_temp.rnd(d.id, 62, 100, $1) >= 95 THEN 'defavorable' ELSE 'favorable_reserves' END,
		       '', d.referent, d.avis_at
		FROM nat_dossiers d WHERE d.avis_at IS NOT NULL ORDER BY d.id`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.Texts.PointsForts, p.Texts.AxesProgres} }},
	// The référent's avis on about one item in eight: near the ML's rating, with a remark.
	{"avis items", `INSERT INTO revue_items (autoevaluation_id, structure_id, item_id, valeur, remarque, version, updated_by, updated_at)
		SELECT d.id, d.structure_id, c.item_id,
		       CASE WHEN c.valeur IS NOT NULL THEN least(4, greatest(1, c.valeur + pg_temp.rnd(d.id * 1000 + i.ordre, 64, 3, $1)::int - 1)) END,
		       ($2::text[])[1 + pg_temp.rnd(d.id * 1000 + i.ordre, 65, cardinality($2::text[]), $1)], 1, d.referent, d.avis_at - interval '2 hours'
		FROM nat_dossiers d JOIN cotations c ON c.autoevaluation_id = d.id JOIN referentiel_items i ON i.id = c.item_id
		WHERE d.avis_at IS NOT NULL AND pg_temp.rnd(d.id * 1000 + i.ordre, 63, 100, $1) < 12
		ORDER BY d.id, c.item_id`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.Texts.Remarques} }},
	// The audits: an initial one, or a follow-up one for an ML labelled in 2024.
	{"audits", `INSERT INTO audits (autoevaluation_id, structure_id, nature, auditeur_certifie, auditeur_reseau, debut, fin, etat, seed, candidats, siege,
			observations_limite, observation_generale, reponse_generale, synthese, provisoire_at, definitif_at, version, created_by, created_at)
		SELECT d.id, d.structure_id,
		       CASE WHEN d.y > 2024 AND EXISTS (SELECT 1 FROM nat_dossiers e WHERE e.structure_id = d.structure_id AND e.decision = 'labellise')
		            THEN 'suivi' ELSE 'initial' END,
		       d.certifie, d.reseau, d.debut, d.fin,
		       CASE d.etat WHEN 'en_audit' THEN 'en_cours' WHEN 'rapport_provisoire' THEN 'rapport_provisoire' ELSE 'rapport_definitif' END,
		       1 + pg_temp.rnd(d.id, 70, 4611686018427387903, $1),
		       (SELECT array_agg(s.id ORDER BY s.id) FROM sites s WHERE s.structure_id = d.structure_id),
		       (SELECT min(s.id) FROM sites s WHERE s.structure_id = d.structure_id AND s.kind = 'siege'),
		       d.provisoire_at::date + 15,
		       CASE WHEN d.provisoire_at IS NOT NULL AND pg_temp.rnd(d.id, 71, 100, $1) < 60 THEN ($2::text[])[1 + pg_temp.rnd(d.id, 72, cardinality($2::text[]), $1)] ELSE '' END,
		       CASE WHEN d.definitif_at IS NOT NULL AND pg_temp.rnd(d.id, 71, 100, $1) < 60 THEN ($3::text[])[1 + pg_temp.rnd(d.id, 73, cardinality($3::text[]), $1)] ELSE '' END,
		       CASE WHEN d.provisoire_at IS NOT NULL THEN ($4::text[])[1 + pg_temp.rnd(d.id, 74, cardinality($4::text[]), $1)] ELSE '' END,
		       d.provisoire_at, d.definitif_at, CASE d.etat WHEN 'en_audit' THEN 1 WHEN 'rapport_provisoire' THEN 2 ELSE 4 END, d.pole, d.affecte_at
		FROM nat_dossiers d WHERE d.affecte_at IS NOT NULL ORDER BY d.id`,
		func(p *NationalPlan) []any {
			return []any{p.Seed, p.Texts.Observations, p.Texts.Reponses, p.Texts.Syntheses}
		}},
	{"samples", "", noArgs}, // drawSamples
	// The audit's ratings: most items once the pair has written its report;
	// the first 20 to 80 % of the référentiel in an audit under way.
	{"audit ratings", `INSERT INTO audit_items (audit_id, structure_id, item_id, valeur, commentaire, version, updated_by, updated_at)
		SELECT a.id, a.structure_id, i.id,
		       CASE WHEN c.valeur IS NULL THEN 1 + pg_temp.rnd(k, 75, 4, $1)::int
		            ELSE least(4, greatest(1, c.valeur + (ARRAY[-1, 0, 0, 0, 0, 0, 0, 1])[1 + pg_temp.rnd(k, 76, 8, $1)])) END,
		       CASE WHEN pg_temp.rnd(k, 77, 10, $1) < 4 THEN ($2::text[])[1 + pg_temp.rnd(k, 78, cardinality($2::text[]), $1)] ELSE '' END, 1,
		       CASE WHEN i.ordre % 2 = 0 THEN a.auditeur_certifie ELSE a.auditeur_reseau END,
		       a.debut + time '09:00' + make_interval(mins => pg_temp.rnd(k, 79, 480, $1)::int)
		FROM audits a JOIN autoevaluations ae ON ae.id = a.autoevaluation_id JOIN campagnes cp ON cp.id = ae.campagne_id
		JOIN (SELECT referentiel_id, min(ordre) AS lo, count(*) AS n FROM referentiel_items GROUP BY referentiel_id) ri ON ri.referentiel_id = cp.referentiel_id
		JOIN referentiel_items i ON i.referentiel_id = cp.referentiel_id
		LEFT JOIN cotations c ON c.autoevaluation_id = a.autoevaluation_id AND c.item_id = i.id
		CROSS JOIN LATERAL (SELECT a.id * 1000 + i.ordre AS k) x
		WHERE CASE WHEN a.etat = 'en_cours' THEN (i.ordre - ri.lo) * 100 < ri.n * (20 + pg_temp.rnd(a.id, 80, 61, $1))
		           ELSE pg_temp.rnd(k, 81, 100, $1) < 95 END
		ORDER BY a.id, i.id`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.Texts.AuditComments} }},
	// A few verdicts on the pieces of each audit, one in seven refused.
	{"verdicts", `INSERT INTO audit_preuves (audit_id, structure_id, preuve_id, verdict, motif, version, updated_by, updated_at)
		SELECT a.id, a.structure_id, p.id, CASE WHEN refus THEN 'refusee' ELSE 'acceptee' END,
		       CASE WHEN refus THEN ($2::text[])[1 + pg_temp.rnd(a.id * 100000 + p.id, 83, cardinality($2::text[]), $1)] ELSE '' END,
		       1, a.auditeur_certifie, a.debut + time '14:00'
		FROM audits a
		CROSS JOIN LATERAL (SELECT p.id FROM preuves p WHERE p.structure_id = a.structure_id AND p.created_at < a.debut
			ORDER BY pg_temp.rnd(p.id * 7 + a.id, 84, 1000000, $1), p.id LIMIT 2 + pg_temp.rnd(a.id, 85, 5, $1)) p
		CROSS JOIN LATERAL (SELECT pg_temp.rnd(a.id * 100000 + p.id, 82, 100, $1) < 15 AS refus) r
		ORDER BY a.id, p.id`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.Texts.Motifs} }},
	// Two to six findings per report (none to two in an audit under way),
	// the first a strength; a dossier the commission did not label has an
	// écart majeur, a labelled one none. Texts[k] is nature k's text.
	{"findings", `INSERT INTO audit_constats (audit_id, structure_id, nature, texte, item_codes, site_ids, observation, reponse, by_user, at)
		SELECT a.id, a.structure_id,
		       (ARRAY['point_fort', 'piste_progres', 'point_vigilance', 'ecart_mineur', 'ecart_majeur'])[n.ix], ($2::text[])[n.ix],
		       ARRAY[i.code], CASE WHEN s.site_id IS NOT NULL THEN ARRAY[s.site_id] ELSE '{}' END,
		       CASE WHEN a.definitif_at IS NOT NULL AND pg_temp.rnd(a.id * 10 + k, 87, 100, $1) < 40 THEN ($4::text[])[1 + pg_temp.rnd(a.id * 10 + k, 88, cardinality($4::text[]), $1)] ELSE '' END,
		       CASE WHEN a.definitif_at IS NOT NULL AND pg_temp.rnd(a.id * 10 + k, 87, 100, $1) < 40 THEN ($5::text[])[1 + pg_temp.rnd(a.id * 10 + k, 89, cardinality($5::text[]), $1)] ELSE '' END,
		       a.auditeur_certifie, a.fin + time '16:00' + make_interval(mins => k)
		FROM audits a
		JOIN nat_dossiers d ON d.id = a.autoevaluation_id
		JOIN (SELECT referentiel_id, min(ordre) AS lo, count(*) AS n FROM referentiel_items GROUP BY referentiel_id) ri ON ri.referentiel_id = $3
		CROSS JOIN LATERAL generate_series(1, (CASE WHEN a.etat = 'en_cours' THEN pg_temp.rnd(a.id, 86, 3, $1) ELSE 2 + pg_temp.rnd(a.id, 86, 5, $1) END)::int) k
		CROSS JOIN LATERAL (SELECT CASE WHEN k = 1 THEN 1 WHEN k = 2 AND d.decision IN ('ajourne', 'non_labellise') THEN 5
			ELSE (ARRAY[1, 2, 2, 3, 3, 4, 4, 4, 5])[1 + pg_temp.rnd(a.id * 10 + k, 90, 9, $1)] END AS ix0) n0
		CROSS JOIN LATERAL (SELECT CASE WHEN n0.ix0 = 5 AND d.decision = 'labellise' THEN 4 ELSE n0.ix0 END AS ix) n
		JOIN referentiel_items i ON i.referentiel_id = $3 AND i.ordre = ri.lo + pg_temp.rnd(a.id * 10 + k, 91, ri.n, $1)
		LEFT JOIN audit_sites s ON s.audit_id = a.id AND pg_temp.rnd(a.id * 10 + k, 92, 2, $1) = 0
			AND s.rang = 1 + pg_temp.rnd(a.id * 10 + k, 93, (SELECT count(*) FROM audit_sites WHERE audit_id = a.id), $1)
		ORDER BY a.id, k`,
		func(p *NationalPlan) []any {
			return []any{p.Seed, p.Texts.Constats, p.ReferentielID, p.Texts.Observations, p.Texts.Reponses}
		}},
	// The final report freezes the pieces the ML had then, as EmettreRapport does.
	{"frozen evidence", `UPDATE audits a SET preuves_figees = coalesce((
			SELECT jsonb_agg(jsonb_build_object('ID', p.id, 'Titre', p.titre, 'Nature', p.nature, 'URL', coalesce(p.url, ''), 'Items', p.items)
			                 ORDER BY lower(p.titre), p.id)
			FROM (SELECT p.id, p.titre, p.nature, p.url, array_agg(i.code ORDER BY i.id) AS items
			      FROM preuves p JOIN preuve_items x ON x.preuve_id = p.id JOIN referentiel_items i ON i.id = x.item_id
			      WHERE p.structure_id = a.structure_id AND p.created_at <= a.definitif_at GROUP BY p.id) p), '[]')
		WHERE a.etat = 'rapport_definitif'`, noArgs},
	// The commission: its sessions, their agendas, decisions and labels.
	{"sessions", `INSERT INTO commission_sessions (date_session, membres, created_by, created_at)
		SELECT s, $2, (SELECT min(user_id) FROM memberships WHERE role = 'pole'), s - 45 FROM unnest($1::date[]) s ORDER BY s`,
		func(p *NationalPlan) []any { return []any{p.Sessions, p.Texts.Membres} }},
	{"agendas", `INSERT INTO commission_dossiers (session_id, autoevaluation_id, structure_id, added_at)
		SELECT cs.id, d.id, d.structure_id, d.definitif_at + interval '1 day'
		FROM nat_dossiers d JOIN commission_sessions cs ON cs.date_session = d.session
		WHERE d.decision IS NOT NULL ORDER BY cs.id, d.id`, noArgs},
	{"decisions", `INSERT INTO commission_decisions (session_id, autoevaluation_id, structure_id, resultat, motifs, conditions, delai, by_user, at)
		SELECT cs.id, d.id, d.structure_id, d.decision,
		       ($1::text[])[CASE d.decision WHEN 'labellise' THEN 1 WHEN 'ajourne' THEN 2 ELSE 3 END],
		       CASE WHEN d.decision = 'ajourne' THEN $2 ELSE '' END,
		       CASE WHEN d.decision = 'ajourne' THEN d.session + 180 END, d.pole, d.session + time '15:00'
		FROM nat_dossiers d JOIN commission_sessions cs ON cs.date_session = d.session
		WHERE d.decision IS NOT NULL ORDER BY cs.id, d.id`,
		func(p *NationalPlan) []any { return []any{p.Texts.Decisions, p.Texts.Conditions} }},
	{"labels", `INSERT INTO labels (structure_id, decision_id, debut, fin, created_at)
		SELECT d.structure_id, d.id, cs.date_session, (cs.date_session + interval '3 years')::date, d.at
		FROM commission_decisions d JOIN commission_sessions cs ON cs.id = d.session_id
		WHERE d.resultat = 'labellise' ORDER BY d.id`, noArgs},
	// The expiry reminders due by AsOf went out on their day.
	{"label reminders", `INSERT INTO label_rappels (label_id, structure_id, kind, sent_at)
		SELECT l.id, l.structure_id, k.kind, (l.fin - k.m)::date + time '08:00'
		FROM labels l CROSS JOIN (VALUES ('M-6', interval '6 months'), ('M-3', interval '3 months')) k(kind, m)
		WHERE (l.fin - k.m)::date <= $1::date AND l.fin > $1::date ORDER BY l.id, k.kind`,
		func(p *NationalPlan) []any { return []any{p.AsOf} }},
	{"dossiers' states", `UPDATE autoevaluations ae SET etat = d.etat, decision = d.decision,
			updated_at = coalesce(d.session + time '15:00', d.provisoire_at, d.affecte_at, d.avis_at)
		FROM nat_dossiers d WHERE d.id = ae.id AND d.etat <> 'soumise'`, noArgs},
	// The démarche's history: each step, by whom, in order.
	{"transitions", `INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_user, by_role, commentaire, at)
		SELECT * FROM (
			SELECT ra.autoevaluation_id, 'rendre_avis', 'soumise', 'avis_rendu', ra.by_user, 'referent_arml',
			       CASE ra.recommandation WHEN 'favorable' THEN 'Favorable' WHEN 'favorable_reserves' THEN 'Favorable avec réserves' ELSE 'Défavorable' END, ra.at
			FROM revue_avis ra
			UNION ALL SELECT a.autoevaluation_id, 'affecter_audit', 'avis_rendu', 'en_audit', a.created_by, 'pole',
			       CASE a.nature WHEN 'suivi' THEN 'Audit de suivi' ELSE 'Audit initial' END, a.created_at FROM audits a
			UNION ALL SELECT a.autoevaluation_id, 'rendre_rapport', 'en_audit', 'rapport_provisoire', a.auditeur_certifie, 'auditeur', '', a.provisoire_at
			FROM audits a WHERE a.provisoire_at IS NOT NULL
			UNION ALL SELECT a.autoevaluation_id, 'emettre_rapport_definitif', 'rapport_provisoire', 'rapport_definitif', a.auditeur_certifie, 'auditeur', '', a.definitif_at
			FROM audits a WHERE a.definitif_at IS NOT NULL
			UNION ALL SELECT d.autoevaluation_id, 'decider', 'rapport_definitif', 'decidee', d.by_user, 'pole',
			       CASE d.resultat WHEN 'labellise' THEN 'Labellisé' WHEN 'ajourne' THEN 'Ajourné' ELSE 'Non labellisé' END || ' : ' || d.motifs, d.at
			FROM commission_decisions d) t
		ORDER BY 1, 8`, noArgs},
	// The plans d'amélioration: one action per écart of a final report, then
	// actions from the dossiers' self-assessment and avis up to 8 to 15 per
	// ML. The older an action, the likelier it is closed; about one open
	// action in five is overdue on AsOf.
	{"plan actions", `CREATE TEMP TABLE nat_actions ON COMMIT DROP AS
		WITH e AS (
			SELECT k.structure_id, k.id AS constat_id, a.autoevaluation_id, k.item_codes AS items, k.id AS n,
			       a.definitif_at + make_interval(days => (5 + pg_temp.rnd(k.id, 100, 25, $1))::int) AS created_at
			FROM audit_constats k JOIN audits a ON a.id = k.audit_id
			WHERE a.etat = 'rapport_definitif' AND k.nature IN ('ecart_mineur', 'ecart_majeur')),
		o AS (
			SELECT st.id AS structure_id, NULL::bigint AS constat_id, dd.id AS autoevaluation_id,
			       ARRAY[(SELECT i.code FROM referentiel_items i WHERE i.referentiel_id = $3 ORDER BY pg_temp.rnd(st.id * 100 + k + i.ordre * 7, 101, 1000000, $1), i.id LIMIT 1)] AS items,
			       -k::bigint AS n,
			       coalesce(dd.avis_at, timestamptz '2024-04-01 10:00') + make_interval(days => (3 + pg_temp.rnd(st.id * 100 + k, 102, 200, $1))::int) AS created_at
			FROM structures st
			CROSS JOIN LATERAL generate_series(1, greatest(0, 8 + pg_temp.rnd(st.id, 103, 8, $1) -
				(SELECT count(*) FROM e WHERE e.structure_id = st.id))::int) k
			LEFT JOIN LATERAL (SELECT d.id, d.avis_at FROM nat_dossiers d WHERE d.structure_id = st.id AND d.avis_at IS NOT NULL AND d.avis_at < $2::date - 30
				ORDER BY pg_temp.rnd(d.id * 100 + k, 104, 1000000, $1), d.id LIMIT 1) dd ON true),
		x AS (SELECT *, row_number() OVER (ORDER BY structure_id, constat_id NULLS LAST, n DESC) AS rid FROM (SELECT * FROM e UNION ALL SELECT * FROM o) y),
		f AS (SELECT x.*, (row_number() OVER (ORDER BY least(x.created_at, $2::date - 1) + make_interval(days => pg_temp.rnd(x.rid, 105, 300, $1)::int), x.rid) - 1)::float8
		              / count(*) OVER () AS age FROM x)
		SELECT f.rid, f.structure_id, f.constat_id, f.autoevaluation_id, f.items,
		       least(f.created_at, $2::date - 1 + time '10:00') AS created_at,
		       CASE WHEN f.constat_id IS NOT NULL THEN 'constat' WHEN f.autoevaluation_id IS NOT NULL AND pg_temp.rnd(f.rid, 106, 100, $1) < 40 THEN 'avis_regional'
		            ELSE 'autoevaluation' END AS origine,
		       CASE WHEN f.age < 0.30 THEN 'realisee' WHEN f.age < 0.38 THEN 'abandonnee' WHEN f.age < 0.70 THEN 'en_cours' ELSE 'a_engager' END AS statut,
		       CASE WHEN pg_temp.rnd(f.rid, 107, 2, $1) = 0 THEN w.directeur ELSE w.contributeur END AS pilote, w.directeur
		FROM f JOIN nat_ml w ON w.structure_id = f.structure_id`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.AsOf, p.ReferentielID} }},
	{"plan dates", `ALTER TABLE nat_actions ADD COLUMN echeance date, ADD COLUMN realisee_le date`, noArgs},
	{"plan due dates", `UPDATE nat_actions SET
			echeance = CASE WHEN statut IN ('a_engager', 'en_cours') THEN $2::date - 90 + pg_temp.rnd(rid, 108, 450, $1)::int
			                ELSE created_at::date + 60 + pg_temp.rnd(rid, 108, 300, $1)::int END,
			realisee_le = CASE WHEN statut = 'realisee' THEN least(created_at::date + 30 + pg_temp.rnd(rid, 109, 300, $1)::int, $2::date - 1) END`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.AsOf} }},
	{"actions", `INSERT INTO plan_actions (structure_id, titre, description, origine, autoevaluation_id, constat_id, pilote_id, priorite, echeance,
			statut, preuve_id, realisee_le, motif_abandon, version, created_by, created_at, updated_at)
		SELECT x.structure_id, ($2::text[])[1 + pg_temp.rnd(x.rid, 110, cardinality($2::text[]), $1)], '', x.origine, x.autoevaluation_id, x.constat_id,
		       x.pilote, (ARRAY['haute', 'moyenne', 'moyenne', 'basse'])[1 + pg_temp.rnd(x.rid, 111, 4, $1)], x.echeance, x.statut,
		       CASE WHEN x.statut = 'realisee' THEN (SELECT p.id FROM preuves p WHERE p.structure_id = x.structure_id
		                                             ORDER BY pg_temp.rnd(p.id + x.rid * 7, 112, 1000000, $1), p.id LIMIT 1) END,
		       x.realisee_le, CASE WHEN x.statut = 'abandonnee' THEN ($3::text[])[1 + pg_temp.rnd(x.rid, 113, cardinality($3::text[]), $1)] ELSE '' END,
		       CASE x.statut WHEN 'a_engager' THEN 1 WHEN 'en_cours' THEN 2 ELSE 3 END, x.directeur, x.created_at,
		       CASE x.statut WHEN 'a_engager' THEN x.created_at WHEN 'realisee' THEN x.realisee_le + time '17:00' ELSE x.created_at + interval '20 days' END
		FROM nat_actions x ORDER BY x.rid`,
		func(p *NationalPlan) []any { return []any{p.Seed, p.Texts.Actions, p.Texts.Abandons} }},
	// plan_actions was empty: the n-th action by id is nat_actions' rid n.
	{"action ids", `ALTER TABLE nat_actions ADD COLUMN action_id bigint`, noArgs},
	{"action ids set", `UPDATE nat_actions x SET action_id = a.id
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM plan_actions) a WHERE a.rn = x.rid`, noArgs},
	{"action items", `INSERT INTO plan_action_items (action_id, structure_id, item_code)
		SELECT DISTINCT x.action_id, x.structure_id, c FROM nat_actions x CROSS JOIN unnest(x.items) c ORDER BY 1, 3`, noArgs},
	{"action history", `INSERT INTO plan_action_historique (action_id, structure_id, kind, statut, texte, by_user, by_role, at)
		SELECT x.action_id, x.structure_id, 'creation', 'a_engager', '', x.directeur, 'directeur', x.created_at FROM nat_actions x
		UNION ALL SELECT x.action_id, x.structure_id, 'statut', 'en_cours', '', x.pilote, 'directeur', x.created_at + interval '20 days'
		FROM nat_actions x WHERE x.statut IN ('en_cours', 'realisee')
		UNION ALL SELECT x.action_id, x.structure_id, 'statut', 'realisee', '', x.pilote, 'directeur', x.realisee_le + time '17:00'
		FROM nat_actions x WHERE x.statut = 'realisee'
		UNION ALL SELECT a.id, a.structure_id, 'statut', 'abandonnee', 'Motif : ' || a.motif_abandon, x.directeur, 'directeur', a.updated_at
		FROM nat_actions x JOIN plan_actions a ON a.id = x.action_id WHERE x.statut = 'abandonnee'
		ORDER BY 1, 8`, noArgs},
	// The planner's statistics, before the first page: without them, right
	// after the seed, a query such as the audit's pieces (preuvesAuditSQL)
	// reads every ML's items and takes hundreds of milliseconds instead of one.
	{"statistics", `ANALYZE`, noArgs},
}

// drawSamples draws the sample of every audit without one, in id order (the
// 2024 audits before the 2025 ones), as the audit's own rule does: the sites
// an ML's earlier audits visited are its later audits' visites.
func drawSamples(ctx context.Context, tx pgx.Tx, p *NationalPlan) error {
	rows, _ := tx.Query(ctx, `SELECT a.id, a.structure_id, a.nature, a.candidats, coalesce(a.siege, 0) AS siege, a.seed FROM audits a
		WHERE NOT EXISTS (SELECT 1 FROM audit_sites s WHERE s.audit_id = a.id) ORDER BY a.id`)
	type row struct {
		ID, StructureID int64
		Nature          string
		Candidats       []int64
		Siege, Seed     int64
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[row])
	if err != nil {
		return err
	}
	visited := map[int64][]int64{}
	var audits, sites, visitedIDs []int64
	var rangs []int32
	var aleatoires []bool
	var visites []string
	for _, a := range list {
		v := visited[a.StructureID]
		drawn, alea := p.Draw(a.Nature, a.Candidats, a.Siege, v, a.Seed)
		if len(v) > 0 {
			visitedIDs, visites = append(visitedIDs, a.ID), append(visites, bigintArray(v))
		}
		for i, id := range drawn {
			audits, rangs, sites, aleatoires = append(audits, a.ID), append(rangs, int32(i+1)), append(sites, id), append(aleatoires, alea[i])
			if !slices.Contains(v, id) {
				v = append(v, id)
			}
		}
		visited[a.StructureID] = v
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_sites (audit_id, structure_id, rang, site_id, tire_site_id, aleatoire)
		SELECT a, 0, r, s, s, al FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::boolean[]) AS x(a, r, s, al) ORDER BY a, r`,
		audits, rangs, sites, aleatoires); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE audits a SET visites = x.v::bigint[] FROM unnest($1::bigint[], $2::text[]) AS x(id, v) WHERE a.id = x.id`,
		visitedIDs, visites)
	return err
}

// bigintArray writes ids as a PostgreSQL array literal, sorted.
func bigintArray(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range slices.Sorted(slices.Values(ids)) {
		s[i] = strconv.FormatInt(id, 10)
	}
	return "{" + strings.Join(s, ",") + "}"
}
