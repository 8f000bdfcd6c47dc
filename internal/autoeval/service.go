package autoeval

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
)

// Store is what the self-assessment needs of storage. Every method scoped to an
// ML takes its structure id first and finds nothing (ENOTFOUND) outside it;
// writes take the actor (nil: the system) for the journal. Other failures are
// internal errors.
type Store interface {
	// Autoevaluation returns one auto-évaluation; ENOTFOUND unless v covers its ML.
	Autoevaluation(ctx context.Context, v domain.Visibility, id int64) (Autoevaluation, error)
	// Autoevaluations lists the auto-évaluations v covers, the latest campaigns first.
	Autoevaluations(ctx context.Context, v domain.Visibility) ([]Autoevaluation, error)
	// PreviousAutoevaluation returns the ML's auto-évaluation of the campaign
	// closing before this one's; ENOTFOUND when there is none.
	PreviousAutoevaluation(ctx context.Context, structureID, autoevalID int64) (Autoevaluation, error)
	// ReferentielByID returns a référentiel version's tree, from a cache (a
	// version never changes); ENOTFOUND when there is no such version.
	ReferentielByID(ctx context.Context, id int64) (*referentiel.Referentiel, error)
	// Cotations returns the answers of an auto-évaluation of the ML by item code.
	Cotations(ctx context.Context, structureID, autoevalID int64) (map[string]SavedCotation, error)
	// Overview returns, in one round trip, what the dashboard of an
	// auto-évaluation of the ML shows (see Overview).
	Overview(ctx context.Context, structureID, autoevalID, referentielID int64) (Overview, error)
	// AnswersAndCoverage returns, in one round trip, what Cotations returns and
	// the ML's pieces of evidence counted per item code of a référentiel.
	AnswersAndCoverage(ctx context.Context, structureID, autoevalID, referentielID int64) (map[string]SavedCotation, map[string]int, error)
	// ContributorSections returns, for each contributor membership of the ML, the
	// sections it is limited to (absent: every section).
	ContributorSections(ctx context.Context, structureID int64) (map[int64][]string, error)
	// CotationHistory returns the changes of one item's answer, the latest first.
	CotationHistory(ctx context.Context, structureID, autoevalID int64, code string) ([]HistoryEntry, error)
	// Transitions returns the recorded transitions of an auto-évaluation, oldest first.
	Transitions(ctx context.Context, structureID, autoevalID int64) ([]demarche.Record, error)
	// SaveCotations saves validated answers in one transaction, under a lock
	// that keeps transitions out, and returns them as stored. ENOTFOUND unless
	// the auto-évaluation is the ML's; ECONFLICT when its state no longer
	// allows changes; EINVALID for an item code outside its référentiel; a
	// *ConflictError, saving nothing, when an item changed since the version its
	// change was made from (unless the person left it as they found it).
	SaveCotations(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, changes []CotationChange) (Saved, error)
	// Transition moves an auto-évaluation of the ML by t in one transaction:
	// decide gets its state and answers under a row lock and returns the next
	// state or the refusal, returned as is; the transition is then recorded with
	// actor, role and commentaire. ENOTFOUND unless it is the ML's.
	Transition(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, t demarche.Transition, role domain.Role, commentaire string,
		decide func(etat demarche.Etat, answers map[string]Cotation) (demarche.Etat, error)) error
	// SetContributorSections replaces the sections a contributor membership of
	// the ML is limited to (none: every section); ENOTFOUND unless membershipID
	// is a contributor of that ML.
	SetContributorSections(ctx context.Context, actor *domain.Actor, structureID, membershipID int64, sections []string) error
}

// Service applies the self-assessment rules on the store.
type Service struct {
	store Store
	// derived keeps, per référentiel tree (immutable; the store returns one
	// tree per version, cached), its items, sections and item index:
	// computing them cost every page.
	derived sync.Map // *referentiel.Referentiel → *derived
}

// derived is what a sheet computes from its référentiel; shared, read-only.
type derived struct {
	items    []referentiel.AssessableItem
	sections []referentiel.Section
	index    map[string]int
}

func (s *Service) derive(ref *referentiel.Referentiel) *derived {
	if d, ok := s.derived.Load(ref); ok {
		return d.(*derived)
	}
	d := &derived{items: ref.Items(), sections: ref.Sections(), index: map[string]int{}}
	for i, it := range d.items {
		d.index[it.Code] = i
	}
	got, _ := s.derived.LoadOrStore(ref, d)
	return got.(*derived)
}

// NewService returns the self-assessment rules on store.
func NewService(store Store) *Service {
	return &Service{store: store}
}

// Sheet is an auto-évaluation with its référentiel and what the person may do
// on it: all that a save needs, without its answers.
type Sheet struct {
	Autoeval Autoevaluation
	Ref      *referentiel.Referentiel
	// Items and Sections are shared by every sheet of the référentiel: read-only.
	Items    []referentiel.AssessableItem
	Sections []referentiel.Section
	// CanRate: the person may rate, in the sections Allowed reports.
	CanRate bool
	// CanSubmit: the person is the ML's director.
	CanSubmit bool
	// limited is the set of sections a contributor is limited to; nil: all.
	limited map[string]bool
	// index finds an item of Items by code (nil: search).
	index map[string]int
}

// View is one auto-évaluation as a person may see it: the sheet, its answers
// and the evidence that supports its items.
type View struct {
	*Sheet
	Saved map[string]SavedCotation
	// Coverage counts the ML's pieces of evidence per item code.
	Coverage map[string]int
}

// Allowed reports whether the person may rate the items of a section now.
func (sh *Sheet) Allowed(section string) bool {
	return sh.Autoeval.Etat.Editable() && sh.entrusted(section)
}

// entrusted reports whether the person's role and the director's split of the
// work let them rate the section, whatever the state.
func (sh *Sheet) entrusted(section string) bool {
	return sh.CanRate && (sh.limited == nil || sh.limited[section])
}

// Item returns the item with that code.
func (sh *Sheet) Item(code string) (referentiel.AssessableItem, bool) {
	if sh.index != nil {
		i, ok := sh.index[code]
		if !ok {
			return referentiel.AssessableItem{}, false
		}
		return sh.Items[i], true
	}
	i := slices.IndexFunc(sh.Items, func(it referentiel.AssessableItem) bool { return it.Code == code })
	if i < 0 {
		return referentiel.AssessableItem{}, false
	}
	return sh.Items[i], true
}

// valeurs returns the values of the scale.
func (sh *Sheet) valeurs() []int {
	out := make([]int, 0, len(sh.Ref.Echelle.Niveaux))
	for _, n := range sh.Ref.Echelle.Niveaux {
		out = append(out, n.Valeur)
	}
	return out
}

// Answers returns the answers without their bookkeeping.
func (v *View) Answers() map[string]Cotation { return Answers(v.Saved) }

// List returns the auto-évaluations actor may see, the latest campaigns first.
func (s *Service) List(ctx context.Context, actor *domain.Actor) ([]Autoevaluation, error) {
	return s.store.Autoevaluations(ctx, actor.Visible(domain.ActViewAutoeval))
}

// Sheet returns an auto-évaluation for actor without its answers, for a save;
// ENOTFOUND unless they may see it.
func (s *Service) Sheet(ctx context.Context, actor *domain.Actor, id int64) (*Sheet, error) {
	a, err := s.store.Autoevaluation(ctx, actor.Visible(domain.ActViewAutoeval), id)
	if err != nil {
		return nil, err
	}
	ref, err := s.store.ReferentielByID(ctx, a.ReferentielID)
	if err != nil {
		return nil, err
	}
	d := s.derive(ref)
	sh := &Sheet{Autoeval: a, Ref: ref, Items: d.items, Sections: d.sections, index: d.index,
		CanRate: actor.Can(domain.ActRate, a.Scope()), CanSubmit: actor.Can(domain.ActSubmit, a.Scope())}
	if sh.CanRate && !sh.CanSubmit && !actor.Can(domain.ActManageCampaigns, a.Scope()) {
		// A contributor: the director may have limited them to some sections.
		limits, err := s.store.ContributorSections(ctx, a.StructureID)
		if err != nil {
			return nil, err
		}
		for _, m := range actor.Memberships {
			if m.Role == domain.RoleContributeur && m.StructureID == a.StructureID && len(limits[m.ID]) > 0 {
				sh.limited = map[string]bool{}
				for _, sec := range limits[m.ID] {
					sh.limited[sec] = true
				}
			}
		}
	}
	return sh, nil
}

// Load returns an auto-évaluation for actor with its answers and evidence
// coverage, for its pages; ENOTFOUND unless they may see it.
func (s *Service) Load(ctx context.Context, actor *domain.Actor, id int64) (*View, error) {
	sh, err := s.Sheet(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return s.Complete(ctx, sh)
}

// Complete adds to a loaded sheet its answers and evidence coverage, for its pages.
func (s *Service) Complete(ctx context.Context, sh *Sheet) (*View, error) {
	saved, coverage, err := s.store.AnswersAndCoverage(ctx, sh.Autoeval.StructureID, sh.Autoeval.ID, sh.Autoeval.ReferentielID)
	if err != nil {
		return nil, err
	}
	return &View{Sheet: sh, Saved: saved, Coverage: coverage}, nil
}

// Overview is what an auto-évaluation's dashboard shows besides its sheet:
// its answers and evidence coverage, whether the ML has a previous one to copy
// from, the sections each contributor membership is limited to, and the
// transitions so far.
type Overview struct {
	Saved       map[string]SavedCotation
	Coverage    map[string]int
	HasPrevious bool
	Assignments map[int64][]string
	Transitions []demarche.Record
}

// Dashboard returns the sheet completed (as Complete) and its Overview, read
// together.
func (s *Service) Dashboard(ctx context.Context, sh *Sheet) (*View, Overview, error) {
	o, err := s.store.Overview(ctx, sh.Autoeval.StructureID, sh.Autoeval.ID, sh.Autoeval.ReferentielID)
	if err != nil {
		return nil, o, err
	}
	return &View{Sheet: sh, Saved: o.Saved, Coverage: o.Coverage}, o, nil
}

// ErrMayNotRate refuses a save to a role that may not rate (EFORBIDDEN).
var ErrMayNotRate = domain.Errorf(domain.EFORBIDDEN, "Votre rôle ne permet pas de coter cette auto-évaluation.")

// Save validates and saves answers made on the page the person loaded, and
// returns them as stored. EFORBIDDEN unless actor may rate (their sections
// included); ECONFLICT once the auto-évaluation is submitted; EINVALID for an
// unknown item, or with a message per item field for an invalid answer (nothing
// is saved); a *ConflictError, saving nothing, for answers someone else changed
// meanwhile. Answers left as they were are not written again.
func (s *Service) Save(ctx context.Context, actor *domain.Actor, sh *Sheet, changes []CotationChange) (Saved, error) {
	if !sh.CanRate {
		return Saved{}, ErrMayNotRate
	}
	return s.save(ctx, actor, sh, changes, nil)
}

// SaveItem saves the answer to one item posted in form, for the section page's
// script: ENOTFOUND for an item outside the référentiel, EFORBIDDEN unless
// actor may rate, EINVALID for a malformed form, then as Save.
func (s *Service) SaveItem(ctx context.Context, actor *domain.Actor, sh *Sheet, code string, form url.Values) (Saved, error) {
	it, ok := sh.Item(code)
	if !ok {
		return Saved{}, domain.Errorf(domain.ENOTFOUND, "Élément introuvable.")
	}
	if !sh.CanRate {
		return Saved{}, ErrMayNotRate
	}
	ch, present, err := ParseAnswer(form, code)
	if err == nil && !present {
		err = errIncomplete
	}
	if err != nil {
		return Saved{}, err
	}
	return s.save(ctx, actor, sh, []CotationChange{ch}, []referentiel.AssessableItem{it})
}

// save checks the state, each item's section and answer, and stores. items
// holds the changes' items when the caller already found them, nil otherwise.
func (s *Service) save(ctx context.Context, actor *domain.Actor, sh *Sheet, changes []CotationChange, items []referentiel.AssessableItem) (Saved, error) {
	if !sh.Autoeval.Etat.Editable() {
		return Saved{}, domain.Errorf(domain.ECONFLICT, "L'auto-évaluation est à l'état « %s » : ses cotations ne peuvent plus être modifiées.", sh.Autoeval.Etat.Label())
	}
	valeurs := sh.valeurs()
	fe := domain.FieldErrors{}
	for i := range changes {
		ch := &changes[i]
		var it referentiel.AssessableItem
		if items != nil {
			it = items[i]
		} else if found, ok := sh.Item(ch.Code); ok {
			it = found
		} else {
			return Saved{}, domain.Errorf(domain.EINVALID, "L'élément %s n'existe pas dans ce référentiel.", ch.Code)
		}
		if !sh.entrusted(referentiel.SectionOf(it)) {
			return Saved{}, domain.Errorf(domain.EFORBIDDEN, "La direction ne vous a pas confié la partie de l'élément %s.", ch.Code)
		}
		ch.Cotation.Normalize()
		if err := ch.Cotation.Validate(ch.Code, it.Imperatif, valeurs); err != nil {
			for k, msg := range domain.ErrorFields(err) {
				fe[k] = msg
			}
		}
	}
	if err := fe.Err(); err != nil {
		return Saved{}, err
	}
	if len(changes) == 0 {
		return Saved{Answers: map[string]SavedCotation{}}, nil
	}
	return s.store.SaveCotations(ctx, actor, sh.Autoeval.StructureID, sh.Autoeval.ID, changes)
}

// Submit hands the auto-évaluation over (the director only: EFORBIDDEN
// otherwise), provided its checklist is empty (EINVALID otherwise); editing is
// then locked. ECONFLICT when its state does not allow it.
func (s *Service) Submit(ctx context.Context, actor *domain.Actor, sh *Sheet, commentaire string) error {
	if err := MaySubmit(sh); err != nil {
		return err
	}
	commentaire = strings.TrimSpace(commentaire)
	return s.store.Transition(ctx, actor, sh.Autoeval.StructureID, sh.Autoeval.ID, demarche.Soumettre, domain.RoleDirecteur, commentaire,
		func(etat demarche.Etat, answers map[string]Cotation) (demarche.Etat, error) {
			next, err := demarche.Next(etat, demarche.Soumettre, domain.RoleDirecteur, commentaire)
			if err != nil {
				return etat, err
			}
			if left := SubmissionChecklist(sh.Items, answers); len(left) > 0 {
				return etat, domain.Errorf(domain.EINVALID, "L'auto-évaluation ne peut pas être soumise : %d élément(s) restent à compléter (voir la liste).", len(left))
			}
			return next, nil
		})
}

// MaySubmit says whether the sheet's reader may submit it: nil for the ML's
// director, EFORBIDDEN otherwise. Confirmation pages ask it before showing the
// button.
func MaySubmit(sh *Sheet) error {
	if !sh.CanSubmit {
		return domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale peut soumettre l'auto-évaluation.")
	}
	return nil
}

// MayCopyPrevious says whether the sheet's reader may copy the previous
// campaign's answers: nil for the ML's director, EFORBIDDEN otherwise.
func MayCopyPrevious(sh *Sheet) error {
	if !sh.CanSubmit {
		return domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale peut reprendre les réponses précédentes.")
	}
	return nil
}

// HasPrevious reports whether the ML has an auto-évaluation of an earlier
// campaign to copy answers from.
func (s *Service) HasPrevious(ctx context.Context, sh *Sheet) (bool, error) {
	_, err := s.store.PreviousAutoevaluation(ctx, sh.Autoeval.StructureID, sh.Autoeval.ID)
	switch domain.ErrorCode(err) {
	case "":
		return true, nil
	case domain.ENOTFOUND:
		return false, nil
	}
	return false, err
}

// CopyPrevious copies, into items not yet answered, the ML's answers of its
// previous campaign where the item codes match (the director only: EFORBIDDEN
// otherwise; ENOTFOUND without a previous campaign). Answers that the current
// référentiel no longer accepts are left out. It returns how many answers were
// copied.
func (s *Service) CopyPrevious(ctx context.Context, actor *domain.Actor, v *View) (int, error) {
	if err := MayCopyPrevious(v.Sheet); err != nil {
		return 0, err
	}
	prev, err := s.store.PreviousAutoevaluation(ctx, v.Autoeval.StructureID, v.Autoeval.ID)
	if err != nil {
		return 0, err
	}
	old, err := s.store.Cotations(ctx, v.Autoeval.StructureID, prev.ID)
	if err != nil {
		return 0, err
	}
	valeurs := v.valeurs()
	var changes []CotationChange
	for _, it := range v.Items {
		cur, was := v.Saved[it.Code], old[it.Code]
		if cur.Rated() || !was.Rated() {
			continue
		}
		if was.Cotation.Validate(it.Code, it.Imperatif, valeurs) != nil {
			continue
		}
		changes = append(changes, CotationChange{Code: it.Code, Cotation: was.Cotation, BaseVersion: cur.Version})
	}
	if len(changes) == 0 {
		return 0, nil
	}
	saved, err := s.Save(ctx, actor, v.Sheet, changes)
	return len(saved.Changed), err
}

// History returns the changes of one item's answer; ENOTFOUND for an item
// outside the référentiel.
func (s *Service) History(ctx context.Context, sh *Sheet, code string) ([]HistoryEntry, error) {
	if _, ok := sh.Item(code); !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "Élément introuvable.")
	}
	return s.store.CotationHistory(ctx, sh.Autoeval.StructureID, sh.Autoeval.ID, code)
}

// Transitions returns the démarche's steps so far, oldest first.
func (s *Service) Transitions(ctx context.Context, sh *Sheet) ([]demarche.Record, error) {
	return s.store.Transitions(ctx, sh.Autoeval.StructureID, sh.Autoeval.ID)
}

// Assignments returns the sections each contributor membership of the ML is
// limited to (absent: every section).
func (s *Service) Assignments(ctx context.Context, sh *Sheet) (map[int64][]string, error) {
	return s.store.ContributorSections(ctx, sh.Autoeval.StructureID)
}

// SetSections limits a contributor of the ML to some sections (the director
// only: EFORBIDDEN otherwise); none means every section. EINVALID without a
// person (membershipID 0) or for a section outside the référentiel; ENOTFOUND
// unless membershipID is a contributor of the ML.
func (s *Service) SetSections(ctx context.Context, actor *domain.Actor, sh *Sheet, membershipID int64, sections []string) error {
	if !sh.CanSubmit {
		return domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale peut répartir le travail.")
	}
	if membershipID == 0 {
		return domain.Errorf(domain.EINVALID, "Choisissez la personne.")
	}
	for _, sec := range sections {
		if !slices.ContainsFunc(sh.Sections, func(x referentiel.Section) bool { return x.Code == sec }) {
			return domain.Errorf(domain.EINVALID, "La partie %s n'existe pas dans ce référentiel.", sec)
		}
	}
	return s.store.SetContributorSections(ctx, actor, sh.Autoeval.StructureID, membershipID, sections)
}
