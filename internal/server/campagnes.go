package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/web"
)

// The national team's campaign pages: the list, a new campaign, a campaign's page
// and its opening. Each handler calls the campaigns service, which asks the
// policy: campaigns are national, anyone else gets 403, whether the campaign
// exists or not.

// etatClass is the colour of a campaign's state tag.
func etatClass(etat campagnes.Etat) string {
	switch etat {
	case campagnes.EtatPreparation:
		return "status-warn"
	case campagnes.EtatOuverte:
		return "status-ok"
	}
	return "status-neutral"
}

func campagneItem(c campagnes.CampagneRow) web.CampagneItem {
	return web.CampagneItem{
		ID: c.ID, Nom: c.Nom, Referentiel: c.Referentiel,
		Ouverture: domain.FrenchDate(c.Ouverture), Cloture: domain.FrenchDate(c.Cloture), DelaiObservations: c.DelaiObservations,
		Etat: c.Etat.Label(), EtatClass: etatClass(c.Etat),
		Structures: c.Structures, Soumises: c.Soumises(), Ouverte: c.Etat != campagnes.EtatPreparation,
	}
}

func (s *Server) campagnesPage(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.campagnes.List(r.Context(), actorOf(r.Context()))
	if err != nil {
		return err
	}
	v := web.CampagnesView{Page: s.page(r, "Campagnes")}
	for _, c := range rows {
		v.Campagnes = append(v.Campagnes, campagneItem(c))
	}
	return s.render(w, r, http.StatusOK, web.CampagnesPage(v))
}

// campagneForm is what was typed in the campaign form, kept as typed so that a
// refused form shows it again.
type campagneForm struct {
	nom, referentiel, ouverture, cloture, delai string
	// structures are the MLs checked; nil: all.
	structures []int64
}

func campagneFormOf(r *http.Request) campagneForm {
	f := campagneForm{
		nom:         strings.TrimSpace(r.PostFormValue("nom")),
		referentiel: r.PostFormValue("referentiel"),
		ouverture:   strings.TrimSpace(r.PostFormValue("ouverture")),
		cloture:     strings.TrimSpace(r.PostFormValue("cloture")),
		delai:       strings.TrimSpace(r.PostFormValue("delai_observations")),
	}
	for _, v := range r.PostForm["structures"] {
		// Anything but an id is an ML that does not exist: the store says so.
		id, _ := strconv.ParseInt(v, 10, 64)
		f.structures = append(f.structures, id)
	}
	return f
}

// campagne turns the form into a campaign; a date that cannot be read is left
// zero, which Validate refuses.
func (f campagneForm) campagne() campagnes.Campagne {
	c := campagnes.Campagne{Nom: f.nom}
	c.ReferentielID, _ = strconv.ParseInt(f.referentiel, 10, 64)
	c.Ouverture, _ = domain.ParseDate(f.ouverture)
	c.Cloture, _ = domain.ParseDate(f.cloture)
	// Left blank: the default; anything but a number in bounds: refused by Validate.
	c.DelaiObservations = campagnes.DefaultDelaiObservations
	if f.delai != "" {
		if n, err := strconv.Atoi(f.delai); err == nil && n != 0 {
			c.DelaiObservations = n
		} else {
			c.DelaiObservations = -1
		}
	}
	return c
}

// isoDate shows a date the way a date input takes it, or as typed when it could
// not be read.
func isoDate(typed string) string {
	if t, ok := domain.ParseDate(typed); ok {
		return t.Format("2006-01-02")
	}
	return typed
}

// campagneFormView builds the form with f's values and err's messages.
func (s *Server) campagneFormView(r *http.Request, f campagneForm, err error) (web.CampagneFormView, error) {
	refs, lerr := s.referentiel.List(r.Context())
	if lerr != nil {
		return web.CampagneFormView{}, lerr
	}
	var options []web.Option
	for _, ref := range refs {
		options = append(options, web.Option{Value: itoa(ref.ID), Label: "Version " + ref.Version + " · " + ref.Titre})
	}
	// The national team sees the whole network.
	regions, structures, lerr := s.reseau.Network(r.Context(), actorOf(r.Context()))
	if lerr != nil {
		return web.CampagneFormView{}, lerr
	}
	checked := map[int64]bool{}
	for _, id := range f.structures {
		checked[id] = true
	}
	title := "Nouvelle campagne"
	if err != nil {
		title = "Erreur · " + title
	}
	v := web.CampagneFormView{Page: s.page(r, title), Fields: []web.Field{
		{Name: "nom", Label: "Nom de la campagne", Type: "text", Value: f.nom, Required: true, Autocomplete: "off",
			Hint: "Par exemple « Campagne 2026 ». 200 caractères au plus."},
		{Name: "referentiel", Label: "Version du référentiel", Type: "select", Value: f.referentiel, Required: true, Options: options,
			Hint: "Les réponses de la campagne porteront sur cette version, même si une nouvelle est importée ensuite."},
		{Name: "ouverture", Label: "Date d'ouverture", Type: "date", Value: isoDate(f.ouverture), Required: true,
			Hint: "Format jj/mm/aaaa si votre navigateur ne propose pas de calendrier."},
		{Name: "cloture", Label: "Date de clôture", Type: "date", Value: isoDate(f.cloture), Required: true,
			Hint: "Le jour de l'ouverture ou après. Les Missions Locales qui n'ont pas soumis reçoivent un rappel 30 puis 7 jours avant."},
		{Name: "delai_observations", Label: "Délai d'observations sur le rapport d'audit provisoire (jours)", Type: "number", Value: delaiValue(f.delai),
			Required: true, Hint: "De 1 à 120 jours ; 15 par défaut. La Mission Locale répond au rapport provisoire dans ce délai."},
	}}
	for _, reg := range regions {
		block := web.RegionChoices{ID: reg.ID, Nom: reg.Nom}
		for _, st := range structures {
			if st.RegionID == reg.ID {
				// Nothing checked means all: the form then shows them all checked.
				block.Structures = append(block.Structures, web.StructureChoice{ID: st.ID, Nom: st.Nom, Checked: len(checked) == 0 || checked[st.ID]})
			}
		}
		if len(block.Structures) > 0 {
			v.Regions = append(v.Regions, block)
		}
	}
	if err != nil {
		fields := domain.ErrorFields(err)
		for i := range v.Fields {
			v.Fields[i].Error = fields[v.Fields[i].Name]
		}
		v.StructuresError = fields["structures"]
		summary := append(v.Fields[:len(v.Fields):len(v.Fields)], web.Field{Name: "structures", Label: "Missions Locales concernées", Error: v.StructuresError})
		v.Errors = web.Summary(domain.ErrorMessage(err), summary...)
	}
	return v, nil
}

func (s *Server) newCampagnePage(w http.ResponseWriter, r *http.Request) error {
	if err := s.campagnes.MayManage(actorOf(r.Context())); err != nil {
		return err
	}
	var f campagneForm
	// The latest version imported is the likely choice.
	refs, err := s.referentiel.List(r.Context())
	if err != nil {
		return err
	}
	if len(refs) > 0 {
		f.referentiel = itoa(refs[0].ID)
	}
	v, err := s.campagneFormView(r, f, nil)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.CampagneFormPage(v))
}

func (s *Server) createCampagne(w http.ResponseWriter, r *http.Request) error {
	f := campagneFormOf(r)
	c := f.campagne()
	id, err := s.campagnes.Create(r.Context(), actorOf(r.Context()), c, f.structures)
	if err == nil {
		s.flash(r, "Campagne « "+c.Nom+" » créée. Elle reste en préparation jusqu'à son ouverture.")
		return seeOther(w, r, "/campagnes/"+itoa(id))
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	v, verr := s.campagneFormView(r, f, err)
	if verr != nil {
		return verr
	}
	return s.render(w, r, http.StatusBadRequest, web.CampagneFormPage(v))
}

func (s *Server) campagnePage(w http.ResponseWriter, r *http.Request) error {
	lc := campagneOf(r.Context())
	c, structures := lc.Campagne, lc.Structures
	row := campagnes.CampagneRow{Campagne: c, Structures: len(structures), Etats: map[demarche.Etat]int{}}
	v := web.CampagneView{Page: s.page(r, c.Nom), CanOpen: c.Etat.Allows(campagnes.TrOuvrir)}
	for _, st := range structures {
		item := web.CampagneStructureItem{ID: st.StructureID, Nom: st.Nom, RegionNom: st.RegionNom}
		if st.AutoevaluationID != 0 {
			item.Etat = st.Etat.Label()
			item.URL = "/autoevaluations/" + itoa(st.AutoevaluationID)
			row.Etats[st.Etat]++
		}
		v.Structures = append(v.Structures, item)
	}
	v.Campagne = campagneItem(row)
	for _, e := range demarche.Etats {
		if n := row.Etats[e]; n > 0 {
			v.Etats = append(v.Etats, web.EtatCount{Etat: e.Label(), N: n})
		}
	}
	return s.render(w, r, http.StatusOK, web.CampagnePage(v))
}

func (s *Server) openCampagne(w http.ResponseWriter, r *http.Request) error {
	id := campagneOf(r.Context()).Campagne.ID
	n, err := s.campagnes.Open(r.Context(), actorOf(r.Context()), id)
	if err != nil {
		return err
	}
	msg := "Campagne ouverte : " + strconv.Itoa(n) + " auto-évaluations créées."
	if n <= 1 {
		msg = "Campagne ouverte : " + strconv.Itoa(n) + " auto-évaluation créée."
	}
	s.flash(r, msg)
	return seeOther(w, r, "/campagnes/"+itoa(id))
}

// delaiValue is the observation delay as the form shows it: as typed, or the default.
func delaiValue(typed string) string {
	if typed == "" {
		return strconv.Itoa(campagnes.DefaultDelaiObservations)
	}
	return typed
}
