package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/reseau"
)

// visibleStructure is the tenant filter of every structure query: $1 all, $2
// région ids, $3 structure ids (see domain.Visibility). s is the structures alias.
const visibleStructure = "($1::boolean OR s.region_id = ANY($2::bigint[]) OR s.id = ANY($3::bigint[]))"

func visArgs(v domain.Visibility) []any {
	return []any{v.All, nonNilIDs(v.RegionIDs), nonNilIDs(v.StructureIDs)}
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// ListRegions returns the régions the visibility covers, by name.
func (s *Store) ListRegions(ctx context.Context, v domain.Visibility) (_ []domain.Region, err error) {
	defer wrap(&err, "ListRegions")
	rows, _ := s.pool.Query(ctx, `
		SELECT r.id, r.code, r.nom FROM regions r
		WHERE $1::boolean OR r.id = ANY($2::bigint[])
		   OR r.id IN (SELECT s.region_id FROM structures s WHERE s.id = ANY($3::bigint[]))
		ORDER BY r.nom`, visArgs(v)...)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Region])
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Region returns one région, ENOTFOUND unless the visibility covers it.
func (s *Store) Region(ctx context.Context, v domain.Visibility, id int64) (_ domain.Region, err error) {
	defer wrap(&err, "Region(%d)", id)
	rows, _ := s.pool.Query(ctx, `SELECT r.id, r.code, r.nom FROM regions r
		WHERE r.id = $3 AND ($1::boolean OR r.id = ANY($2::bigint[]))`, v.All, nonNilIDs(v.RegionIDs), id)
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Region])
	if errors.Is(err, pgx.ErrNoRows) {
		return r, domain.Errorf(domain.ENOTFOUND, "Région introuvable.")
	} else if err != nil {
		return r, err
	}
	return r, nil
}

// ListStructures returns the MLs the visibility covers, optionally only those of
// one région (regionID 0: all), by région then name.
func (s *Store) ListStructures(ctx context.Context, v domain.Visibility, regionID int64) (_ []reseau.StructureRow, err error) {
	defer wrap(&err, "ListStructures(%d)", regionID)
	list := make([]reseau.StructureRow, 0, 512)
	err = s.query(ctx, visibleTenant(v), func(rows pgx.Rows) error {
		var row reseau.StructureRow
		_, err := pgx.ForEachRow(rows, []any{&row.ID, &row.Code, &row.Nom, &row.RegionID, &row.RegionNom, &row.Forme, &row.Siret, &row.RegionCode, &row.Sites}, func() error {
			list = append(list, row)
			return nil
		})
		return err
	}, `
		SELECT s.id, s.code, s.nom, s.region_id, r.nom, s.forme, coalesce(s.siret, ''), r.code,
		       (SELECT count(*) FROM sites x WHERE x.structure_id = s.id)::int
		FROM structures s JOIN regions r ON r.id = s.region_id
		WHERE `+visibleStructure+` AND ($4 = 0 OR s.region_id = $4)
		ORDER BY r.nom, s.nom`, append(visArgs(v), regionID)...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Structure returns one ML, ENOTFOUND unless the visibility covers it.
func (s *Store) Structure(ctx context.Context, v domain.Visibility, id int64) (_ domain.Structure, err error) {
	defer wrap(&err, "Structure(%d)", id)
	var st domain.Structure
	err = s.pool.QueryRow(ctx, `
		SELECT s.id, s.code, s.nom, s.region_id, r.nom, s.forme, coalesce(s.siret, '')
		FROM structures s JOIN regions r ON r.id = s.region_id
		WHERE s.id = $4 AND `+visibleStructure, append(visArgs(v), id)...).
		Scan(&st.ID, &st.Code, &st.Nom, &st.RegionID, &st.RegionNom, &st.Forme, &st.Siret)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, domain.Errorf(domain.ENOTFOUND, "Mission Locale introuvable.")
	} else if err != nil {
		return st, err
	}
	return st, nil
}

// Sites returns the sites of an ML the visibility covers, siège first.
func (s *Store) Sites(ctx context.Context, v domain.Visibility, structureID int64) (_ []domain.Site, err error) {
	defer wrap(&err, "Sites(%d)", structureID)
	list, err := collect(ctx, s, visibleTenant(v), pgx.RowToStructByName[domain.Site], `
		SELECT x.id, x.code, x.structure_id, x.nom, x.kind, x.adresse, x.code_postal, x.commune
		FROM sites x JOIN structures s ON s.id = x.structure_id
		WHERE x.structure_id = $4 AND `+visibleStructure+`
		ORDER BY array_position(ARRAY['siege','antenne','relais','permanence'], x.kind), x.nom`, append(visArgs(v), structureID)...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Site returns one site, ENOTFOUND unless the visibility covers its ML.
func (s *Store) Site(ctx context.Context, v domain.Visibility, id int64) (_ domain.Site, err error) {
	defer wrap(&err, "Site(%d)", id)
	site, err := collectOne(ctx, s, visibleTenant(v), pgx.RowToStructByName[domain.Site], `
		SELECT x.id, x.code, x.structure_id, x.nom, x.kind, x.adresse, x.code_postal, x.commune
		FROM sites x JOIN structures s ON s.id = x.structure_id
		WHERE x.id = $4 AND `+visibleStructure, append(visArgs(v), id)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return site, domain.Errorf(domain.ENOTFOUND, "Lieu d'accueil introuvable.")
	} else if err != nil {
		return site, err
	}
	return site, nil
}

// StructureHistory returns the régions an ML belonged to, the current one first.
func (s *Store) StructureHistory(ctx context.Context, v domain.Visibility, structureID int64) (_ []reseau.RegionStint, err error) {
	defer wrap(&err, "StructureHistory(%d)", structureID)
	list, err := collect(ctx, s, visibleTenant(v), pgx.RowToStructByName[reseau.RegionStint], `
		SELECT r.nom AS region_nom, h.since, h.until FROM structure_regions h
		JOIN regions r ON r.id = h.region_id JOIN structures s ON s.id = h.structure_id
		WHERE h.structure_id = $4 AND `+visibleStructure+`
		ORDER BY h.since DESC, h.id DESC`, append(visArgs(v), structureID)...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// uniqueViolation turns a unique-constraint error into a French form error on
// field; other errors pass through.
func uniqueViolation(err error, field, message string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return domain.FieldErrors{field: message}.Err()
	}
	return err
}

// CreateRegion stores a new région; a taken code is a form error.
func (s *Store) CreateRegion(ctx context.Context, actor *domain.Actor, r domain.Region) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("CreateRegion(%s)", r.Code), func(tx *jtx) error {
		err := tx.QueryRow(ctx, "INSERT INTO regions (code, nom) VALUES ($1, $2) RETURNING id", r.Code, r.Nom).Scan(&id)
		if err != nil {
			return uniqueViolation(err, "code", "Ce code est déjà celui d'une autre région.")
		}
		return journalNetwork(ctx, tx, "region", id, nil)
	})
	return id, err
}

// UpdateRegion changes a région's code and name.
func (s *Store) UpdateRegion(ctx context.Context, actor *domain.Actor, r domain.Region) error {
	return s.inTx(ctx, actor, fmt.Sprintf("UpdateRegion(%d)", r.ID), func(tx *jtx) error {
		before, err := tx.rowJSON(ctx, networkJSON["region"]+" FOR UPDATE", r.ID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "UPDATE regions SET code = $2, nom = $3, updated_at = now() WHERE id = $1", r.ID, r.Code, r.Nom)
		if err != nil {
			return uniqueViolation(err, "code", "Ce code est déjà celui d'une autre région.")
		}
		if tag.RowsAffected() == 0 {
			return domain.Errorf(domain.ENOTFOUND, "Région introuvable.")
		}
		return journalNetwork(ctx, tx, "region", r.ID, before)
	})
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateStructure stores a new ML and opens its région history.
func (s *Store) CreateStructure(ctx context.Context, actor *domain.Actor, st domain.Structure) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("CreateStructure(%s)", st.Code), func(tx *jtx) error {
		err := tx.QueryRow(ctx, `INSERT INTO structures (code, nom, region_id, forme, siret) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			st.Code, st.Nom, st.RegionID, st.Forme, nullable(st.Siret)).Scan(&id)
		if err != nil {
			return uniqueViolation(err, "code", "Ce code est déjà celui d'une autre Mission Locale.")
		}
		_, err = tx.Exec(ctx, "INSERT INTO structure_regions (structure_id, region_id, moved_by) VALUES ($1, $2, $3)", id, st.RegionID, actorID(actor))
		if err != nil {
			return err
		}
		return journalNetwork(ctx, tx, "structure", id, nil)
	})
	return id, err
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// actorID is the user column of a write: NULL for the system.
func actorID(actor *domain.Actor) *int64 {
	if actor == nil {
		return nil
	}
	return nullID(actor.UserID)
}

// UpdateStructure changes an ML; a change of région is a move, kept in its history.
func (s *Store) UpdateStructure(ctx context.Context, actor *domain.Actor, st domain.Structure) error {
	return s.inTx(ctx, actor, fmt.Sprintf("UpdateStructure(%d)", st.ID), func(tx *jtx) error {
		var oldRegion int64
		err := tx.QueryRow(ctx, "SELECT region_id FROM structures WHERE id = $1 FOR UPDATE", st.ID).Scan(&oldRegion)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Mission Locale introuvable.")
		} else if err != nil {
			return err
		}
		before, err := tx.rowJSON(ctx, networkJSON["structure"], st.ID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE structures SET code = $2, nom = $3, region_id = $4, forme = $5, siret = $6, updated_at = now() WHERE id = $1`,
			st.ID, st.Code, st.Nom, st.RegionID, st.Forme, nullable(st.Siret))
		if err != nil {
			return uniqueViolation(err, "code", "Ce code est déjà celui d'une autre Mission Locale.")
		}
		if oldRegion != st.RegionID {
			if err := moveStructureHistory(ctx, tx, st.ID, st.RegionID, actorID(actor)); err != nil {
				return err
			}
		}
		return journalNetwork(ctx, tx, "structure", st.ID, before)
	})
}

// moveStructureHistory closes the ML's current région period and opens one in
// regionID at the same instant. The caller has already changed
// structures.region_id. The closing instant is never before the period's start,
// which may have been set by a transaction younger than this one.
func moveStructureHistory(ctx context.Context, tx pgx.Tx, structureID, regionID int64, by *int64) error {
	_, err := tx.Exec(ctx, `
		WITH closed AS (
			UPDATE structure_regions SET until = greatest(since, now())
			WHERE structure_id = $1 AND until IS NULL
			RETURNING until)
		INSERT INTO structure_regions (structure_id, region_id, since, moved_by)
		VALUES ($1, $2, coalesce((SELECT max(until) FROM closed), now()), $3)`, structureID, regionID, by)
	return err
}

// siteErr turns the sites table's constraint errors into form errors.
func siteErr(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		if pgErr.ConstraintName == "sites_one_siege" {
			return domain.FieldErrors{"kind": "Cette Mission Locale a déjà un siège : un seul lieu peut l'être."}.Err()
		}
		return domain.FieldErrors{"code": "Ce code est déjà celui d'un autre lieu d'accueil."}.Err()
	}
	return err
}

// CreateSite stores a new site of an ML.
func (s *Store) CreateSite(ctx context.Context, actor *domain.Actor, site domain.Site) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("CreateSite(%s, %d)", site.Code, site.StructureID), func(tx *jtx) error {
		err := siteErr(tx.QueryRow(ctx, `INSERT INTO sites (code, structure_id, nom, kind, adresse, code_postal, commune)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			site.Code, site.StructureID, site.Nom, site.Kind, site.Adresse, site.CodePostal, site.Commune).Scan(&id))
		if err != nil {
			return err
		}
		return journalNetwork(ctx, tx, "site", id, nil)
	})
	return id, err
}

// UpdateSite changes a site (it stays with its ML).
func (s *Store) UpdateSite(ctx context.Context, actor *domain.Actor, site domain.Site) error {
	return s.inTx(ctx, actor, fmt.Sprintf("UpdateSite(%d)", site.ID), func(tx *jtx) error {
		before, err := tx.rowJSON(ctx, networkJSON["site"]+" FOR UPDATE", site.ID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE sites SET code = $2, nom = $3, kind = $4, adresse = $5, code_postal = $6, commune = $7, updated_at = now()
			WHERE id = $1`, site.ID, site.Code, site.Nom, site.Kind, site.Adresse, site.CodePostal, site.Commune)
		if err != nil {
			return siteErr(err)
		}
		if tag.RowsAffected() == 0 {
			return domain.Errorf(domain.ENOTFOUND, "Lieu d'accueil introuvable.")
		}
		return journalNetwork(ctx, tx, "site", site.ID, before)
	})
}

// IDByCode returns the id of the région (table "regions") or ML (table
// "structures") with that external code; ENOTFOUND when there is none.
func (s *Store) IDByCode(ctx context.Context, table, code string) (_ int64, err error) {
	defer wrap(&err, "IDByCode")
	if table != "regions" && table != "structures" {
		return 0, fmt.Errorf("id by code: unknown table %q", table)
	}
	var id int64
	err = s.pool.QueryRow(ctx, "SELECT id FROM "+table+" WHERE code = $1", code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, domain.Errorf(domain.ENOTFOUND, "Aucun élément n'a le code %s.", code)
	} else if err != nil {
		return 0, err
	}
	return id, nil
}

// networkJSON selects a région, an ML or a site as the journal keeps it, with
// its label and tenant.
var networkJSON = map[string]string{
	"region":    `SELECT json_build_object('id', id, 'code', code, 'nom', nom) FROM regions WHERE id = $1`,
	"structure": `SELECT json_build_object('id', id, 'code', code, 'nom', nom, 'region_id', region_id, 'forme', forme, 'siret', siret) FROM structures WHERE id = $1`,
	"site": `SELECT json_build_object('id', id, 'code', code, 'structure_id', structure_id, 'nom', nom, 'kind', kind, 'adresse', adresse,
		'code_postal', code_postal, 'commune', commune) FROM sites WHERE id = $1`,
}

// journalNetwork journals the creation (before nil) or change of a région, an
// ML or a site, as it is now; an update that changed nothing is not journalled.
func journalNetwork(ctx context.Context, tx *jtx, kind string, id int64, before json.RawMessage) error {
	after, err := tx.rowJSON(ctx, networkJSON[kind], id)
	if err != nil || before != nil && string(after) == string(before) {
		return err
	}
	var obj struct {
		Code        string `json:"code"`
		Nom         string `json:"nom"`
		RegionID    int64  `json:"region_id"`
		StructureID int64  `json:"structure_id"`
	}
	if err := json.Unmarshal(after, &obj); err != nil {
		return err
	}
	e := journal.Entry{ObjectType: kind, ObjectID: journal.ID(id), Label: obj.Nom + " (" + obj.Code + ")", Before: before, After: after}
	switch kind {
	case "region":
		e.RegionID = id
		e.Action = map[bool]string{true: journal.ActRegionCreated, false: journal.ActRegionUpdated}[before == nil]
	case "structure":
		e.StructureID, e.RegionID = id, obj.RegionID
		e.Action = map[bool]string{true: journal.ActStructureCreated, false: journal.ActStructureUpdated}[before == nil]
	case "site":
		e.StructureID = obj.StructureID
		e.Action = map[bool]string{true: journal.ActSiteCreated, false: journal.ActSiteUpdated}[before == nil]
	}
	tx.journal(e)
	return nil
}
