package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
)

// autoevalColumns are named for autoeval.Autoevaluation; the query must join
// campagnes c, structures s and referentiels r on the auto-évaluation a.
const autoevalColumns = `a.id, a.campagne_id, c.nom AS campagne_nom, c.cloture, a.structure_id, s.nom AS structure_nom,
	s.region_id, a.etat, c.referentiel_id, r.version AS referentiel_version`

const autoevalFrom = ` FROM autoevaluations a JOIN campagnes c ON c.id = a.campagne_id
	JOIN structures s ON s.id = a.structure_id JOIN referentiels r ON r.id = c.referentiel_id `

// Autoevaluation returns one auto-évaluation, ENOTFOUND unless the visibility
// covers its ML.
func (s *Store) Autoevaluation(ctx context.Context, v domain.Visibility, id int64) (_ autoeval.Autoevaluation, err error) {
	defer wrap(&err, "Autoevaluation(%d)", id)
	a, err := collectOne(ctx, s, visibleTenant(v), pgx.RowToStructByName[autoeval.Autoevaluation],
		"SELECT "+autoevalColumns+autoevalFrom+"WHERE a.id = $4 AND "+visibleStructure, append(visArgs(v), id)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	} else if err != nil {
		return a, err
	}
	return a, nil
}

// Autoevaluations lists the auto-évaluations the visibility covers, the latest
// campaigns first.
func (s *Store) Autoevaluations(ctx context.Context, v domain.Visibility) (_ []autoeval.Autoevaluation, err error) {
	defer wrap(&err, "Autoevaluations")
	list, err := collect(ctx, s, visibleTenant(v), pgx.RowToStructByName[autoeval.Autoevaluation],
		"SELECT "+autoevalColumns+autoevalFrom+"WHERE "+visibleStructure+" ORDER BY c.cloture DESC, s.nom", visArgs(v)...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Cotations returns the answers of an auto-évaluation of the ML by item code.
func (s *Store) Cotations(ctx context.Context, structureID, autoevalID int64) (_ map[string]autoeval.SavedCotation, err error) {
	defer wrap(&err, "Cotations(%d, %d)", structureID, autoevalID)
	var out map[string]autoeval.SavedCotation
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) (err error) {
		out, err = scanCotations(rows)
		return err
	}, cotationsSQL, structureID, autoevalID)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cotationsSQL reads an auto-évaluation's answers ($2) if it is the ML's ($1).
// The names of their authors (two or three people) are looked up by key: a
// join on users hashed the whole table for every page.
const cotationsSQL = `
	SELECT i.code, coalesce(c.valeur, 0), c.non_concerne, c.justification, c.commentaire, c.version, coalesce(n.by, ''), c.updated_at
	FROM cotations c JOIN autoevaluations a ON a.id = c.autoevaluation_id
	JOIN referentiel_items i ON i.id = c.item_id
	LEFT JOIN (SELECT u.id, coalesce(nullif(u.nom, ''), u.email) AS by FROM users u
	           WHERE u.id = ANY (ARRAY(SELECT DISTINCT updated_by FROM cotations WHERE autoevaluation_id = $2))) n ON n.id = c.updated_by
	WHERE a.structure_id = $1 AND c.autoevaluation_id = $2`

// scanCotations reads the rows of cotationsSQL by position (no reflection).
func scanCotations(rows pgx.Rows) (map[string]autoeval.SavedCotation, error) {
	out := make(map[string]autoeval.SavedCotation, 128)
	var code string
	var c autoeval.SavedCotation
	_, err := pgx.ForEachRow(rows, []any{&code, &c.Valeur, &c.NonConcerne, &c.Justification, &c.Commentaire, &c.Version, &c.By, &c.At}, func() error {
		out[code] = c
		return nil
	})
	return out, err
}

// saveTarget is an item a save names, with its answer as the lock found it.
type saveTarget struct {
	ItemID  int64
	Current autoeval.SavedCotation
}

// lockForSave locks an auto-évaluation of the ML against transitions for the
// length of tx, checks that it may still change its answers, and finds the
// items of codes with their current answers, all in one statement.
func lockForSave(ctx context.Context, tx pgx.Tx, structureID, autoevalID int64, codes []string) (map[string]saveTarget, error) {
	rows, err := tx.Query(ctx, `
		SELECT a.etat, i.code, i.id, coalesce(c.valeur, 0), coalesce(c.non_concerne, false), coalesce(c.justification, ''),
		       coalesce(c.commentaire, ''), coalesce(c.version, 0), coalesce(nullif(u.nom, ''), u.email, ''), c.updated_at
		FROM autoevaluations a JOIN campagnes cp ON cp.id = a.campagne_id
		LEFT JOIN referentiel_items i ON i.referentiel_id = cp.referentiel_id AND i.code = ANY($3)
		LEFT JOIN cotations c ON c.autoevaluation_id = a.id AND c.item_id = i.id
		LEFT JOIN users u ON u.id = c.updated_by
		WHERE a.id = $1 AND a.structure_id = $2
		FOR SHARE OF a`, autoevalID, structureID, codes)
	if err != nil {
		return nil, err
	}
	var (
		etat    demarche.Etat
		found   bool
		code    *string
		itemID  *int64
		cur     autoeval.SavedCotation
		at      *time.Time
		targets = make(map[string]saveTarget, len(codes))
	)
	_, err = pgx.ForEachRow(rows, []any{&etat, &code, &itemID, &cur.Valeur, &cur.NonConcerne, &cur.Justification, &cur.Commentaire, &cur.Version, &cur.By, &at}, func() error {
		found = true
		if code != nil {
			cur.At = time.Time{}
			if at != nil {
				cur.At = *at
			}
			targets[*code] = saveTarget{ItemID: *itemID, Current: cur}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	if !etat.Editable() {
		return nil, domain.Errorf(domain.ECONFLICT, "L'auto-évaluation est à l'état « %s » : ses cotations ne peuvent plus être modifiées.", etat.Label())
	}
	return targets, nil
}

// SaveCotations saves answers in one transaction and returns them as stored.
// Each change names the version it was made from; if any item changed since,
// nothing is saved and a *autoeval.ConflictError gives the current answers of
// those items. Answers left as they were are not written again.
func (s *Store) SaveCotations(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, changes []autoeval.CotationChange) (autoeval.Saved, error) {
	out := autoeval.Saved{Answers: make(map[string]autoeval.SavedCotation, len(changes))}
	codes := make([]string, len(changes))
	for i, ch := range changes {
		codes[i] = ch.Code
	}
	err := s.inTx(ctx, actor, fmt.Sprintf("SaveCotations(%d)", autoevalID), func(tx *jtx) error {
		targets, err := lockForSave(ctx, tx, structureID, autoevalID, codes)
		if err != nil {
			return err
		}
		conflicts := map[string]autoeval.SavedCotation{}
		for _, ch := range changes {
			t, ok := targets[ch.Code]
			if !ok {
				return domain.Errorf(domain.EINVALID, "L'élément %s n'existe pas dans ce référentiel.", ch.Code)
			}
			if t.Current.Version == ch.BaseVersion && t.Current.Cotation == ch.Cotation {
				// Posted as found (a whole page is posted at once): whatever comes
				// in meanwhile, there is nothing of this person's to save.
				out.Answers[ch.Code] = t.Current
				continue
			}
			saved, changed, current, err := saveCotation(ctx, tx, autoevalID, t.ItemID, ch, actorID(actor), t.Current)
			if err != nil {
				return err
			}
			if current != nil {
				conflicts[ch.Code] = *current
				continue
			}
			out.Answers[ch.Code] = saved
			if changed {
				out.Changed = append(out.Changed, ch.Code)
				before := t.Current.Cotation
				if t.Current.Version != saved.Version-1 {
					// Answered meanwhile by someone else, the same way.
					if before, err = cotationAtVersion(ctx, tx, autoevalID, t.ItemID, saved.Version-1); err != nil {
						return err
					}
				}
				journalCotation(tx, structureID, autoevalID, ch.Code, saved.Version, &before, ch.Cotation)
			}
		}
		if len(conflicts) > 0 {
			return &autoeval.ConflictError{Current: conflicts}
		}
		return nil
	})
	if err != nil {
		return autoeval.Saved{}, err
	}
	return out, nil
}

// journalCotation journals the change of one item's answer (before nil: a first answer).
func journalCotation(tx *jtx, structureID, autoevalID int64, code string, version int, before *autoeval.Cotation, after autoeval.Cotation) {
	e := journal.Entry{Action: journal.ActCotationSaved, ObjectType: "cotation", ObjectID: fmt.Sprintf("%d/%s", autoevalID, code), Label: code,
		StructureID: structureID, After: cotationJSON(after, version)}
	if before != nil && version > 1 {
		e.Before = cotationJSON(*before, version-1)
	}
	tx.journal(e)
}

func cotationJSON(c autoeval.Cotation, version int) json.RawMessage {
	return journal.JSON(map[string]any{"valeur": c.Valeur, "non_concerne": c.NonConcerne, "justification": c.Justification,
		"commentaire": c.Commentaire, "version": version})
}

// saveCotation writes one answer and its history and returns it as stored; on
// a version mismatch it writes nothing and returns the current answer as the
// conflict. The write itself checks the version it decided on: an item
// answered for the first time by two people at once is inserted by one of
// them, and the other sees that answer and decides again (a conflict, unless
// both saved the same thing).
//
// known is the answer lockForSave read: when the change was made from its
// version, one statement writes the answer and its history, checking that
// version; only if someone wrote in between does it lock and read again.
func saveCotation(ctx context.Context, tx pgx.Tx, autoevalID, itemID int64, ch autoeval.CotationChange, by *int64, known autoeval.SavedCotation) (saved autoeval.SavedCotation, changed bool, conflict *autoeval.SavedCotation, err error) {
	if known.Version == ch.BaseVersion {
		saved = autoeval.SavedCotation{Cotation: ch.Cotation, Version: known.Version + 1}
		sql := updateWithHistorySQL
		if known.Version == 0 {
			sql = insertWithHistorySQL
		}
		var author *string
		err := tx.QueryRow(ctx, sql, autoevalID, itemID, ch.Cotation.Valeur, ch.Cotation.NonConcerne, ch.Cotation.Justification,
			ch.Cotation.Commentaire, saved.Version, by, known.Version).Scan(&saved.At, &author)
		if err == nil {
			if author != nil {
				saved.By = *author
			}
			return saved, true, nil, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return saved, false, nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		if attempt == 3 {
			return saved, false, nil, fmt.Errorf("save %s: the answer kept changing under the lock", ch.Code)
		}
		var cur autoeval.SavedCotation
		err = tx.QueryRow(ctx, `SELECT coalesce(c.valeur, 0), c.non_concerne, c.justification, c.commentaire, c.version,
			coalesce(nullif(u.nom, ''), u.email, ''), c.updated_at
			FROM cotations c LEFT JOIN users u ON u.id = c.updated_by
			WHERE c.autoevaluation_id = $1 AND c.item_id = $2 FOR UPDATE OF c`, autoevalID, itemID).
			Scan(&cur.Valeur, &cur.NonConcerne, &cur.Justification, &cur.Commentaire, &cur.Version, &cur.By, &cur.At)
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return saved, false, nil, err
		}
		if cur.Cotation == ch.Cotation {
			return cur, false, nil, nil
		}
		if cur.Version != ch.BaseVersion {
			// Someone saved in between. If this person left the answer as they found
			// it (a whole page is posted at once), there is nothing of theirs to save.
			found, err := cotationAtVersion(ctx, tx, autoevalID, itemID, ch.BaseVersion)
			if err != nil {
				return saved, false, nil, err
			}
			if found == ch.Cotation {
				return cur, false, nil, nil
			}
			return saved, false, &cur, nil
		}
		next := cur.Version + 1
		saved = autoeval.SavedCotation{Cotation: ch.Cotation, Version: next}
		var row pgx.Row
		if exists {
			row = tx.QueryRow(ctx, `UPDATE cotations SET valeur = nullif($3, 0), non_concerne = $4, justification = $5, commentaire = $6,
				version = $7, updated_by = $8, updated_at = now()
				WHERE autoevaluation_id = $1 AND item_id = $2 AND version = $9
				RETURNING updated_at, (SELECT coalesce(nullif(nom, ''), email) FROM users WHERE id = $8)`,
				autoevalID, itemID, ch.Cotation.Valeur, ch.Cotation.NonConcerne, ch.Cotation.Justification, ch.Cotation.Commentaire, next, by, cur.Version)
		} else {
			// No row to lock: the unique key decides who answers first. The loser
			// waits for the winner's commit, inserts nothing and reads its answer.
			row = tx.QueryRow(ctx, `
				INSERT INTO cotations (autoevaluation_id, item_id, valeur, non_concerne, justification, commentaire, version, updated_by, updated_at)
				VALUES ($1, $2, nullif($3, 0), $4, $5, $6, $7, $8, now())
				ON CONFLICT (autoevaluation_id, item_id) DO NOTHING
				RETURNING updated_at, (SELECT coalesce(nullif(nom, ''), email) FROM users WHERE id = $8)`,
				autoevalID, itemID, ch.Cotation.Valeur, ch.Cotation.NonConcerne, ch.Cotation.Justification, ch.Cotation.Commentaire, next, by)
		}
		var author *string
		err = row.Scan(&saved.At, &author)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // nothing written: decide again on what is there now
		} else if err != nil {
			return saved, false, nil, err
		}
		if author != nil {
			saved.By = *author
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO cotation_historique (autoevaluation_id, item_id, version, changed_by, old_valeur, new_valeur,
				old_non_concerne, new_non_concerne, old_justification, new_justification, old_commentaire, new_commentaire)
			VALUES ($1, $2, $3, $4, nullif($5, 0), nullif($6, 0), $7, $8, $9, $10, $11, $12)`,
			autoevalID, itemID, next, by, cur.Valeur, ch.Cotation.Valeur, cur.NonConcerne, ch.Cotation.NonConcerne,
			cur.Justification, ch.Cotation.Justification, cur.Commentaire, ch.Cotation.Commentaire)
		return saved, err == nil, nil, err
	}
}

// updateWithHistorySQL changes an answer from version $9 to $7 and records
// the change, in one statement; no row when the answer is no longer at $9.
const updateWithHistorySQL = `
	WITH old AS (
		SELECT valeur, non_concerne, justification, commentaire FROM cotations
		WHERE autoevaluation_id = $1 AND item_id = $2 AND version = $9 FOR UPDATE),
	u AS (
		UPDATE cotations c SET valeur = nullif($3, 0), non_concerne = $4, justification = $5, commentaire = $6,
			version = $7, updated_by = $8, updated_at = now()
		FROM old WHERE c.autoevaluation_id = $1 AND c.item_id = $2 AND c.version = $9
		RETURNING c.updated_at, old.valeur, old.non_concerne, old.justification, old.commentaire),
	h AS (
		INSERT INTO cotation_historique (autoevaluation_id, item_id, version, changed_by, old_valeur, new_valeur,
			old_non_concerne, new_non_concerne, old_justification, new_justification, old_commentaire, new_commentaire)
		SELECT $1, $2, $7, $8, u.valeur, nullif($3, 0), u.non_concerne, $4, u.justification, $5, u.commentaire, $6 FROM u)
	SELECT updated_at, (SELECT coalesce(nullif(nom, ''), email) FROM users WHERE id = $8) FROM u`

// insertWithHistorySQL answers an item for the first time and records it, in
// one statement; no row when someone answered it meanwhile ($9 is 0).
const insertWithHistorySQL = `
	WITH i AS (
		INSERT INTO cotations (autoevaluation_id, item_id, valeur, non_concerne, justification, commentaire, version, updated_by, updated_at)
		SELECT $1, $2, nullif($3, 0), $4, $5, $6, $7, $8, now() WHERE $9::int = 0
		ON CONFLICT (autoevaluation_id, item_id) DO NOTHING
		RETURNING updated_at),
	h AS (
		INSERT INTO cotation_historique (autoevaluation_id, item_id, version, changed_by, old_valeur, new_valeur,
			old_non_concerne, new_non_concerne, old_justification, new_justification, old_commentaire, new_commentaire)
		SELECT $1, $2, $7, $8, NULL, nullif($3, 0), false, $4, '', $5, '', $6 FROM i)
	SELECT updated_at, (SELECT coalesce(nullif(nom, ''), email) FROM users WHERE id = $8) FROM i`

// cotationAtVersion returns an answer as it was at version v (0: unanswered).
func cotationAtVersion(ctx context.Context, tx pgx.Tx, autoevalID, itemID int64, v int) (autoeval.Cotation, error) {
	var c autoeval.Cotation
	if v == 0 {
		return c, nil
	}
	err := tx.QueryRow(ctx, `SELECT coalesce(new_valeur, 0), new_non_concerne, new_justification, new_commentaire
		FROM cotation_historique WHERE autoevaluation_id = $1 AND item_id = $2 AND version = $3`, autoevalID, itemID, v).
		Scan(&c.Valeur, &c.NonConcerne, &c.Justification, &c.Commentaire)
	if errors.Is(err, pgx.ErrNoRows) {
		return autoeval.Cotation{}, nil
	}
	return c, err
}

// CotationHistory returns the changes of one item's answer in an
// auto-évaluation of the ML, the latest first.
func (s *Store) CotationHistory(ctx context.Context, structureID, autoevalID int64, code string) (_ []autoeval.HistoryEntry, err error) {
	defer wrap(&err, "CotationHistory(%d, %d)", structureID, autoevalID)
	var out []autoeval.HistoryEntry
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) error {
		var e autoeval.HistoryEntry
		_, err := pgx.ForEachRow(rows, []any{&e.Version, &e.By, &e.At, &e.Old.Valeur, &e.Old.NonConcerne, &e.Old.Justification, &e.Old.Commentaire,
			&e.New.Valeur, &e.New.NonConcerne, &e.New.Justification, &e.New.Commentaire}, func() error {
			out = append(out, e)
			return nil
		})
		return err
	}, `
		SELECT h.version, coalesce(nullif(u.nom, ''), u.email, ''), h.changed_at,
		       coalesce(h.old_valeur, 0), h.old_non_concerne, h.old_justification, h.old_commentaire,
		       coalesce(h.new_valeur, 0), h.new_non_concerne, h.new_justification, h.new_commentaire
		FROM cotation_historique h JOIN autoevaluations a ON a.id = h.autoevaluation_id
		JOIN referentiel_items i ON i.id = h.item_id LEFT JOIN users u ON u.id = h.changed_by
		WHERE a.structure_id = $1 AND h.autoevaluation_id = $2 AND i.code = $3 ORDER BY h.version DESC`, structureID, autoevalID, code)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Transition moves an auto-évaluation of the ML through the démarche in one
// transaction: decide gets its state and answers on the locked row and returns
// the next state (demarche.Next, plus any precondition); the transition is
// then recorded with its author, role and comment.
func (s *Store) Transition(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, t demarche.Transition, role domain.Role, commentaire string,
	decide func(etat demarche.Etat, answers map[string]autoeval.Cotation) (demarche.Etat, error)) error {
	return s.inTx(ctx, actor, fmt.Sprintf("Transition(%s, %d)", t, autoevalID), func(tx *jtx) error {
		var etat demarche.Etat
		err := tx.QueryRow(ctx, "SELECT etat FROM autoevaluations WHERE id = $1 AND structure_id = $2 FOR UPDATE", autoevalID, structureID).Scan(&etat)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
		} else if err != nil {
			return err
		}
		answers, err := cotationsTx(ctx, tx, autoevalID)
		if err != nil {
			return err
		}
		next, err := decide(etat, answers)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE autoevaluations SET etat = $2, updated_at = now() WHERE id = $1", autoevalID, next); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_user, by_role, commentaire)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, autoevalID, t, etat, next, actorID(actor), role, commentaire)
		if err == nil && t == demarche.Soumettre {
			err = notifySubmission(ctx, tx, autoevalID) // the regional review starts (revue.go)
		}
		tx.journal(journal.Entry{Action: journal.ActTransition, ObjectType: "autoevaluation", ObjectID: journal.ID(autoevalID), Label: t.Label(),
			StructureID: structureID, Before: journal.JSON(map[string]any{"etat": etat, "etat_label": etat.Label()}),
			After: journal.JSON(map[string]any{"etat": next, "etat_label": next.Label(), "transition": t, "role": role, "commentaire": commentaire})})
		return err
	})
}

// cotationsTx reads the answers within a transaction, for a decision under lock.
func cotationsTx(ctx context.Context, tx pgx.Tx, autoevalID int64) (map[string]autoeval.Cotation, error) {
	rows, err := tx.Query(ctx, `SELECT i.code, coalesce(c.valeur, 0), c.non_concerne, c.justification, c.commentaire
		FROM cotations c JOIN referentiel_items i ON i.id = c.item_id WHERE c.autoevaluation_id = $1`, autoevalID)
	if err != nil {
		return nil, err
	}
	out := map[string]autoeval.Cotation{}
	var code string
	var c autoeval.Cotation
	_, err = pgx.ForEachRow(rows, []any{&code, &c.Valeur, &c.NonConcerne, &c.Justification, &c.Commentaire}, func() error {
		out[code] = c
		return nil
	})
	return out, err
}

// Transitions returns the transitions of an auto-évaluation of the ML, oldest first.
func (s *Store) Transitions(ctx context.Context, structureID, autoevalID int64) (_ []demarche.Record, err error) {
	defer wrap(&err, "Transitions(%d, %d)", structureID, autoevalID)
	list, err := collect(ctx, s, structureTenant(structureID), pgx.RowToStructByName[demarche.Record], transitionsSQL, structureID, autoevalID)
	if err != nil {
		return nil, err
	}
	return list, nil
}

const transitionsSQL = `SELECT t.action, t.from_etat AS "from", t.to_etat AS "to", coalesce(nullif(u.nom, ''), u.email, '') AS "by",
	t.by_role AS "role", t.commentaire, t.at
	FROM autoevaluation_transitions t JOIN autoevaluations a ON a.id = t.autoevaluation_id LEFT JOIN users u ON u.id = t.by_user
	WHERE a.structure_id = $1 AND t.autoevaluation_id = $2 ORDER BY t.at, t.id`

// Overview returns, in one round trip, what the dashboard of an auto-évaluation
// of the ML shows: its answers and evidence coverage (as AnswersAndCoverage),
// whether a previous one exists, the contributors' sections and the transitions.
func (s *Store) Overview(ctx context.Context, structureID, autoevalID, referentielID int64) (_ autoeval.Overview, err error) {
	defer wrap(&err, "Overview(%d, %d, %d)", structureID, autoevalID, referentielID)
	var o autoeval.Overview
	err = s.queries(ctx, structureTenant(structureID),
		scan{cotationsSQL, []any{structureID, autoevalID}, func(rows pgx.Rows) (err error) {
			o.Saved, err = scanCotations(rows)
			return err
		}},
		scan{coverageSQL, []any{structureID, referentielID}, func(rows pgx.Rows) (err error) {
			o.Coverage, err = scanCoverage(rows)
			return err
		}},
		scan{"SELECT EXISTS (SELECT 1" + previousSQL + ")", []any{structureID, autoevalID}, func(rows pgx.Rows) (err error) {
			o.HasPrevious, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[bool])
			return err
		}},
		scan{contributorSectionsSQL, []any{structureID}, func(rows pgx.Rows) (err error) {
			o.Assignments, err = scanContributorSections(rows)
			return err
		}},
		scan{transitionsSQL, []any{structureID, autoevalID}, into(&o.Transitions, pgx.RowToStructByName[demarche.Record])})
	return o, err
}

// PreviousAutoevaluation returns the ML's auto-évaluation of the campaign before
// this one's (by closing date); ENOTFOUND when there is none.
func (s *Store) PreviousAutoevaluation(ctx context.Context, structureID, autoevalID int64) (_ autoeval.Autoevaluation, err error) {
	defer wrap(&err, "PreviousAutoevaluation(%d, %d)", structureID, autoevalID)
	a, err := collectOne(ctx, s, structureTenant(structureID), pgx.RowToStructByName[autoeval.Autoevaluation],
		"SELECT "+autoevalColumns+previousSQL, structureID, autoevalID)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, domain.Errorf(domain.ENOTFOUND, "Aucune auto-évaluation précédente pour cette Mission Locale.")
	} else if err != nil {
		return a, err
	}
	return a, nil
}

// previousSQL finds, after its SELECT list, the ML's ($1) auto-évaluation of
// the campaign before that of $2.
const previousSQL = autoevalFrom + `
	JOIN autoevaluations cur ON cur.structure_id = a.structure_id AND cur.id = $2
	JOIN campagnes cc ON cc.id = cur.campagne_id
	WHERE a.structure_id = $1 AND a.id <> cur.id AND c.cloture < cc.cloture
	ORDER BY c.cloture DESC LIMIT 1`

// ContributorSections returns, for each contributor membership of an ML, the
// sections it is limited to (absent: every section).
func (s *Store) ContributorSections(ctx context.Context, structureID int64) (_ map[int64][]string, err error) {
	defer wrap(&err, "ContributorSections(%d)", structureID)
	var out map[int64][]string
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) (err error) {
		out, err = scanContributorSections(rows)
		return err
	}, contributorSectionsSQL, structureID)
	if err != nil {
		return nil, err
	}
	return out, nil
}

const contributorSectionsSQL = `SELECT ms.membership_id, ms.section FROM membership_sections ms
	JOIN memberships m ON m.id = ms.membership_id WHERE m.structure_id = $1 ORDER BY ms.section`

func scanContributorSections(rows pgx.Rows) (map[int64][]string, error) {
	out := map[int64][]string{}
	var id int64
	var section string
	_, err := pgx.ForEachRow(rows, []any{&id, &section}, func() error {
		out[id] = append(out[id], section)
		return nil
	})
	return out, err
}

// SetContributorSections replaces the sections a contributor membership of an ML
// is limited to; none means every section.
func (s *Store) SetContributorSections(ctx context.Context, actor *domain.Actor, structureID, membershipID int64, sections []string) error {
	return s.inTx(ctx, actor, fmt.Sprintf("SetContributorSections(%d, %d)", membershipID, structureID), func(tx *jtx) (err error) {
		var ok bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM memberships WHERE id = $1 AND structure_id = $2 AND role = 'contributeur')",
			membershipID, structureID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return domain.Errorf(domain.ENOTFOUND, "Contributeur·rice introuvable.")
		}
		const sectionsJSON = `SELECT coalesce(json_agg(section ORDER BY section), '[]') FROM membership_sections WHERE membership_id = $1`
		before, err := tx.rowJSON(ctx, sectionsJSON, membershipID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM membership_sections WHERE membership_id = $1", membershipID); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				return
			}
			var after json.RawMessage
			if after, err = tx.rowJSON(ctx, sectionsJSON, membershipID); err != nil || string(after) == string(before) {
				return
			}
			var label string
			if err = tx.QueryRow(ctx, "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.id = $1", membershipID).Scan(&label); err != nil {
				return
			}
			tx.journal(journal.Entry{Action: journal.ActSectionsSet, ObjectType: "membership", ObjectID: journal.ID(membershipID), Label: label,
				StructureID: structureID, Before: before, After: after})
		}()
		for _, sec := range sections {
			if _, err := tx.Exec(ctx, "INSERT INTO membership_sections (membership_id, section) VALUES ($1, $2)", membershipID, sec); err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedCotations writes answers in bulk to an auto-évaluation of the ML, each
// with its history row, attributed to actor, for demo data: the items must not
// be answered yet.
func (s *Store) SeedCotations(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, answers map[string]autoeval.Cotation) error {
	codes := make([]string, 0, len(answers))
	valeurs, ncs, justs, comments := []int32{}, []bool{}, []string{}, []string{}
	for code, c := range answers {
		codes = append(codes, code)
		valeurs = append(valeurs, int32(c.Valeur))
		ncs = append(ncs, c.NonConcerne)
		justs = append(justs, c.Justification)
		comments = append(comments, c.Commentaire)
	}
	return s.inTx(ctx, actor, fmt.Sprintf("SeedCotations(%d)", autoevalID), func(tx *jtx) error {
		const answersSQL = `WITH a AS (
				SELECT i.id AS item_id, x.valeur, x.nc, x.just, x.comm
				FROM unnest($2::text[], $3::int[], $4::bool[], $5::text[], $6::text[]) AS x(code, valeur, nc, just, comm)
				JOIN referentiel_items i ON i.code = x.code
				JOIN campagnes c ON c.referentiel_id = i.referentiel_id
				JOIN autoevaluations ae ON ae.campagne_id = c.id AND ae.id = $1 AND ae.structure_id = $8)`
		if _, err := tx.Exec(ctx, answersSQL+`
			INSERT INTO cotations (autoevaluation_id, item_id, valeur, non_concerne, justification, commentaire, version, updated_by)
			SELECT $1, item_id, nullif(valeur, 0), nc, just, comm, 1, $7 FROM a`, autoevalID, codes, valeurs, ncs, justs, comments, actorID(actor), structureID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, answersSQL+`
			INSERT INTO cotation_historique (autoevaluation_id, item_id, version, changed_by, new_valeur, old_non_concerne, new_non_concerne,
				old_justification, new_justification, old_commentaire, new_commentaire)
			SELECT $1, item_id, 1, $7, nullif(valeur, 0), false, nc, '', just, '', comm FROM a`, autoevalID, codes, valeurs, ncs, justs, comments, actorID(actor), structureID)
		if err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT i.code FROM cotations c JOIN referentiel_items i ON i.id = c.item_id
			WHERE c.autoevaluation_id = $1 AND i.code = ANY($2) ORDER BY i.code`, autoevalID, codes)
		seeded, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, code := range seeded {
			journalCotation(tx, structureID, autoevalID, code, 1, nil, answers[code])
		}
		return err
	})
}
