package audit

import (
	"context"
	"fmt"
	"strings"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
)

// Plan tells how an ML's plan d'amélioration covers an audit's findings and items.
type Plan interface {
	// Couverture returns the number of actions, not abandoned, of ML structureID's plan
	// linked to each given constat id and to each given item code.
	Couverture(ctx context.Context, structureID int64, constatIDs []int64, itemCodes []string) (parConstat map[int64]int, parItem map[string]int, err error)
}

// Lien is a membership, held now or before, of a person in an ML or an ARML.
type Lien struct {
	Role     domain.Role
	ScopeNom string
	Passe    bool // the membership ended
}

// ErrConflit refuses an auditor who holds or held a membership in the ML or in
// an ML or ARML of its région, naming them. field is the form's field.
func errConflit(field, nom string, liens []Lien) error {
	if len(liens) == 0 {
		return nil
	}
	var parts []string
	for _, l := range liens {
		verbe := "est"
		if l.Passe {
			verbe = "a été"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", verbe, l.Role.Label(), l.ScopeNom))
	}
	return domain.FieldErrors{field: fmt.Sprintf("%s ne peut pas auditer cette Mission Locale : il·elle %s, dans sa région.", nom, strings.Join(parts, ", "))}.Err()
}

// PlanRequis lists what the final report waits for: the écarts without an
// action in the plan, and the impératif items the audit rated below the top
// of the scale without one.
type PlanRequis struct {
	Constats []int64
	Items    []string
}

// planRequis returns what needs an action in the plan: every écart, and every
// impératif item whose audit rating is below the scale's top.
func planRequis(constats []Constat, notes map[string]SavedNote, items []referentiel.AssessableItem, top int) PlanRequis {
	var r PlanRequis
	for _, c := range constats {
		if c.Nature.Ecart() {
			r.Constats = append(r.Constats, c.ID)
		}
	}
	for _, it := range items {
		if n, ok := notes[it.Code]; ok && it.Imperatif && n.Valeur != 0 && n.Valeur < top {
			r.Items = append(r.Items, it.Code)
		}
	}
	return r
}

// checkPlan refuses the final report (ECONFLICT) while something planRequis
// lists has no action, naming each.
func checkPlan(constats []Constat, req PlanRequis, parConstat map[int64]int, parItem map[string]int) error {
	var missing []string
	for i, c := range constats {
		if c.Nature.Ecart() && parConstat[c.ID] == 0 {
			missing = append(missing, fmt.Sprintf("le constat n° %d (%s, « %s »)", i+1, strings.ToLower(c.Nature.Label()), court(c.Texte, 60)))
		}
	}
	for _, code := range req.Items {
		if parItem[code] == 0 {
			missing = append(missing, "l'élément impératif "+code+" coté sous le haut de l'échelle")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return domain.Errorf(domain.ECONFLICT, "Le rapport définitif ne peut pas être émis : aucune action du plan d'amélioration ne couvre %s.", strings.Join(missing, " ; "))
}

// court cuts s to n characters with an ellipsis.
func court(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
