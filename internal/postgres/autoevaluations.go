package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/unml/cadre/internal/domain"
)

// autoevalColumns are read by scanAutoeval; the query must join campagnes c,
// structures s and referentiels r on the auto-évaluation a.
const autoevalColumns = `a.id, a.campagne_id, c.nom, c.cloture, a.structure_id, s.nom, s.region_id, a.etat, c.referentiel_id, r.version`

const autoevalFrom = ` FROM autoevaluations a JOIN campagnes c ON c.id = a.campagne_id
	JOIN structures s ON s.id = a.structure_id JOIN referentiels r ON r.id = c.referentiel_id `

func scanAutoeval(row pgx.Row) (domain.Autoevaluation, error) {
	var a domain.Autoevaluation
	err := row.Scan(&a.ID, &a.CampagneID, &a.CampagneNom, &a.Cloture, &a.StructureID, &a.StructureNom, &a.RegionID, &a.Etat, &a.ReferentielID, &a.ReferentielVersion)
	return a, err
}

// Autoevaluation returns one auto-évaluation, ENOTFOUND unless the visibility
// covers its ML.
func (s *Store) Autoevaluation(ctx context.Context, v domain.Visibility, id int64) (domain.Autoevaluation, error) {
	a, err := scanAutoeval(s.pool.QueryRow(ctx, "SELECT "+autoevalColumns+autoevalFrom+"WHERE a.id = $4 AND "+visibleStructure, append(visArgs(v), id)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	} else if err != nil {
		return a, fmt.Errorf("autoevaluation %d: %w", id, err)
	}
	return a, nil
}

// Autoevaluations lists the auto-évaluations the visibility covers, the latest
// campaigns first.
func (s *Store) Autoevaluations(ctx context.Context, v domain.Visibility) ([]domain.Autoevaluation, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+autoevalColumns+autoevalFrom+"WHERE "+visibleStructure+" ORDER BY c.cloture DESC, s.nom", visArgs(v)...)
	if err != nil {
		return nil, fmt.Errorf("autoevaluations: %w", err)
	}
	var list []domain.Autoevaluation
	for rows.Next() {
		a, err := scanAutoeval(rows)
		if err != nil {
			return nil, fmt.Errorf("autoevaluations: %w", err)
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// Cotations returns the answers of an auto-évaluation by item code.
func (s *Store) Cotations(ctx context.Context, autoevalID int64) (map[string]domain.SavedCotation, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT i.code, coalesce(c.valeur, 0), c.non_concerne, c.justification, c.commentaire, c.version,
		       coalesce(nullif(u.nom, ''), u.email, ''), c.updated_at
		FROM cotations c JOIN referentiel_items i ON i.id = c.item_id LEFT JOIN users u ON u.id = c.updated_by
		WHERE c.autoevaluation_id = $1`, autoevalID)
	if err != nil {
		return nil, fmt.Errorf("cotations: %w", err)
	}
	out := map[string]domain.SavedCotation{}
	var code string
	var c domain.SavedCotation
	_, err = pgx.ForEachRow(rows, []any{&code, &c.Valeur, &c.NonConcerne, &c.Justification, &c.Commentaire, &c.Version, &c.By, &c.At}, func() error {
		out[code] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cotations: %w", err)
	}
	return out, nil
}

// Answers strips the bookkeeping from saved answers.
func Answers(saved map[string]domain.SavedCotation) map[string]domain.Cotation {
	out := make(map[string]domain.Cotation, len(saved))
	for k, v := range saved {
		out[k] = v.Cotation
	}
	return out
}

// lockEditable locks an auto-évaluation against transitions for the length of tx
// and checks that its ML may still change its answers.
func lockEditable(ctx context.Context, tx pgx.Tx, autoevalID int64) error {
	var etat domain.Etat
	if err := tx.QueryRow(ctx, "SELECT etat FROM autoevaluations WHERE id = $1 FOR SHARE", autoevalID).Scan(&etat); err != nil {
		return err
	}
	if !etat.Editable() {
		return domain.Errorf(domain.ECONFLICT, "L'auto-évaluation est à l'état « %s » : ses cotations ne peuvent plus être modifiées.", etat.Label())
	}
	return nil
}

// SaveCotations saves answers in one transaction. Each change names the version
// it was made from; if any item changed since, nothing is saved and a
// *domain.ConflictError gives the current answers of those items. Unchanged
// answers are skipped. It returns how many answers changed.
func (s *Store) SaveCotations(ctx context.Context, autoevalID int64, changes []domain.CotationChange, by int64) (int, error) {
	saved := 0
	err := s.inTx(ctx, nil, "save cotations", func(tx pgx.Tx) error {
		if err := lockEditable(ctx, tx, autoevalID); err != nil {
			return err
		}
		conflicts := map[string]domain.SavedCotation{}
		for _, ch := range changes {
			changed, current, err := saveCotation(ctx, tx, autoevalID, ch, by)
			if err != nil {
				return err
			}
			if current != nil {
				conflicts[ch.Code] = *current
			} else if changed {
				saved++
			}
		}
		if len(conflicts) > 0 {
			return &domain.ConflictError{Current: conflicts}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return saved, nil
}

// saveCotation writes one answer and its history; on a version mismatch it writes
// nothing and returns the current answer. The write itself checks the version it
// decided on: an item answered for the first time by two people at once is
// inserted by one of them, and the other sees that answer and decides again (a
// conflict, unless both saved the same thing).
func saveCotation(ctx context.Context, tx pgx.Tx, autoevalID int64, ch domain.CotationChange, by int64) (changed bool, conflict *domain.SavedCotation, err error) {
	var itemID int64
	err = tx.QueryRow(ctx, `SELECT i.id FROM referentiel_items i
		JOIN campagnes c ON c.referentiel_id = i.referentiel_id JOIN autoevaluations a ON a.campagne_id = c.id
		WHERE a.id = $1 AND i.code = $2`, autoevalID, ch.Code).Scan(&itemID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil, domain.Errorf(domain.EINVALID, "L'élément %s n'existe pas dans ce référentiel.", ch.Code)
	} else if err != nil {
		return false, nil, err
	}
	for attempt := 0; ; attempt++ {
		if attempt == 3 {
			return false, nil, fmt.Errorf("save %s: the answer kept changing under the lock", ch.Code)
		}
		var cur domain.SavedCotation
		err = tx.QueryRow(ctx, `SELECT coalesce(c.valeur, 0), c.non_concerne, c.justification, c.commentaire, c.version,
			coalesce(nullif(u.nom, ''), u.email, ''), c.updated_at
			FROM cotations c LEFT JOIN users u ON u.id = c.updated_by
			WHERE c.autoevaluation_id = $1 AND c.item_id = $2 FOR UPDATE OF c`, autoevalID, itemID).
			Scan(&cur.Valeur, &cur.NonConcerne, &cur.Justification, &cur.Commentaire, &cur.Version, &cur.By, &cur.At)
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return false, nil, err
		}
		if cur.Cotation == ch.Cotation {
			return false, nil, nil
		}
		if cur.Version != ch.BaseVersion {
			// Someone saved in between. If this person left the answer as they found
			// it (a whole page is posted at once), there is nothing of theirs to save.
			found, err := cotationAtVersion(ctx, tx, autoevalID, itemID, ch.BaseVersion)
			if err != nil {
				return false, nil, err
			}
			if found == ch.Cotation {
				return false, nil, nil
			}
			return false, &cur, nil
		}
		next := cur.Version + 1
		var tag pgconn.CommandTag
		if exists {
			tag, err = tx.Exec(ctx, `UPDATE cotations SET valeur = nullif($3, 0), non_concerne = $4, justification = $5, commentaire = $6,
				version = $7, updated_by = $8, updated_at = now()
				WHERE autoevaluation_id = $1 AND item_id = $2 AND version = $9`,
				autoevalID, itemID, ch.Cotation.Valeur, ch.Cotation.NonConcerne, ch.Cotation.Justification, ch.Cotation.Commentaire, next, nullID(by), cur.Version)
		} else {
			// No row to lock: the unique key decides who answers first. The loser
			// waits for the winner's commit, inserts nothing and reads its answer.
			tag, err = tx.Exec(ctx, `
				INSERT INTO cotations (autoevaluation_id, item_id, valeur, non_concerne, justification, commentaire, version, updated_by, updated_at)
				VALUES ($1, $2, nullif($3, 0), $4, $5, $6, $7, $8, now())
				ON CONFLICT (autoevaluation_id, item_id) DO NOTHING`,
				autoevalID, itemID, ch.Cotation.Valeur, ch.Cotation.NonConcerne, ch.Cotation.Justification, ch.Cotation.Commentaire, next, nullID(by))
		}
		if err != nil {
			return false, nil, err
		}
		if tag.RowsAffected() == 0 {
			continue
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO cotation_historique (autoevaluation_id, item_id, version, changed_by, old_valeur, new_valeur,
				old_non_concerne, new_non_concerne, old_justification, new_justification, old_commentaire, new_commentaire)
			VALUES ($1, $2, $3, $4, nullif($5, 0), nullif($6, 0), $7, $8, $9, $10, $11, $12)`,
			autoevalID, itemID, next, nullID(by), cur.Valeur, ch.Cotation.Valeur, cur.NonConcerne, ch.Cotation.NonConcerne,
			cur.Justification, ch.Cotation.Justification, cur.Commentaire, ch.Cotation.Commentaire)
		return err == nil, nil, err
	}
}

// cotationAtVersion returns an answer as it was at version v (0: unanswered).
func cotationAtVersion(ctx context.Context, tx pgx.Tx, autoevalID, itemID int64, v int) (domain.Cotation, error) {
	var c domain.Cotation
	if v == 0 {
		return c, nil
	}
	err := tx.QueryRow(ctx, `SELECT coalesce(new_valeur, 0), new_non_concerne, new_justification, new_commentaire
		FROM cotation_historique WHERE autoevaluation_id = $1 AND item_id = $2 AND version = $3`, autoevalID, itemID, v).
		Scan(&c.Valeur, &c.NonConcerne, &c.Justification, &c.Commentaire)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Cotation{}, nil
	}
	return c, err
}

// CotationHistory returns the changes of one item's answer, the latest first.
func (s *Store) CotationHistory(ctx context.Context, autoevalID int64, code string) ([]domain.HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT h.version, coalesce(nullif(u.nom, ''), u.email, ''), h.changed_at,
		       coalesce(h.old_valeur, 0), h.old_non_concerne, h.old_justification, h.old_commentaire,
		       coalesce(h.new_valeur, 0), h.new_non_concerne, h.new_justification, h.new_commentaire
		FROM cotation_historique h JOIN referentiel_items i ON i.id = h.item_id LEFT JOIN users u ON u.id = h.changed_by
		WHERE h.autoevaluation_id = $1 AND i.code = $2 ORDER BY h.version DESC`, autoevalID, code)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var out []domain.HistoryEntry
	var e domain.HistoryEntry
	_, err = pgx.ForEachRow(rows, []any{&e.Version, &e.By, &e.At, &e.Old.Valeur, &e.Old.NonConcerne, &e.Old.Justification, &e.Old.Commentaire,
		&e.New.Valeur, &e.New.NonConcerne, &e.New.Justification, &e.New.Commentaire}, func() error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return out, nil
}

// Transition moves an auto-évaluation through the démarche in one transaction:
// check(etat) decides (domain.Next, plus any precondition) on the locked row;
// the transition is then recorded with its author, role and comment.
func (s *Store) Transition(ctx context.Context, autoevalID int64, t domain.Transition, by int64, role domain.Role, commentaire string,
	check func(tx pgx.Tx, etat domain.Etat) (domain.Etat, error)) error {
	return s.inTx(ctx, nil, "transition", func(tx pgx.Tx) error {
		var etat domain.Etat
		if err := tx.QueryRow(ctx, "SELECT etat FROM autoevaluations WHERE id = $1 FOR UPDATE", autoevalID).Scan(&etat); err != nil {
			return err
		}
		next, err := check(tx, etat)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE autoevaluations SET etat = $2, updated_at = now() WHERE id = $1", autoevalID, next); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO autoevaluation_transitions (autoevaluation_id, action, from_etat, to_etat, by_user, by_role, commentaire)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, autoevalID, t, etat, next, nullID(by), role, commentaire)
		return err
	})
}

// CotationsTx reads the answers within a transaction (for preconditions).
func CotationsTx(ctx context.Context, tx pgx.Tx, autoevalID int64) (map[string]domain.Cotation, error) {
	rows, err := tx.Query(ctx, `SELECT i.code, coalesce(c.valeur, 0), c.non_concerne, c.justification, c.commentaire
		FROM cotations c JOIN referentiel_items i ON i.id = c.item_id WHERE c.autoevaluation_id = $1`, autoevalID)
	if err != nil {
		return nil, err
	}
	out := map[string]domain.Cotation{}
	var code string
	var c domain.Cotation
	_, err = pgx.ForEachRow(rows, []any{&code, &c.Valeur, &c.NonConcerne, &c.Justification, &c.Commentaire}, func() error {
		out[code] = c
		return nil
	})
	return out, err
}

// TransitionEntry is a recorded transition.
type TransitionEntry struct {
	Action      domain.Transition
	From, To    domain.Etat
	By          string
	Role        domain.Role
	Commentaire string
	At          time.Time
}

// Transitions returns the transitions of an auto-évaluation, oldest first.
func (s *Store) Transitions(ctx context.Context, autoevalID int64) ([]TransitionEntry, error) {
	rows, _ := s.pool.Query(ctx, `SELECT t.action, t.from_etat, t.to_etat, coalesce(nullif(u.nom, ''), u.email, ''), t.by_role, t.commentaire, t.at
		FROM autoevaluation_transitions t LEFT JOIN users u ON u.id = t.by_user WHERE t.autoevaluation_id = $1 ORDER BY t.at, t.id`, autoevalID)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TransitionEntry])
	if err != nil {
		return nil, fmt.Errorf("transitions: %w", err)
	}
	return list, nil
}

// PreviousAutoevaluation returns the ML's auto-évaluation of the campaign before
// this one's (by closing date); ENOTFOUND when there is none.
func (s *Store) PreviousAutoevaluation(ctx context.Context, autoevalID int64) (domain.Autoevaluation, error) {
	a, err := scanAutoeval(s.pool.QueryRow(ctx, "SELECT "+autoevalColumns+autoevalFrom+`
		JOIN autoevaluations cur ON cur.structure_id = a.structure_id AND cur.id = $1
		JOIN campagnes cc ON cc.id = cur.campagne_id
		WHERE a.id <> cur.id AND c.cloture < cc.cloture
		ORDER BY c.cloture DESC LIMIT 1`, autoevalID))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, domain.Errorf(domain.ENOTFOUND, "Aucune auto-évaluation précédente pour cette Mission Locale.")
	} else if err != nil {
		return a, fmt.Errorf("previous autoevaluation: %w", err)
	}
	return a, nil
}

// ContributorSections returns, for each contributor membership of an ML, the
// sections it is limited to (absent: every section).
func (s *Store) ContributorSections(ctx context.Context, structureID int64) (map[int64][]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT ms.membership_id, ms.section FROM membership_sections ms
		JOIN memberships m ON m.id = ms.membership_id WHERE m.structure_id = $1 ORDER BY ms.section`, structureID)
	if err != nil {
		return nil, fmt.Errorf("sections: %w", err)
	}
	out := map[int64][]string{}
	var id int64
	var section string
	_, err = pgx.ForEachRow(rows, []any{&id, &section}, func() error {
		out[id] = append(out[id], section)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sections: %w", err)
	}
	return out, nil
}

// SetContributorSections replaces the sections a contributor membership of an ML
// is limited to; none means every section.
func (s *Store) SetContributorSections(ctx context.Context, structureID, membershipID int64, sections []string) error {
	return s.inTx(ctx, nil, "set sections", func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM memberships WHERE id = $1 AND structure_id = $2 AND role = 'contributeur')",
			membershipID, structureID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return domain.Errorf(domain.ENOTFOUND, "Contributeur·rice introuvable.")
		}
		if _, err := tx.Exec(ctx, "DELETE FROM membership_sections WHERE membership_id = $1", membershipID); err != nil {
			return err
		}
		for _, sec := range sections {
			if _, err := tx.Exec(ctx, "INSERT INTO membership_sections (membership_id, section) VALUES ($1, $2)", membershipID, sec); err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedCotations writes answers in bulk, each with its history row, for demo data:
// the items must not be answered yet.
func (s *Store) SeedCotations(ctx context.Context, autoevalID int64, answers map[string]domain.Cotation, by int64) error {
	codes := make([]string, 0, len(answers))
	valeurs, ncs, justs, comments := []int32{}, []bool{}, []string{}, []string{}
	for code, c := range answers {
		codes = append(codes, code)
		valeurs = append(valeurs, int32(c.Valeur))
		ncs = append(ncs, c.NonConcerne)
		justs = append(justs, c.Justification)
		comments = append(comments, c.Commentaire)
	}
	return s.inTx(ctx, nil, "seed cotations", func(tx pgx.Tx) error {
		const answersSQL = `WITH a AS (
				SELECT i.id AS item_id, x.valeur, x.nc, x.just, x.comm
				FROM unnest($2::text[], $3::int[], $4::bool[], $5::text[], $6::text[]) AS x(code, valeur, nc, just, comm)
				JOIN referentiel_items i ON i.code = x.code
				JOIN campagnes c ON c.referentiel_id = i.referentiel_id
				JOIN autoevaluations ae ON ae.campagne_id = c.id AND ae.id = $1)`
		if _, err := tx.Exec(ctx, answersSQL+`
			INSERT INTO cotations (autoevaluation_id, item_id, valeur, non_concerne, justification, commentaire, version, updated_by)
			SELECT $1, item_id, nullif(valeur, 0), nc, just, comm, 1, $7 FROM a`, autoevalID, codes, valeurs, ncs, justs, comments, nullID(by)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, answersSQL+`
			INSERT INTO cotation_historique (autoevaluation_id, item_id, version, changed_by, new_valeur, old_non_concerne, new_non_concerne,
				old_justification, new_justification, old_commentaire, new_commentaire)
			SELECT $1, item_id, 1, $7, nullif(valeur, 0), false, nc, '', just, '', comm FROM a`, autoevalID, codes, valeurs, ncs, justs, comments, nullID(by))
		return err
	})
}
