package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/reseau"
)

// ImportNetwork applies a parsed network file in one transaction: régions,
// Missions Locales and sites are matched on their codes, created when new,
// updated when a value differs, moved when their parent differs; nothing is
// deleted. It returns the changes, none when the database already matches the
// file (then nothing is written, not even updated_at). With dryRun the changes are
// computed the same way and the transaction is rolled back.
//
// When the file conflicts with the database (a second siège for a Mission Locale,
// a value the schema refuses) it returns a *reseau.ParseError naming the lines
// and nothing is written.
func (s *Store) ImportNetwork(ctx context.Context, actor *domain.Actor, plan *reseau.Plan, dryRun bool) (reseau.Changes, error) {
	if plan == nil {
		return nil, errors.New("import network: no plan")
	}
	var changes reseau.Changes
	err := s.inTx(ctx, actor, "ImportNetwork", func(tx *jtx) (err error) {
		if changes, err = importNetwork(ctx, tx, plan); err == nil && dryRun {
			err = errDryRun
		}
		return err
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	return changes, nil
}

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run: rolled back")

func importNetwork(ctx context.Context, tx *jtx, plan *reseau.Plan) (reseau.Changes, error) {
	// Imports run one at a time, so that none computes its changes from a state
	// that another is rewriting.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('cadre network import'))"); err != nil {
		return nil, err
	}
	var changes reseau.Changes
	regionIDs, err := importNetworkRegions(ctx, tx, plan.Regions, &changes)
	if err != nil {
		return nil, err
	}
	structureIDs, err := importNetworkStructures(ctx, tx, plan.Structures, regionIDs, &changes)
	if err != nil {
		return nil, err
	}
	if err := importNetworkSites(ctx, tx, plan.Sites, structureIDs, &changes); err != nil {
		return nil, err
	}
	return changes, nil
}

// importNetworkRegions creates and updates the régions and returns the id of each code.
func importNetworkRegions(ctx context.Context, tx *jtx, regions []reseau.Region, changes *reseau.Changes) (map[string]int64, error) {
	codes := make([]string, len(regions))
	for i, r := range regions {
		codes[i] = r.Code
	}
	rows, _ := tx.Query(ctx, "SELECT id, code, nom FROM regions WHERE code = ANY($1) FOR UPDATE", codes)
	ids := map[string]int64{}
	current := map[string]*reseau.Region{}
	var cur reseau.Region
	if _, err := pgx.ForEachRow(rows, []any{&cur.ID, &cur.Code, &cur.Nom}, func() error {
		r := cur
		ids[r.Code], current[r.Code] = r.ID, &r
		return nil
	}); err != nil {
		return nil, err
	}
	for _, r := range regions {
		diff := reseau.DiffRegion(current[r.Code], r)
		*changes = append(*changes, diff...)
		what := "la région " + r.Code
		switch {
		case current[r.Code] == nil:
			var id int64
			if err := tx.QueryRow(ctx, "INSERT INTO regions (code, nom) VALUES ($1, $2) RETURNING id", r.Code, r.Nom).Scan(&id); err != nil {
				return nil, importRowError(r.Line, what, err)
			}
			ids[r.Code] = id
			if err := journalNetwork(ctx, tx, "region", id, nil); err != nil {
				return nil, err
			}
		case len(diff) > 0:
			before, err := tx.rowJSON(ctx, networkJSON["region"], ids[r.Code])
			if err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, "UPDATE regions SET nom = $2, updated_at = now() WHERE id = $1", ids[r.Code], r.Nom); err != nil {
				return nil, importRowError(r.Line, what, err)
			}
			if err := journalNetwork(ctx, tx, "region", ids[r.Code], before); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// importNetworkStructures creates, updates and moves the Missions Locales, keeping the
// history of their régions, and returns the id of each code.
func importNetworkStructures(ctx context.Context, tx *jtx, structures []reseau.Structure, regionIDs map[string]int64, changes *reseau.Changes) (map[string]int64, error) {
	codes := make([]string, len(structures))
	for i, s := range structures {
		codes[i] = s.Code
	}
	rows, _ := tx.Query(ctx, `
		SELECT s.id, s.code, s.nom, s.forme, coalesce(s.siret, ''), r.code
		FROM structures s JOIN regions r ON r.id = s.region_id
		WHERE s.code = ANY($1) FOR UPDATE OF s`, codes)
	ids := map[string]int64{}
	current := map[string]*reseau.Structure{}
	var cur reseau.Structure
	if _, err := pgx.ForEachRow(rows, []any{&cur.ID, &cur.Code, &cur.Nom, &cur.Forme, &cur.Siret, &cur.RegionCode}, func() error {
		s := cur
		ids[s.Code], current[s.Code] = s.ID, &s
		return nil
	}); err != nil {
		return nil, err
	}
	for _, s := range structures {
		old := current[s.Code]
		diff := reseau.DiffStructure(old, s)
		*changes = append(*changes, diff...)
		what := "la Mission Locale " + s.Code
		regionID, ok := regionIDs[s.RegionCode]
		if !ok {
			return nil, fmt.Errorf("line %d: the plan lacks région %s", s.Line, s.RegionCode)
		}
		switch {
		case old == nil:
			var id int64
			if err := tx.QueryRow(ctx, `
				INSERT INTO structures (code, nom, region_id, forme, siret) VALUES ($1, $2, $3, $4, nullif($5, ''))
				RETURNING id`, s.Code, s.Nom, regionID, s.Forme, s.Siret).Scan(&id); err != nil {
				return nil, importRowError(s.Line, what, err)
			}
			ids[s.Code] = id
			if _, err := tx.Exec(ctx, "INSERT INTO structure_regions (structure_id, region_id) VALUES ($1, $2)", id, regionID); err != nil {
				return nil, importRowError(s.Line, what, err)
			}
			if err := journalNetwork(ctx, tx, "structure", id, nil); err != nil {
				return nil, err
			}
		case len(diff) > 0:
			id := ids[s.Code]
			before, err := tx.rowJSON(ctx, networkJSON["structure"], id)
			if err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `
				UPDATE structures SET nom = $2, forme = $3, siret = nullif($4, ''), region_id = $5, updated_at = now()
				WHERE id = $1`, id, s.Nom, s.Forme, s.Siret, regionID); err != nil {
				return nil, importRowError(s.Line, what, err)
			}
			if err := journalNetwork(ctx, tx, "structure", id, before); err != nil {
				return nil, err
			}
			if old.RegionCode == s.RegionCode {
				continue
			}
			if err := moveStructureHistory(ctx, tx, id, regionID, nil); err != nil {
				return nil, importRowError(s.Line, what, err)
			}
		}
	}
	return ids, nil
}

// importNetworkSites creates, updates and moves the sites.
//
// One siège per Mission Locale is a unique index, checked row by row, so the order
// of the writes matters when sièges change hands: sites that stop being a siège or
// never were one are written first; then sièges that change Mission Locale are
// demoted for a moment (two MLs may swap their sièges); then the sièges are
// written. A siège that still collides belongs to a site absent from the file and
// is reported at the line of the newcomer.
func importNetworkSites(ctx context.Context, tx *jtx, sites []reseau.Site, structureIDs map[string]int64, changes *reseau.Changes) error {
	codes := make([]string, len(sites))
	for i, s := range sites {
		codes[i] = s.Code
	}
	rows, _ := tx.Query(ctx, `
		SELECT si.id, si.code, si.nom, si.kind, si.adresse, si.code_postal, si.commune, st.code
		FROM sites si JOIN structures st ON st.id = si.structure_id
		WHERE si.code = ANY($1) FOR UPDATE OF si`, codes)
	current := map[string]*reseau.Site{}
	var cur reseau.Site
	if _, err := pgx.ForEachRow(rows, []any{&cur.ID, &cur.Code, &cur.Nom, &cur.Kind, &cur.Adresse, &cur.CodePostal, &cur.Commune, &cur.StructureCode}, func() error {
		s := cur
		current[s.Code] = &s
		return nil
	}); err != nil {
		return err
	}

	var pending, sieges []reseau.Site
	for _, s := range sites {
		if _, ok := structureIDs[s.StructureCode]; !ok {
			return fmt.Errorf("line %d: the plan lacks Mission Locale %s", s.Line, s.StructureCode)
		}
		diff := reseau.DiffSite(current[s.Code], s)
		*changes = append(*changes, diff...)
		switch {
		case current[s.Code] != nil && len(diff) == 0:
		case s.Kind == "siege":
			sieges = append(sieges, s)
		default:
			pending = append(pending, s)
		}
	}
	befores := map[string]json.RawMessage{}
	for _, s := range append(slices.Clone(pending), sieges...) {
		if cur := current[s.Code]; cur != nil {
			b, err := tx.rowJSON(ctx, networkJSON["site"], cur.ID)
			if err != nil {
				return err
			}
			befores[s.Code] = b
		}
	}
	for _, s := range pending {
		if err := writeImportedSite(ctx, tx, current[s.Code], s, structureIDs[s.StructureCode]); err != nil {
			return importRowError(s.Line, "le site "+s.Code, err)
		}
	}
	for _, s := range sieges {
		if old := current[s.Code]; old != nil && old.Kind == "siege" && old.StructureCode != s.StructureCode {
			if _, err := tx.Exec(ctx, "UPDATE sites SET kind = 'antenne' WHERE id = $1", old.ID); err != nil {
				return importRowError(s.Line, "le site "+s.Code, err)
			}
		}
	}
	var problems []reseau.Problem
	for _, s := range sieges {
		structureID := structureIDs[s.StructureCode]
		// A savepoint, so that after a collision the transaction can still name
		// the siège in place and check the other sièges.
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		err = writeImportedSite(ctx, sp, current[s.Code], s, structureID)
		if violatedConstraint(err) != "sites_one_siege" {
			if err != nil {
				return importRowError(s.Line, "le site "+s.Code, err)
			}
			if err := sp.Commit(ctx); err != nil {
				return err
			}
			continue
		}
		if err := sp.Rollback(ctx); err != nil {
			return err
		}
		var other string
		if err := tx.QueryRow(ctx, "SELECT code FROM sites WHERE structure_id = $1 AND kind = 'siege'", structureID).Scan(&other); err != nil {
			return err
		}
		problems = append(problems, reseau.Problem{Line: s.Line, Message: fmt.Sprintf(
			"le site %s ne peut pas être le siège de la Mission Locale %s : elle a déjà pour siège le site %s, absent du fichier. "+
				"Un import ne supprime rien : ajoutez %s au fichier avec un autre type, ou changez son type dans Cadre",
			s.Code, s.StructureCode, other, other)})
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b reseau.Problem) int { return a.Line - b.Line })
		return &reseau.ParseError{Problems: problems}
	}
	for _, s := range append(pending, sieges...) {
		var id int64
		if err := tx.QueryRow(ctx, "SELECT id FROM sites WHERE code = $1", s.Code).Scan(&id); err != nil {
			return err
		}
		if err := journalNetwork(ctx, tx, "site", id, befores[s.Code]); err != nil {
			return err
		}
	}
	return nil
}

// writeImportedSite inserts s, or updates cur, the stored site of the same code, to s.
func writeImportedSite(ctx context.Context, tx pgx.Tx, cur *reseau.Site, s reseau.Site, structureID int64) error {
	if cur == nil {
		_, err := tx.Exec(ctx, `
			INSERT INTO sites (code, structure_id, nom, kind, adresse, code_postal, commune)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			s.Code, structureID, s.Nom, s.Kind, s.Adresse, s.CodePostal, s.Commune)
		return err
	}
	_, err := tx.Exec(ctx, `
		UPDATE sites SET structure_id = $2, nom = $3, kind = $4, adresse = $5, code_postal = $6, commune = $7, updated_at = now()
		WHERE id = $1`,
		cur.ID, structureID, s.Nom, s.Kind, s.Adresse, s.CodePostal, s.Commune)
	return err
}

// violatedConstraint returns the name of the constraint err violates, or "".
func violatedConstraint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// importRowError turns the database's refusal of the row at line into a French problem
// of the file; other errors (connection, cancellation) stay internal.
func importRowError(line int, what string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("line %d: %w", line, err)
	}
	var msg string
	switch pgErr.Code {
	case "23505": // unique_violation
		msg = fmt.Sprintf("%s existe déjà dans la base, qui a sans doute été modifiée pendant l'import : relancez-le", what)
		if pgErr.ConstraintName == "sites_one_siege" {
			msg = fmt.Sprintf("%s ne peut pas être un second siège de sa Mission Locale : changez le type de l'un des deux", what)
		}
	case "23514", "23502", "22001": // check_violation, not_null_violation, string_data_right_truncation
		msg = fmt.Sprintf("la base de données refuse %s : une valeur ne respecte pas la règle « %s »", what, pgErr.ConstraintName)
	case "23503": // foreign_key_violation
		msg = fmt.Sprintf("la base de données refuse %s, qui vise un élément supprimé pendant l'import : relancez-le", what)
	default:
		return fmt.Errorf("line %d: %w", line, err)
	}
	return &reseau.ParseError{Problems: []reseau.Problem{{Line: line, Message: msg}}}
}
