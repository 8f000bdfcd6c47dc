package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
)

// Campaigns are national objects, managed by the national team: no tenant filter
// here; campagnes.Service asks the policy (ActManageCampaigns) first.

// campagneColumns are the columns of a campaign, named for campagnes.Campagne.
const campagneColumns = `c.id, c.nom, c.referentiel_id, r.titre || ' — version ' || r.version AS referentiel,
	c.ouverture, c.cloture, c.etat, c.delai_observations`

// CreateCampagne stores a new campaign, in preparation, concerning the MLs of
// structureIDs, or every ML when there is none. The campaign is checked with
// campagnes.Validate; an unknown référentiel or ML is a form error (fields
// referentiel and structures), and nothing is written.
func (s *Store) CreateCampagne(ctx context.Context, actor *domain.Actor, c campagnes.Campagne, structureIDs []int64) (int64, error) {
	// The service has validated already; the store checks again so that no
	// caller can write a campaign the rules refuse.
	if err := campagnes.Validate(c); err != nil {
		return 0, err
	}
	ids := slices.Clone(structureIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("CreateCampagne(%q, %d)", c.Nom, c.ReferentielID), func(tx *jtx) error {
		fe := domain.FieldErrors{}
		var known bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM referentiels WHERE id = $1)", c.ReferentielID).Scan(&known); err != nil {
			return err
		}
		if !known {
			fe["referentiel"] = "Choisissez une version du référentiel dans la liste."
		}
		if len(ids) > 0 {
			var found int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM structures WHERE id = ANY($1)", ids).Scan(&found); err != nil {
				return err
			}
			if found != len(ids) {
				fe["structures"] = "Une Mission Locale choisie n'existe pas ou plus : rechargez la page et choisissez à nouveau."
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO campagnes (nom, referentiel_id, ouverture, cloture, etat, created_by, delai_observations)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			c.Nom, c.ReferentielID, campagnes.Day(c.Ouverture), campagnes.Day(c.Cloture), campagnes.EtatPreparation, actorID(actor),
			cmp.Or(c.DelaiObservations, campagnes.DefaultDelaiObservations)).Scan(&id)
		if err != nil {
			return err
		}
		// Every ML is those of the network now: MLs created later are added by hand.
		tag, err := tx.Exec(ctx, `INSERT INTO campagne_structures (campagne_id, structure_id)
			SELECT $1, s.id FROM structures s WHERE cardinality($2::bigint[]) = 0 OR s.id = ANY($2)`, id, nonNilIDs(ids))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return domain.FieldErrors{"structures": "Aucune Mission Locale n'est enregistrée : créez d'abord le réseau."}.Err()
		}
		after, err := tx.rowJSON(ctx, campagneJSON, id)
		tx.journal(journal.Entry{Action: journal.ActCampagneCreated, ObjectType: "campagne", ObjectID: journal.ID(id), Label: c.Nom, After: after})
		return err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// ListCampagnes returns every campaign, the latest opening first, with the number
// of MLs concerned and of auto-évaluations per state.
func (s *Store) ListCampagnes(ctx context.Context) (_ []campagnes.CampagneRow, err error) {
	defer wrap(&err, "ListCampagnes")
	// Campaigns are the national team's: their counts cover every ML.
	list, err := collect(ctx, s, nationalTenant, pgx.RowToStructByName[campagnes.CampagneRow], `
		SELECT `+campagneColumns+`,
		       (SELECT count(*) FROM campagne_structures cs WHERE cs.campagne_id = c.id)::int AS structures,
		       coalesce((SELECT jsonb_object_agg(x.etat, x.n) FROM
		           (SELECT a.etat, count(*) AS n FROM autoevaluations a WHERE a.campagne_id = c.id GROUP BY a.etat) x), '{}') AS etats
		FROM campagnes c JOIN referentiels r ON r.id = c.referentiel_id
		ORDER BY c.ouverture DESC, c.id DESC`)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Campagne returns one campaign; ENOTFOUND if there is none.
func (s *Store) Campagne(ctx context.Context, id int64) (_ campagnes.Campagne, err error) {
	defer wrap(&err, "Campagne(%d)", id)
	rows, _ := s.pool.Query(ctx, `SELECT `+campagneColumns+`
		FROM campagnes c JOIN referentiels r ON r.id = c.referentiel_id WHERE c.id = $1`, id)
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[campagnes.Campagne])
	if errors.Is(err, pgx.ErrNoRows) {
		return c, domain.Errorf(domain.ENOTFOUND, "Campagne introuvable.")
	} else if err != nil {
		return c, err
	}
	return c, nil
}

// CampagneStructures returns the MLs a campaign concerns, by région then name,
// each with its current région and, once the campaign is open, its
// auto-évaluation. ENOTFOUND if there is no such campaign.
func (s *Store) CampagneStructures(ctx context.Context, id int64) (_ []campagnes.CampagneStructure, err error) {
	defer wrap(&err, "CampagneStructures(%d)", id)
	list, err := collect(ctx, s, nationalTenant, pgx.RowToStructByName[campagnes.CampagneStructure], `
		SELECT s.id AS structure_id, s.code, s.nom, s.region_id, r.nom AS region_nom,
		       coalesce(a.id, 0) AS autoevaluation_id, coalesce(a.etat, '') AS etat
		FROM campagne_structures cs
		JOIN structures s ON s.id = cs.structure_id
		JOIN regions r ON r.id = s.region_id
		LEFT JOIN autoevaluations a ON a.campagne_id = cs.campagne_id AND a.structure_id = cs.structure_id
		WHERE cs.campagne_id = $1
		ORDER BY r.nom, s.nom, s.id`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		if _, err := s.Campagne(ctx, id); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// transitionCampagne locks a campaign until tx ends and asks the transition
// table whether t may leave its state; it returns the state t leads to.
// ENOTFOUND if there is no such campaign; ECONFLICT from campagnes.Next.
func transitionCampagne(ctx context.Context, tx pgx.Tx, id int64, t campagnes.Transition) (campagnes.Etat, error) {
	var nom string
	var etat campagnes.Etat
	err := tx.QueryRow(ctx, "SELECT nom, etat FROM campagnes WHERE id = $1 FOR UPDATE", id).Scan(&nom, &etat)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", domain.Errorf(domain.ENOTFOUND, "Campagne introuvable.")
	} else if err != nil {
		return "", err
	}
	return campagnes.Next(nom, etat, t)
}

// campagneJSON selects a campaign as the journal keeps it.
const campagneJSON = `SELECT json_build_object('id', id, 'nom', nom, 'referentiel_id', referentiel_id, 'ouverture', ouverture,
	'cloture', cloture, 'etat', etat, 'structures', (SELECT count(*) FROM campagne_structures WHERE campagne_id = c.id),
	'autoevaluations', (SELECT count(*) FROM autoevaluations WHERE campagne_id = c.id)) FROM campagnes c WHERE id = $1`

// journalCampagneTransition journals a campaign's change of state, with before
// taken under its lock.
func journalCampagneTransition(ctx context.Context, tx *jtx, id int64, action string, before json.RawMessage) error {
	after, err := tx.rowJSON(ctx, campagneJSON, id)
	if err != nil {
		return err
	}
	var nom string
	var from, to campagnes.Etat
	var b struct{ Etat campagnes.Etat }
	_ = json.Unmarshal(before, &b)
	if err := tx.QueryRow(ctx, "SELECT nom, etat FROM campagnes WHERE id = $1", id).Scan(&nom, &to); err != nil {
		return err
	}
	from = b.Etat
	tx.journal(journal.Entry{Action: action, ObjectType: "campagne", ObjectID: journal.ID(id), Label: nom,
		Before: withEtatLabel(before, from.Label()), After: withEtatLabel(after, to.Label())})
	return nil
}

// withEtatLabel adds the state's French name to an object's JSON, for the sentence.
func withEtatLabel(obj json.RawMessage, label string) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil || m == nil {
		return obj
	}
	m["etat_label"] = label
	return journal.JSON(m)
}

// OpenCampagne opens a campaign in preparation and gives each ML it concerns its
// auto-évaluation, en cours, all in one transaction; it returns how many
// auto-évaluations it created. ECONFLICT, with a French message, unless the
// campaign is in preparation; ENOTFOUND if there is none. The schema records no
// opener yet: the journal to come will record actor.
func (s *Store) OpenCampagne(ctx context.Context, actor *domain.Actor, id int64) (int, error) {
	var created int
	err := s.inTx(ctx, actor, fmt.Sprintf("OpenCampagne(%d)", id), func(tx *jtx) (err error) {
		to, err := transitionCampagne(ctx, tx, id, campagnes.TrOuvrir)
		if err != nil {
			return err
		}
		before, err := tx.rowJSON(ctx, campagneJSON, id)
		if err != nil {
			return err
		}
		defer func() {
			if err == nil {
				err = journalCampagneTransition(ctx, tx, id, journal.ActCampagneOpened, before)
			}
		}()
		if _, err := tx.Exec(ctx, "UPDATE campagnes SET etat = $2, opened_at = now() WHERE id = $1", id, to); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO autoevaluations (campagne_id, structure_id)
			SELECT cs.campagne_id, cs.structure_id FROM campagne_structures cs WHERE cs.campagne_id = $1
			ON CONFLICT (campagne_id, structure_id) DO NOTHING`, id)
		if err != nil {
			return err
		}
		created = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, err
	}
	return created, nil
}

// CloseCampagne closes an open campaign. ECONFLICT, with a French message, unless
// it is open; ENOTFOUND if there is none.
func (s *Store) CloseCampagne(ctx context.Context, actor *domain.Actor, id int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("CloseCampagne(%d)", id), func(tx *jtx) error {
		to, err := transitionCampagne(ctx, tx, id, campagnes.TrClore)
		if err != nil {
			return err
		}
		before, err := tx.rowJSON(ctx, campagneJSON, id)
		if err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, "UPDATE campagnes SET etat = $2, closed_at = now() WHERE id = $1", id, to); err != nil {
			return err
		}
		return journalCampagneTransition(ctx, tx, id, journal.ActCampagneClosed, before)
	})
}

// PendingRappels returns the MLs whose auto-évaluation is en cours in an open
// campaign closing between today and today + within days, with the days left and
// the reminders already sent, by campaign then ML.
func (s *Store) PendingRappels(ctx context.Context, today time.Time, within int) (_ []campagnes.Rappel, err error) {
	defer wrap(&err, "PendingRappels")
	// The reminders worker reads every ML: the system's scope.
	list, err := collect(ctx, s, systemTenant, pgx.RowToStructByName[campagnes.Rappel], `
		SELECT c.id AS campagne_id, c.nom AS campagne_nom, c.cloture, s.id AS structure_id, s.nom AS structure_nom,
		       a.id AS autoevaluation_id, c.cloture - $1::date AS jours_restants,
		       coalesce((SELECT array_agg(x.kind ORDER BY x.kind) FROM campagne_rappels x
		                 WHERE x.campagne_id = c.id AND x.structure_id = s.id), '{}') AS envoyes
		FROM campagnes c
		JOIN autoevaluations a ON a.campagne_id = c.id
		JOIN structures s ON s.id = a.structure_id
		WHERE c.etat = $3 AND a.etat = 'en_cours'
		  AND c.cloture BETWEEN $1::date AND $1::date + $2::int
		ORDER BY c.id, s.id`, campagnes.Day(today), within, campagnes.EtatOuverte)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// RecordRappel records reminder kind for r's ML and campaign and, in the same
// transaction, queues message(d) for each director d of the ML whose account is
// not disabled. The record's primary key decides who sends: when another server
// recorded it first, nothing is queued and 0 is returned. An ML without a director
// gets its record and no email. It returns the number of emails queued. actor is
// nil for the reminders worker.
func (s *Store) RecordRappel(ctx context.Context, actor *domain.Actor, r campagnes.Rappel, kind string, message func(campagnes.Directeur) mail.Message) (int, error) {
	queued := 0
	op := fmt.Sprintf("RecordRappel(%s, %d, %d)", kind, r.CampagneID, r.StructureID)
	err := s.inTx(ctx, actor, op, func(tx *jtx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO campagne_rappels (campagne_id, structure_id, kind) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, r.CampagneID, r.StructureID, kind)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		defer func() {
			tx.journal(journal.Entry{Action: journal.ActRappelSent, ObjectType: "campagne", ObjectID: journal.ID(r.CampagneID),
				Label: r.StructureNom, StructureID: r.StructureID,
				After: journal.JSON(map[string]any{"campagne": r.CampagneNom, "kind": kind, "courriels": queued})})
		}()
		rows, _ := tx.Query(ctx, `
			SELECT u.email, u.nom FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.role = 'directeur' AND m.structure_id = $1 AND u.disabled_at IS NULL
			ORDER BY u.email`, r.StructureID)
		directeurs, err := pgx.CollectRows(rows, pgx.RowToStructByName[campagnes.Directeur])
		if err != nil {
			return err
		}
		for _, d := range directeurs {
			if err := EnqueueMail(ctx, tx, message(d)); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return queued, nil
}
