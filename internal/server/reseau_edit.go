package server

import (
	"net/http"
	"strconv"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/web"
)

// The national team's forms for régions, MLs and sites. Each handler reads its
// form and calls the network service, which checks the policy and validates; a
// refused form is shown again with its errors and nothing is written.

// withErrors copies a failed action's field errors onto the form.
func withErrors(v web.FormView, err error) web.FormView {
	fields := domain.ErrorFields(err)
	for i := range v.Fields {
		v.Fields[i].Error = fields[v.Fields[i].Name]
	}
	v.Errors = web.Summary(domain.ErrorMessage(err), v.Fields...)
	v.Page.Title = "Erreur · " + v.Page.Title
	return v
}

// saveForm renders the form again on a validation error, or redirects on success.
func (s *Server) saveForm(w http.ResponseWriter, r *http.Request, v web.FormView, err error, done, flash string) error {
	if err == nil {
		s.flash(r, flash)
		return seeOther(w, r, done)
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	return s.render(w, r, http.StatusBadRequest, web.FormPage(withErrors(v, err)))
}

func (s *Server) mayManageReseau(r *http.Request) error {
	return s.reseau.MayManage(actorOf(r.Context()))
}

func regionForm(p web.Page, action, cancel string, reg domain.Region) web.FormView {
	return web.FormView{Page: p, Heading: p.Title, Action: action, Cancel: cancel, Submit: "Enregistrer", Fields: []web.Field{
		{Name: "code", Label: "Code", Type: "text", Value: reg.Code, Required: true, Hint: "Identifiant stable utilisé par les imports, par exemple BRE."},
		{Name: "nom", Label: "Nom", Type: "text", Value: reg.Nom, Required: true},
	}}
}

func regionFromForm(r *http.Request) domain.Region {
	reg := domain.Region{Code: r.PostFormValue("code"), Nom: r.PostFormValue("nom")}
	reg.Normalize()
	return reg
}

func (s *Server) newRegionPage(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.FormPage(regionForm(s.page(r, "Nouvelle région"), "/reseau/regions/nouvelle", "/reseau", domain.Region{})))
}

func (s *Server) createRegion(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	reg := regionFromForm(r)
	var err error
	reg.ID, err = s.reseau.CreateRegion(r.Context(), actorOf(r.Context()), reg)
	v := regionForm(s.page(r, "Nouvelle région"), "/reseau/regions/nouvelle", "/reseau", reg)
	return s.saveForm(w, r, v, err, "/reseau/regions/"+itoa(reg.ID), "Région créée.")
}

func (s *Server) editRegion(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	reg := regionOf(r.Context())
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	id := reg.ID
	back := "/reseau/regions/" + itoa(id)
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, web.FormPage(regionForm(s.page(r, "Modifier la région"), back+"/modifier", back, reg)))
	}
	changed := regionFromForm(r)
	changed.ID = id
	err := s.reseau.UpdateRegion(r.Context(), a, changed)
	return s.saveForm(w, r, regionForm(s.page(r, "Modifier la région"), back+"/modifier", back, changed), err, back, "Région enregistrée.")
}

func (s *Server) structureForm(r *http.Request, title, action, cancel string, st domain.Structure) (web.FormView, error) {
	regions, err := s.reseau.AllRegions(r.Context(), actorOf(r.Context()))
	if err != nil {
		return web.FormView{}, err
	}
	var options []web.Option
	for _, reg := range regions {
		options = append(options, web.Option{Value: itoa(reg.ID), Label: reg.Nom})
	}
	region := ""
	if st.RegionID != 0 {
		region = itoa(st.RegionID)
	}
	p := s.page(r, title)
	return web.FormView{Page: p, Heading: title, Action: action, Cancel: cancel, Submit: "Enregistrer", Fields: []web.Field{
		{Name: "code", Label: "Code", Type: "text", Value: st.Code, Required: true, Hint: "Identifiant stable utilisé par les imports, par exemple ML-RENNES."},
		{Name: "nom", Label: "Nom", Type: "text", Value: st.Nom, Required: true},
		{Name: "region", Label: "Région", Type: "select", Value: region, Required: true, Options: options,
			Hint: "Changer de région déplace la Mission Locale ; l'historique des régions est conservé."},
		{Name: "forme", Label: "Forme juridique", Type: "select", Value: st.Forme, Required: true,
			Options: []web.Option{{Value: domain.FormeAssociation, Label: "Association"}, {Value: domain.FormeGIP, Label: "GIP"}}},
		{Name: "siret", Label: "SIRET", Type: "text", Value: st.Siret, Hint: "14 chiffres."},
	}}, nil
}

func structureFromForm(r *http.Request) domain.Structure {
	region, _ := strconv.ParseInt(r.PostFormValue("region"), 10, 64)
	st := domain.Structure{Code: r.PostFormValue("code"), Nom: r.PostFormValue("nom"), RegionID: region,
		Forme: r.PostFormValue("forme"), Siret: r.PostFormValue("siret")}
	st.Normalize()
	return st
}

func (s *Server) newStructurePage(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	v, err := s.structureForm(r, "Nouvelle Mission Locale", "/reseau/structures/nouvelle", "/reseau", domain.Structure{Forme: domain.FormeAssociation})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.FormPage(v))
}

func (s *Server) createStructure(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	st := structureFromForm(r)
	var err error
	st.ID, err = s.reseau.CreateStructure(r.Context(), actorOf(r.Context()), st)
	v, ferr := s.structureForm(r, "Nouvelle Mission Locale", "/reseau/structures/nouvelle", "/reseau", st)
	if ferr != nil {
		return ferr
	}
	return s.saveForm(w, r, v, err, "/reseau/structures/"+itoa(st.ID), "Mission Locale créée.")
}

func (s *Server) editStructure(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	st := structureOf(r.Context())
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	id := st.ID
	back := "/reseau/structures/" + itoa(id)
	var err error
	if r.Method == http.MethodPost {
		changed := structureFromForm(r)
		changed.ID = id
		err = s.reseau.UpdateStructure(r.Context(), a, changed)
		st = changed
	}
	v, ferr := s.structureForm(r, "Modifier la Mission Locale", back+"/modifier", back, st)
	if ferr != nil {
		return ferr
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, web.FormPage(v))
	}
	return s.saveForm(w, r, v, err, back, "Mission Locale enregistrée.")
}

func siteForm(p web.Page, action, cancel string, site domain.Site) web.FormView {
	var kinds []web.Option
	for _, k := range domain.SiteKinds {
		kinds = append(kinds, web.Option{Value: k, Label: domain.SiteKindLabel(k)})
	}
	return web.FormView{Page: p, Heading: p.Title, Action: action, Cancel: cancel, Submit: "Enregistrer", Fields: []web.Field{
		{Name: "code", Label: "Code", Type: "text", Value: site.Code, Required: true, Hint: "Identifiant stable utilisé par les imports, par exemple RENNES-SIEGE."},
		{Name: "nom", Label: "Nom", Type: "text", Value: site.Nom, Required: true},
		{Name: "kind", Label: "Type de lieu", Type: "select", Value: site.Kind, Required: true, Options: kinds},
		{Name: "adresse", Label: "Adresse", Type: "text", Value: site.Adresse, Autocomplete: "street-address"},
		{Name: "code_postal", Label: "Code postal", Type: "text", Value: site.CodePostal, Autocomplete: "postal-code"},
		{Name: "commune", Label: "Commune", Type: "text", Value: site.Commune, Required: true},
	}}
}

func siteFromForm(r *http.Request) domain.Site {
	site := domain.Site{Code: r.PostFormValue("code"), Nom: r.PostFormValue("nom"), Kind: r.PostFormValue("kind"),
		Adresse: r.PostFormValue("adresse"), CodePostal: r.PostFormValue("code_postal"), Commune: r.PostFormValue("commune")}
	site.Normalize()
	return site
}

func (s *Server) newSite(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	st := structureOf(r.Context())
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	back := "/reseau/structures/" + itoa(st.ID)
	site := domain.Site{StructureID: st.ID}
	var err error
	if r.Method == http.MethodPost {
		site = siteFromForm(r)
		site.StructureID = st.ID
		_, err = s.reseau.CreateSite(r.Context(), a, site)
	}
	v := siteForm(s.page(r, "Nouveau lieu d'accueil · "+st.Nom), back+"/sites/nouveau", back, site)
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, web.FormPage(v))
	}
	return s.saveForm(w, r, v, err, back+"#sites", "Lieu d'accueil créé.")
}

func (s *Server) editSite(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	site := siteOf(r.Context())
	id := site.ID
	if err := s.mayManageReseau(r); err != nil {
		return err
	}
	var err error
	back := "/reseau/structures/" + itoa(site.StructureID)
	if r.Method == http.MethodPost {
		changed := siteFromForm(r)
		changed.ID, changed.StructureID = site.ID, site.StructureID
		err = s.reseau.UpdateSite(r.Context(), a, changed)
		site = changed
	}
	v := siteForm(s.page(r, "Modifier le lieu d'accueil"), "/reseau/sites/"+itoa(id)+"/modifier", back, site)
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, web.FormPage(v))
	}
	return s.saveForm(w, r, v, err, back+"#sites", "Lieu d'accueil enregistré.")
}
