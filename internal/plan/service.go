package plan

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/domain"
)

// Store is what the plan needs of storage. Methods scoped to an ML take its
// structure id first and find nothing (ENOTFOUND) outside it; writes take the
// actor for the journal and run as one change. Other failures are internal.
type Store interface {
	// Structure returns an ML; ENOTFOUND unless v covers it.
	Structure(ctx context.Context, v domain.Visibility, id int64) (domain.Structure, error)
	// Region returns a région; ENOTFOUND unless v covers it.
	Region(ctx context.Context, v domain.Visibility, id int64) (domain.Region, error)
	// PlanActions returns the actions of the ML's plan, by due date.
	PlanActions(ctx context.Context, structureID int64) ([]Action, error)
	// PlanActionsOfRegion returns the actions of the plans of a région's MLs,
	// by ML and due date.
	PlanActionsOfRegion(ctx context.Context, regionID int64) ([]Action, error)
	// PlanAction returns one action with its items; ENOTFOUND unless v covers its ML.
	PlanAction(ctx context.Context, v domain.Visibility, id int64) (Action, error)
	// PlanHistorique returns the history of an action of the ML, oldest first.
	PlanHistorique(ctx context.Context, structureID, actionID int64) ([]Evenement, error)
	// Pilotes returns the people of the ML (directors and contributors) who may pilot an action.
	Pilotes(ctx context.Context, structureID int64) ([]Personne, error)
	// PreuveChoix returns the ML's pieces of evidence, by title, as proofs to choose from.
	PreuveChoix(ctx context.Context, structureID int64) ([]Choix, error)
	// ConstatSource returns the finding of an audit of the ML that an action
	// answers; ENOTFOUND unless it is one of the ML's findings.
	ConstatSource(ctx context.Context, structureID, constatID int64) (Source, error)
	// Remarque returns the référent's remark on an item of an auto-évaluation
	// of the ML ("" when none).
	Remarque(ctx context.Context, structureID, autoevalID int64, code string) (string, error)
	// CreatePlanAction records a new action à engager in a.StructureID's plan
	// and its history, by actor holding role; EINVALID (per field) when the
	// pilote is not one of the ML's people, an item code is in no référentiel,
	// or the auto-évaluation is not the ML's.
	CreatePlanAction(ctx context.Context, actor *domain.Actor, role domain.Role, a Action) (int64, error)
	// ChangePlanStatut changes the status of an action of the ML under a row
	// lock: decide gets the current status and returns the refusal, returned as
	// is; ECONFLICT when the action changed since c.BaseVersion; EINVALID (on
	// preuve) when the proof is not one of the ML's pieces.
	ChangePlanStatut(ctx context.Context, actor *domain.Actor, role domain.Role, structureID, actionID int64, c Changement, decide func(Statut) error) error
	// CommentPlanAction adds a comment to an action's history.
	CommentPlanAction(ctx context.Context, actor *domain.Actor, role domain.Role, structureID, actionID int64, texte string) error
}

// Personne is someone of an ML.
type Personne struct {
	ID  int64
	Nom string
}

// Choix is an object to choose from a list.
type Choix struct {
	ID    int64
	Titre string
}

// Service applies the plan's rules on the store.
type Service struct {
	store Store
	// Now is the clock; its calendar day is "today" for due dates.
	Now func() time.Time
}

// NewService returns the plan on store.
func NewService(store Store) *Service { return &Service{store: store, Now: time.Now} }

// Plan is an ML's plan as a person may see it.
type Plan struct {
	Structure domain.Structure
	Actions   []Action
	// CanManage: the person may create actions and change their status.
	CanManage bool
	Today     time.Time
}

// Overdue returns the plan's overdue actions.
func (p *Plan) Overdue() []Action {
	var out []Action
	for _, a := range p.Actions {
		if a.Overdue(p.Today) {
			out = append(out, a)
		}
	}
	return out
}

// ErrMayNotManage refuses a change of the plan to anyone but the ML's director (EFORBIDDEN).
var ErrMayNotManage = domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale modifie son plan d'amélioration.")

// Structure returns an ML whose plan actor may see; ENOTFOUND otherwise.
func (s *Service) Structure(ctx context.Context, actor *domain.Actor, id int64) (domain.Structure, error) {
	return s.store.Structure(ctx, actor.Visible(domain.ActViewPlan), id)
}

// Plan returns the plan of an ML loaded by Structure.
func (s *Service) Plan(ctx context.Context, actor *domain.Actor, st domain.Structure) (*Plan, error) {
	sc := domain.Scope{RegionID: st.RegionID, StructureID: st.ID}
	if !actor.Can(domain.ActViewPlan, sc) {
		return nil, domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	list, err := s.store.PlanActions(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	return &Plan{Structure: st, Actions: list, CanManage: actor.Can(domain.ActManagePlan, sc), Today: s.Now()}, nil
}

// RegionPlans is the plans of a région's MLs, for its référent.
type RegionPlans struct {
	Region  domain.Region
	Actions []Action
	Today   time.Time
}

// Region returns a région whose plans actor may follow; ENOTFOUND otherwise.
func (s *Service) Region(ctx context.Context, actor *domain.Actor, id int64) (domain.Region, error) {
	reg, err := s.store.Region(ctx, actor.Visible(domain.ActViewPlan), id)
	if err != nil {
		return reg, err
	}
	if !actor.Can(domain.ActViewPlan, domain.Scope{RegionID: id, StructureID: -1}) {
		return domain.Region{}, domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	return reg, nil
}

// RegionPlans returns the actions of the plans of a région loaded by Region.
func (s *Service) RegionPlans(ctx context.Context, reg domain.Region) (*RegionPlans, error) {
	list, err := s.store.PlanActionsOfRegion(ctx, reg.ID)
	if err != nil {
		return nil, err
	}
	return &RegionPlans{Region: reg, Actions: list, Today: s.Now()}, nil
}

// Fiche is one action as a person may see it.
type Fiche struct {
	Action     Action
	Historique []Evenement
	CanManage  bool
	CanComment bool
	Today      time.Time
}

// Scope locates the action for the policy.
func (a Action) Scope() domain.Scope {
	return domain.Scope{RegionID: a.RegionID, StructureID: a.StructureID}
}

// Action returns an action actor may see; ENOTFOUND otherwise.
func (s *Service) Action(ctx context.Context, actor *domain.Actor, id int64) (Action, error) {
	return s.store.PlanAction(ctx, actor.Visible(domain.ActViewPlan), id)
}

// Fiche completes an action loaded by Action with its history.
func (s *Service) Fiche(ctx context.Context, actor *domain.Actor, a Action) (*Fiche, error) {
	h, err := s.store.PlanHistorique(ctx, a.StructureID, a.ID)
	if err != nil {
		return nil, err
	}
	return &Fiche{Action: a, Historique: h, CanManage: actor.Can(domain.ActManagePlan, a.Scope()),
		CanComment: actor.Can(domain.ActCommentPlan, a.Scope()), Today: s.Now()}, nil
}

// Choices returns what the forms of an ML's plan offer: its people, its pieces of evidence.
func (s *Service) Choices(ctx context.Context, structureID int64) ([]Personne, []Choix, error) {
	p, err := s.store.Pilotes(ctx, structureID)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.store.PreuveChoix(ctx, structureID)
	return p, c, err
}

// Source is an audit's finding as the action answering it shows it.
type Source struct {
	Nature string // its kind, in French ("Écart mineur")
	Texte  string
	Items  []string // the item codes it concerns
}

// Origin is where a new action comes from, as its page's query says.
type Origin struct {
	Item           string // an item of the self-assessment (or of the remark)
	Autoevaluation int64  // the auto-évaluation of the item
	Revue          int64  // an auto-évaluation whose regional remark on Item the action answers
	Constat        int64  // a finding of the audit
}

// Prefill returns a new action of st's plan pre-filled from its origin: a
// finding (its kind, text and items), a regional remark (its text) or an item
// of the self-assessment. ENOTFOUND when the finding is not one of the ML's.
func (s *Service) Prefill(ctx context.Context, st domain.Structure, o Origin) (Action, error) {
	a := Action{StructureID: st.ID, Priorite: Moyenne, Origine: OrigineAutoeval, AutoevaluationID: o.Autoevaluation}
	if o.Item != "" {
		a.Items = []string{o.Item}
	}
	switch {
	case o.Constat > 0:
		a.Origine, a.ConstatID, a.AutoevaluationID = OrigineConstat, o.Constat, 0
		c, err := s.store.ConstatSource(ctx, st.ID, o.Constat)
		if err != nil {
			return a, err
		}
		a.Titre = "Répondre au constat d'audit (" + strings.ToLower(c.Nature) + ") : " + court(c.Texte, 120)
		a.Description, a.Items = c.Texte, c.Items
	case o.Revue > 0:
		a.Origine, a.AutoevaluationID = OrigineAvis, o.Revue
		a.Titre = "Répondre à la remarque régionale sur " + o.Item
		text, err := s.store.Remarque(ctx, st.ID, o.Revue, o.Item)
		if err != nil {
			return a, err
		}
		a.Description = text
	case o.Item != "":
		a.Titre = "Améliorer l'élément " + o.Item
	}
	return a, nil
}

// Create validates and records a new action in the plan of st. EFORBIDDEN
// unless actor manages the ML's plan; EINVALID per field otherwise.
func (s *Service) Create(ctx context.Context, actor *domain.Actor, st domain.Structure, a Action) (int64, error) {
	sc := domain.Scope{RegionID: st.RegionID, StructureID: st.ID}
	if !actor.Can(domain.ActManagePlan, sc) {
		return 0, ErrMayNotManage
	}
	a.StructureID = st.ID
	a.Normalize()
	if err := a.Validate(); err != nil {
		return 0, err
	}
	return s.store.CreatePlanAction(ctx, actor, roleOn(actor, domain.ActManagePlan, sc), a)
}

// ChangeStatut moves an action to a new status (see Changement.Apply).
// EFORBIDDEN unless actor manages the ML's plan.
func (s *Service) ChangeStatut(ctx context.Context, actor *domain.Actor, a Action, c Changement) error {
	if !actor.Can(domain.ActManagePlan, a.Scope()) {
		return ErrMayNotManage
	}
	c.Motif, c.Commentaire = strings.TrimSpace(c.Motif), strings.TrimSpace(c.Commentaire)
	today := s.Now()
	if err := c.Apply(a.Statut, today); err != nil {
		return err
	}
	return s.store.ChangePlanStatut(ctx, actor, roleOn(actor, domain.ActManagePlan, a.Scope()), a.StructureID, a.ID, c,
		func(current Statut) error { return c.Apply(current, today) })
}

// Comment adds a comment to an action's history. EFORBIDDEN unless actor may
// comment (the director, the région's référent, the Pôle); EINVALID when empty
// or too long.
func (s *Service) Comment(ctx context.Context, actor *domain.Actor, a Action, texte string) error {
	if !actor.Can(domain.ActCommentPlan, a.Scope()) {
		return domain.Errorf(domain.EFORBIDDEN, "Vous ne pouvez pas commenter cette action.")
	}
	texte = strings.TrimSpace(texte)
	switch {
	case texte == "":
		return domain.FieldErrors{"commentaire": "Écrivez le commentaire."}.Err()
	case utf8.RuneCountInString(texte) > domain.MaxCommentRunes:
		return domain.FieldErrors{"commentaire": "Ce texte est trop long (5 000 caractères au plus)."}.Err()
	}
	return s.store.CommentPlanAction(ctx, actor, roleOn(actor, domain.ActCommentPlan, a.Scope()), a.StructureID, a.ID, texte)
}

// roleOn returns the role through which actor may do act at sc, for the history.
func roleOn(actor *domain.Actor, act domain.Action, sc domain.Scope) domain.Role {
	for _, m := range actor.Memberships {
		one := domain.Actor{Memberships: []domain.Membership{m}}
		if one.Can(act, sc) {
			return m.Role
		}
	}
	return ""
}

// court cuts s, its spaces made single, to at most n runes, on a word, with an ellipsis.
func court(s string, n int) string { return domain.Shorten(strings.Join(strings.Fields(s), " "), n) }
