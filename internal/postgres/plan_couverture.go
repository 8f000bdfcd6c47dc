package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Couverture returns the number of actions, not abandoned, of ML structureID's plan linked to
// each given constat id and to each given item code.
//
// It is the audit's Plan: audit.Service.RendreDefinitif refuses the final
// report while an écart or an impératif item rated below the top counts 0.
// Ids and codes without an action are in the maps with 0.
func (s *Store) Couverture(ctx context.Context, structureID int64, constatIDs []int64, itemCodes []string) (parConstat map[int64]int, parItem map[string]int, err error) {
	defer wrap(&err, "Couverture(%d)", structureID)
	parConstat, parItem = make(map[int64]int, len(constatIDs)), make(map[string]int, len(itemCodes))
	for _, id := range constatIDs {
		parConstat[id] = 0
	}
	for _, c := range itemCodes {
		parItem[c] = 0
	}
	if itemCodes == nil {
		itemCodes = []string{}
	}
	var id int64
	var code string
	var n int
	err = s.queries(ctx, structureTenant(structureID),
		scan{`SELECT a.constat_id, count(*)::int FROM plan_actions a
		WHERE a.structure_id = $1 AND a.statut <> 'abandonnee' AND a.constat_id = ANY($2::bigint[]) GROUP BY a.constat_id`,
			[]any{structureID, nonNilIDs(constatIDs)}, func(rows pgx.Rows) error {
				_, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { parConstat[id] = n; return nil })
				return err
			}},
		scan{`SELECT i.item_code, count(DISTINCT a.id)::int FROM plan_actions a JOIN plan_action_items i ON i.action_id = a.id
		WHERE a.structure_id = $1 AND a.statut <> 'abandonnee' AND i.item_code = ANY($2::text[]) GROUP BY i.item_code`,
			[]any{structureID, itemCodes}, func(rows pgx.Rows) error {
				_, err := pgx.ForEachRow(rows, []any{&code, &n}, func() error { parItem[code] = n; return nil })
				return err
			}})
	if err != nil {
		return nil, nil, err
	}
	return parConstat, parItem, nil
}
