package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/referentiel"
)

// ImportReferentiel stores a parsed référentiel. Importing the same content again
// changes nothing (created is false); other content under an existing code and
// version is refused with ECONFLICT, since a version is immutable once imported.
func (s *Store) ImportReferentiel(ctx context.Context, r *referentiel.Referentiel) (created bool, err error) {
	fingerprint := r.Fingerprint()
	err = s.inTx(ctx, nil, "ImportReferentiel", func(tx *jtx) error {
		// Servers starting together import the same files: one at a time.
		h := fnv.New64a()
		h.Write([]byte(r.Code + "\x00" + r.Version))
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
			return err
		}
		var existing string
		err := tx.QueryRow(ctx, "SELECT fingerprint FROM referentiels WHERE code = $1 AND version = $2", r.Code, r.Version).Scan(&existing)
		switch {
		case err == nil && existing == fingerprint:
			return nil
		case err == nil:
			return domain.Errorf(domain.ECONFLICT, "Le référentiel %s version %s est déjà importé avec un autre contenu. Une version importée ne change plus : donnez une nouvelle version (clé version) au fichier modifié.", r.Code, r.Version)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		created = true
		if err := insertReferentiel(ctx, tx, r, fingerprint); err != nil {
			return err
		}
		after, err := tx.rowJSON(ctx, `SELECT json_build_object('id', id, 'code', code, 'version', version, 'fingerprint', fingerprint)
			FROM referentiels WHERE code = $1 AND version = $2`, r.Code, r.Version)
		tx.journal(journal.Entry{Action: journal.ActReferentielAdded, ObjectType: "referentiel", ObjectID: r.Code + "/" + r.Version,
			Label: r.Code + " " + r.Version, After: after})
		return err
	})
	return created, err
}

func insertReferentiel(ctx context.Context, tx pgx.Tx, r *referentiel.Referentiel, fingerprint string) error {
	var refID int64
	if err := tx.QueryRow(ctx, `
		INSERT INTO referentiels (code, version, titre, source, non_concerne, fingerprint)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		r.Code, r.Version, r.Titre, r.Source, r.Echelle.NonConcerne, fingerprint).Scan(&refID); err != nil {
		return err
	}
	for _, n := range r.Echelle.Niveaux {
		if _, err := tx.Exec(ctx, "INSERT INTO referentiel_niveaux (referentiel_id, valeur, libelle) VALUES ($1, $2, $3)", refID, n.Valeur, n.Libelle); err != nil {
			return err
		}
	}
	var items [][]any
	addItems := func(list []referentiel.Item, kind referentiel.Kind, parentColumn int, parentID int64) {
		for i, it := range list {
			row := []any{refID, it.Code, string(kind), it.Texte, nonNil(it.Precisions), it.Imperatif, it.Aide, nonNil(it.Preuves),
				i + 1, len(items) + 1, searchText(it), nil, nil, nil, nil, nil}
			row[parentColumn] = parentID
			items = append(items, row)
		}
	}
	// Columns of the parent ids in an item row (see the CopyFrom below).
	const carCol, realCol, resCol, grpCol, chapCol = 11, 12, 13, 14, 15
	insert := func(sql string, args ...any) (int64, error) {
		var id int64
		err := tx.QueryRow(ctx, sql, args...).Scan(&id)
		return id, err
	}
	for vi, v := range r.Volets {
		voletID, err := insert("INSERT INTO referentiel_volets (referentiel_id, code, type, titre, position) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			refID, v.Code, v.Type, v.Titre, vi+1)
		if err != nil {
			return err
		}
		for i, c := range v.Caracteristiques {
			id, err := insert("INSERT INTO referentiel_caracteristiques (volet_id, code, texte, position) VALUES ($1, $2, $3, $4) RETURNING id", voletID, c.Code, c.Texte, i+1)
			if err != nil {
				return err
			}
			addItems(c.Modalites, referentiel.KindModalite, carCol, id)
		}
		for i, f := range v.Fonctions {
			fid, err := insert("INSERT INTO referentiel_fonctions (volet_id, code, titre, finalite, position) VALUES ($1, $2, $3, $4, $5) RETURNING id", voletID, f.Code, f.Titre, f.Finalite, i+1)
			if err != nil {
				return err
			}
			for j, re := range f.Realisations {
				id, err := insert("INSERT INTO referentiel_realisations (fonction_id, code, texte, position) VALUES ($1, $2, $3, $4) RETURNING id", fid, re.Code, re.Texte, j+1)
				if err != nil {
					return err
				}
				addItems(re.Criteres, referentiel.KindCritere, realCol, id)
			}
			for j, res := range f.Ressources {
				id, err := insert("INSERT INTO referentiel_ressources (fonction_id, volet, intro, position) VALUES ($1, $2, $3, $4) RETURNING id", fid, res.Volet, res.Intro, j+1)
				if err != nil {
					return err
				}
				addItems(res.Conditions, referentiel.KindCondition, resCol, id)
			}
		}
		for i, g := range v.Groupes {
			id, err := insert("INSERT INTO referentiel_groupes (volet_id, code, titre, note, position) VALUES ($1, $2, $3, $4, $5) RETURNING id", voletID, g.Code, g.Titre, g.Note, i+1)
			if err != nil {
				return err
			}
			addItems(g.Engagements, referentiel.KindEngagement, grpCol, id)
		}
		for i, c := range v.Chapitres {
			id, err := insert("INSERT INTO referentiel_chapitres (volet_id, code, titre, position) VALUES ($1, $2, $3, $4) RETURNING id", voletID, c.Code, c.Titre, i+1)
			if err != nil {
				return err
			}
			addItems(c.Criteres, referentiel.KindCritere, chapCol, id)
		}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"referentiel_items"}, []string{
		"referentiel_id", "code", "kind", "texte", "precisions", "imperatif", "aide", "preuves",
		"position", "ordre", "recherche", "caracteristique_id", "realisation_id", "ressource_id", "groupe_id", "chapitre_id",
	}, pgx.CopyFromRows(items))
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// searchText is what the référentiel search looks into for an item.
func searchText(it referentiel.Item) string {
	parts := append([]string{it.Code, it.Texte}, it.Precisions...)
	return referentiel.Fold(strings.Join(parts, " "))
}

// ListReferentiels returns every imported version, the newest import first.
func (s *Store) ListReferentiels(ctx context.Context) (_ []referentiel.Info, err error) {
	defer wrap(&err, "ListReferentiels")
	rows, err := s.pool.Query(ctx, `
		SELECT r.id, r.code, r.version, r.titre, r.imported_at,
		       (SELECT count(*) FROM referentiel_items i WHERE i.referentiel_id = r.id)::int AS items
		FROM referentiels r ORDER BY r.imported_at DESC, r.id DESC`)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[referentiel.Info])
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Referentiel returns the whole tree of one version (shared: see ReferentielByID);
// an empty version means the most recently imported version of code. ENOTFOUND
// when there is none.
func (s *Store) Referentiel(ctx context.Context, code, version string) (_ *referentiel.Referentiel, _ int64, err error) {
	defer wrap(&err, "Referentiel")
	var id int64
	err = s.pool.QueryRow(ctx, `
		SELECT id FROM referentiels
		WHERE code = $1 AND ($2 = '' OR version = $2)
		ORDER BY imported_at DESC, id DESC LIMIT 1`, code, version).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, domain.Errorf(domain.ENOTFOUND, "Référentiel introuvable.")
	} else if err != nil {
		return nil, 0, err
	}
	r, err := s.ReferentielByID(ctx, id)
	return r, id, err
}

// ReferentielByID returns a référentiel version's tree. Versions never change once
// imported, so each server keeps the trees it has loaded; callers share them and
// must not modify them.
func (s *Store) ReferentielByID(ctx context.Context, id int64) (_ *referentiel.Referentiel, err error) {
	defer wrap(&err, "ReferentielByID(%d)", id)
	if r, ok := s.refCache.Load(id); ok {
		return r.(*referentiel.Referentiel), nil
	}
	r := &referentiel.Referentiel{}
	err = s.pool.QueryRow(ctx, "SELECT code, version, titre, source, non_concerne FROM referentiels WHERE id = $1", id).
		Scan(&r.Code, &r.Version, &r.Titre, &r.Source, &r.Echelle.NonConcerne)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "Référentiel introuvable.")
	} else if err != nil {
		return nil, err
	}
	if err := loadTree(ctx, s.pool, id, r); err != nil {
		return nil, err
	}
	s.refCache.Store(id, r)
	return r, nil
}

// loadTree rebuilds the typed tree from its tables: items first, grouped by parent,
// then each level up to the volets. Every query filters on the référentiel and
// sorts by the stored positions.
func loadTree(ctx context.Context, q *pgxpool.Pool, refID int64, r *referentiel.Referentiel) error {
	rows, _ := q.Query(ctx, "SELECT valeur, libelle FROM referentiel_niveaux WHERE referentiel_id = $1 ORDER BY valeur", refID)
	niveaux, err := pgx.CollectRows(rows, pgx.RowToStructByName[referentiel.Niveau])
	if err != nil {
		return err
	}
	r.Echelle.Niveaux = niveaux

	type parentKey struct {
		table string
		id    int64
	}
	items := map[parentKey][]referentiel.Item{}
	rows, _ = q.Query(ctx, `
		SELECT code, texte, precisions, imperatif, aide, preuves,
		       CASE WHEN caracteristique_id IS NOT NULL THEN 'car' WHEN realisation_id IS NOT NULL THEN 'real'
		            WHEN ressource_id IS NOT NULL THEN 'res' WHEN groupe_id IS NOT NULL THEN 'grp' ELSE 'chap' END,
		       coalesce(caracteristique_id, realisation_id, ressource_id, groupe_id, chapitre_id)
		FROM referentiel_items WHERE referentiel_id = $1 ORDER BY ordre`, refID)
	var it referentiel.Item
	var k parentKey
	_, err = pgx.ForEachRow(rows, []any{&it.Code, &it.Texte, &it.Precisions, &it.Imperatif, &it.Aide, &it.Preuves, &k.table, &k.id}, func() error {
		item := it
		if len(item.Precisions) == 0 {
			item.Precisions = nil
		}
		if len(item.Preuves) == 0 {
			item.Preuves = nil
		}
		items[k] = append(items[k], item)
		return nil
	})
	if err != nil {
		return err
	}

	// Below, each query yields (id, owner id, code, text, extra) in position order.
	var id, owner int64
	var code, text, extra string
	each := func(sql string, fn func()) error {
		rows, _ := q.Query(ctx, sql, refID)
		_, err := pgx.ForEachRow(rows, []any{&id, &owner, &code, &text, &extra}, func() error { fn(); return nil })
		return err
	}
	const ofRef = " JOIN referentiel_volets v ON v.id = x.volet_id WHERE v.referentiel_id = $1 ORDER BY x.volet_id, x.position"
	const ofFonction = " JOIN referentiel_fonctions f ON f.id = x.fonction_id JOIN referentiel_volets v ON v.id = f.volet_id WHERE v.referentiel_id = $1 ORDER BY x.fonction_id, x.position"

	realisations := map[int64][]referentiel.Realisation{}
	ressources := map[int64][]referentiel.VoletRessources{}
	caracteristiques := map[int64][]referentiel.Caracteristique{}
	fonctions := map[int64][]referentiel.Fonction{}
	groupes := map[int64][]referentiel.GroupeEngagements{}
	chapitres := map[int64][]referentiel.Chapitre{}
	err = errors.Join(
		each("SELECT x.id, x.fonction_id, x.code, x.texte, '' FROM referentiel_realisations x"+ofFonction, func() {
			realisations[owner] = append(realisations[owner], referentiel.Realisation{Code: code, Texte: text, Criteres: items[parentKey{"real", id}]})
		}),
		each("SELECT x.id, x.fonction_id, x.volet, x.intro, '' FROM referentiel_ressources x"+ofFonction, func() {
			ressources[owner] = append(ressources[owner], referentiel.VoletRessources{Volet: code, Intro: text, Conditions: items[parentKey{"res", id}]})
		}),
		each("SELECT x.id, x.volet_id, x.code, x.texte, '' FROM referentiel_caracteristiques x"+ofRef, func() {
			caracteristiques[owner] = append(caracteristiques[owner], referentiel.Caracteristique{Code: code, Texte: text, Modalites: items[parentKey{"car", id}]})
		}),
		each("SELECT x.id, x.volet_id, x.code, x.titre, x.finalite FROM referentiel_fonctions x"+ofRef, func() {
			fonctions[owner] = append(fonctions[owner], referentiel.Fonction{Code: code, Titre: text, Finalite: extra, Realisations: realisations[id], Ressources: ressources[id]})
		}),
		each("SELECT x.id, x.volet_id, x.code, x.titre, x.note FROM referentiel_groupes x"+ofRef, func() {
			groupes[owner] = append(groupes[owner], referentiel.GroupeEngagements{Code: code, Titre: text, Note: extra, Engagements: items[parentKey{"grp", id}]})
		}),
		each("SELECT x.id, x.volet_id, x.code, x.titre, '' FROM referentiel_chapitres x"+ofRef, func() {
			chapitres[owner] = append(chapitres[owner], referentiel.Chapitre{Code: code, Titre: text, Criteres: items[parentKey{"chap", id}]})
		}),
	)
	if err != nil {
		return err
	}
	rows, _ = q.Query(ctx, "SELECT id, code, type, titre FROM referentiel_volets WHERE referentiel_id = $1 ORDER BY position", refID)
	var typ string
	_, err = pgx.ForEachRow(rows, []any{&id, &code, &typ, &text}, func() error {
		r.Volets = append(r.Volets, referentiel.Volet{Code: code, Type: typ, Titre: text,
			Caracteristiques: caracteristiques[id], Fonctions: fonctions[id], Groupes: groupes[id], Chapitres: chapitres[id]})
		return nil
	})
	return err
}

// SearchReferentiel returns the codes of the items of référentiel refID whose code,
// text or précisions contain every word of query, ignoring accents and case.
func (s *Store) SearchReferentiel(ctx context.Context, refID int64, query string) (_ map[string]bool, err error) {
	defer wrap(&err, "SearchReferentiel(%d)", refID)
	words := strings.Fields(referentiel.Fold(query))
	sql := "SELECT code FROM referentiel_items WHERE referentiel_id = $1"
	args := []any{refID}
	for _, w := range words {
		args = append(args, "%"+likeEscaper.Replace(w)+"%")
		sql += fmt.Sprintf(" AND recherche LIKE $%d", len(args))
	}
	rows, _ := s.pool.Query(ctx, sql, args...)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	found := make(map[string]bool, len(codes))
	for _, c := range codes {
		found[c] = true
	}
	return found, nil
}

// likeEscaper makes user text literal inside a LIKE pattern (backslash is the
// default escape character).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ItemID returns the id of the item with that code in référentiel refID;
// ENOTFOUND when there is none.
func (s *Store) ItemID(ctx context.Context, refID int64, code string) (_ int64, err error) {
	defer wrap(&err, "ItemID(%d)", refID)
	var id int64
	err = s.pool.QueryRow(ctx, "SELECT id FROM referentiel_items WHERE referentiel_id = $1 AND code = $2", refID, code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, domain.Errorf(domain.ENOTFOUND, "L'élément %s n'existe pas dans ce référentiel.", code)
	} else if err != nil {
		return 0, err
	}
	return id, nil
}
