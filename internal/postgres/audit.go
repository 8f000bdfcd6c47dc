package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/revue"
)

var _ audit.Store = (*Store)(nil)

// The labelling audit's store: the queue, the pairs and their workload, the
// sample, audit ratings, verdicts, findings, observations and reports. Every
// table carries structure_id, and every query filters on the ML it is given.

// auditAccess returns the audits one of whose pair is userID, with their ML:
// part of loading the signed-in person, so read by the system as Actor is.
func (s *Store) auditAccess(ctx context.Context, userID int64) ([]domain.AuditAccess, error) {
	return collect(ctx, s, systemTenant, pgx.RowToStructByName[domain.AuditAccess],
		`SELECT id AS audit_id, structure_id FROM audits WHERE auditeur_certifie = $1 OR auditeur_reseau = $1 ORDER BY id`, userID)
}

const auditColumns = `
	SELECT a.id, a.autoevaluation_id, ae.campagne_id, c.nom AS campagne_nom, a.structure_id, s.nom AS structure_nom, s.region_id,
	       c.referentiel_id, a.nature, a.auditeur_certifie AS certifie, a.auditeur_reseau AS reseau,
	       coalesce(nullif(uc.nom, ''), uc.email) AS certifie_nom, coalesce(nullif(ur.nom, ''), ur.email) AS reseau_nom,
	       a.debut, a.fin, a.etat, a.seed, a.candidats, a.visites, coalesce(a.siege, 0) AS siege, a.observations_limite,
	       a.observation_generale, a.reponse_generale, a.synthese, a.provisoire_at, a.definitif_at, coalesce(e.motif, '') AS sans_avis_motif
	FROM audits a JOIN autoevaluations ae ON ae.id = a.autoevaluation_id JOIN campagnes c ON c.id = ae.campagne_id
	JOIN structures s ON s.id = a.structure_id JOIN users uc ON uc.id = a.auditeur_certifie JOIN users ur ON ur.id = a.auditeur_reseau
	LEFT JOIN audit_envois e ON e.autoevaluation_id = a.autoevaluation_id AND e.structure_id = a.structure_id `

// Audit returns an audit; ENOTFOUND unless v covers its ML.
func (s *Store) Audit(ctx context.Context, v domain.Visibility, id int64) (a audit.Audit, err error) {
	defer wrap(&err, "Audit(%d)", id)
	a, err = collectOne(ctx, s, visibleTenant(v), pgx.RowToStructByName[audit.Audit], auditColumns+`
		WHERE a.id = $1 AND ($2 OR a.structure_id = ANY($3) OR s.region_id = ANY($4))`, id, v.All, v.StructureIDs, v.RegionIDs)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, domain.Errorf(domain.ENOTFOUND, "Audit introuvable.")
	}
	return a, err
}

// AuditIDOf returns the id of a dossier's initial or renewal audit (0:
// none; its follow-up audits are not it), for the demo's fixture.
func (s *Store) AuditIDOf(ctx context.Context, autoevalID int64) (id int64, err error) {
	defer wrap(&err, "AuditIDOf(%d)", autoevalID)
	err = s.scanOne(ctx, systemTenant, "SELECT coalesce((SELECT id FROM audits WHERE autoevaluation_id = $1 AND nature <> 'suivi'), 0)", []any{autoevalID}, &id)
	return id, err
}

// labelEnVigueurSQL says whether the ML $1 holds on $3 a label in force given by the decision on its dossier $2.
const labelEnVigueurSQL = `SELECT EXISTS (SELECT 1 FROM labels l JOIN commission_decisions d ON d.id = l.decision_id
	WHERE l.structure_id = $1 AND d.autoevaluation_id = $2 AND l.retire_le IS NULL AND l.debut <= $3::date AND $3::date < l.fin)`

// LabelSuivi says whether the ML holds on today the label its dossier's
// decision gave, and which follow-up audit of the dossier is open (0: none).
func (s *Store) LabelSuivi(ctx context.Context, structureID, autoevalID int64, today time.Time) (l audit.LabelSuivi, err error) {
	defer wrap(&err, "LabelSuivi(%d)", autoevalID)
	err = s.scanOne(ctx, structureTenant(structureID), `SELECT (`+labelEnVigueurSQL+`),
		coalesce((SELECT id FROM audits WHERE structure_id = $1 AND autoevaluation_id = $2 AND nature = 'suivi' AND etat <> 'rapport_definitif'), 0)`,
		[]any{structureID, autoevalID, today}, &l.EnVigueur, &l.Ouvert)
	return l, err
}

// AuditsOf returns the audits of the MLs v covers, one of whose pair is
// userID unless it is 0, the latest first.
func (s *Store) AuditsOf(ctx context.Context, v domain.Visibility, userID int64) (list []audit.Audit, err error) {
	defer wrap(&err, "AuditsOf(%d)", userID)
	return collect(ctx, s, visibleTenant(v), pgx.RowToStructByName[audit.Audit], auditColumns+`
		WHERE ($1 = 0 OR a.auditeur_certifie = $1 OR a.auditeur_reseau = $1) AND ($2 OR a.structure_id = ANY($3) OR s.region_id = ANY($4))
		ORDER BY a.debut DESC, a.id DESC`, userID, v.All, v.StructureIDs, v.RegionIDs)
}

// Suivis returns the follow-up audits of every ML, the latest first: the
// register shows those planned.
func (s *Store) Suivis(ctx context.Context) (list []audit.Audit, err error) {
	defer wrap(&err, "Suivis()")
	return collect(ctx, s, nationalTenant, pgx.RowToStructByName[audit.Audit], auditColumns+`
		WHERE a.nature = 'suivi' ORDER BY a.debut DESC, a.id DESC`)
}

// FileAudit returns the dossiers awaiting an audit, oldest first, and the
// submitted ones the Pôle could send without an avis régional.
func (s *Store) FileAudit(ctx context.Context) (queue, soumises []audit.Dossier, err error) {
	defer wrap(&err, "FileAudit()")
	list, err := collect(ctx, s, nationalTenant, pgx.RowToStructByName[audit.Dossier], `
		SELECT ae.id AS autoevaluation_id, ae.structure_id, s.nom AS structure_nom, c.nom AS campagne_nom, ae.etat,
		       coalesce(e.at, (SELECT max(t.at) FROM autoevaluation_transitions t WHERE t.autoevaluation_id = ae.id
		                        AND t.action IN ('rendre_avis', 'soumettre')), ae.updated_at) AS depuis,
		       coalesce(e.motif, '') AS sans_avis_motif, coalesce(a.id, 0) AS audit_id
		FROM autoevaluations ae JOIN structures s ON s.id = ae.structure_id JOIN campagnes c ON c.id = ae.campagne_id
		LEFT JOIN audit_envois e ON e.autoevaluation_id = ae.id LEFT JOIN audits a ON a.autoevaluation_id = ae.id AND a.nature <> 'suivi'
		WHERE ae.etat IN ('soumise', 'avis_rendu') ORDER BY depuis, ae.id`)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range list {
		if d.Etat == demarche.AvisRendu || d.SansAvisMotif != "" {
			queue = append(queue, d)
		} else {
			soumises = append(soumises, d)
		}
	}
	return queue, soumises, nil
}

// Auditeurs returns the auditor accounts, enabled, with their qualification
// and workload, by name.
func (s *Store) Auditeurs(ctx context.Context) (list []audit.Auditeur, err error) {
	defer wrap(&err, "Auditeurs()")
	return collect(ctx, s, nationalTenant, pgx.RowToStructByName[audit.Auditeur], `
		SELECT u.id AS user_id, coalesce(nullif(u.nom, ''), u.email) AS nom, u.email, coalesce(u.qualification_audit, '') AS qualification,
		       count(a.id) FILTER (WHERE a.etat = 'en_cours' AND a.debut > current_date)::int AS prevus,
		       count(a.id) FILTER (WHERE a.etat = 'en_cours' AND a.debut <= current_date)::int AS en_cours,
		       count(a.id) FILTER (WHERE a.etat = 'rapport_provisoire')::int AS rapports_dus
		FROM users u
		LEFT JOIN audits a ON a.auditeur_certifie = u.id OR a.auditeur_reseau = u.id
		WHERE u.disabled_at IS NULL AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = 'auditeur')
		GROUP BY u.id ORDER BY lower(coalesce(nullif(u.nom, ''), u.email)), u.id`)
}

// Liens returns the memberships, current and ended, of userID in the ML, in
// any ML of its région or in its région's ARML.
func (s *Store) Liens(ctx context.Context, userID, structureID int64) (list []audit.Lien, err error) {
	defer wrap(&err, "Liens(%d, %d)", userID, structureID)
	return collect(ctx, s, nationalTenant, pgx.RowToStructByName[audit.Lien], `
		WITH ml AS (SELECT region_id FROM structures WHERE id = $2),
		m AS (SELECT role, region_id, structure_id, false AS passe FROM memberships WHERE user_id = $1
		      UNION ALL SELECT role, region_id, structure_id, true FROM membership_historique WHERE user_id = $1)
		SELECT DISTINCT m.role, coalesce(st.nom, r.nom, '') AS scope_nom, m.passe
		FROM m CROSS JOIN ml LEFT JOIN structures st ON st.id = m.structure_id LEFT JOIN regions r ON r.id = m.region_id
		WHERE m.structure_id = $2 OR st.region_id = ml.region_id OR m.region_id = ml.region_id
		ORDER BY 3, 1, 2`, userID, structureID)
}

// SitesAudit returns the ML's sites, by id, and those the samples of its
// earlier audits visited.
func (s *Store) SitesAudit(ctx context.Context, structureID int64) (sites []audit.Site, visites []int64, err error) {
	defer wrap(&err, "SitesAudit(%d)", structureID)
	err = s.queries(ctx, structureTenant(structureID),
		scan{`SELECT id, nom, kind, kind = 'siege' AS siege FROM sites WHERE structure_id = $1 ORDER BY id`, []any{structureID},
			into(&sites, pgx.RowToStructByName[audit.Site])},
		scan{`SELECT DISTINCT site_id FROM audit_sites WHERE structure_id = $1 ORDER BY 1`, []any{structureID},
			into(&visites, pgx.RowTo[int64])})
	return sites, visites, err
}

// EnvoyerAudit records that the Pôle sends a submitted dossier of the ML to
// the audit without an avis régional.
func (s *Store) EnvoyerAudit(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, motif string) error {
	return s.inTx(ctx, actor, fmt.Sprintf("EnvoyerAudit(%d)", autoevalID), func(tx *jtx) error {
		etat, err := lockEtat(ctx, tx, structureID, autoevalID, true)
		if err != nil {
			return err
		}
		if etat != demarche.Soumise {
			return domain.Errorf(domain.ECONFLICT, "Seul un dossier soumis, sans avis régional, s'envoie ainsi à l'audit ; celui-ci est à l'état « %s ».", etat.Label())
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_envois (autoevaluation_id, structure_id, motif, by_user) VALUES ($1, $2, $3, $4)
			ON CONFLICT (autoevaluation_id) DO UPDATE SET motif = excluded.motif, by_user = excluded.by_user, at = now()`,
			autoevalID, structureID, motif, actorID(actor)); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActAuditEnvoi, ObjectType: "autoevaluation", ObjectID: journal.ID(autoevalID),
			StructureID: structureID, After: journal.JSON(map[string]any{"motif": motif})})
		return nil
	})
}

// AssignAudit creates the audit of a dossier of the ML with its sample and
// moves the dossier by decide, as one change.
func (s *Store) AssignAudit(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, as audit.Assignment, seed int64,
	candidats, visites []int64, siege int64, sample []audit.Tire,
	decide func(etat demarche.Etat, motif string) (demarche.Etat, demarche.Transition, string, error)) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("AssignAudit(%d)", autoevalID), func(tx *jtx) error {
		etat, err := lockEtat(ctx, tx, structureID, autoevalID, true)
		if err != nil {
			return err
		}
		var motif string
		if err := tx.QueryRow(ctx, "SELECT coalesce((SELECT motif FROM audit_envois WHERE autoevaluation_id = $1), '')", autoevalID).Scan(&motif); err != nil {
			return err
		}
		next, t, commentaire, err := decide(etat, motif)
		if err != nil {
			return err
		}
		if as.Nature == audit.Suivi {
			var enVigueur bool
			if err := tx.QueryRow(ctx, labelEnVigueurSQL, structureID, autoevalID, time.Now().UTC()).Scan(&enVigueur); err != nil {
				return err
			}
			if !enVigueur {
				return domain.Errorf(domain.ECONFLICT, "Un audit de suivi se planifie sur un dossier labellisé, pendant la validité du label.")
			}
		}
		if visites == nil {
			visites = []int64{}
		}
		err = tx.QueryRow(ctx, `INSERT INTO audits (autoevaluation_id, structure_id, nature, auditeur_certifie, auditeur_reseau, debut, fin,
			seed, candidats, visites, siege, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11, 0::bigint), $12) RETURNING id`,
			autoevalID, structureID, as.Nature, as.Certifie, as.Reseau, as.Debut, as.Fin, seed, candidats, visites, siege, actorID(actor)).Scan(&id)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && as.Nature == audit.Suivi {
			return domain.Errorf(domain.ECONFLICT, "Un audit de suivi de ce dossier est déjà en cours : son rapport définitif précède le suivant.")
		} else if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return domain.Errorf(domain.ECONFLICT, "Ce dossier a déjà son audit.")
		} else if err != nil {
			return err
		}
		for i, t := range sample {
			if _, err := tx.Exec(ctx, `INSERT INTO audit_sites (audit_id, structure_id, rang, site_id, tire_site_id, aleatoire)
				VALUES ($1, $2, $3, $4, $4, $5)`, id, structureID, i+1, t.SiteID, t.Aleatoire); err != nil {
				return err
			}
		}
		if t != "" {
			if _, err := tx.Exec(ctx, "UPDATE autoevaluations SET etat = $2, updated_at = now() WHERE id = $1", autoevalID, next); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_user, by_role, commentaire)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, autoevalID, t, etat, next, actorID(actor), domain.RolePole, commentaire); err != nil {
				return err
			}
		}
		tx.journal(journal.Entry{Action: journal.ActAuditAffecte, ObjectType: "audit", ObjectID: journal.ID(id), Label: as.Nature.Label(),
			StructureID: structureID, After: journal.JSON(map[string]any{"autoevaluation_id": autoevalID, "nature": as.Nature,
				"certifie": as.Certifie, "reseau": as.Reseau, "debut": as.Debut.Format(time.DateOnly), "fin": as.Fin.Format(time.DateOnly),
				"seed": seed, "echantillon": sample, "etat": next})})
		return nil
	})
	return id, err
}

// Echantillon returns the sample of an audit of the ML, by rank.
func (s *Store) Echantillon(ctx context.Context, structureID, auditID int64) (list []audit.SampledSite, err error) {
	defer wrap(&err, "Echantillon(%d)", auditID)
	return collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[audit.SampledSite], `
		SELECT x.rang, x.site_id, si.nom, x.tire_site_id AS tire_id, st.nom AS tire_nom, x.aleatoire, si.kind = 'siege' AS siege,
		       x.justification, coalesce(nullif(u.nom, ''), u.email, '') AS "by", x.replaced_at AS "at"
		FROM audit_sites x JOIN sites si ON si.id = x.site_id JOIN sites st ON st.id = x.tire_site_id LEFT JOIN users u ON u.id = x.replaced_by
		WHERE x.structure_id = $1 AND x.audit_id = $2 ORDER BY x.rang`, structureID, auditID)
}

// lockAudit locks an audit of the ML for the length of tx and returns its
// state: the lock-time check of every change of an audit.
func lockAudit(ctx context.Context, tx pgx.Tx, structureID, auditID int64) (audit.Etat, error) {
	var etat audit.Etat
	err := tx.QueryRow(ctx, "SELECT etat FROM audits WHERE id = $1 AND structure_id = $2 FOR UPDATE", auditID, structureID).Scan(&etat)
	if errors.Is(err, pgx.ErrNoRows) {
		return etat, domain.Errorf(domain.ENOTFOUND, "Audit introuvable.")
	}
	return etat, err
}

// lockEnCours locks an audit of the ML and refuses (ECONFLICT) unless it is
// in progress and its dossier still en audit (not returned to the ML
// meanwhile), or, for a follow-up audit, still decided.
func lockEnCours(ctx context.Context, tx pgx.Tx, structureID, auditID int64) error {
	etat, err := lockAudit(ctx, tx, structureID, auditID)
	if err == nil && etat != audit.EnCours {
		err = domain.Errorf(domain.ECONFLICT, "L'audit est à l'état « %s » : cela ne se modifie plus.", etat.Label())
	}
	if err != nil {
		return err
	}
	var dossier demarche.Etat
	var nature audit.Nature
	if err := tx.QueryRow(ctx, `SELECT ae.etat, a.nature FROM audits a JOIN autoevaluations ae ON ae.id = a.autoevaluation_id
		WHERE a.id = $1 FOR SHARE OF ae`, auditID).Scan(&dossier, &nature); err != nil {
		return err
	}
	if nature == audit.Suivi {
		if dossier != demarche.Decidee {
			return domain.Errorf(domain.ECONFLICT, "Le dossier est à l'état « %s » : un audit de suivi suppose un dossier labellisé.", dossier.Label())
		}
		return nil
	}
	if dossier != demarche.EnAudit {
		return domain.Errorf(domain.ECONFLICT, "Le dossier est à l'état « %s » : l'audit attend son retour en audit.", dossier.Label())
	}
	return nil
}

// ReplaceSite replaces a sampled site of an audit of the ML, keeping the
// site drawn and the justification.
func (s *Store) ReplaceSite(ctx context.Context, actor *domain.Actor, structureID, auditID int64, rang int, siteID int64, justification string) error {
	return s.inTx(ctx, actor, fmt.Sprintf("ReplaceSite(%d, %d)", auditID, rang), func(tx *jtx) error {
		if err := lockEnCours(ctx, tx, structureID, auditID); err != nil {
			return err
		}
		var before int64
		err := tx.QueryRow(ctx, `UPDATE audit_sites x SET site_id = $4, justification = $5, replaced_by = $6, replaced_at = now()
			FROM (SELECT site_id FROM audit_sites WHERE audit_id = $1 AND rang = $3) old
			WHERE x.audit_id = $1 AND x.structure_id = $2 AND x.rang = $3
			  AND EXISTS (SELECT 1 FROM sites WHERE id = $4 AND structure_id = $2) RETURNING old.site_id`,
			auditID, structureID, rang, siteID, justification, actorID(actor)).Scan(&before)
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == "23505":
			return domain.Errorf(domain.ECONFLICT, "Ce lieu fait déjà partie de l'échantillon.")
		case errors.Is(err, pgx.ErrNoRows):
			return domain.Errorf(domain.ENOTFOUND, "Lieu introuvable.")
		case err != nil:
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActAuditSite, ObjectType: "audit", ObjectID: journal.ID(auditID) + "/site/" + strconv.Itoa(rang),
			StructureID: structureID, Before: journal.JSON(map[string]any{"site_id": before}),
			After: journal.JSON(map[string]any{"site_id": siteID, "justification": justification})})
		return nil
	})
}

// codedNote is a stored audit rating with its item's code.
type codedNote struct {
	Code string
	audit.SavedNote
}

// Notes returns the audit ratings of an audit of the ML by item code.
func (s *Store) Notes(ctx context.Context, structureID, auditID int64) (out map[string]audit.SavedNote, err error) {
	defer wrap(&err, "Notes(%d)", auditID)
	list, err := collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[codedNote], `
		SELECT i.code, coalesce(n.valeur, 0) AS valeur, n.commentaire, n.version, coalesce(nullif(u.nom, ''), u.email, '') AS "by", n.updated_at AS "at"
		FROM audit_items n JOIN referentiel_items i ON i.id = n.item_id LEFT JOIN users u ON u.id = n.updated_by
		WHERE n.structure_id = $1 AND n.audit_id = $2`, structureID, auditID)
	if err != nil {
		return nil, err
	}
	out = make(map[string]audit.SavedNote, len(list))
	for _, c := range list {
		out[c.Code] = c.SavedNote
	}
	return out, nil
}

// auditItemIDs maps item codes of the audit's référentiel to their ids;
// EINVALID for a code outside it.
func auditItemIDs(ctx context.Context, tx pgx.Tx, auditID int64, codes []string) (map[string]int64, error) {
	var autoevalID int64
	if err := tx.QueryRow(ctx, "SELECT autoevaluation_id FROM audits WHERE id = $1", auditID).Scan(&autoevalID); err != nil {
		return nil, err
	}
	return itemIDs(ctx, tx, autoevalID, codes)
}

// SaveNotes saves audit ratings of an audit of the ML in one transaction,
// under the audit's lock, each from the version it was made from: if one
// changed since, nothing is saved and a *audit.ConflictError says what the
// other auditor wrote. Ratings left as they were are not written again.
func (s *Store) SaveNotes(ctx context.Context, actor *domain.Actor, structureID, auditID int64, changes []audit.NoteChange) (map[string]audit.SavedNote, error) {
	out := map[string]audit.SavedNote{}
	codes := make([]string, len(changes))
	for i, ch := range changes {
		codes[i] = ch.Code
	}
	err := s.inTx(ctx, actor, fmt.Sprintf("SaveNotes(%d)", auditID), func(tx *jtx) error {
		if err := lockEnCours(ctx, tx, structureID, auditID); err != nil {
			return err
		}
		ids, err := auditItemIDs(ctx, tx, auditID, codes)
		if err != nil {
			return err
		}
		var conflicts []string
		for _, ch := range changes {
			var cur audit.SavedNote
			err := tx.QueryRow(ctx, `SELECT coalesce(n.valeur, 0), n.commentaire, n.version, coalesce(nullif(u.nom, ''), u.email, ''), n.updated_at
				FROM audit_items n LEFT JOIN users u ON u.id = n.updated_by WHERE n.audit_id = $1 AND n.item_id = $2 FOR UPDATE OF n`,
				auditID, ids[ch.Code]).Scan(&cur.Valeur, &cur.Commentaire, &cur.Version, &cur.By, &cur.At)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			switch {
			case cur.Note == ch.Note:
				out[ch.Code] = cur
				continue
			case cur.Version != ch.BaseVersion:
				conflicts = append(conflicts, fmt.Sprintf("%s a coté %s à %s", cur.By, ch.Code, noteText(cur.Note)))
				continue
			}
			saved := audit.SavedNote{Note: ch.Note, Version: cur.Version + 1}
			err = tx.QueryRow(ctx, `
				INSERT INTO audit_items (audit_id, structure_id, item_id, valeur, commentaire, version, updated_by)
				VALUES ($1, $2, $3, nullif($4, 0), $5, $6, $7)
				ON CONFLICT (audit_id, item_id) DO UPDATE SET valeur = excluded.valeur, commentaire = excluded.commentaire,
					version = excluded.version, updated_by = excluded.updated_by, updated_at = now()
					WHERE audit_items.version = $6 - 1
				RETURNING updated_at, coalesce((SELECT coalesce(nullif(nom, ''), email) FROM users WHERE id = $7), '')`,
				auditID, structureID, ids[ch.Code], ch.Note.Valeur, ch.Note.Commentaire, saved.Version, actorID(actor)).Scan(&saved.At, &saved.By)
			if errors.Is(err, pgx.ErrNoRows) {
				conflicts = append(conflicts, "quelqu'un d'autre a coté "+ch.Code)
				continue
			} else if err != nil {
				return err
			}
			out[ch.Code] = saved
			var before json.RawMessage
			if cur.Version > 0 {
				before = journal.JSON(map[string]any{"valeur": cur.Valeur, "commentaire": cur.Commentaire, "version": cur.Version})
			}
			tx.journal(journal.Entry{Action: journal.ActAuditNote, ObjectType: "audit", ObjectID: journal.ID(auditID) + "/" + ch.Code,
				Label: ch.Code, StructureID: structureID, Before: before,
				After: journal.JSON(map[string]any{"valeur": saved.Valeur, "commentaire": saved.Commentaire, "version": saved.Version})})
		}
		if len(conflicts) > 0 {
			return &audit.ConflictError{What: conflicts}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func noteText(n audit.Note) string {
	if n.Valeur == 0 {
		return "« sans cotation »"
	}
	t := strconv.Itoa(n.Valeur)
	if n.Commentaire != "" {
		t += " (« " + n.Commentaire + " »)"
	}
	return t
}

// frozenPreuve is a piece as the final report froze it.
type frozenPreuve = audit.Preuve

// PreuvesAudit returns the ML's pieces attached to items of the audit's
// référentiel, by title; after the final report, those it froze.
func (s *Store) PreuvesAudit(ctx context.Context, structureID, auditID int64) (list []audit.Preuve, err error) {
	defer wrap(&err, "PreuvesAudit(%d)", auditID)
	var frozen []byte
	err = s.read(ctx, structureTenant(structureID), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT preuves_figees FROM audits WHERE id = $1 AND structure_id = $2", auditID, structureID).Scan(&frozen); err != nil {
			return err
		}
		if frozen != nil {
			return nil
		}
		rows, _ := tx.Query(ctx, preuvesAuditSQL, structureID, auditID)
		list, err = pgx.CollectRows(rows, pgx.RowToStructByName[audit.Preuve])
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "Audit introuvable.")
	}
	if err == nil && frozen != nil {
		err = json.Unmarshal(frozen, &list)
	}
	return list, err
}

const preuvesAuditSQL = `
	SELECT p.id, p.titre, p.nature, coalesce(p.url, '') AS url, array_agg(i.code ORDER BY i.id) AS items
	FROM preuves p JOIN preuve_items x ON x.preuve_id = p.id AND x.structure_id = $1 JOIN referentiel_items i ON i.id = x.item_id
	JOIN audits a ON a.id = $2 AND a.structure_id = p.structure_id
	JOIN autoevaluations ae ON ae.id = a.autoevaluation_id JOIN campagnes c ON c.id = ae.campagne_id AND c.referentiel_id = i.referentiel_id
	WHERE p.structure_id = $1 GROUP BY p.id ORDER BY lower(p.titre), p.id`

// Verdicts returns the verdicts of an audit of the ML by piece id.
func (s *Store) Verdicts(ctx context.Context, structureID, auditID int64) (out map[int64]audit.SavedVerdict, err error) {
	defer wrap(&err, "Verdicts(%d)", auditID)
	out = map[int64]audit.SavedVerdict{}
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) error {
		var id int64
		var v audit.SavedVerdict
		_, err := pgx.ForEachRow(rows, []any{&id, &v.Verdict, &v.Motif, &v.Version, &v.By, &v.At}, func() error {
			out[id] = v
			return nil
		})
		return err
	}, `SELECT v.preuve_id, v.verdict, v.motif, v.version, coalesce(nullif(u.nom, ''), u.email, ''), v.updated_at
		FROM audit_preuves v LEFT JOIN users u ON u.id = v.updated_by WHERE v.structure_id = $1 AND v.audit_id = $2`, structureID, auditID)
	return out, err
}

// SaveVerdict saves the verdict on a piece of the ML from the version it was
// made from, under the audit's lock.
func (s *Store) SaveVerdict(ctx context.Context, actor *domain.Actor, structureID, auditID, preuveID int64, v audit.PreuveVerdict, baseVersion int) (audit.SavedVerdict, error) {
	var saved audit.SavedVerdict
	err := s.inTx(ctx, actor, fmt.Sprintf("SaveVerdict(%d, %d)", auditID, preuveID), func(tx *jtx) error {
		if err := lockEnCours(ctx, tx, structureID, auditID); err != nil {
			return err
		}
		var titre string
		if err := tx.QueryRow(ctx, "SELECT titre FROM preuves WHERE id = $1 AND structure_id = $2", preuveID, structureID).Scan(&titre); errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Élément de preuve introuvable.")
		} else if err != nil {
			return err
		}
		var cur audit.SavedVerdict
		err := tx.QueryRow(ctx, `SELECT v.verdict, v.motif, v.version, coalesce(nullif(u.nom, ''), u.email, '') FROM audit_preuves v
			LEFT JOIN users u ON u.id = v.updated_by WHERE v.audit_id = $1 AND v.preuve_id = $2 FOR UPDATE OF v`, auditID, preuveID).
			Scan(&cur.Verdict, &cur.Motif, &cur.Version, &cur.By)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if cur.PreuveVerdict == v {
			saved = cur
			return nil
		}
		if cur.Version != baseVersion {
			return &audit.ConflictError{What: []string{fmt.Sprintf("%s a jugé « %s » : %s", cur.By, titre, cur.Verdict.Label())}}
		}
		saved = audit.SavedVerdict{PreuveVerdict: v, Version: cur.Version + 1}
		err = tx.QueryRow(ctx, `INSERT INTO audit_preuves (audit_id, structure_id, preuve_id, verdict, motif, version, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (audit_id, preuve_id) DO UPDATE SET verdict = excluded.verdict, motif = excluded.motif, version = excluded.version,
				updated_by = excluded.updated_by, updated_at = now() WHERE audit_preuves.version = $6 - 1
			RETURNING updated_at`, auditID, structureID, preuveID, v.Verdict, v.Motif, saved.Version, actorID(actor)).Scan(&saved.At)
		if errors.Is(err, pgx.ErrNoRows) {
			return &audit.ConflictError{What: []string{"quelqu'un d'autre a jugé « " + titre + " »"}}
		} else if err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActAuditVerdict, ObjectType: "audit", ObjectID: journal.ID(auditID) + "/preuve/" + journal.ID(preuveID),
			Label: "« " + titre + " »", StructureID: structureID,
			After: journal.JSON(map[string]any{"verdict": v.Verdict, "motif": v.Motif, "version": saved.Version})})
		return nil
	})
	return saved, err
}

// Constats returns the findings of an audit of the ML, oldest first.
func (s *Store) Constats(ctx context.Context, structureID, auditID int64) (list []audit.Constat, err error) {
	defer wrap(&err, "Constats(%d)", auditID)
	return collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[audit.Constat], `
		SELECT c.id, c.nature, c.texte, c.item_codes AS items, c.site_ids AS sites, c.observation, c.reponse,
		       coalesce(nullif(u.nom, ''), u.email, '') AS "by", c.at
		FROM audit_constats c LEFT JOIN users u ON u.id = c.by_user
		WHERE c.structure_id = $1 AND c.audit_id = $2 ORDER BY c.at, c.id`, structureID, auditID)
}

// AddConstat records a finding of an audit of the ML, under its lock.
func (s *Store) AddConstat(ctx context.Context, actor *domain.Actor, structureID, auditID int64, c audit.Constat) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("AddConstat(%d)", auditID), func(tx *jtx) error {
		if err := lockEnCours(ctx, tx, structureID, auditID); err != nil {
			return err
		}
		if c.Items == nil {
			c.Items = []string{}
		}
		if c.Sites == nil {
			c.Sites = []int64{}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO audit_constats (audit_id, structure_id, nature, texte, item_codes, site_ids, by_user)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, auditID, structureID, c.Nature, c.Texte, c.Items, c.Sites, actorID(actor)).Scan(&id); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActAuditConstat, ObjectType: "audit", ObjectID: journal.ID(auditID) + "/constat/" + journal.ID(id),
			Label: c.Nature.Label(), StructureID: structureID,
			After: journal.JSON(map[string]any{"nature": c.Nature, "texte": c.Texte, "items": c.Items, "sites": c.Sites})})
		return nil
	})
	return id, err
}

// SaveObservations records the ML's observations (or, with reponses, the
// pair's answers) on the provisional report of an audit of the ML.
func (s *Store) SaveObservations(ctx context.Context, actor *domain.Actor, structureID, auditID int64, reponses bool, generale string, parConstat map[int64]string, today time.Time) error {
	return s.inTx(ctx, actor, fmt.Sprintf("SaveObservations(%d)", auditID), func(tx *jtx) error {
		etat, err := lockAudit(ctx, tx, structureID, auditID)
		if err != nil {
			return err
		}
		if etat != audit.RapportProvisoire {
			return domain.Errorf(domain.ECONFLICT, "Les observations portent sur le rapport provisoire ; l'audit est à l'état « %s ».", etat.Label())
		}
		col, gen, action := "observation", "observation_generale", journal.ActAuditObservations
		if reponses {
			col, gen, action = "reponse", "reponse_generale", journal.ActAuditReponses
		} else {
			var limite *time.Time
			if err := tx.QueryRow(ctx, "SELECT observations_limite FROM audits WHERE id = $1", auditID).Scan(&limite); err != nil {
				return err
			}
			if limite != nil && today.After(*limite) {
				return domain.Errorf(domain.ECONFLICT, "Le délai des observations a pris fin le %s.", domain.FrenchDate(*limite))
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE audits SET "+gen+" = $2, version = version + 1 WHERE id = $1", auditID, generale); err != nil {
			return err
		}
		texts := map[string]string{}
		for id, t := range parConstat {
			tag, err := tx.Exec(ctx, "UPDATE audit_constats SET "+col+" = $3 WHERE id = $1 AND audit_id = $2", id, auditID, t)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return domain.Errorf(domain.EINVALID, "Constat introuvable.")
			}
			texts[strconv.FormatInt(id, 10)] = t
		}
		tx.journal(journal.Entry{Action: action, ObjectType: "audit", ObjectID: journal.ID(auditID), StructureID: structureID,
			After: journal.JSON(map[string]any{"generale": generale, "constats": texts})})
		return nil
	})
}

// DelaiObservations returns a campaign's delay for observations, in days.
func (s *Store) DelaiObservations(ctx context.Context, campagneID int64) (n int, err error) {
	defer wrap(&err, "DelaiObservations(%d)", campagneID)
	err = s.scanOne(ctx, nationalTenant, "SELECT delai_observations FROM campagnes WHERE id = $1", []any{campagneID}, &n)
	return n, err
}

// EmettreRapport issues the provisional or final report of an audit of the
// ML, moves its dossier by decide and notifies the ML's directors, as one
// change; the final one freezes the evidence the audit saw.
func (s *Store) EmettreRapport(ctx context.Context, actor *domain.Actor, structureID, auditID int64, definitif bool, synthese string, limite *time.Time,
	decide func(demarche.Etat) (demarche.Etat, error), message func(revue.Destinataire) mail.Message) error {
	return s.inTx(ctx, actor, fmt.Sprintf("EmettreRapport(%d, %t)", auditID, definitif), func(tx *jtx) error {
		etat, err := lockAudit(ctx, tx, structureID, auditID)
		if err != nil {
			return err
		}
		want, next, t := audit.EnCours, audit.RapportProvisoire, demarche.RendreRapport
		if definitif {
			want, next, t = audit.RapportProvisoire, audit.RapportDefinitif, demarche.EmettreDefinitif
		}
		if etat != want {
			return domain.Errorf(domain.ECONFLICT, "L'audit est à l'état « %s » : ce rapport n'est pas possible.", etat.Label())
		}
		var autoevalID int64
		if err := tx.QueryRow(ctx, "SELECT autoevaluation_id FROM audits WHERE id = $1", auditID).Scan(&autoevalID); err != nil {
			return err
		}
		if err := moveOrKeepTx(ctx, tx, actor, structureID, autoevalID, t, decide); err != nil {
			return err
		}
		if definitif {
			rows, _ := tx.Query(ctx, preuvesAuditSQL, structureID, auditID)
			list, err := pgx.CollectRows(rows, pgx.RowToStructByName[frozenPreuve])
			if err != nil {
				return err
			}
			if list == nil {
				list = []audit.Preuve{}
			}
			if _, err := tx.Exec(ctx, "UPDATE audits SET etat = $2, definitif_at = now(), preuves_figees = $3, version = version + 1 WHERE id = $1",
				auditID, next, journal.JSON(list)); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, "UPDATE audits SET etat = $2, provisoire_at = now(), synthese = $3, observations_limite = $4, version = version + 1 WHERE id = $1",
			auditID, next, synthese, limite); err != nil {
			return err
		}
		after := map[string]any{"etat": next}
		if !definitif {
			after["synthese"], after["observations_limite"] = synthese, limite.Format(time.DateOnly)
		}
		tx.journal(journal.Entry{Action: journal.ActAuditRapport, ObjectType: "audit", ObjectID: journal.ID(auditID), Label: next.Label(),
			StructureID: structureID, After: journal.JSON(after)})
		return notifyTx(ctx, tx, structureID, []string{string(domain.RoleDirecteur)}, message)
	})
}

// moveOrKeepTx moves the dossier of an audit's report by decide, under its
// lock; a decide giving back the same state (a follow-up audit's) leaves it
// as it is, with no transition.
func moveOrKeepTx(ctx context.Context, tx pgx.Tx, actor *domain.Actor, structureID, autoevalID int64, t demarche.Transition,
	decide func(demarche.Etat) (demarche.Etat, error)) error {
	etat, err := lockEtat(ctx, tx, structureID, autoevalID, true)
	if err != nil {
		return err
	}
	if next, err := decide(etat); err != nil || next == etat {
		return err
	}
	return moveTx(ctx, tx, actor, structureID, autoevalID, t, domain.RoleAuditeur, "", decide)
}
