package postgres

import (
	"context"

	"github.com/unml/cadre/internal/audit"
)

var _ audit.Plan = (*Store)(nil)

// Couverture is a placeholder until the plan d'amélioration lands: no ML has
// an action yet, so every écart, and every impératif item the audit rated
// below the top, holds the final report back. The lead replaces this file
// with the plan's query at merge.
func (s *Store) Couverture(ctx context.Context, structureID int64, constatIDs []int64, itemCodes []string) (parConstat map[int64]int, parItem map[string]int, err error) {
	return map[int64]int{}, map[string]int{}, nil
}
