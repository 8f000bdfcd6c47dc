package server

import (
	"net/http"
	"strconv"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/web"
)

// usersView builds the national list of accounts; ENOTFOUND for anyone who may
// not manage accounts or roles.
func (s *Server) usersView(r *http.Request, inv accounts.Invitation) (web.UsersView, error) {
	a := actorOf(r.Context())
	canInvite := a.Can(domain.ActManageRoles, domain.Scope{})
	canToggle := a.Can(domain.ActManageAccounts, domain.Scope{})
	members, err := s.accounts.People(r.Context(), a)
	if err != nil {
		return web.UsersView{}, err
	}
	v := web.UsersView{Page: s.page(r, "Utilisateurs"), CanInvite: canInvite}
	if v.Qualifications, err = s.qualificationRows(r); err != nil {
		return web.UsersView{}, err
	}
	for _, m := range members {
		if n := len(v.Users); n == 0 || v.Users[n-1].ID != m.UserID {
			item := web.UserItem{ID: m.UserID, Nom: m.Nom, Email: m.Email, Disabled: m.Disabled, CanToggle: canToggle && m.UserID != a.UserID}
			item.Status, item.StatusClass = accountStatus(m.Active, m.Disabled)
			v.Users = append(v.Users, item)
		}
		if m.MembershipID != 0 {
			role := m.Role.Label()
			if m.ScopeLabel != "" {
				role += " — " + m.ScopeLabel
			}
			u := &v.Users[len(v.Users)-1]
			u.Roles = append(u.Roles, role)
		}
	}
	if canInvite {
		if v.Fields, err = s.inviteFormFields(r, inv); err != nil {
			return v, err
		}
	}
	return v, nil
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return itoa(id)
}

func (s *Server) inviteFormFields(r *http.Request, inv accounts.Invitation) ([]web.Field, error) {
	// The national team, who invites, sees the whole network.
	regions, structures, err := s.reseau.Network(r.Context(), actorOf(r.Context()))
	if err != nil {
		return nil, err
	}
	var roles, regionOpts, structureOpts []web.Option
	for _, role := range domain.Roles {
		roles = append(roles, web.Option{Value: string(role), Label: role.Label()})
	}
	for _, reg := range regions {
		regionOpts = append(regionOpts, web.Option{Value: itoa(reg.ID), Label: reg.Nom})
	}
	for _, st := range structures {
		structureOpts = append(structureOpts, web.Option{Value: itoa(st.ID), Label: st.Nom + " (" + st.RegionNom + ")"})
	}
	return []web.Field{
		{Name: "email", Label: "Adresse électronique", Type: "email", Value: inv.Email, Required: true, Autocomplete: "off"},
		{Name: "nom", Label: "Prénom et nom", Type: "text", Value: inv.Nom, Autocomplete: "off"},
		{Name: "role", Label: "Rôle", Type: "select", Value: string(inv.Role), Required: true, Options: roles},
		{Name: "structure", Label: "Mission Locale (obligatoire pour la direction et la contribution)", Type: "select", Value: idOrEmpty(inv.StructureID), Options: structureOpts,
			Hint: "Obligatoire pour les rôles de direction et de contribution ; laissez vide pour les autres."},
		{Name: "region", Label: "Région (obligatoire pour le ou la référent·e ARML)", Type: "select", Value: idOrEmpty(inv.RegionID), Options: regionOpts,
			Hint: "Obligatoire pour le rôle de référent·e labellisation ARML ; laissez vide pour les autres."},
	}, nil
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.usersView(r, accounts.Invitation{})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.UsersPage(v))
}

func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request) error {
	region, _ := strconv.ParseInt(r.PostFormValue("region"), 10, 64)
	structure, _ := strconv.ParseInt(r.PostFormValue("structure"), 10, 64)
	inv := accounts.Invitation{Email: r.PostFormValue("email"), Nom: r.PostFormValue("nom"),
		Role: domain.Role(r.PostFormValue("role")), RegionID: region, StructureID: structure}
	err := s.accounts.Invite(r.Context(), actorOf(r.Context()), inv)
	if err == nil {
		s.flash(r, "Invitation envoyée à "+accounts.NormalizeEmail(inv.Email)+".")
		return seeOther(w, r, "/utilisateurs")
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	v, verr := s.usersView(r, inv)
	if verr != nil {
		return verr
	}
	fields := domain.ErrorFields(err)
	for i := range v.Fields {
		v.Fields[i].Error = fields[v.Fields[i].Name]
	}
	v.Invite = web.Summary(domain.ErrorMessage(err), v.Fields...)
	v.Page.Title = "Erreur · " + v.Page.Title
	return s.render(w, r, http.StatusBadRequest, web.UsersPage(v))
}

func (s *Server) setDisabled(disabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := idParam(r, "id")
		if err != nil {
			return err
		}
		if err := s.accounts.SetDisabled(r.Context(), actorOf(r.Context()), id, disabled); err != nil {
			return err
		}
		who, err := s.accounts.Person(r.Context(), actorOf(r.Context()), id)
		if err != nil {
			return err
		}
		if disabled {
			s.flash(r, "Le compte de "+who+" est désactivé ; ses sessions sont fermées.")
		} else {
			s.flash(r, "Le compte de "+who+" est réactivé.")
		}
		return seeOther(w, r, "/utilisateurs")
	}
}

func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request) error {
	msgs, err := s.accounts.Outbox(r.Context(), actorOf(r.Context()), 200)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.OutboxPage(web.OutboxView{Page: s.page(r, "Courriels"), Messages: msgs, SMTP: s.cfg.SMTPURL != nil}))
}

func (s *Server) outboxMessagePage(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	m, err := s.accounts.OutboxMessage(r.Context(), actorOf(r.Context()), id) // links masked
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.OutboxMessagePage(web.OutboxMessageView{Page: s.page(r, m.Subject), Message: m}))
}
