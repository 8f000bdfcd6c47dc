package pgtest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// integrityChecks are the invariants no crash, restore or bug may break, each a
// query listing the offending rows (one text column). They read every row, so
// pool must see past row-level security (Admin, or AdminURL).
var integrityChecks = []struct{ name, sql string }{
	{"content whose chunks do not hash to its SHA-256 or size", `
		SELECT c.id::text FROM preuve_contenus c
		LEFT JOIN LATERAL (SELECT string_agg(m.data, ''::bytea ORDER BY m.seq) AS data, count(*) AS n, max(m.seq) AS last
		                   FROM preuve_morceaux m WHERE m.contenu_id = c.id) x ON true
		WHERE sha256(coalesce(x.data, ''::bytea)) <> c.sha256 OR coalesce(length(x.data), 0) <> c.taille
		   OR (x.n > 0 AND x.last <> x.n - 1)`},
	{"orphan content (no version refers to it)", `
		SELECT c.id::text FROM preuve_contenus c
		WHERE NOT EXISTS (SELECT 1 FROM preuve_versions v WHERE v.contenu_id = c.id)`},
	{"file piece without a version", `
		SELECT p.id::text FROM preuves p
		WHERE p.nature = 'fichier' AND NOT EXISTS (SELECT 1 FROM preuve_versions v WHERE v.preuve_id = p.id)`},
	{"version whose content is another ML's", `
		SELECT v.id::text FROM preuve_versions v JOIN preuves p ON p.id = v.preuve_id JOIN preuve_contenus c ON c.id = v.contenu_id
		WHERE c.structure_id <> p.structure_id OR v.structure_id <> p.structure_id`},
	{"rating without its history row", `
		SELECT c.autoevaluation_id || '/' || c.item_id FROM cotations c
		WHERE NOT EXISTS (SELECT 1 FROM cotation_historique h
		                  WHERE h.autoevaluation_id = c.autoevaluation_id AND h.item_id = c.item_id AND h.version = c.version)`},
	{"history row without its rating", `
		SELECT h.id::text FROM cotation_historique h
		WHERE NOT EXISTS (SELECT 1 FROM cotations c
		                  WHERE c.autoevaluation_id = h.autoevaluation_id AND c.item_id = h.item_id AND c.version >= h.version)`},
	{"child row whose structure_id is not its parent's", `
		SELECT 'cotation ' || c.autoevaluation_id FROM cotations c JOIN autoevaluations a ON a.id = c.autoevaluation_id WHERE c.structure_id <> a.structure_id
		UNION ALL SELECT 'chunk ' || m.contenu_id FROM preuve_morceaux m JOIN preuve_contenus c ON c.id = m.contenu_id WHERE m.structure_id <> c.structure_id`},
}

// Integrity lists what breaks the database's invariants, as "problem: ids";
// nothing when all hold.
func Integrity(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	var problems []string
	for _, c := range integrityChecks {
		rows, _ := pool.Query(ctx, c.sql)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("integrity: %s: %w", c.name, err)
		}
		if len(ids) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %v", c.name, ids))
		}
	}
	return problems, nil
}
