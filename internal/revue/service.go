package revue

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/referentiel"
)

// Store is what the regional review needs of storage. Every method scoped to
// an ML takes its structure id first and finds nothing (ENOTFOUND) outside it;
// writes take the actor (nil: the system) for the journal and run as one
// change. Other failures are internal errors.
type Store interface {
	// Autoevaluation returns one auto-évaluation; ENOTFOUND unless v covers its ML.
	Autoevaluation(ctx context.Context, v domain.Visibility, id int64) (autoeval.Autoevaluation, error)
	// ReferentielByID returns a référentiel version's tree; ENOTFOUND when there is none.
	ReferentielByID(ctx context.Context, id int64) (*referentiel.Referentiel, error)
	// Cotations returns the ML's answers of an auto-évaluation by item code.
	Cotations(ctx context.Context, structureID, autoevalID int64) (map[string]autoeval.SavedCotation, error)
	// Transitions returns the recorded transitions of an auto-évaluation, oldest first.
	Transitions(ctx context.Context, structureID, autoevalID int64) ([]demarche.Record, error)
	// PreuveTitles returns the titles of the ML's pieces of evidence per item code.
	PreuveTitles(ctx context.Context, structureID, referentielID int64) (map[string][]string, error)
	// RevueItems returns the référent's avis per item code of an auto-évaluation.
	RevueItems(ctx context.Context, structureID, autoevalID int64) (map[string]SavedAvisItem, error)
	// SaveRevueItems saves item avis in one transaction and returns them as
	// stored. ENOTFOUND unless the auto-évaluation is the ML's; ECONFLICT unless
	// it is submitted (under a lock that keeps transitions out); EINVALID for an
	// item code outside its référentiel; a *ConflictError, saving nothing, when
	// an avis changed since the version its change was made from.
	SaveRevueItems(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, changes []AvisItemChange) (Saved, error)
	// RendreAvis records the avis régional and moves the auto-évaluation in one
	// transaction: decide gets its state under a row lock and returns the next
	// one or the refusal, returned as is; then message is queued for the ML's
	// directors and the national team. ENOTFOUND unless it is the ML's.
	RendreAvis(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, avis Avis,
		decide func(demarche.Etat) (demarche.Etat, error), message func(Destinataire) mail.Message) error
	// Renvoyer records a return with its reasons and moves the auto-évaluation
	// back, as RendreAvis does, recording role; message is queued for the ML's
	// directors and contributors. EINVALID for an item code outside its
	// référentiel; ENOTFOUND unless it is the ML's.
	Renvoyer(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, r Renvoi, role domain.Role,
		decide func(demarche.Etat) (demarche.Etat, error), message func(Destinataire) mail.Message) error
	// AvisRegionaux returns the avis régionaux of an auto-évaluation, oldest first.
	AvisRegionaux(ctx context.Context, structureID, autoevalID int64) ([]Avis, error)
	// AvisAndRenvois returns the avis régionaux, as AvisRegionaux does, and the
	// returns with their item reasons, both oldest first, in one round trip.
	AvisAndRenvois(ctx context.Context, structureID, autoevalID int64) ([]Avis, []Renvoi, error)
	// Region returns a région; ENOTFOUND unless v covers it.
	Region(ctx context.Context, v domain.Visibility, id int64) (domain.Region, error)
	// ListRegions returns the régions v covers, by name.
	ListRegions(ctx context.Context, v domain.Visibility) ([]domain.Region, error)
	// ListCampagnes returns every campaign, the latest first.
	ListCampagnes(ctx context.Context) ([]campagnes.CampagneRow, error)
	// Dossiers returns the MLs of a région concerned by a campaign, by name,
	// with their auto-évaluation's state and last submission.
	Dossiers(ctx context.Context, regionID, campagneID int64) ([]Dossier, error)
	// Moyennes aggregates the ratings of a campaign per ML and group, for the
	// MLs of a région (0: every région). Item codes[i] counts in group names[i];
	// a code may be in several groups.
	Moyennes(ctx context.Context, regionID, campagneID int64, codes, names []string) ([]Moyenne, error)
}

// Destinataire is a person a notification is sent to.
type Destinataire struct {
	Email, Nom string
}

// Service applies the regional review's rules on the store.
type Service struct {
	store   Store
	baseURL string
	// national keeps the national averages the régions' reviews compare with.
	national *nationalCache
}

// NewService returns the regional review on store; baseURL starts the links
// of its emails.
func NewService(store Store, baseURL *url.URL) *Service {
	s := &Service{store: store, national: newNationalCache(time.Now)}
	if baseURL != nil {
		s.baseURL = strings.TrimSuffix(baseURL.String(), "/")
	}
	return s
}

// Revue is one dossier under review as a person may see it, without its data:
// all that a save needs.
type Revue struct {
	Autoeval autoeval.Autoevaluation
	Ref      *referentiel.Referentiel
	Items    []referentiel.AssessableItem
	Sections []referentiel.Section
	// CanAvis: the person is a référent of the dossier's région.
	CanAvis bool
	// CanReturn: the person may send the dossier back (référent or national team).
	CanReturn bool
}

// Item returns the item with that code.
func (rv *Revue) Item(code string) (referentiel.AssessableItem, bool) {
	i := slices.IndexFunc(rv.Items, func(it referentiel.AssessableItem) bool { return it.Code == code })
	if i < 0 {
		return referentiel.AssessableItem{}, false
	}
	return rv.Items[i], true
}

// Detail is a dossier under review with everything its pages show.
type Detail struct {
	*Revue
	Cotations map[string]autoeval.SavedCotation
	Preuves   map[string][]string
	Avis      map[string]SavedAvisItem
	// Rounds: every avis régional and every return, oldest first.
	AvisRegionaux []Avis
	Renvois       []Renvoi
	History       []demarche.Record
}

// Load returns a dossier for its review; ENOTFOUND unless actor may see the
// review of its région.
func (s *Service) Load(ctx context.Context, actor *domain.Actor, id int64) (*Revue, error) {
	a, err := s.store.Autoevaluation(ctx, actor.Visible(domain.ActViewRevue), id)
	if err != nil {
		return nil, err
	}
	ref, err := s.store.ReferentielByID(ctx, a.ReferentielID)
	if err != nil {
		return nil, err
	}
	return &Revue{Autoeval: a, Ref: ref, Items: ref.Items(), Sections: ref.Sections(),
		CanAvis: actor.Can(domain.ActGiveAvis, a.Scope()), CanReturn: actor.Can(domain.ActReturn, a.Scope())}, nil
}

// Complete adds to a loaded dossier its answers, evidence, avis and rounds.
func (s *Service) Complete(ctx context.Context, rv *Revue) (*Detail, error) {
	a := rv.Autoeval
	d := &Detail{Revue: rv}
	var err error
	if d.Cotations, err = s.store.Cotations(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.Preuves, err = s.store.PreuveTitles(ctx, a.StructureID, a.ReferentielID); err != nil {
		return nil, err
	}
	if d.Avis, err = s.store.RevueItems(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.AvisRegionaux, d.Renvois, err = s.store.AvisAndRenvois(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.History, err = s.store.Transitions(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// OpenRenvoi returns the return the ML has not answered yet, if any.
func (d *Detail) OpenRenvoi() *Renvoi {
	return openRenvoi(d.Autoeval.Etat, d.Renvois, d.History)
}

// ErrMayNotAvis refuses an avis to anyone but the région's référents (EFORBIDDEN).
var ErrMayNotAvis = domain.Errorf(domain.EFORBIDDEN, "Seul·e le·la référent·e de la région donne l'avis régional.")

// errNotUnderReview refuses item avis outside the review.
func errNotUnderReview(e demarche.Etat) error {
	return domain.Errorf(domain.ECONFLICT, "L'auto-évaluation est à l'état « %s » : l'avis ne se donne que sur une auto-évaluation soumise.", e.Label())
}

// SaveItems validates and saves item avis made on the page the référent
// loaded, and returns them as stored. EFORBIDDEN unless actor gives avis in
// the région; ECONFLICT unless the dossier is submitted; EINVALID for an
// unknown item or, with a message per field, an invalid avis (nothing is
// saved); a *ConflictError, saving nothing, for avis changed meanwhile.
func (s *Service) SaveItems(ctx context.Context, actor *domain.Actor, rv *Revue, changes []AvisItemChange) (Saved, error) {
	if !rv.CanAvis {
		return Saved{}, ErrMayNotAvis
	}
	if rv.Autoeval.Etat != demarche.Soumise {
		return Saved{}, errNotUnderReview(rv.Autoeval.Etat)
	}
	fe := domain.FieldErrors{}
	for i := range changes {
		ch := &changes[i]
		if _, ok := rv.Item(ch.Code); !ok {
			return Saved{}, domain.Errorf(domain.EINVALID, "L'élément %s n'existe pas dans ce référentiel.", ch.Code)
		}
		ch.Avis.Remarque = strings.TrimSpace(ch.Avis.Remarque)
		if ch.Avis.Valeur != 0 && !slices.ContainsFunc(rv.Ref.Echelle.Niveaux, func(n referentiel.Niveau) bool { return n.Valeur == ch.Avis.Valeur }) {
			fe["avis-"+ch.Code] = "Choisissez une cotation de l'échelle."
		}
		if utf8.RuneCountInString(ch.Avis.Remarque) > domain.MaxCommentRunes {
			fe["remarque-"+ch.Code] = "La remarque est trop longue (5 000 caractères au plus)."
		}
	}
	if err := fe.Err(); err != nil {
		return Saved{}, err
	}
	if len(changes) == 0 {
		return Saved{Items: map[string]SavedAvisItem{}}, nil
	}
	return s.store.SaveRevueItems(ctx, actor, rv.Autoeval.StructureID, rv.Autoeval.ID, changes)
}

// RendreAvis renders the avis régional on the whole (the région's référents
// only: EFORBIDDEN otherwise), which moves the dossier to « avis régional
// rendu » and notifies the ML's direction and the national team. EINVALID,
// with a message per field, for an incomplete avis; ECONFLICT unless the
// dossier is submitted.
func (s *Service) RendreAvis(ctx context.Context, actor *domain.Actor, rv *Revue, avis Avis) error {
	if !rv.CanAvis {
		return ErrMayNotAvis
	}
	avis.Normalize()
	if err := avis.Validate(); err != nil {
		return err
	}
	a := rv.Autoeval
	return s.store.RendreAvis(ctx, actor, a.StructureID, a.ID, avis,
		func(etat demarche.Etat) (demarche.Etat, error) {
			return demarche.Next(etat, demarche.RendreAvis, domain.RoleReferentARML, "")
		},
		func(d Destinataire) mail.Message { return s.messageAvis(d, a, avis) })
}

// Renvoyer sends the dossier back to the ML for completion (a référent of its
// région or the national team: EFORBIDDEN otherwise), with a general reason
// and optional reasons on items; it returns en cours, unlocks for the ML, and
// its direction and contributors are notified with the reasons. EINVALID, on
// the field, without a general reason, for an unknown item, or for a text too
// long; ECONFLICT when its state does not allow a return.
func (s *Service) Renvoyer(ctx context.Context, actor *domain.Actor, rv *Revue, r Renvoi) error {
	if !rv.CanReturn {
		return domain.Errorf(domain.EFORBIDDEN, "Votre rôle ne permet pas de renvoyer cette auto-évaluation.")
	}
	role := domain.RolePole
	if rv.CanAvis {
		role = domain.RoleReferentARML
	}
	r.Motif = strings.TrimSpace(r.Motif)
	fe := domain.FieldErrors{}
	if r.Motif == "" {
		fe["motif"] = "Indiquez le motif du renvoi."
	} else if utf8.RuneCountInString(r.Motif) > domain.MaxCommentRunes {
		fe["motif"] = "Le motif est trop long (5 000 caractères au plus)."
	}
	seen := map[string]bool{}
	var items []RenvoiItem
	for i, it := range r.Items {
		it.Code, it.Motif = strings.TrimSpace(it.Code), strings.TrimSpace(it.Motif)
		field := "item-" + itoa(i)
		switch {
		case it.Code == "" && it.Motif == "":
			continue
		case it.Code == "":
			fe[field] = "Indiquez le code de l'élément concerné."
		case !rv.hasItem(it.Code):
			fe[field] = "L'élément « " + it.Code + " » n'existe pas dans ce référentiel."
		case seen[it.Code]:
			fe[field] = "L'élément " + it.Code + " est déjà indiqué."
		case it.Motif == "":
			fe["motif-"+itoa(i)] = "Indiquez le motif pour l'élément " + it.Code + "."
		case utf8.RuneCountInString(it.Motif) > domain.MaxCommentRunes:
			fe["motif-"+itoa(i)] = "Le motif est trop long (5 000 caractères au plus)."
		}
		seen[it.Code] = true
		items = append(items, it)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	r.Items = items
	a := rv.Autoeval
	return s.store.Renvoyer(ctx, actor, a.StructureID, a.ID, r, role,
		func(etat demarche.Etat) (demarche.Etat, error) {
			return demarche.Next(etat, demarche.Renvoyer, role, r.Motif)
		},
		func(d Destinataire) mail.Message { return s.messageRenvoi(d, a, r) })
}

func (rv *Revue) hasItem(code string) bool {
	_, ok := rv.Item(code)
	return ok
}

// Notes is what the ML's own pages show of the review: the avis régional and
// the item avis once rendered, and the reasons of a return until it resubmits.
type Notes struct {
	Avis   *Avis
	Items  map[string]SavedAvisItem
	Renvoi *Renvoi
}

// Notes returns what of the review actor may see beside the ML's answers;
// ENOTFOUND unless they may see the auto-évaluation. The avis régional shows
// once rendered, and not while a new round of review is under way.
func (s *Service) Notes(ctx context.Context, actor *domain.Actor, a autoeval.Autoevaluation) (Notes, error) {
	var n Notes
	if !actor.Can(domain.ActViewAutoeval, a.Scope()) {
		return n, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	// A dossier being rated (the rating pages) may have been returned: its
	// avis and returns come in one round trip.
	var avis []Avis
	var renvois []Renvoi
	var err error
	if a.Etat == demarche.EnCours {
		avis, renvois, err = s.store.AvisAndRenvois(ctx, a.StructureID, a.ID)
	} else {
		avis, err = s.store.AvisRegionaux(ctx, a.StructureID, a.ID)
	}
	if err != nil {
		return n, err
	}
	if len(avis) > 0 && a.Etat != demarche.Soumise {
		n.Avis = &avis[len(avis)-1]
		if n.Items, err = s.store.RevueItems(ctx, a.StructureID, a.ID); err != nil {
			return n, err
		}
	}
	if len(renvois) > 0 {
		history, err := s.store.Transitions(ctx, a.StructureID, a.ID)
		if err != nil {
			return n, err
		}
		n.Renvoi = openRenvoi(a.Etat, renvois, history)
	}
	return n, nil
}

// Regions returns the régions whose review actor may see.
func (s *Service) Regions(ctx context.Context, actor *domain.Actor) ([]domain.Region, error) {
	return s.store.ListRegions(ctx, actor.Visible(domain.ActViewRevue))
}

// RegionView is a région's review in one campaign: its pipeline and heat maps.
type RegionView struct {
	Region domain.Region
	// Campagnes are the campaigns with dossiers (open or closed), the latest first.
	Campagnes  []campagnes.CampagneRow
	Campagne   campagnes.CampagneRow
	Carte      Carte
	Ressources CarteRessources
}

// Region returns a région whose review actor may see; ENOTFOUND otherwise.
func (s *Service) Region(ctx context.Context, actor *domain.Actor, id int64) (domain.Region, error) {
	return s.store.Region(ctx, actor.Visible(domain.ActViewRevue), id)
}

// Review returns the review of a loaded région in a campaign (0: the latest
// one with dossiers): its pipeline and heat maps. ENOTFOUND for a campaign
// without dossiers.
func (s *Service) Review(ctx context.Context, reg domain.Region, campagneID int64) (*RegionView, error) {
	v := &RegionView{Region: reg}
	var err error
	if v.Campagnes, err = s.campagnes(ctx); err != nil {
		return nil, err
	}
	i := 0
	if campagneID != 0 {
		i = slices.IndexFunc(v.Campagnes, func(c campagnes.CampagneRow) bool { return c.ID == campagneID })
	}
	if i < 0 || len(v.Campagnes) == 0 {
		return nil, domain.Errorf(domain.ENOTFOUND, "Campagne introuvable.")
	}
	v.Campagne = v.Campagnes[i]
	ref, err := s.store.ReferentielByID(ctx, v.Campagne.ReferentielID)
	if err != nil {
		return nil, err
	}
	dossiers, err := s.store.Dossiers(ctx, reg.ID, v.Campagne.ID)
	if err != nil {
		return nil, err
	}
	codes, names := groups(ref, true)
	region, err := s.store.Moyennes(ctx, reg.ID, v.Campagne.ID, codes, names)
	if err != nil {
		return nil, err
	}
	codes, names = groups(ref, false)
	national, err := s.national.get(ctx, v.Campagne.ID, func(ctx context.Context) ([]Cell, error) {
		list, err := s.store.Moyennes(ctx, 0, v.Campagne.ID, codes, names)
		if err != nil {
			return nil, err
		}
		return nationalMedians(ref, list), nil
	})
	if err != nil {
		return nil, err
	}
	v.Carte = buildCarte(ref, dossiers, region, national)
	v.Ressources = buildRessources(ref, region)
	return v, nil
}

// campagnes returns the campaigns with dossiers (open or closed), the latest first.
func (s *Service) campagnes(ctx context.Context) ([]campagnes.CampagneRow, error) {
	all, err := s.store.ListCampagnes(ctx)
	if err != nil {
		return nil, err
	}
	var out []campagnes.CampagneRow
	for _, c := range all {
		if c.Etat != campagnes.EtatPreparation {
			out = append(out, c)
		}
	}
	return out, nil
}

// HomeRegion is a région on its référent's home: the dossiers of the latest
// campaign, for the review to come and done.
type HomeRegion struct {
	Region   domain.Region
	Campagne campagnes.CampagneRow
	Dossiers []Dossier
}

// Home returns, for a référent, each of their régions with the dossiers of the
// latest campaign; nothing for the national team, who follow every région
// from the review's pages.
func (s *Service) Home(ctx context.Context, actor *domain.Actor) ([]HomeRegion, error) {
	vis := actor.Visible(domain.ActViewRevue)
	if vis.All || len(vis.RegionIDs) == 0 {
		return nil, nil
	}
	list, err := s.campagnes(ctx)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	regions, err := s.store.ListRegions(ctx, vis)
	if err != nil {
		return nil, err
	}
	var out []HomeRegion
	for _, r := range regions {
		dossiers, err := s.store.Dossiers(ctx, r.ID, list[0].ID)
		if err != nil {
			return nil, err
		}
		out = append(out, HomeRegion{Region: r, Campagne: list[0], Dossiers: dossiers})
	}
	return out, nil
}
