package demarche

import (
	"testing"

	"github.com/unml/cadre/internal/domain"
)

// TestRepresenter: only the Pôle puts a decided dossier back to rapport
// définitif, with its reasons; from any other state it is refused.
func TestRepresenter(t *testing.T) {
	t.Parallel()
	for _, from := range Etats {
		for _, role := range domain.Roles {
			next, err := Next(from, Representer, role, "Conditions remplies : procédure d'accueil adoptée.")
			switch {
			case from != Decidee:
				if domain.ErrorCode(err) != domain.ECONFLICT || next != from {
					t.Errorf("from %s by %s: (%s, %v), want ECONFLICT", from, role, next, err)
				}
			case role != domain.RolePole:
				if domain.ErrorCode(err) != domain.EFORBIDDEN {
					t.Errorf("by %s: %v, want EFORBIDDEN", role, err)
				}
			case err != nil || next != RapportDefinitif:
				t.Errorf("by the Pôle: (%s, %v), want rapport définitif", next, err)
			}
		}
	}
	if _, err := Next(Decidee, Representer, domain.RolePole, " "); domain.ErrorFields(err)["commentaire"] == "" {
		t.Errorf("without reasons: %v, want a field error", err)
	}
}
