package demarche

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/migrations"
)

// TestStateMachine tries every transition from every state with every role: only
// the transitions of DESIGN.md §4 pass, each only for its roles.
func TestStateMachine(t *testing.T) {
	t.Parallel()
	allowed := map[Transition]struct {
		from  []Etat
		to    Etat
		roles []domain.Role
	}{
		Soumettre:               {[]Etat{EnCours}, Soumise, []domain.Role{domain.RoleDirecteur}},
		RendreAvis:              {[]Etat{Soumise}, AvisRendu, []domain.Role{domain.RoleReferentARML}},
		AffecterAudit:           {[]Etat{AvisRendu}, EnAudit, []domain.Role{domain.RolePole}},
		Renvoyer:                {[]Etat{Soumise, AvisRendu, EnAudit}, EnCours, []domain.Role{domain.RoleReferentARML, domain.RolePole}},
		RendreRapport:           {[]Etat{EnAudit}, RapportProvisoire, []domain.Role{domain.RoleAuditeur}},
		TransmettreObservations: {[]Etat{RapportProvisoire}, RapportDefinitif, []domain.Role{domain.RoleDirecteur}},
		Decider:                 {[]Etat{RapportDefinitif}, Decidee, []domain.Role{domain.RolePole}},
		AffecterSansAvis:        {[]Etat{Soumise}, EnAudit, []domain.Role{domain.RolePole}},
		EmettreDefinitif:        {[]Etat{RapportProvisoire}, RapportDefinitif, []domain.Role{domain.RoleAuditeur}},
	}
	in := func(list []Etat, e Etat) bool {
		for _, x := range list {
			if x == e {
				return true
			}
		}
		return false
	}
	hasRole := func(list []domain.Role, r domain.Role) bool {
		for _, x := range list {
			if x == r {
				return true
			}
		}
		return false
	}
	passed := 0
	for tr, rule := range allowed {
		for _, from := range Etats {
			for _, role := range domain.Roles {
				next, err := Next(from, tr, role, "motifs")
				switch {
				case !in(rule.from, from):
					if domain.ErrorCode(err) != domain.ECONFLICT || next != from {
						t.Errorf("%s from %s by %s: (%s, %v), want refused with domain.ECONFLICT", tr, from, role, next, err)
					}
				case !hasRole(rule.roles, role):
					if domain.ErrorCode(err) != domain.EFORBIDDEN || next != from {
						t.Errorf("%s from %s by %s: (%s, %v), want refused with domain.EFORBIDDEN", tr, from, role, next, err)
					}
				default:
					if err != nil || next != rule.to {
						t.Errorf("%s from %s by %s: (%s, %v), want %s", tr, from, role, next, err, rule.to)
					}
					passed++
				}
				if err != nil && domain.ErrorMessage(err) == "Erreur interne." {
					t.Errorf("%s from %s by %s: refusal without a French message", tr, from, role)
				}
			}
		}
	}
	// submit 1 + avis 1 + assign 1 + return 3×2 + report 1 + observations 1 + decide 1
	// + assign without avis 1 + final report 1
	if passed != 14 {
		t.Errorf("%d transitions allowed, want 14", passed)
	}
	if _, err := Next(EnCours, Transition("teleport"), domain.RolePole, ""); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("unknown transition: %v", err)
	}
}

func TestTransitionsThatNeedReasons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tr   Transition
		from Etat
		role domain.Role
	}{{Renvoyer, Soumise, domain.RoleReferentARML}, {Decider, RapportDefinitif, domain.RolePole}} {
		if _, err := Next(tc.from, tc.tr, tc.role, "  "); domain.ErrorFields(err)["commentaire"] == "" {
			t.Errorf("%s without reasons: %v, want a field error on commentaire", tc.tr, err)
		}
		if _, err := Next(tc.from, tc.tr, tc.role, "Preuves manquantes sur F2."); err != nil {
			t.Errorf("%s with reasons: %v", tc.tr, err)
		}
	}
	if _, err := Next(EnCours, Soumettre, domain.RoleDirecteur, ""); err != nil {
		t.Errorf("submit needs no comment: %v", err)
	}
	if !EnCours.Editable() || Soumise.Editable() || Decidee.Editable() {
		t.Error("only « en cours » is editable")
	}
}

// TestStoredNamesAreTheDatabases: every state and transition is stored as a
// French word the database accepts (its CHECK constraints), and has a label.
func TestStoredNamesAreTheDatabases(t *testing.T) {
	t.Parallel()
	schema, err := fs.ReadFile(migrations.FS, "0004_campagnes.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.ReadFile(migrations.FS, "0007_demarche.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	// The audit's steps (0013) widen the CHECK of 0007.
	audit, err := fs.ReadFile(migrations.FS, "0013_audit.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, audit...)
	// Later migrations widen the CHECK of 0007 with their transitions.
	later, err := fs.ReadFile(migrations.FS, "0014_plan_commission.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, later...)
	word := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, e := range Etats {
		if !word.MatchString(string(e)) || !strings.Contains(string(schema), "'"+string(e)+"'") || e.Label() == string(e) {
			t.Errorf("state %q: not a stored word of the schema, or no label", e)
		}
	}
	for tr := range steps {
		if !word.MatchString(string(tr)) || !strings.Contains(string(names), "'"+string(tr)+"'") || tr.Label() == string(tr) {
			t.Errorf("transition %q: not a stored word of migrations 0007 or 0013, or no label", tr)
		}
	}
}

// TestReviewTransitions spells out the regional review's steps: the avis
// régional moves a submitted dossier on, a return sends it back en cours with
// reasons; every other state and role is refused.
func TestReviewTransitions(t *testing.T) {
	t.Parallel()
	type tc struct {
		tr     Transition
		from   Etat
		role   domain.Role
		reason string
		to     Etat
		code   string
	}
	cases := []tc{
		{RendreAvis, Soumise, domain.RoleReferentARML, "", AvisRendu, ""},
		{Renvoyer, Soumise, domain.RoleReferentARML, "Compléter F2", EnCours, ""},
		{Renvoyer, Soumise, domain.RolePole, "Compléter F2", EnCours, ""},
		{Renvoyer, AvisRendu, domain.RoleReferentARML, "Preuves", EnCours, ""},
		{Renvoyer, Soumise, domain.RoleReferentARML, " ", Soumise, domain.EINVALID},
	}
	for _, role := range domain.Roles {
		if role != domain.RoleReferentARML {
			cases = append(cases, tc{RendreAvis, Soumise, role, "", Soumise, domain.EFORBIDDEN})
		}
		if role != domain.RoleReferentARML && role != domain.RolePole {
			cases = append(cases, tc{Renvoyer, Soumise, role, "motif", Soumise, domain.EFORBIDDEN})
		}
	}
	for _, e := range Etats {
		if e != Soumise {
			cases = append(cases, tc{RendreAvis, e, domain.RoleReferentARML, "", e, domain.ECONFLICT})
		}
		if e != Soumise && e != AvisRendu && e != EnAudit {
			cases = append(cases, tc{Renvoyer, e, domain.RoleReferentARML, "motif", e, domain.ECONFLICT})
		}
	}
	for _, c := range cases {
		next, err := Next(c.from, c.tr, c.role, c.reason)
		if domain.ErrorCode(err) != c.code || next != c.to {
			t.Errorf("%s from %s by %s: (%s, %v), want (%s, %q)", c.tr, c.from, c.role, next, err, c.to, c.code)
		}
	}
}

// TestAuditTransitions spells out every step from « avis régional rendu » to
// « rapport définitif », allowed and refused, per role: the Pôle assigns (from
// a submitted dossier only with a reason), the pair issues the provisional
// then the final report; nothing else passes.
func TestAuditTransitions(t *testing.T) {
	t.Parallel()
	type tc struct {
		tr     Transition
		from   Etat
		role   domain.Role
		reason string
		to     Etat
		code   string
	}
	cases := []tc{
		{AffecterAudit, AvisRendu, domain.RolePole, "", EnAudit, ""},
		{AffecterSansAvis, Soumise, domain.RolePole, "Pas de référent ARML cette année", EnAudit, ""},
		{AffecterSansAvis, Soumise, domain.RolePole, " ", Soumise, domain.EINVALID},
		{AffecterSansAvis, AvisRendu, domain.RolePole, "motif", AvisRendu, domain.ECONFLICT},
		{RendreRapport, EnAudit, domain.RoleAuditeur, "", RapportProvisoire, ""},
		{EmettreDefinitif, RapportProvisoire, domain.RoleAuditeur, "", RapportDefinitif, ""},
		{EmettreDefinitif, EnAudit, domain.RoleAuditeur, "", EnAudit, domain.ECONFLICT},
		{RendreRapport, RapportProvisoire, domain.RoleAuditeur, "", RapportProvisoire, domain.ECONFLICT},
		{AffecterAudit, EnAudit, domain.RolePole, "", EnAudit, domain.ECONFLICT},
	}
	for _, role := range domain.Roles {
		if role != domain.RolePole {
			cases = append(cases, tc{AffecterAudit, AvisRendu, role, "", AvisRendu, domain.EFORBIDDEN},
				tc{AffecterSansAvis, Soumise, role, "motif", Soumise, domain.EFORBIDDEN})
		}
		if role != domain.RoleAuditeur {
			cases = append(cases, tc{RendreRapport, EnAudit, role, "", EnAudit, domain.EFORBIDDEN},
				tc{EmettreDefinitif, RapportProvisoire, role, "", RapportProvisoire, domain.EFORBIDDEN})
		}
	}
	for _, e := range []Etat{RapportDefinitif, Decidee} {
		for _, tr := range []Transition{AffecterAudit, AffecterSansAvis, RendreRapport, EmettreDefinitif, Renvoyer} {
			cases = append(cases, tc{tr, e, domain.RolePole, "motif", e, domain.ECONFLICT})
		}
	}
	for _, c := range cases {
		next, err := Next(c.from, c.tr, c.role, c.reason)
		if domain.ErrorCode(err) != c.code || next != c.to {
			t.Errorf("%s from %s by %s: (%s, %v), want (%s, %q)", c.tr, c.from, c.role, next, err, c.to, c.code)
		}
	}
}
