package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/preuves"
)

// The store is the evidence library's storage.
var _ preuves.Store = (*Store)(nil)

// chunkSize is the size of the rows a file is stored in: a 20 MB file is 80 rows,
// and neither an upload nor a download holds more than one chunk in memory.
const chunkSize = 256 << 10

func errPreuveNotFound() error {
	return domain.Errorf(domain.ENOTFOUND, "Élément de preuve introuvable.")
}

// putContent stores a file of the ML structureID within tx and returns its
// content id and type. It streams up.Content into chunks, so that memory holds
// one chunk whatever the size. The type is judged on the first bytes
// (preuves.Sniff) before anything is written, and an Office or OpenDocument file
// once whole (preuves.CheckArchive); beyond up.MaxBytes it returns a
// *preuves.TooLargeError; a read error (the client went away) is returned
// wrapped. Whatever fails, the caller's transaction rolls back and nothing stays.
// Content the ML already has (same SHA-256) is stored once: its existing id and
// type are returned.
func putContent(ctx context.Context, tx pgx.Tx, structureID int64, up preuves.Upload) (int64, string, error) {
	maxBytes := up.MaxBytes
	if maxBytes <= 0 {
		maxBytes = preuves.DefaultMaxBytes
	}
	r := up.Content
	buf := make([]byte, chunkSize)
	filled, eof, err := fill(r, buf[:preuves.HeadSize])
	if err != nil {
		return 0, "", err
	}
	if int64(filled) > maxBytes {
		return 0, "", &preuves.TooLargeError{Limit: maxBytes}
	}
	mime, err := preuves.Sniff(buf[:filled], up.Name)
	if err != nil {
		return 0, "", err
	}
	// The real SHA-256 is known at the end; until then a random one keeps the
	// (structure_id, sha256) key of concurrent uploads apart.
	placeholder := make([]byte, sha256.Size)
	rand.Read(placeholder)
	var id int64
	err = tx.QueryRow(ctx, "INSERT INTO preuve_contenus (structure_id, sha256, taille, mime) VALUES ($1, $2, 0, $3) RETURNING id",
		structureID, placeholder, mime).Scan(&id)
	if err != nil {
		return 0, "", err
	}
	sum := sha256.New()
	var total int64
	for seq := 0; ; seq++ {
		if !eof {
			n, end, err := fill(r, buf[filled:])
			if err != nil {
				return 0, "", err
			}
			filled, eof = filled+n, end
		}
		if total+int64(filled) > maxBytes {
			return 0, "", &preuves.TooLargeError{Limit: maxBytes}
		}
		if filled > 0 {
			sum.Write(buf[:filled])
			if _, err := tx.Exec(ctx, "INSERT INTO preuve_morceaux (contenu_id, seq, data) VALUES ($1, $2, $3)", id, seq, buf[:filled]); err != nil {
				return 0, "", err
			}
			total += int64(filled)
			filled = 0
		}
		if eof {
			break
		}
	}
	if mime, err = preuves.CheckArchive(&chunkReaderAt{ctx: ctx, q: tx, contentID: id}, total, mime); err != nil {
		return 0, "", err
	}

	digest := sum.Sum(nil)
	existing, existingMime, err := contentBySHA(ctx, tx, structureID, digest)
	if err != nil {
		return 0, "", err
	}
	if existing == 0 {
		// A savepoint, so that losing the race for the key to a concurrent copy
		// of the same file does not abort the caller's transaction.
		sp, err := tx.Begin(ctx)
		if err != nil {
			return 0, "", err
		}
		_, err = sp.Exec(ctx, "UPDATE preuve_contenus SET sha256 = $2, taille = $3, mime = $4 WHERE id = $1", id, digest, total, mime)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			if err := sp.Rollback(ctx); err != nil {
				return 0, "", err
			}
			// The same file, uploaded at the same time, was committed first: use it.
			if existing, existingMime, err = contentBySHA(ctx, tx, structureID, digest); err == nil && existing == 0 {
				err = errors.New("the concurrent copy vanished")
			}
			if err != nil {
				return 0, "", err
			}
		} else if err != nil {
			return 0, "", err
		} else if err := sp.Commit(ctx); err != nil {
			return 0, "", err
		} else {
			return id, mime, nil
		}
	}
	if _, err := tx.Exec(ctx, "DELETE FROM preuve_contenus WHERE id = $1", id); err != nil {
		return 0, "", err
	}
	return existing, existingMime, nil
}

// chunkReaderAt reads a content being stored from its chunks, for the checks
// that need the whole file (a ZIP's directory is at its end).
type chunkReaderAt struct {
	ctx       context.Context
	q         querier
	contentID int64
	seq       int // the chunk held in data, once loaded
	data      []byte
	loaded    bool
}

// ReadAt implements io.ReaderAt.
func (c *chunkReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		seq, within := int((off+int64(n))/chunkSize), int((off+int64(n))%chunkSize)
		if !c.loaded || c.seq != seq {
			err := c.q.QueryRow(c.ctx, "SELECT data FROM preuve_morceaux WHERE contenu_id = $1 AND seq = $2", c.contentID, seq).Scan(&c.data)
			if errors.Is(err, pgx.ErrNoRows) {
				return n, io.EOF
			} else if err != nil {
				return n, err
			}
			c.seq, c.loaded = seq, true
		}
		if within >= len(c.data) {
			return n, io.EOF
		}
		n += copy(p[n:], c.data[within:])
	}
	return n, nil
}

// fill reads into buf until it is full or r ends (eof), like io.ReadFull.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	n, err = io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return n, true, nil
	}
	return n, false, err
}

// querier is what both the pool and a transaction offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// contentBySHA returns the id and type of the ML's content of that SHA-256, 0 if none.
func contentBySHA(ctx context.Context, q querier, structureID int64, digest []byte) (int64, string, error) {
	var id int64
	var mime string
	err := q.QueryRow(ctx, "SELECT id, mime FROM preuve_contenus WHERE structure_id = $1 AND sha256 = $2", structureID, digest).Scan(&id, &mime)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	return id, mime, err
}

// checkContent checks that a content belongs to the ML.
func checkContent(ctx context.Context, tx pgx.Tx, structureID, contentID int64) error {
	var ok bool
	err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM preuve_contenus WHERE id = $1 AND structure_id = $2)", contentID, structureID).Scan(&ok)
	if err == nil && !ok {
		return domain.Errorf(domain.ENOTFOUND, "Fichier introuvable : déposez-le à nouveau.")
	}
	return err
}

// checkSites checks that the sites are the ML's.
func checkSites(ctx context.Context, tx pgx.Tx, structureID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM sites WHERE id = ANY($1) AND structure_id = $2", ids, structureID).Scan(&n); err != nil {
		return err
	}
	if n != len(ids) {
		return domain.FieldErrors{"sites": "Choisissez des lieux d'accueil de la Mission Locale."}.Err()
	}
	return nil
}

// setSites replaces the sites of a piece.
func setSites(ctx context.Context, tx pgx.Tx, preuveID int64, ids []int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM preuve_sites WHERE preuve_id = $1", preuveID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO preuve_sites (preuve_id, site_id) SELECT $1, unnest($2::bigint[])", preuveID, ids)
	return err
}

// uniqueIDs returns the ids sorted without duplicates, never nil.
func uniqueIDs(ids []int64) []int64 {
	out := slices.Compact(slices.Sorted(slices.Values(ids)))
	if out == nil {
		return []int64{}
	}
	return out
}

// lienURL is the url column of a piece: only links have one.
func lienURL(p domain.Preuve) *string {
	if p.Nature != domain.NatureLien {
		return nil
	}
	return &p.URL
}

// CreatePreuve adds a piece to the library of p.StructureID: for a file, with
// file as version 1, judged and stored in the same transaction (putContent), so a
// refusal stores nothing. The piece must pass preuves.CheckNew (its metadata,
// and a file for a file piece only: field "file"), which the service checks too
// but the store keeps as its own invariant; the sites must be the ML's (field
// "sites"). All of this is checked before the file is read. The piece starts
// déposée, written by actor.
func (s *Store) CreatePreuve(ctx context.Context, actor *domain.Actor, p domain.Preuve, file *preuves.Upload) (int64, error) {
	return s.createPreuve(ctx, actor, p, file != nil, func(tx pgx.Tx) (int64, string, error) {
		if file == nil {
			return 0, "", nil
		}
		id, mime, err := putContent(ctx, tx, p.StructureID, *file)
		return id, preuves.StoredName(file.Name, mime), err
	})
}

// contentFunc stores or finds the file of a new piece or version within tx and
// returns its content id and stored name.
type contentFunc func(tx pgx.Tx) (contentID int64, name string, err error)

func (s *Store) createPreuve(ctx context.Context, actor *domain.Actor, p domain.Preuve, hasFile bool, content contentFunc) (int64, error) {
	p.Normalize()
	if err := preuves.CheckNew(p, hasFile); err != nil {
		return 0, err
	}
	sites := uniqueIDs(p.SiteIDs)
	by := actorID(actor)
	var id int64
	err := s.inTx(ctx, actor, fmt.Sprintf("CreatePreuve(%d)", p.StructureID), func(tx *jtx) error {
		if err := checkSites(ctx, tx, p.StructureID, sites); err != nil {
			return err
		}
		contentID, name, err := content(tx)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO preuves (structure_id, nature, titre, type, date_document, fin_validite, url, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			p.StructureID, p.Nature, p.Titre, p.Type, p.DateDocument, p.FinValidite, lienURL(p), by).Scan(&id)
		if err != nil {
			return err
		}
		if contentID != 0 {
			_, err := tx.Exec(ctx, "INSERT INTO preuve_versions (preuve_id, version, contenu_id, nom, created_by) VALUES ($1, 1, $2, $3, $4)",
				id, contentID, name, by)
			if err != nil {
				return err
			}
		}
		if err := setSites(ctx, tx, id, sites); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, "INSERT INTO preuve_statuts (preuve_id, statut, by_user) VALUES ($1, $2, $3)", id, domain.StatutDeposee, by); err != nil {
			return err
		}
		return journalPreuve(ctx, tx, journal.ActPreuveCreated, p.StructureID, id, nil)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// lockPreuve locks a piece of the ML and returns its nature and review status;
// ENOTFOUND when it is not the ML's.
func lockPreuve(ctx context.Context, tx pgx.Tx, structureID, preuveID int64) (nature, statut, motif string, err error) {
	err = tx.QueryRow(ctx, "SELECT nature, statut, motif FROM preuves WHERE id = $1 AND structure_id = $2 FOR UPDATE", preuveID, structureID).
		Scan(&nature, &statut, &motif)
	if errors.Is(err, pgx.ErrNoRows) {
		err = errPreuveNotFound()
	}
	return nature, statut, motif, err
}

// AddVersion adds file as the new current version of a file piece of the ML and
// returns its number; older versions stay. The piece is checked (ENOTFOUND when
// not the ML's, EINVALID when not a file) before the file is read, and the file
// is stored in the same transaction. A piece that was reviewed goes back to
// déposée: the decision was on the previous file.
func (s *Store) AddVersion(ctx context.Context, actor *domain.Actor, structureID, preuveID int64, file preuves.Upload) (int, error) {
	return s.addVersion(ctx, actor, structureID, preuveID, func(tx pgx.Tx) (int64, string, error) {
		id, mime, err := putContent(ctx, tx, structureID, file)
		return id, preuves.StoredName(file.Name, mime), err
	})
}

func (s *Store) addVersion(ctx context.Context, actor *domain.Actor, structureID, preuveID int64, content contentFunc) (int, error) {
	by := actorID(actor)
	var version int
	err := s.inTx(ctx, actor, fmt.Sprintf("AddVersion(%d, %d)", structureID, preuveID), func(tx *jtx) error {
		nature, statut, _, err := lockPreuve(ctx, tx, structureID, preuveID)
		if err != nil {
			return err
		}
		before, err := tx.rowJSON(ctx, preuveJSON, preuveID)
		if err != nil {
			return err
		}
		if nature != domain.NatureFichier {
			return domain.Errorf(domain.EINVALID, "Seul un élément de preuve de nature « fichier » a des versions.")
		}
		contentID, name, err := content(tx)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO preuve_versions (preuve_id, version, contenu_id, nom, created_by)
			SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM preuve_versions WHERE preuve_id = $1 RETURNING version`,
			preuveID, contentID, name, by).Scan(&version)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE preuves SET statut = $2, motif = '', updated_at = now() WHERE id = $1", preuveID, domain.StatutDeposee); err != nil {
			return err
		}
		if statut != domain.StatutDeposee {
			_, err = tx.Exec(ctx, "INSERT INTO preuve_statuts (preuve_id, statut, motif, by_user) VALUES ($1, $2, $3, $4)",
				preuveID, domain.StatutDeposee, fmt.Sprintf("Version %d déposée.", version), by)
			if err != nil {
				return err
			}
		}
		return journalPreuve(ctx, tx, journal.ActPreuveVersion, structureID, preuveID, before)
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// CollectOrphanContent deletes file content that no version refers to and that
// is older than age (an upload still in flight has not committed, so it is never
// seen), and returns how many went. Several servers may run it at once.
func (s *Store) CollectOrphanContent(ctx context.Context, age time.Duration) (_ int64, err error) {
	defer wrap(&err, "CollectOrphanContent")
	// Background cleanup across every ML: the system's scope.
	var n int64
	err = s.scopedTx(ctx, systemTenant, pgx.ReadWrite, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM preuve_contenus c WHERE c.created_at < now() - make_interval(secs => $1)
		AND NOT EXISTS (SELECT 1 FROM preuve_versions v WHERE v.contenu_id = c.id)`, age.Seconds())
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// UpdatePreuve changes the metadata and sites of a piece of p.StructureID. Its
// nature does not change (a link stays a link); p.Nature is ignored.
func (s *Store) UpdatePreuve(ctx context.Context, actor *domain.Actor, p domain.Preuve) error {
	p.Normalize()
	sites := uniqueIDs(p.SiteIDs)
	return s.inTx(ctx, actor, fmt.Sprintf("UpdatePreuve(%d, %d)", p.ID, p.StructureID), func(tx *jtx) error {
		nature, _, _, err := lockPreuve(ctx, tx, p.StructureID, p.ID)
		if err != nil {
			return err
		}
		before, err := tx.rowJSON(ctx, preuveJSON, p.ID)
		if err != nil {
			return err
		}
		p.Nature = nature
		if err := p.Validate(); err != nil {
			return err
		}
		if err := checkSites(ctx, tx, p.StructureID, sites); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE preuves SET titre = $2, type = $3, date_document = $4, fin_validite = $5, url = $6, updated_at = now()
			WHERE id = $1`, p.ID, p.Titre, p.Type, p.DateDocument, p.FinValidite, lienURL(p))
		if err != nil {
			return err
		}
		if err := setSites(ctx, tx, p.ID, sites); err != nil {
			return err
		}
		return journalPreuveIfChanged(ctx, tx, journal.ActPreuveUpdated, p.StructureID, p.ID, before)
	})
}

// preuveColumns are read by scanPreuve; the query must name the piece p and join
// the lateral current version cv (preuveFrom).
const preuveColumns = `p.id, p.structure_id, p.nature, p.titre, p.type, p.date_document, p.fin_validite, coalesce(p.url, ''),
	p.statut, p.motif, coalesce((SELECT array_agg(x.site_id ORDER BY x.site_id) FROM preuve_sites x WHERE x.preuve_id = p.id), '{}'),
	coalesce(cv.version, 0), coalesce(cv.nom, ''), coalesce(cv.taille, 0), coalesce(cv.mime, ''),
	(SELECT count(*) FROM preuve_items x WHERE x.preuve_id = p.id)::int, p.created_at`

const preuveFrom = ` FROM preuves p JOIN structures s ON s.id = p.structure_id
	LEFT JOIN LATERAL (SELECT v.version, v.nom, c.taille, c.mime FROM preuve_versions v JOIN preuve_contenus c ON c.id = v.contenu_id
		WHERE v.preuve_id = p.id ORDER BY v.version DESC LIMIT 1) cv ON true `

func scanPreuve(row pgx.Row) (domain.Preuve, error) {
	var p domain.Preuve
	err := row.Scan(&p.ID, &p.StructureID, &p.Nature, &p.Titre, &p.Type, &p.DateDocument, &p.FinValidite, &p.URL,
		&p.Statut, &p.Motif, &p.SiteIDs, &p.Version, &p.Nom, &p.Taille, &p.Mime, &p.Items, &p.CreatedAt)
	return p, err
}

// Preuve returns one piece with its current version, ENOTFOUND unless the
// visibility covers its ML. Whether its file may be downloaded (an ARML only
// where the ML allows it: DocumentsARML) is the caller's decision.
func (s *Store) Preuve(ctx context.Context, v domain.Visibility, id int64) (_ domain.Preuve, err error) {
	defer wrap(&err, "Preuve(%d)", id)
	var p domain.Preuve
	err = s.query(ctx, visibleTenant(v), func(rows pgx.Rows) error {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return pgx.ErrNoRows
		}
		var err error
		p, err = scanPreuve(rows)
		return err
	}, "SELECT "+preuveColumns+preuveFrom+"WHERE p.id = $4 AND "+visibleStructure, append(visArgs(v), id)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errPreuveNotFound()
	} else if err != nil {
		return p, err
	}
	return p, nil
}

// ListPreuves returns the library of an ML, by title.
func (s *Store) ListPreuves(ctx context.Context, structureID int64, f preuves.Filter) (_ []domain.Preuve, err error) {
	defer wrap(&err, "ListPreuves(%d)", structureID)
	if f.Today.IsZero() {
		f.Today = time.Now()
	}
	list := []domain.Preuve{}
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) error {
		for rows.Next() {
			p, err := scanPreuve(rows)
			if err != nil {
				rows.Close()
				return err
			}
			list = append(list, p)
		}
		return rows.Err()
	}, "SELECT "+preuveColumns+preuveFrom+`
		WHERE p.structure_id = $1 AND ($2 = '' OR p.type = $2)
		  AND ($3::bigint = 0 OR EXISTS (SELECT 1 FROM preuve_items x WHERE x.preuve_id = p.id AND x.item_id = $3))
		  AND (NOT $4 OR p.fin_validite < $5::date)
		ORDER BY lower(p.titre), p.id`, structureID, f.Type, f.ItemID, f.Expired, civilDay(f.Today))
	if err != nil {
		return nil, err
	}
	return list, nil
}

// civilDay is t's calendar day in its own location, as a date parameter.
func civilDay(t time.Time) string { return t.Format(time.DateOnly) }

// PreuvesOfItem returns the ML's pieces that support a référentiel item.
func (s *Store) PreuvesOfItem(ctx context.Context, structureID, itemID int64) ([]domain.Preuve, error) {
	return s.ListPreuves(ctx, structureID, preuves.Filter{ItemID: itemID})
}

// checkPreuve returns ENOTFOUND unless the piece is the ML's.
func checkPreuve(ctx context.Context, q querier, structureID, preuveID int64) error {
	var ok bool
	err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM preuves WHERE id = $1 AND structure_id = $2)", preuveID, structureID).Scan(&ok)
	if err != nil {
		return err
	}
	if !ok {
		return errPreuveNotFound()
	}
	return nil
}

// checkedCollect runs, under the ML's scope, checkPreuve and then one query
// about the piece ($1 is preuveID), collecting its rows with fn.
func checkedCollect[T any](ctx context.Context, s *Store, structureID, preuveID int64, fn pgx.RowToFunc[T], sql string) ([]T, error) {
	var list []T
	err := s.read(ctx, structureTenant(structureID), func(tx pgx.Tx) error {
		if err := checkPreuve(ctx, tx, structureID, preuveID); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, sql, preuveID)
		var err error
		list, err = pgx.CollectRows(rows, fn)
		return err
	})
	return list, err
}

// PreuveVersions returns the file versions of a piece of the ML, the current one
// first; ENOTFOUND when the piece is not the ML's.
func (s *Store) PreuveVersions(ctx context.Context, structureID, preuveID int64) (_ []preuves.Version, err error) {
	defer wrap(&err, "PreuveVersions(%d, %d)", structureID, preuveID)
	list, err := checkedCollect(ctx, s, structureID, preuveID, pgx.RowToStructByName[preuves.Version], `
		SELECT v.id, v.version, v.nom, c.taille, c.mime, encode(c.sha256, 'hex') AS sha256,
		       coalesce(nullif(u.nom, ''), u.email, '') AS "by", v.created_at AS at
		FROM preuve_versions v JOIN preuve_contenus c ON c.id = v.contenu_id LEFT JOIN users u ON u.id = v.created_by
		WHERE v.preuve_id = $1 ORDER BY v.version DESC`)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Attach makes a piece of the ML support a référentiel item; attaching twice is
// no change. ENOTFOUND when the piece is not the ML's or the item does not exist.
func (s *Store) Attach(ctx context.Context, actor *domain.Actor, structureID, preuveID, itemID int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("Attach(%d, %d, %d)", preuveID, structureID, itemID), func(tx *jtx) error {
		if err := checkPreuve(ctx, tx, structureID, preuveID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "INSERT INTO preuve_items (preuve_id, item_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", preuveID, itemID)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" {
			return domain.Errorf(domain.ENOTFOUND, "Élément du référentiel introuvable.")
		}
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return journalAttachment(ctx, tx, journal.ActPreuveAttached, structureID, preuveID, itemID)
	})
}

// Detach removes a piece of the ML from an item; detaching what is not attached
// is no change. ENOTFOUND when the piece is not the ML's.
func (s *Store) Detach(ctx context.Context, actor *domain.Actor, structureID, preuveID, itemID int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("Detach(%d, %d, %d)", preuveID, structureID, itemID), func(tx *jtx) error {
		if err := checkPreuve(ctx, tx, structureID, preuveID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM preuve_items WHERE preuve_id = $1 AND item_id = $2", preuveID, itemID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return journalAttachment(ctx, tx, journal.ActPreuveDetached, structureID, preuveID, itemID)
	})
}

// PreuveItems returns the codes of the référentiel items a piece of the ML
// supports, in the référentiel's order; ENOTFOUND when the piece is not the ML's.
func (s *Store) PreuveItems(ctx context.Context, structureID, preuveID int64) (_ []string, err error) {
	defer wrap(&err, "PreuveItems(%d, %d)", structureID, preuveID)
	codes, err := checkedCollect(ctx, s, structureID, preuveID, pgx.RowTo[string],
		`SELECT i.code FROM preuve_items x JOIN referentiel_items i ON i.id = x.item_id
		WHERE x.preuve_id = $1 ORDER BY i.referentiel_id, i.ordre`)
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// CoverageCounts returns, for the items of a référentiel version that the ML's
// pieces support, how many pieces support each, by item code (items without a
// piece are absent).
func (s *Store) CoverageCounts(ctx context.Context, structureID, referentielID int64) (_ map[string]int, err error) {
	defer wrap(&err, "CoverageCounts(%d, %d)", structureID, referentielID)
	var out map[string]int
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) (err error) {
		out, err = scanCoverage(rows)
		return err
	}, coverageSQL, structureID, referentielID)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// coverageSQL counts the ML's ($1) pieces per item code of a référentiel ($2).
// A piece's links carry its structure_id (the trigger of migration 0009), so
// the ML's links are read from their own index, without the pieces.
const coverageSQL = `
	SELECT i.code, count(*)::int FROM preuve_items x
	JOIN referentiel_items i ON i.id = x.item_id
	WHERE x.structure_id = $1 AND i.referentiel_id = $2 GROUP BY i.code`

func scanCoverage(rows pgx.Rows) (map[string]int, error) {
	out := map[string]int{}
	var code string
	var n int
	_, err := pgx.ForEachRow(rows, []any{&code, &n}, func() error {
		out[code] = n
		return nil
	})
	return out, err
}

// AnswersAndCoverage returns an auto-évaluation's answers, as Cotations, and
// the ML's evidence coverage, as CoverageCounts, in one round trip.
func (s *Store) AnswersAndCoverage(ctx context.Context, structureID, autoevalID, referentielID int64) (_ map[string]autoeval.SavedCotation, _ map[string]int, err error) {
	defer wrap(&err, "AnswersAndCoverage(%d, %d, %d)", structureID, autoevalID, referentielID)
	var saved map[string]autoeval.SavedCotation
	var coverage map[string]int
	err = s.queries(ctx, structureTenant(structureID),
		scan{cotationsSQL, []any{structureID, autoevalID}, func(rows pgx.Rows) (err error) {
			saved, err = scanCotations(rows)
			return err
		}},
		scan{coverageSQL, []any{structureID, referentielID}, func(rows pgx.Rows) (err error) {
			coverage, err = scanCoverage(rows)
			return err
		}})
	return saved, coverage, err
}

// ContentReader streams one file version from the database, one chunk per
// query, and checks its SHA-256 at the end: instead of io.EOF it returns an error
// wrapping preuves.ErrCorrupt when what it streamed is not what was stored. It
// holds back the last chunk until that check passes, so a corrupt file is
// always cut short: an HTTP handler that sends Content-Length: Taille lets the
// client see the failure. It is the preuves.File the library's downloads read.
type ContentReader struct {
	preuves.FileInfo

	// ctx is OpenVersion's: an io.Reader has no context of its own.
	ctx       context.Context
	store     *Store
	tenant    tenant // the ML's: every chunk is read under its scope
	contentID int64
	want      []byte
	next      int       // sequence number of the next chunk
	buf       []byte    // what is left of the current chunk
	read      int64     // bytes fetched so far
	sum       hash.Hash // of the bytes fetched so far
	err       error     // sticky: io.EOF, corruption or a database error
}

// OpenVersion opens a version of a file piece of the ML (0: the current one) for
// reading; ENOTFOUND when the piece is not the ML's, is not a file, or has no such
// version. Reads use ctx. The file is a *ContentReader.
func (s *Store) OpenVersion(ctx context.Context, structureID, preuveID int64, version int) (_ preuves.File, err error) {
	defer wrap(&err, "OpenVersion(%d, %d)", structureID, preuveID)
	c := &ContentReader{ctx: ctx, store: s, tenant: structureTenant(structureID), sum: sha256.New()}
	err = s.scanOne(ctx, c.tenant, `
		SELECT v.id, v.version, v.nom, c.taille, c.mime, c.sha256, c.id
		FROM preuve_versions v JOIN preuves p ON p.id = v.preuve_id JOIN preuve_contenus c ON c.id = v.contenu_id
		WHERE p.id = $1 AND p.structure_id = $2 AND c.structure_id = p.structure_id AND ($3 = 0 OR v.version = $3)
		ORDER BY v.version DESC LIMIT 1`, []any{preuveID, structureID, version},
		&c.VersionID, &c.Version, &c.Nom, &c.Taille, &c.Mime, &c.want, &c.contentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "Fichier introuvable.")
	} else if err != nil {
		return nil, err
	}
	c.SHA256 = hex.EncodeToString(c.want)
	return c, nil
}

// Info implements preuves.File.
func (c *ContentReader) Info() preuves.FileInfo { return c.FileInfo }

// Read implements io.Reader.
func (c *ContentReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.fetch()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// fetch loads the next chunk. The chunk that completes the stored size is
// handed out only once the whole file checks out, so that a corrupt file never
// reaches its end: a client told Content-Length sees a cut transfer.
func (c *ContentReader) fetch() {
	var data []byte
	err := c.store.scanOne(c.ctx, c.tenant, "SELECT data FROM preuve_morceaux WHERE contenu_id = $1 AND seq = $2", []any{c.contentID, c.next}, &data)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		c.err = c.verify() // fewer chunks than the size says
		return
	case err != nil:
		c.err = fmt.Errorf("content %d chunk %d: %w", c.contentID, c.next, err)
		return
	}
	c.next++
	c.read += int64(len(data))
	c.sum.Write(data)
	if c.read < c.Taille {
		c.buf = data
		return
	}
	var more bool
	err = c.store.scanOne(c.ctx, c.tenant, "SELECT EXISTS (SELECT 1 FROM preuve_morceaux WHERE contenu_id = $1 AND seq >= $2)", []any{c.contentID, c.next}, &more)
	switch {
	case err != nil:
		c.err = fmt.Errorf("content %d: %w", c.contentID, err)
	case more:
		c.err = fmt.Errorf("content %d: %w: chunks beyond the %d bytes stored", c.contentID, preuves.ErrCorrupt, c.Taille)
	default:
		c.err = c.verify()
	}
	if c.err == io.EOF {
		c.buf = data
	}
}

// verify compares what was read with what was stored: io.EOF when they match.
func (c *ContentReader) verify() error {
	if got := c.sum.Sum(nil); c.read != c.Taille || !bytes.Equal(got, c.want) {
		return fmt.Errorf("content %d: %w: read %d bytes of SHA-256 %x, stored %d bytes of %x", c.contentID, preuves.ErrCorrupt, c.read, got, c.Taille, c.want)
	}
	return io.EOF
}

// LogDownload records that actor downloaded a version of a piece of the ML
// (versionID 0: no particular version). ENOTFOUND when the piece is not the
// ML's or the version not the piece's.
func (s *Store) LogDownload(ctx context.Context, actor *domain.Actor, structureID, preuveID, versionID int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("LogDownload(%d, %d, %d)", versionID, preuveID, structureID), func(tx *jtx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO preuve_telechargements (preuve_id, version_id, user_id)
			SELECT $1::bigint, $2::bigint, $3::bigint
			WHERE EXISTS (SELECT 1 FROM preuves WHERE id = $1 AND structure_id = $4)
			  AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM preuve_versions WHERE id = $2 AND preuve_id = $1))`,
			preuveID, nullID(versionID), actorID(actor), structureID)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" || err == nil && tag.RowsAffected() == 0 {
			return domain.Errorf(domain.ENOTFOUND, "Fichier introuvable.")
		}
		if err != nil {
			return err
		}
		var label string
		var version int
		if err := tx.QueryRow(ctx, `SELECT p.titre, coalesce(v.version, 0) FROM preuves p LEFT JOIN preuve_versions v ON v.id = $2
			WHERE p.id = $1`, preuveID, nullID(versionID)).Scan(&label, &version); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActPreuveDownloaded, ObjectType: "preuve", ObjectID: journal.ID(preuveID), Label: "« " + label + " »",
			StructureID: structureID, After: journal.JSON(map[string]int{"version": version})})
		return nil
	})
}

// Downloads returns who downloaded a piece of the ML, the latest first;
// ENOTFOUND when the piece is not the ML's.
func (s *Store) Downloads(ctx context.Context, structureID, preuveID int64) (_ []preuves.Download, err error) {
	defer wrap(&err, "Downloads(%d, %d)", structureID, preuveID)
	list, err := checkedCollect(ctx, s, structureID, preuveID, pgx.RowToStructByName[preuves.Download], `
		SELECT coalesce(v.version, 0) AS version, coalesce(nullif(u.nom, ''), u.email, '') AS "by", t.at
		FROM preuve_telechargements t LEFT JOIN preuve_versions v ON v.id = t.version_id LEFT JOIN users u ON u.id = t.user_id
		WHERE t.preuve_id = $1 ORDER BY t.at DESC, t.id DESC`)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// SetStatut records a review decision on a piece of the ML: a refusal needs its
// reason (domain.ValidateMotif). The same decision again is no change.
func (s *Store) SetStatut(ctx context.Context, actor *domain.Actor, structureID, preuveID int64, statut, motif string) error {
	motif = strings.TrimSpace(motif)
	if err := domain.ValidateMotif(statut, motif); err != nil {
		return err
	}
	return s.inTx(ctx, actor, fmt.Sprintf("SetStatut(%d, %d)", preuveID, structureID), func(tx *jtx) error {
		_, oldStatut, oldMotif, err := lockPreuve(ctx, tx, structureID, preuveID)
		if err != nil {
			return err
		}
		if oldStatut == statut && oldMotif == motif {
			return nil
		}
		before, err := tx.rowJSON(ctx, preuveJSON, preuveID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE preuves SET statut = $2, motif = $3, updated_at = now() WHERE id = $1", preuveID, statut, motif); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, "INSERT INTO preuve_statuts (preuve_id, statut, motif, by_user) VALUES ($1, $2, $3, $4)", preuveID, statut, motif, actorID(actor)); err != nil {
			return err
		}
		return journalPreuve(ctx, tx, journal.ActPreuveStatut, structureID, preuveID, withEtatLabel(before, domain.StatutLabel(oldStatut)))
	})
}

// StatutHistory returns the review decisions on a piece of the ML, the latest
// first, from its deposit; ENOTFOUND when the piece is not the ML's.
func (s *Store) StatutHistory(ctx context.Context, structureID, preuveID int64) (_ []preuves.StatutEntry, err error) {
	defer wrap(&err, "StatutHistory(%d, %d)", structureID, preuveID)
	list, err := checkedCollect(ctx, s, structureID, preuveID, pgx.RowToStructByName[preuves.StatutEntry], `
		SELECT h.statut, h.motif, coalesce(nullif(u.nom, ''), u.email, '') AS "by", h.at
		FROM preuve_statuts h LEFT JOIN users u ON u.id = h.by_user
		WHERE h.preuve_id = $1 ORDER BY h.at DESC, h.id DESC`)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// AcknowledgeRGPD records that the person userID acknowledged the RGPD warning
// (domain.RGPDWarning); again keeps the first date.
func (s *Store) AcknowledgeRGPD(ctx context.Context, actor *domain.Actor, userID int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("AcknowledgeRGPD(%d)", userID), func(tx *jtx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO rgpd_acquittements (user_id) VALUES ($1) ON CONFLICT DO NOTHING", userID)
		if err == nil && tag.RowsAffected() == 1 {
			tx.journal(journal.Entry{Action: journal.ActRGPD, ObjectType: "user", ObjectID: journal.ID(userID)})
		}
		return err
	})
}

// RGPDAcknowledged returns when a person acknowledged the RGPD warning, and
// whether they did.
func (s *Store) RGPDAcknowledged(ctx context.Context, userID int64) (_ time.Time, _ bool, err error) {
	defer wrap(&err, "RGPDAcknowledged(%d)", userID)
	var at time.Time
	err = s.pool.QueryRow(ctx, "SELECT acquitte FROM rgpd_acquittements WHERE user_id = $1", userID).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	} else if err != nil {
		return time.Time{}, false, err
	}
	return at, true, nil
}

// SetDocumentsARML sets whether the ML lets its ARML see its documents.
func (s *Store) SetDocumentsARML(ctx context.Context, actor *domain.Actor, structureID int64, allowed bool) error {
	return s.inTx(ctx, actor, fmt.Sprintf("SetDocumentsARML(%d)", structureID), func(tx *jtx) error {
		var before bool
		var nom string
		err := tx.QueryRow(ctx, "SELECT documents_arml, nom FROM structures WHERE id = $1 FOR UPDATE", structureID).Scan(&before, &nom)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Mission Locale introuvable.")
		} else if err != nil || before == allowed {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE structures SET documents_arml = $2, updated_at = now() WHERE id = $1", structureID, allowed); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActPreuvesSettings, ObjectType: "structure", ObjectID: journal.ID(structureID), Label: nom,
			StructureID: structureID, Before: journal.JSON(map[string]bool{"documents_arml": before}), After: journal.JSON(map[string]bool{"documents_arml": allowed})})
		return nil
	})
}

// DocumentsARML reports whether the ML lets its ARML see its documents.
func (s *Store) DocumentsARML(ctx context.Context, structureID int64) (_ bool, err error) {
	defer wrap(&err, "DocumentsARML(%d)", structureID)
	var allowed bool
	err = s.pool.QueryRow(ctx, "SELECT documents_arml FROM structures WHERE id = $1", structureID).Scan(&allowed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, domain.Errorf(domain.ENOTFOUND, "Mission Locale introuvable.")
	} else if err != nil {
		return false, err
	}
	return allowed, nil
}

// UpdateMetadata replaces a piece's metadata under a row lock and records what
// it was and what it became; equal values write nothing. EINVALID (field
// "sites") for sites that are not the ML's; ENOTFOUND when the piece is not the ML's.
func (s *Store) UpdateMetadata(ctx context.Context, actor *domain.Actor, structureID, preuveID int64, m preuves.Metadata) (bool, error) {
	m.SiteIDs = uniqueIDs(m.SiteIDs)
	changed := false
	err := s.inTx(ctx, actor, fmt.Sprintf("UpdateMetadata(%d, %d)", preuveID, structureID), func(tx *jtx) error {
		nature, _, _, err := lockPreuve(ctx, tx, structureID, preuveID)
		if err != nil {
			return err
		}
		journalBefore, err := tx.rowJSON(ctx, preuveJSON, preuveID)
		if err != nil {
			return err
		}
		old, err := scanPreuve(tx.QueryRow(ctx, "SELECT "+preuveColumns+preuveFrom+"WHERE p.id = $1", preuveID))
		if err != nil {
			return err
		}
		before := preuves.MetadataOf(old)
		before.SiteIDs = uniqueIDs(before.SiteIDs)
		if nature != domain.NatureLien {
			m.URL = ""
		}
		if before.Equal(m) {
			return nil
		}
		if err := checkSites(ctx, tx, structureID, m.SiteIDs); err != nil {
			return err
		}
		var url *string
		if nature == domain.NatureLien {
			url = &m.URL
		}
		_, err = tx.Exec(ctx, `UPDATE preuves SET titre = $2, type = $3, date_document = $4, fin_validite = $5, url = $6, updated_at = now()
			WHERE id = $1`, preuveID, m.Titre, m.Type, m.DateDocument, m.FinValidite, url)
		if err != nil {
			return err
		}
		if err := setSites(ctx, tx, preuveID, m.SiteIDs); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO preuve_modifications (preuve_id, structure_id, by_user, avant, apres) VALUES ($1, $2, $3, $4, $5)",
			preuveID, structureID, actorID(actor), before, m)
		if err != nil {
			return err
		}
		changed = true
		return journalPreuve(ctx, tx, journal.ActPreuveUpdated, structureID, preuveID, journalBefore)
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

// Modifications returns the metadata changes of a piece of the ML, the latest
// first; ENOTFOUND when the piece is not the ML's.
func (s *Store) Modifications(ctx context.Context, structureID, preuveID int64) (_ []preuves.Modification, err error) {
	defer wrap(&err, "Modifications(%d, %d)", structureID, preuveID)
	list, err := checkedCollect(ctx, s, structureID, preuveID, pgx.RowToStructByName[preuves.Modification], `
		SELECT coalesce(nullif(u.nom, ''), u.email, '') AS "by", h.at, h.avant, h.apres
		FROM preuve_modifications h LEFT JOIN users u ON u.id = h.by_user
		WHERE h.preuve_id = $1 ORDER BY h.at DESC, h.id DESC`)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// preuveJSON selects a piece of evidence as the journal keeps it, with its
// current version.
const preuveJSON = `SELECT json_build_object('id', p.id, 'nature', p.nature, 'titre', p.titre, 'type', p.type,
	'date_document', p.date_document, 'fin_validite', p.fin_validite, 'url', p.url, 'statut', p.statut, 'motif', p.motif,
	'sites', (SELECT coalesce(json_agg(x.site_id ORDER BY x.site_id), '[]') FROM preuve_sites x WHERE x.preuve_id = p.id),
	'version', (SELECT json_build_object('version', v.version, 'nom', v.nom, 'sha256', encode(c.sha256, 'hex'), 'taille', c.taille)
		FROM preuve_versions v JOIN preuve_contenus c ON c.id = v.contenu_id WHERE v.preuve_id = p.id ORDER BY v.version DESC LIMIT 1))
	FROM preuves p WHERE p.id = $1`

// journalPreuve journals action on a piece of the ML, as it is now, with before.
func journalPreuve(ctx context.Context, tx *jtx, action string, structureID, preuveID int64, before json.RawMessage) error {
	after, err := tx.rowJSON(ctx, preuveJSON, preuveID)
	if err != nil {
		return err
	}
	var titre, statut string
	if err := tx.QueryRow(ctx, "SELECT titre, statut FROM preuves WHERE id = $1", preuveID).Scan(&titre, &statut); err != nil {
		return err
	}
	if action == journal.ActPreuveStatut {
		after = withEtatLabel(after, domain.StatutLabel(statut))
	}
	tx.journal(journal.Entry{Action: action, ObjectType: "preuve", ObjectID: journal.ID(preuveID), Label: "« " + titre + " »",
		StructureID: structureID, Before: before, After: after})
	return nil
}

// journalPreuveIfChanged journals action unless the piece is as it was.
func journalPreuveIfChanged(ctx context.Context, tx *jtx, action string, structureID, preuveID int64, before json.RawMessage) error {
	after, err := tx.rowJSON(ctx, preuveJSON, preuveID)
	if err != nil || string(after) == string(before) {
		return err
	}
	return journalPreuve(ctx, tx, action, structureID, preuveID, before)
}

// journalAttachment journals that a piece was attached to or detached from an item.
func journalAttachment(ctx context.Context, tx *jtx, action string, structureID, preuveID, itemID int64) error {
	var code, titre string
	if err := tx.QueryRow(ctx, "SELECT i.code, p.titre FROM referentiel_items i, preuves p WHERE i.id = $1 AND p.id = $2", itemID, preuveID).
		Scan(&code, &titre); err != nil {
		return err
	}
	link := journal.JSON(map[string]any{"preuve_id": preuveID, "preuve": titre, "item": code})
	e := journal.Entry{Action: action, ObjectType: "preuve", ObjectID: journal.ID(preuveID), Label: code, StructureID: structureID}
	if action == journal.ActPreuveAttached {
		e.After = link
	} else {
		e.Before = link
	}
	tx.journal(e)
	return nil
}
