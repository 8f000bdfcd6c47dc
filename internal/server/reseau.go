package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/reseau"
	"github.com/unml/cadre/web"
)

// idParam reads a numeric URL parameter; anything else is a page that does not exist.
func idParam(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	return id, nil
}

func structureItem(st reseau.StructureRow) web.StructureItem {
	return web.StructureItem{ID: st.ID, Code: st.Code, Nom: st.Nom, Forme: domain.FormeLabel(st.Forme), RegionNom: st.RegionNom, Sites: st.Sites}
}

func (s *Server) reseauPage(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	regions, rows, err := s.reseau.Network(r.Context(), a)
	if err != nil {
		return err
	}
	v := web.ReseauView{Page: s.page(r, "Réseau"), CanManage: a.Can(domain.ActManageReseau, domain.Scope{})}
	for _, reg := range regions {
		block := web.RegionBlock{ID: reg.ID, Code: reg.Code, Nom: reg.Nom, Linked: a.Can(domain.ActViewRegion, domain.Scope{RegionID: reg.ID})}
		for _, st := range rows {
			if st.RegionID == reg.ID {
				block.Structures = append(block.Structures, structureItem(st))
			}
		}
		v.Regions = append(v.Regions, block)
	}
	return s.render(w, r, http.StatusOK, web.ReseauPage(v))
}

func (s *Server) regionPage(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	reg := regionOf(r.Context())
	rows, err := s.reseau.Structures(r.Context(), a, reg.ID)
	if err != nil {
		return err
	}
	block := web.RegionBlock{ID: reg.ID, Code: reg.Code, Nom: reg.Nom, Linked: true}
	for _, st := range rows {
		block.Structures = append(block.Structures, structureItem(st))
	}
	v := web.ReseauView{Page: s.page(r, reg.Nom), Single: true, CanManage: a.Can(domain.ActManageReseau, domain.Scope{RegionID: reg.ID}),
		Regions: []web.RegionBlock{block}}
	return s.render(w, r, http.StatusOK, web.ReseauPage(v))
}

func inviteFields(email, nom string) (web.Field, web.Field) {
	return web.Field{Name: "email", Label: "Adresse électronique", Type: "email", Value: email, Required: true, Autocomplete: "off"},
		web.Field{Name: "nom", Label: "Prénom et nom", Type: "text", Value: nom, Autocomplete: "off"}
}

// structureView builds the page of the ML of the URL.
func (s *Server) structureView(r *http.Request) (web.StructureView, error) {
	a := actorOf(r.Context())
	st := structureOf(r.Context())
	id := st.ID
	var err error
	scope := domain.Scope{RegionID: st.RegionID, StructureID: st.ID}
	v := web.StructureView{Page: s.page(r, st.Nom), Structure: st,
		CanManage: a.Can(domain.ActManageReseau, scope), CanInvite: a.Can(domain.ActManageTeam, scope)}
	v.InviteEmail, v.InviteNom = inviteFields("", "")
	if a.Can(domain.ActViewPreuves, scope) {
		v.LibraryURL = libraryURL(st.ID)
	}
	sheets, err := s.autoeval.List(r.Context(), a)
	if err != nil {
		return v, err
	}
	for _, ae := range sheets {
		if ae.StructureID == st.ID {
			v.Autoevaluations = append(v.Autoevaluations, web.NavItem{Href: autoevalURL(ae.ID), Label: ae.CampagneNom + " — " + ae.Etat.Label()})
		}
	}
	if a.Can(domain.ActViewJournal, scope) {
		v.JournalURL = journalURL(st.ID)
	}
	if v.Sites, err = s.reseau.Sites(r.Context(), a, domain.ActViewStructure, id); err != nil {
		return v, err
	}
	history, err := s.reseau.History(r.Context(), a, id)
	if err != nil {
		return v, err
	}
	for _, h := range history {
		item := web.HistoryItem{Region: h.RegionNom, Since: domain.FrenchDate(h.Since)}
		if h.Until != nil {
			item.Until = domain.FrenchDate(*h.Until)
		}
		v.History = append(v.History, item)
	}
	members, err := s.accounts.Members(r.Context(), a, id)
	if err != nil {
		return v, err
	}
	for _, m := range members {
		item := web.MemberItem{MembershipID: m.MembershipID, Nom: m.Nom, Email: m.Email, Role: m.Role.Label(),
			CanRemove: m.UserID != a.UserID && (a.Can(domain.ActManageRoles, scope) || (m.Role == domain.RoleContributeur && a.Can(domain.ActManageTeam, scope)))}
		item.Status, item.StatusClass = accountStatus(m.Active, m.Disabled)
		v.Members = append(v.Members, item)
	}
	return v, nil
}

func accountStatus(active, disabled bool) (string, string) {
	switch {
	case disabled:
		return "désactivé", "status-off"
	case !active:
		return "invitation envoyée", "status-warn"
	}
	return "actif", "status-ok"
}

func (s *Server) structurePage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.structureView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.StructurePage(v))
}

func (s *Server) inviteContributor(w http.ResponseWriter, r *http.Request) error {
	id := structureOf(r.Context()).ID
	email, nom := r.PostFormValue("email"), r.PostFormValue("nom")
	err := s.accounts.Invite(r.Context(), actorOf(r.Context()), accounts.Invitation{Email: email, Nom: nom, Role: domain.RoleContributeur, StructureID: id})
	if err == nil {
		s.flash(r, "Invitation envoyée à "+accounts.NormalizeEmail(email)+".")
		return seeOther(w, r, "/reseau/structures/"+itoa(id)+"#equipe")
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	v, verr := s.structureView(r)
	if verr != nil {
		return verr
	}
	fields := domain.ErrorFields(err)
	v.InviteEmail, v.InviteNom = inviteFields(email, nom)
	v.InviteEmail.Error, v.InviteNom.Error = fields["email"], fields["nom"]
	v.Invite = web.Summary(domain.ErrorMessage(err), v.InviteEmail, v.InviteNom)
	v.Page.Title = "Erreur · " + v.Page.Title
	return s.render(w, r, http.StatusBadRequest, web.StructurePage(v))
}

func (s *Server) removeMembership(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.accounts.RemoveMembership(r.Context(), actorOf(r.Context()), id); err != nil {
		return err
	}
	s.flash(r, "Le rôle a été retiré.")
	return seeOther(w, r, localPath(r.PostFormValue("retour")))
}
