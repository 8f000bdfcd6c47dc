package server

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/web"
)

const actorKey ctxKey = iota + 100

// Session keys.
const (
	sessionUser     = "uid"
	sessionSignedIn = "since"
	sessionFlash    = "flash"
	// sessionSeen is when a signed-in session was last used (Unix seconds),
	// refreshed at most every seenRefresh: a session unused for
	// CADRE_SESSION_IDLE_TIMEOUT ends, and most requests write nothing.
	sessionSeen = "seen"
)

// seenRefresh is how stale sessionSeen may get: the idle timeout is exact to
// within it.
const seenRefresh = time.Minute

// idleExpired says whether the signed-in session went unused past the idle
// timeout; otherwise it records its use, at most once a minute.
func (s *Server) idleExpired(ctx context.Context, now time.Time) bool {
	seen := time.Unix(s.sessions.GetInt64(ctx, sessionSeen), 0)
	if seen.Unix() != 0 && now.Sub(seen) > s.cfg.SessionIdle {
		return true
	}
	if now.Sub(seen) >= seenRefresh {
		s.sessions.Put(ctx, sessionSeen, now.Unix())
	}
	return false
}

// actorOf returns the signed-in person, or nil.
func actorOf(ctx context.Context) *domain.Actor {
	a, _ := ctx.Value(actorKey).(*domain.Actor)
	return a
}

// loadActor puts the signed-in person, with every membership, in the request's
// context: the permission data is computed once per request. A session voided
// meanwhile (account disabled, "log out everywhere") is dropped.
func (s *Server) loadActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		uid := s.sessions.GetInt64(ctx, sessionUser)
		if uid == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if s.idleExpired(ctx, time.Now()) {
			if err := s.sessions.Destroy(ctx); err != nil {
				s.renderError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		since := time.Unix(0, s.sessions.GetInt64(ctx, sessionSignedIn))
		actor, err := s.accounts.Actor(ctx, uid, since)
		if domain.ErrorCode(err) == domain.EUNAUTH {
			if err := s.sessions.Destroy(ctx); err != nil {
				s.renderError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
			return
		} else if err != nil {
			s.renderError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, actorKey, actor)))
	})
}

// requireActor sends visitors to the sign-in page, then back where they were going.
func (s *Server) requireActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if actorOf(r.Context()) == nil {
			target := "/connexion"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				target += "?suite=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// page returns the layout data of the current request.
func (s *Server) page(r *http.Request, title string) web.Page {
	p := web.Page{Title: title, Path: r.URL.Path}
	a := actorOf(r.Context())
	if a == nil {
		return p
	}
	p.User = a.Nom
	if p.User == "" {
		p.User = a.Email
	}
	p.Flash = s.sessions.PopString(r.Context(), sessionFlash)
	p.Nav = []web.NavItem{{Href: "/", Label: "Accueil"}}
	if a.Can(domain.ActViewReseau, domain.Scope{}) {
		p.Nav = append(p.Nav, web.NavItem{Href: "/reseau", Label: "Réseau"})
	}
	if a.Can(domain.ActManageCampaigns, domain.Scope{}) {
		p.Nav = append(p.Nav, web.NavItem{Href: "/campagnes", Label: "Campagnes"})
	}
	if vis := a.Visible(domain.ActViewRevue); vis.All || len(vis.RegionIDs) > 0 {
		p.Nav = append(p.Nav, web.NavItem{Href: "/revue", Label: "Revue"})
	}
	if audit.Reaches(a) {
		p.Nav = append(p.Nav, web.NavItem{Href: "/audits", Label: "Audits"})
	}
	if a.Can(domain.ActManageCommission, domain.Scope{}) {
		p.Nav = append(p.Nav, web.NavItem{Href: "/commission", Label: "Commission"})
	}
	p.Nav = append(p.Nav, web.NavItem{Href: "/referentiel", Label: "Référentiel"})
	if a.Can(domain.ActManageAccounts, domain.Scope{}) || a.Can(domain.ActManageRoles, domain.Scope{}) {
		p.Nav = append(p.Nav, web.NavItem{Href: "/utilisateurs", Label: "Utilisateurs"})
	}
	if a.Can(domain.ActViewNationalJournal, domain.Scope{}) {
		p.Nav = append(p.Nav, web.NavItem{Href: "/journal", Label: "Journal"})
	}
	if a.Can(domain.ActReadOutbox, domain.Scope{}) {
		p.Nav = append(p.Nav, web.NavItem{Href: "/admin/outbox", Label: "Courriels"})
	}
	return p
}

// flash leaves a confirmation for the next page.
func (s *Server) flash(r *http.Request, msg string) {
	s.sessions.Put(r.Context(), sessionFlash, msg)
}

// seeOther answers a successful POST.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// localPath keeps a redirect target only if it stays on this site.
// Browsers drop tabs and line breaks from URLs and read "\\" as "/", so any of
// them, anywhere, could turn "/\t/ailleurs.example" into another site: such a
// target is refused whole.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsFunc(p, func(r rune) bool {
		return r < 0x20 || r == 0x7F || r == '\\'
	}) {
		return "/"
	}
	return p
}

// clientIP is the address failed logins are counted against.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func loginFields(email string) (web.Field, web.Field) {
	return web.Field{Name: "email", Label: "Adresse électronique", Type: "email", Value: email, Required: true, Autocomplete: "username"},
		web.Field{Name: "password", Label: "Mot de passe", Type: "password", Required: true, Autocomplete: "current-password"}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if actorOf(r.Context()) != nil {
		return seeOther(w, r, "/")
	}
	email, password := loginFields("")
	v := web.LoginView{Page: s.page(r, "Connexion"), Email: email, Password: password, Next: localPath(r.URL.Query().Get("suite"))}
	v.Page.Flash = s.sessions.PopString(r.Context(), sessionFlash)
	return s.render(w, r, http.StatusOK, web.LoginPage(v))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	next := localPath(r.PostFormValue("suite"))
	emailField, passwordField := loginFields(email)
	v := web.LoginView{Page: s.page(r, "Connexion"), Email: emailField, Password: passwordField, Next: next}
	status := http.StatusOK
	switch {
	case strings.TrimSpace(email) == "" || pw == "":
		if strings.TrimSpace(email) == "" {
			v.Email.Error = "Saisissez votre adresse électronique."
		}
		if pw == "" {
			v.Password.Error = "Saisissez votre mot de passe."
		}
		status = http.StatusBadRequest
	default:
		uid, since, err := s.accounts.Login(r.Context(), email, pw, clientIP(r))
		if err == nil {
			// A new token at login: a session id seen before it is worthless after.
			if err := s.sessions.RenewToken(r.Context()); err != nil {
				return err
			}
			s.sessions.Put(r.Context(), sessionUser, uid)
			s.sessions.Put(r.Context(), sessionSignedIn, since.UnixNano())
			s.sessions.Put(r.Context(), sessionSeen, time.Now().Unix())
			return seeOther(w, r, next)
		}
		switch domain.ErrorCode(err) {
		case domain.EUNAUTH:
			status = http.StatusUnauthorized
		case domain.ETOOMANY:
			status = http.StatusTooManyRequests
		case domain.EFORBIDDEN:
			status = http.StatusForbidden
		default:
			return err
		}
		v.Errors = web.FormErrors{Message: domain.ErrorMessage(err)}
	}
	v.Page.Title = "Erreur · Connexion"
	if v.Errors.Message == "" {
		v.Errors = web.Summary("", v.Email, v.Password)
	}
	return s.render(w, r, status, web.LoginPage(v))
}

// signOut renews the session token and forgets the person.
func (s *Server) signOut(r *http.Request, message string) error {
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Remove(r.Context(), sessionUser)
	s.sessions.Remove(r.Context(), sessionSignedIn)
	s.flash(r, message)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.signOut(r, "Vous êtes déconnecté·e."); err != nil {
		return err
	}
	return seeOther(w, r, "/connexion")
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	if err := s.accounts.LogoutEverywhere(r.Context(), actorOf(r.Context())); err != nil {
		return err
	}
	if err := s.signOut(r, "Toutes vos sessions sont fermées, sur tous les appareils."); err != nil {
		return err
	}
	return seeOther(w, r, "/connexion")
}

// formPage renders a FormView with the error of a failed action on its fields.
func (s *Server) formPage(w http.ResponseWriter, r *http.Request, v web.FormView, err error) error {
	if v.Cancel == "" {
		v.Cancel = "/"
	}
	status := http.StatusOK
	if err != nil {
		if domain.ErrorCode(err) != domain.EINVALID {
			return err
		}
		status = http.StatusBadRequest
		fields := domain.ErrorFields(err)
		for i := range v.Fields {
			v.Fields[i].Error = fields[v.Fields[i].Name]
		}
		v.Errors = web.Summary(domain.ErrorMessage(err), v.Fields...)
		v.Page.Title = "Erreur · " + v.Page.Title
	}
	return s.render(w, r, status, web.FormPage(v))
}

func forgotView(p web.Page, email string) web.FormView {
	return web.FormView{Page: p, Heading: "Mot de passe oublié",
		Intro:  "Indiquez l'adresse électronique de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.",
		Action: "/mot-de-passe-oublie", Submit: "Recevoir le lien", Cancel: "/connexion",
		Fields: []web.Field{{Name: "email", Label: "Adresse électronique", Type: "email", Value: email, Required: true, Autocomplete: "email"}}}
}

func (s *Server) forgotPage(w http.ResponseWriter, r *http.Request) error {
	return s.formPage(w, r, forgotView(s.page(r, "Mot de passe oublié"), ""), nil)
}

func (s *Server) forgot(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	v := forgotView(s.page(r, "Mot de passe oublié"), email)
	if err := s.accounts.RequestReset(r.Context(), email, clientIP(r)); err != nil {
		return s.formPage(w, r, v, err)
	}
	// The same answer whether or not the address has an account.
	v.Done = "Si un compte actif correspond à cette adresse, un courriel vient de lui être envoyé avec un lien valable une heure."
	return s.formPage(w, r, v, nil)
}

func passwordFields(withName bool, nom string) []web.Field {
	var fields []web.Field
	if withName {
		fields = append(fields, web.Field{Name: "nom", Label: "Prénom et nom", Type: "text", Value: nom, Required: true, Autocomplete: "name"})
	}
	return append(fields,
		web.Field{Name: "password", Label: "Nouveau mot de passe", Type: "password", Required: true, Autocomplete: "new-password",
			Hint: "Au moins 12 caractères. Une phrase de plusieurs mots est facile à retenir et difficile à deviner."},
		web.Field{Name: "confirm", Label: "Confirmation du mot de passe", Type: "password", Required: true, Autocomplete: "new-password"})
}

func (s *Server) resetView(r *http.Request) web.FormView {
	return web.FormView{Page: s.page(r, "Nouveau mot de passe"), Heading: "Choisir un nouveau mot de passe",
		Action: "/mot-de-passe/" + chi.URLParam(r, "token"), Submit: "Enregistrer le mot de passe", Cancel: "/connexion", Fields: passwordFields(false, "")}
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.accounts.Pending(r.Context(), accounts.PurposeReset, chi.URLParam(r, "token")); err != nil {
		return err
	}
	return s.formPage(w, r, s.resetView(r), nil)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) error {
	err := s.accounts.ResetPassword(r.Context(), chi.URLParam(r, "token"), r.PostFormValue("password"), r.PostFormValue("confirm"))
	if err != nil {
		return s.formPage(w, r, s.resetView(r), err)
	}
	s.flash(r, "Votre mot de passe est modifié. Connectez-vous avec le nouveau.")
	return seeOther(w, r, "/connexion")
}

func (s *Server) invitationView(r *http.Request, p accounts.PendingToken, nom string) web.FormView {
	if nom == "" {
		nom = p.Nom
	}
	return web.FormView{Page: s.page(r, "Activer mon compte"), Heading: "Activer votre compte Cadre",
		Intro:  "Vous êtes invité·e à rejoindre Cadre avec l'adresse " + p.Email + ". Indiquez votre nom et choisissez votre mot de passe.",
		Action: "/invitation/" + chi.URLParam(r, "token"), Submit: "Activer mon compte", Cancel: "/connexion", Fields: passwordFields(true, nom)}
}

func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.accounts.Pending(r.Context(), accounts.PurposeInvitation, chi.URLParam(r, "token"))
	if err != nil {
		return err
	}
	return s.formPage(w, r, s.invitationView(r, p, ""), nil)
}

func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	token := chi.URLParam(r, "token")
	p, err := s.accounts.Pending(r.Context(), accounts.PurposeInvitation, token)
	if err != nil {
		return err
	}
	uid, err := s.accounts.AcceptInvitation(r.Context(), token, r.PostFormValue("nom"), r.PostFormValue("password"), r.PostFormValue("confirm"))
	if err != nil {
		return s.formPage(w, r, s.invitationView(r, p, r.PostFormValue("nom")), err)
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionUser, uid)
	// Activation ended the account's earlier sessions at the database's "now";
	// a second later is safely after it on any clock.
	s.sessions.Put(r.Context(), sessionSignedIn, time.Now().Add(time.Second).UnixNano())
	s.sessions.Put(r.Context(), sessionSeen, time.Now().Unix())
	s.flash(r, "Bienvenue : votre compte est activé.")
	return seeOther(w, r, "/")
}

// membershipLinks describes the actor's roles with a link to each scope.
func membershipLinks(a *domain.Actor) []web.MembershipLink {
	var links []web.MembershipLink
	for _, m := range a.Memberships {
		l := web.MembershipLink{Role: m.Role.Label(), Scope: m.ScopeLabel}
		switch {
		case m.StructureID != 0:
			l.Href = "/reseau/structures/" + itoa(m.StructureID)
		case m.RegionID != 0:
			l.Href = "/reseau/regions/" + itoa(m.RegionID)
		default:
			l.Scope = "National"
		}
		links = append(links, l)
	}
	return links
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	nom := a.Nom
	if nom == "" {
		nom = a.Email
	}
	v := web.DashboardView{Page: s.page(r, "Accueil"), Nom: nom, Memberships: membershipLinks(a)}
	// The national team follows campaigns from their own pages; others see theirs here.
	if vis := a.Visible(domain.ActViewAutoeval); !vis.All && (len(vis.RegionIDs) > 0 || len(vis.StructureIDs) > 0) {
		list, err := s.autoeval.List(r.Context(), a)
		if err != nil {
			return err
		}
		for _, ae := range list {
			v.Assessments = append(v.Assessments, web.AssessmentLink{Campagne: ae.CampagneNom, Structure: ae.StructureNom,
				Etat: ae.Etat.Label(), Cloture: domain.FrenchDate(ae.Cloture), URL: autoevalURL(ae.ID)})
		}
	}
	var err error
	if v.Revue, err = s.revueHome(r); err != nil {
		return err
	}
	if v.Plan, err = s.planHome(r); err != nil {
		return err
	}
	if v.Audits, err = s.mesAudits(r); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.Dashboard(v))
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	return s.render(w, r, http.StatusOK, web.AccountPage(web.AccountView{Page: s.page(r, "Mon compte"), Nom: a.Nom, Email: a.Email, Memberships: membershipLinks(a)}))
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
