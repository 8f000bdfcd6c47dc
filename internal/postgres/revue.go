package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/revue"
)

var _ revue.Store = (*Store)(nil)

// regionTenant scopes a read to the MLs of a région; 0 is every région.
func regionTenant(regionID int64) tenant {
	if regionID == 0 {
		return nationalTenant
	}
	return visibleTenant(domain.Visibility{RegionIDs: []int64{regionID}})
}

// The regional review's store: item avis, avis régionaux, returns, the
// région's pipeline and its aggregates. Every table carries structure_id, and
// every query filters on the ML it is given.

// PreuveTitles returns the titles of the ML's pieces of evidence per item code
// of a référentiel, by title.
func (s *Store) PreuveTitles(ctx context.Context, structureID, referentielID int64) (_ map[string][]string, err error) {
	defer wrap(&err, "PreuveTitles(%d, %d)", structureID, referentielID)
	out := map[string][]string{}
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) error {
		var code, titre string
		_, err := pgx.ForEachRow(rows, []any{&code, &titre}, func() error {
			out[code] = append(out[code], titre)
			return nil
		})
		return err
	}, `
		SELECT i.code, p.titre FROM preuve_items x
		JOIN preuves p ON p.id = x.preuve_id JOIN referentiel_items i ON i.id = x.item_id
		WHERE p.structure_id = $1 AND i.referentiel_id = $2 ORDER BY i.code, lower(p.titre), p.id`, structureID, referentielID)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// codedAvisItem is a stored item avis with its item's code.
type codedAvisItem struct {
	Code string
	revue.SavedAvisItem
}

// RevueItems returns the référent's avis per item code of an auto-évaluation of the ML.
func (s *Store) RevueItems(ctx context.Context, structureID, autoevalID int64) (_ map[string]revue.SavedAvisItem, err error) {
	defer wrap(&err, "RevueItems(%d, %d)", structureID, autoevalID)
	list, err := collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[codedAvisItem], `
		SELECT i.code, coalesce(r.valeur, 0) AS valeur, r.remarque, r.version,
		       coalesce(nullif(u.nom, ''), u.email, '') AS "by", r.updated_at AS "at"
		FROM revue_items r JOIN referentiel_items i ON i.id = r.item_id LEFT JOIN users u ON u.id = r.updated_by
		WHERE r.structure_id = $1 AND r.autoevaluation_id = $2`, structureID, autoevalID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]revue.SavedAvisItem, len(list))
	for _, c := range list {
		out[c.Code] = c.SavedAvisItem
	}
	return out, nil
}

// lockEtat locks an auto-évaluation of the ML for the length of tx (share:
// against transitions; update: for one) and returns its state.
func lockEtat(ctx context.Context, tx pgx.Tx, structureID, autoevalID int64, forUpdate bool) (demarche.Etat, error) {
	mode := "FOR SHARE"
	if forUpdate {
		mode = "FOR UPDATE"
	}
	var etat demarche.Etat
	err := tx.QueryRow(ctx, "SELECT etat FROM autoevaluations WHERE id = $1 AND structure_id = $2 "+mode, autoevalID, structureID).Scan(&etat)
	if errors.Is(err, pgx.ErrNoRows) {
		return etat, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	return etat, err
}

// itemIDs maps item codes of the auto-évaluation's référentiel to their ids;
// EINVALID for a code outside it.
func itemIDs(ctx context.Context, tx pgx.Tx, autoevalID int64, codes []string) (map[string]int64, error) {
	rows, err := tx.Query(ctx, `SELECT i.code, i.id FROM autoevaluations a JOIN campagnes c ON c.id = a.campagne_id
		JOIN referentiel_items i ON i.referentiel_id = c.referentiel_id WHERE a.id = $1 AND i.code = ANY($2)`, autoevalID, codes)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var code string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&code, &id}, func() error {
		out[code] = id
		return nil
	}); err != nil {
		return nil, err
	}
	for _, c := range codes {
		if _, ok := out[c]; !ok {
			return nil, domain.Errorf(domain.EINVALID, "L'élément %s n'existe pas dans ce référentiel.", c)
		}
	}
	return out, nil
}

// SaveRevueItems saves item avis in one transaction, under a lock that keeps
// transitions out, and returns them as stored. Each change names the version
// it was made from; if any avis changed since, nothing is saved and a
// *revue.ConflictError gives the current ones. Avis left as they were are not
// written again.
func (s *Store) SaveRevueItems(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, changes []revue.AvisItemChange) (revue.Saved, error) {
	out := revue.Saved{Items: map[string]revue.SavedAvisItem{}}
	codes := make([]string, len(changes))
	for i, ch := range changes {
		codes[i] = ch.Code
	}
	err := s.inTx(ctx, actor, fmt.Sprintf("SaveRevueItems(%d)", autoevalID), func(tx *jtx) error {
		etat, err := lockEtat(ctx, tx, structureID, autoevalID, false)
		if err != nil {
			return err
		}
		if etat != demarche.Soumise {
			return domain.Errorf(domain.ECONFLICT, "L'auto-évaluation est à l'état « %s » : l'avis ne se donne que sur une auto-évaluation soumise.", etat.Label())
		}
		ids, err := itemIDs(ctx, tx, autoevalID, codes)
		if err != nil {
			return err
		}
		conflicts := map[string]revue.SavedAvisItem{}
		for _, ch := range changes {
			var cur revue.SavedAvisItem
			err := tx.QueryRow(ctx, `SELECT coalesce(r.valeur, 0), r.remarque, r.version, coalesce(nullif(u.nom, ''), u.email, ''), r.updated_at
				FROM revue_items r LEFT JOIN users u ON u.id = r.updated_by
				WHERE r.autoevaluation_id = $1 AND r.item_id = $2 FOR UPDATE OF r`, autoevalID, ids[ch.Code]).
				Scan(&cur.Valeur, &cur.Remarque, &cur.Version, &cur.By, &cur.At)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			switch {
			case cur.AvisItem == ch.Avis:
				out.Items[ch.Code] = cur
				continue
			case cur.Version != ch.BaseVersion:
				conflicts[ch.Code] = cur
				continue
			}
			saved := revue.SavedAvisItem{AvisItem: ch.Avis, Version: cur.Version + 1}
			// The insert's unique key decides between two first avis at once:
			// the loser updates nothing and is told of a conflict.
			err = tx.QueryRow(ctx, `
				INSERT INTO revue_items (autoevaluation_id, structure_id, item_id, valeur, remarque, version, updated_by)
				VALUES ($1, $2, $3, nullif($4, 0), $5, $6, $7)
				ON CONFLICT (autoevaluation_id, item_id) DO UPDATE SET valeur = excluded.valeur, remarque = excluded.remarque,
					version = excluded.version, updated_by = excluded.updated_by, updated_at = now()
					WHERE revue_items.version = $6 - 1
				RETURNING updated_at, coalesce((SELECT coalesce(nullif(nom, ''), email) FROM users WHERE id = $7), '')`,
				autoevalID, structureID, ids[ch.Code], ch.Avis.Valeur, ch.Avis.Remarque, saved.Version, actorID(actor)).Scan(&saved.At, &saved.By)
			if errors.Is(err, pgx.ErrNoRows) {
				conflicts[ch.Code] = cur
				continue
			} else if err != nil {
				return err
			}
			out.Items[ch.Code] = saved
			out.Changed = append(out.Changed, ch.Code)
			var before json.RawMessage
			if cur.Version > 0 {
				before = journal.JSON(map[string]any{"valeur": cur.Valeur, "remarque": cur.Remarque, "version": cur.Version})
			}
			tx.journal(journal.Entry{Action: journal.ActRevueItem, ObjectType: "revue", ObjectID: journal.ID(autoevalID) + "/" + ch.Code,
				Label: ch.Code, StructureID: structureID, Before: before,
				After: journal.JSON(map[string]any{"valeur": saved.Valeur, "remarque": saved.Remarque, "version": saved.Version})})
		}
		if len(conflicts) > 0 {
			return &revue.ConflictError{Current: conflicts}
		}
		return nil
	})
	if err != nil {
		return revue.Saved{}, err
	}
	return out, nil
}

// moveTx takes a transition of the démarche within tx: decide gets the state
// of the locked row and returns the next one; the transition is recorded.
func moveTx(ctx context.Context, tx pgx.Tx, actor *domain.Actor, structureID, autoevalID int64, t demarche.Transition, role domain.Role, commentaire string,
	decide func(demarche.Etat) (demarche.Etat, error)) error {
	etat, err := lockEtat(ctx, tx, structureID, autoevalID, true)
	if err != nil {
		return err
	}
	next, err := decide(etat)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE autoevaluations SET etat = $2, updated_at = now() WHERE id = $1", autoevalID, next); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_user, by_role, commentaire)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, autoevalID, t, etat, next, actorID(actor), role, commentaire)
	return err
}

// notifyTx queues message for each person holding one of roles on the ML
// (directeur, contributeur), on its région (referent_arml), or nationally
// (pole), whose account is enabled.
func notifyTx(ctx context.Context, tx pgx.Tx, structureID int64, roles []string, message func(revue.Destinataire) mail.Message) error {
	rows, _ := tx.Query(ctx, `
		SELECT DISTINCT u.email, u.nom FROM memberships m JOIN users u ON u.id = m.user_id
		JOIN structures s ON s.id = $1
		WHERE m.role = ANY($2) AND u.disabled_at IS NULL
		  AND (m.structure_id = s.id OR m.region_id = s.region_id OR (m.structure_id IS NULL AND m.region_id IS NULL))
		ORDER BY u.email`, structureID, roles)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[revue.Destinataire])
	if err != nil {
		return err
	}
	for _, d := range list {
		if err := EnqueueMail(ctx, tx, message(d)); err != nil {
			return err
		}
	}
	return nil
}

// notifySubmission tells the région's référents and the national team, within
// a submission's transaction, that the ML submitted.
func notifySubmission(ctx context.Context, tx pgx.Tx, autoevalID int64) error {
	var structureID int64
	var ml, campagne string
	if err := tx.QueryRow(ctx, `SELECT s.id, s.nom, c.nom FROM autoevaluations a JOIN structures s ON s.id = a.structure_id
		JOIN campagnes c ON c.id = a.campagne_id WHERE a.id = $1`, autoevalID).Scan(&structureID, &ml, &campagne); err != nil {
		return err
	}
	link := fmt.Sprintf("/revue/autoevaluations/%d", autoevalID)
	return notifyTx(ctx, tx, structureID, []string{string(domain.RoleReferentARML), string(domain.RolePole)},
		func(d revue.Destinataire) mail.Message { return revue.MessageSoumission(d, ml, campagne, link) })
}

// RendreAvis records the avis régional of an auto-évaluation of the ML, moves
// it by decide and notifies its directors and the national team, as one change.
func (s *Store) RendreAvis(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, avis revue.Avis,
	decide func(demarche.Etat) (demarche.Etat, error), message func(revue.Destinataire) mail.Message) error {
	return s.inTx(ctx, actor, fmt.Sprintf("RendreAvis(%d)", autoevalID), func(tx *jtx) error {
		if err := moveTx(ctx, tx, actor, structureID, autoevalID, demarche.RendreAvis, domain.RoleReferentARML, avis.Recommandation.Label(), decide); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO revue_avis (autoevaluation_id, structure_id, points_forts, axes_progres, recommandation, texte, by_user)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, autoevalID, structureID, avis.PointsForts, avis.AxesProgres, avis.Recommandation, avis.Texte, actorID(actor)); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActAvisRendu, ObjectType: "autoevaluation", ObjectID: journal.ID(autoevalID),
			Label: avis.Recommandation.Label(), StructureID: structureID, After: journal.JSON(map[string]any{
				"recommandation": avis.Recommandation, "points_forts": avis.PointsForts, "axes_progres": avis.AxesProgres, "texte": avis.Texte,
				"etat": demarche.AvisRendu})})
		return notifyTx(ctx, tx, structureID, []string{string(domain.RoleDirecteur), string(domain.RolePole)}, message)
	})
}

// Renvoyer records a return of an auto-évaluation of the ML with its reasons,
// moves it by decide and notifies its directors and contributors, as one change.
func (s *Store) Renvoyer(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, r revue.Renvoi, role domain.Role,
	decide func(demarche.Etat) (demarche.Etat, error), message func(revue.Destinataire) mail.Message) error {
	return s.inTx(ctx, actor, fmt.Sprintf("Renvoyer(%d)", autoevalID), func(tx *jtx) error {
		if err := moveTx(ctx, tx, actor, structureID, autoevalID, demarche.Renvoyer, role, r.Motif, decide); err != nil {
			return err
		}
		codes := make([]string, len(r.Items))
		for i, it := range r.Items {
			codes[i] = it.Code
		}
		ids, err := itemIDs(ctx, tx, autoevalID, codes)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO revue_renvois (autoevaluation_id, structure_id, motif, by_user, by_role)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, autoevalID, structureID, r.Motif, actorID(actor), role).Scan(&id); err != nil {
			return err
		}
		for _, it := range r.Items {
			if _, err := tx.Exec(ctx, `INSERT INTO revue_renvoi_items (renvoi_id, structure_id, item_id, motif) VALUES ($1, $2, $3, $4)`,
				id, structureID, ids[it.Code], it.Motif); err != nil {
				return err
			}
		}
		items := map[string]string{}
		for _, it := range r.Items {
			items[it.Code] = it.Motif
		}
		tx.journal(journal.Entry{Action: journal.ActRenvoi, ObjectType: "autoevaluation", ObjectID: journal.ID(autoevalID),
			StructureID: structureID, After: journal.JSON(map[string]any{"renvoi_id": id, "motif": r.Motif, "items": items, "etat": demarche.EnCours})})
		return notifyTx(ctx, tx, structureID, []string{string(domain.RoleDirecteur), string(domain.RoleContributeur)}, message)
	})
}

// avisSQL lists the avis régionaux of auto-évaluation $2 of ML $1, oldest first.
const avisSQL = `SELECT r.id, r.points_forts, r.axes_progres, r.recommandation, r.texte,
		coalesce(nullif(u.nom, ''), u.email, '') AS "by", r.at
		FROM revue_avis r LEFT JOIN users u ON u.id = r.by_user
		WHERE r.structure_id = $1 AND r.autoevaluation_id = $2 ORDER BY r.at, r.id`

// renvoisSQL lists the returns of auto-évaluation $2 of ML $1, oldest first,
// one row per item reason (in document order) or one row without.
const renvoisSQL = `SELECT r.id, r.motif, coalesce(nullif(u.nom, ''), u.email, '') AS "by", r.by_role AS role, r.at,
		i.code, x.motif AS item_motif
		FROM revue_renvois r LEFT JOIN users u ON u.id = r.by_user
		LEFT JOIN revue_renvoi_items x ON x.renvoi_id = r.id AND x.structure_id = r.structure_id
		LEFT JOIN referentiel_items i ON i.id = x.item_id
		WHERE r.structure_id = $1 AND r.autoevaluation_id = $2 ORDER BY r.at, r.id, i.id`

// AvisRegionaux returns the avis régionaux of an auto-évaluation of the ML,
// oldest first.
func (s *Store) AvisRegionaux(ctx context.Context, structureID, autoevalID int64) (_ []revue.Avis, err error) {
	defer wrap(&err, "AvisRegionaux(%d, %d)", structureID, autoevalID)
	return collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[revue.Avis], avisSQL, structureID, autoevalID)
}

// AvisAndRenvois returns the avis régionaux (as AvisRegionaux does) and the
// returns of an auto-évaluation of the ML, with their item reasons in document
// order of their codes, both oldest first, in one round trip.
func (s *Store) AvisAndRenvois(ctx context.Context, structureID, autoevalID int64) (_ []revue.Avis, _ []revue.Renvoi, err error) {
	defer wrap(&err, "AvisAndRenvois(%d, %d)", structureID, autoevalID)
	var avis []revue.Avis
	var renvois []revue.Renvoi
	err = s.queries(ctx, structureTenant(structureID),
		scan{avisSQL, []any{structureID, autoevalID}, into(&avis, pgx.RowToStructByName[revue.Avis])},
		scan{renvoisSQL, []any{structureID, autoevalID}, func(rows pgx.Rows) (err error) {
			renvois, err = scanRenvois(rows)
			return err
		}})
	return avis, renvois, err
}

// renvoiRow is a row of renvoisSQL.
type renvoiRow struct {
	ID        int64
	Motif     string
	By        string
	Role      domain.Role
	At        time.Time
	Code      *string
	ItemMotif *string `db:"item_motif"`
}

// scanRenvois folds the rows of renvoisSQL into returns with their items.
func scanRenvois(rows pgx.Rows) ([]revue.Renvoi, error) {
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[renvoiRow])
	if err != nil {
		return nil, err
	}
	var out []revue.Renvoi
	for _, r := range list {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, revue.Renvoi{ID: r.ID, Motif: r.Motif, By: r.By, Role: r.Role, At: r.At})
		}
		if r.Code != nil {
			last := &out[len(out)-1]
			last.Items = append(last.Items, revue.RenvoiItem{Code: *r.Code, Motif: *r.ItemMotif})
		}
	}
	return out, nil
}

// Dossiers returns the MLs of a région that a campaign concerns, by name, with
// their auto-évaluation and its last submission.
func (s *Store) Dossiers(ctx context.Context, regionID, campagneID int64) (_ []revue.Dossier, err error) {
	defer wrap(&err, "Dossiers(%d, %d)", regionID, campagneID)
	list, err := collect(ctx, s, regionTenant(regionID), pgx.RowToStructByName[revue.Dossier], `
		SELECT s.id AS structure_id, s.nom AS structure_nom, coalesce(a.id, 0) AS autoevaluation_id, coalesce(a.etat, 'en_cours') AS etat,
		       (SELECT max(t.at) FROM autoevaluation_transitions t WHERE t.autoevaluation_id = a.id AND t.action = 'soumettre') AS soumise_le
		FROM structures s
		LEFT JOIN autoevaluations a ON a.structure_id = s.id AND a.campagne_id = $2
		WHERE s.region_id = $1 AND (a.id IS NOT NULL OR EXISTS (
			SELECT 1 FROM campagne_structures cs WHERE cs.campagne_id = $2 AND cs.structure_id = s.id))
		ORDER BY s.nom, s.id`, regionID, campagneID)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Moyennes aggregates the answers of a campaign per ML of a région (0: every
// région) and group of item codes.
func (s *Store) Moyennes(ctx context.Context, regionID, campagneID int64, codes, names []string) (_ []revue.Moyenne, err error) {
	defer wrap(&err, "Moyennes(%d, %d)", regionID, campagneID)
	list, err := collect(ctx, s, regionTenant(regionID), pgx.RowToStructByName[revue.Moyenne], `
		WITH g AS (SELECT i.id, g.groupe FROM unnest($3::text[], $4::text[]) AS g(code, groupe)
		           JOIN referentiel_items i ON i.code = g.code
		           WHERE i.referentiel_id = (SELECT referentiel_id FROM campagnes WHERE id = $2))
		SELECT a.structure_id, g.groupe, count(*)::int AS answered,
		       coalesce(sum(c.valeur), 0)::int AS sum, count(c.valeur)::int AS n
		-- Each auto-évaluation's answers in one range of the primary key (the
		-- planner, which cannot count the groups of a generic plan, otherwise
		-- probes cotations once per item and ML: 100 times the pages read).
		FROM autoevaluations a CROSS JOIN LATERAL (SELECT c.item_id, c.valeur FROM cotations c
		           WHERE c.autoevaluation_id = a.id AND (c.valeur IS NOT NULL OR c.non_concerne) OFFSET 0) c
		JOIN g ON g.id = c.item_id
		WHERE a.campagne_id = $2 AND ($1::bigint = 0 OR a.structure_id IN (SELECT id FROM structures WHERE region_id = $1))
		GROUP BY a.structure_id, g.groupe`, regionID, campagneID, codes, names)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// SeedRevue writes, for demo data, item avis on an auto-évaluation of the ML
// without version checks, as actor, in one change.
func (s *Store) SeedRevue(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, items map[string]revue.AvisItem) error {
	codes := make([]string, 0, len(items))
	for c := range items {
		codes = append(codes, c)
	}
	return s.inTx(ctx, actor, fmt.Sprintf("SeedRevue(%d)", autoevalID), func(tx *jtx) error {
		ids, err := itemIDs(ctx, tx, autoevalID, codes)
		if err != nil {
			return err
		}
		for code, a := range items {
			if _, err := tx.Exec(ctx, `INSERT INTO revue_items (autoevaluation_id, structure_id, item_id, valeur, remarque, updated_by)
				VALUES ($1, $2, $3, nullif($4, 0), $5, $6)`, autoevalID, structureID, ids[code], a.Valeur, a.Remarque, actorID(actor)); err != nil {
				return err
			}
			tx.journal(journal.Entry{Action: journal.ActRevueItem, ObjectType: "revue", ObjectID: journal.ID(autoevalID) + "/" + code,
				Label: code, StructureID: structureID, After: journal.JSON(map[string]any{"valeur": a.Valeur, "remarque": a.Remarque, "version": 1})})
		}
		return nil
	})
}
