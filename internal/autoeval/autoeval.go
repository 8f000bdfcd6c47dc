// Package autoeval holds the rules of the self-assessment: who may read, rate,
// submit and organise an ML's auto-évaluation, and what a valid answer is.
package autoeval

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/referentiel"
)

// Service applies the self-assessment rules on the store.
type Service struct {
	store *postgres.Store
}

// NewService returns the self-assessment rules on store.
func NewService(store *postgres.Store) *Service {
	return &Service{store: store}
}

// View is one auto-évaluation as a person may see it.
type View struct {
	Autoeval domain.Autoevaluation
	Ref      *referentiel.Referentiel
	Items    []referentiel.AssessableItem
	Sections []referentiel.Section
	Saved    map[string]domain.SavedCotation
	// Coverage counts the ML's pieces of evidence per item code.
	Coverage map[string]int
	// CanRate: the person may rate, in the sections Allowed reports.
	CanRate bool
	// CanSubmit: the person is the ML's director.
	CanSubmit bool
	// limited is the set of sections a contributor is limited to; nil: all.
	limited map[string]bool
}

// Allowed reports whether the person may rate the items of a section now.
func (v *View) Allowed(section string) bool {
	return v.CanRate && v.Autoeval.Etat.Editable() && (v.limited == nil || v.limited[section])
}

// Item returns the item with that code.
func (v *View) Item(code string) (referentiel.AssessableItem, bool) {
	i := slices.IndexFunc(v.Items, func(it referentiel.AssessableItem) bool { return it.Code == code })
	if i < 0 {
		return referentiel.AssessableItem{}, false
	}
	return v.Items[i], true
}

// Answers returns the answers without their bookkeeping.
func (v *View) Answers() map[string]domain.Cotation { return postgres.Answers(v.Saved) }

// Load returns an auto-évaluation for actor; ENOTFOUND unless they may see it.
func (s *Service) Load(ctx context.Context, actor *domain.Actor, id int64) (*View, error) {
	a, err := s.store.Autoevaluation(ctx, actor.Visible(domain.ActViewAssessment), id)
	if err != nil {
		return nil, err
	}
	ref, err := s.store.ReferentielByID(ctx, a.ReferentielID)
	if err != nil {
		return nil, err
	}
	saved, err := s.store.Cotations(ctx, id)
	if err != nil {
		return nil, err
	}
	coverage, err := s.store.CoverageCounts(ctx, a.StructureID, a.ReferentielID)
	if err != nil {
		return nil, err
	}
	v := &View{Autoeval: a, Ref: ref, Items: ref.Items(), Sections: ref.Sections(), Saved: saved, Coverage: coverage,
		CanRate: actor.Can(domain.ActRate, a.Scope()), CanSubmit: actor.Can(domain.ActSubmit, a.Scope())}
	if v.CanRate && !v.CanSubmit && !actor.Can(domain.ActManageCampaigns, a.Scope()) {
		// A contributor: the director may have limited them to some sections.
		limits, err := s.store.ContributorSections(ctx, a.StructureID)
		if err != nil {
			return nil, err
		}
		for _, m := range actor.Memberships {
			if m.Role == domain.RoleContributeur && m.StructureID == a.StructureID && len(limits[m.ID]) > 0 {
				v.limited = map[string]bool{}
				for _, sec := range limits[m.ID] {
					v.limited[sec] = true
				}
			}
		}
	}
	return v, nil
}

// Save validates and saves answers made on the page the person loaded. Invalid
// answers save nothing (EINVALID with a message per item field); answers changed
// meanwhile by someone else save nothing either (*domain.ConflictError).
func (s *Service) Save(ctx context.Context, actor *domain.Actor, v *View, changes []domain.CotationChange) (int, error) {
	if !v.CanRate {
		return 0, domain.Errorf(domain.EFORBIDDEN, "Votre rôle ne permet pas de coter cette auto-évaluation.")
	}
	if !v.Autoeval.Etat.Editable() {
		return 0, domain.Errorf(domain.ECONFLICT, "L'auto-évaluation est à l'état « %s » : ses cotations ne peuvent plus être modifiées.", v.Autoeval.Etat.Label())
	}
	valeurs := make([]int, 0, len(v.Ref.Echelle.Niveaux))
	for _, n := range v.Ref.Echelle.Niveaux {
		valeurs = append(valeurs, n.Valeur)
	}
	fe := domain.FieldErrors{}
	for i := range changes {
		ch := &changes[i]
		it, ok := v.Item(ch.Code)
		if !ok {
			return 0, domain.Errorf(domain.EINVALID, "L'élément %s n'existe pas dans ce référentiel.", ch.Code)
		}
		if !v.Allowed(referentiel.SectionOf(it)) {
			return 0, domain.Errorf(domain.EFORBIDDEN, "La direction ne vous a pas confié la partie de l'élément %s.", ch.Code)
		}
		ch.Cotation.Normalize()
		if err := ch.Cotation.Validate(ch.Code, it.Imperatif, valeurs); err != nil {
			for k, msg := range domain.ErrorFields(err) {
				fe[k] = msg
			}
		}
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	return s.store.SaveCotations(ctx, v.Autoeval.ID, changes, actor.UserID)
}

// Submit hands the auto-évaluation over (the director only), provided its
// checklist is empty; editing is then locked.
func (s *Service) Submit(ctx context.Context, actor *domain.Actor, v *View, commentaire string) error {
	if !v.CanSubmit {
		return domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale peut soumettre l'auto-évaluation.")
	}
	commentaire = strings.TrimSpace(commentaire)
	return s.store.Transition(ctx, v.Autoeval.ID, domain.TrSubmit, actor.UserID, domain.RoleDirecteur, commentaire,
		func(tx pgx.Tx, etat domain.Etat) (domain.Etat, error) {
			next, err := domain.Next(etat, domain.TrSubmit, domain.RoleDirecteur, commentaire)
			if err != nil {
				return etat, err
			}
			answers, err := postgres.CotationsTx(ctx, tx, v.Autoeval.ID)
			if err != nil {
				return etat, err
			}
			if left := domain.SubmissionChecklist(v.Items, answers); len(left) > 0 {
				return etat, domain.Errorf(domain.EINVALID, "L'auto-évaluation ne peut pas être soumise : %d élément(s) restent à compléter (voir la liste).", len(left))
			}
			return next, nil
		})
}

// CopyPrevious copies, into items not yet answered, the ML's answers of its
// previous campaign where the item codes match (the director only). Answers that
// the current référentiel no longer accepts are left out. It returns how many
// answers were copied.
func (s *Service) CopyPrevious(ctx context.Context, actor *domain.Actor, v *View) (int, error) {
	if !v.CanSubmit {
		return 0, domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale peut reprendre les réponses précédentes.")
	}
	prev, err := s.store.PreviousAutoevaluation(ctx, v.Autoeval.ID)
	if err != nil {
		return 0, err
	}
	old, err := s.store.Cotations(ctx, prev.ID)
	if err != nil {
		return 0, err
	}
	valeurs := make([]int, 0, len(v.Ref.Echelle.Niveaux))
	for _, n := range v.Ref.Echelle.Niveaux {
		valeurs = append(valeurs, n.Valeur)
	}
	var changes []domain.CotationChange
	for _, it := range v.Items {
		cur, was := v.Saved[it.Code], old[it.Code]
		if cur.Rated() || !was.Rated() {
			continue
		}
		if was.Cotation.Validate(it.Code, it.Imperatif, valeurs) != nil {
			continue
		}
		changes = append(changes, domain.CotationChange{Code: it.Code, Cotation: was.Cotation, BaseVersion: cur.Version})
	}
	if len(changes) == 0 {
		return 0, nil
	}
	return s.Save(ctx, actor, v, changes)
}

// History returns the changes of one item's answer.
func (s *Service) History(ctx context.Context, v *View, code string) ([]domain.HistoryEntry, error) {
	if _, ok := v.Item(code); !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "Élément introuvable.")
	}
	return s.store.CotationHistory(ctx, v.Autoeval.ID, code)
}

// SetSections limits a contributor of the ML to some sections (the director only);
// none means every section.
func (s *Service) SetSections(ctx context.Context, v *View, membershipID int64, sections []string) error {
	if !v.CanSubmit {
		return domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale peut répartir le travail.")
	}
	for _, sec := range sections {
		if !slices.ContainsFunc(v.Sections, func(x referentiel.Section) bool { return x.Code == sec }) {
			return domain.Errorf(domain.EINVALID, "La partie %s n'existe pas dans ce référentiel.", sec)
		}
	}
	return s.store.SetContributorSections(ctx, v.Autoeval.StructureID, membershipID, sections)
}
