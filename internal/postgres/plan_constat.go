package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/plan"
)

// ConstatSource returns a finding of an audit of the ML, as the plan's action
// answering it shows it; ENOTFOUND unless it is one of the ML's findings.
func (s *Store) ConstatSource(ctx context.Context, structureID, constatID int64) (src plan.Source, err error) {
	defer wrap(&err, "ConstatSource(%d, %d)", structureID, constatID)
	var nature string
	err = s.scanOne(ctx, structureTenant(structureID), `
		SELECT nature, texte, item_codes FROM audit_constats WHERE structure_id = $1 AND id = $2`,
		[]any{structureID, constatID}, &nature, &src.Texte, &src.Items)
	if errors.Is(err, pgx.ErrNoRows) {
		return src, domain.Errorf(domain.ENOTFOUND, "Constat introuvable.")
	}
	src.Nature = audit.NatureConstat(nature).Label()
	return src, err
}
