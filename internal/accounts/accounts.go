// Package accounts holds the rules of people's accounts: login with throttling,
// invitations, password resets, disabling, and who may manage whom.
package accounts

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/domain"
	cmail "github.com/unml/cadre/internal/mail"
)

// Limits of the account rules.
const (
	ThrottleWindow        = 15 * time.Minute
	MaxFailuresPerAccount = 5
	MaxFailuresPerAddress = 30
	InvitationTTL         = 7 * 24 * time.Hour
	ResetTTL              = time.Hour
	// Reset requests per address and per client within ThrottleWindow.
	MaxResetsPerAccount = 3
	MaxResetsPerAddress = 10
)

// Credentials is what a login checks.
type Credentials struct {
	UserID       int64
	Email        string
	PasswordHash string // empty until an invitation is accepted
	Disabled     bool
	// Now is the database's clock, so that session validity compares instants
	// taken from one clock.
	Now time.Time
}

// Invitation gives a role to a person, by email.
type Invitation struct {
	Email       string
	Nom         string
	Role        domain.Role
	RegionID    int64
	StructureID int64
	InvitedBy   int64
}

// PendingToken is a valid, unused token and its account.
type PendingToken struct {
	UserID int64
	Email  string
	Nom    string
}

// Token purposes.
const (
	PurposeInvitation = "invitation"
	PurposeReset      = "reset"
)

// Store is the storage the account rules need.
type Store interface {
	// CredentialsByEmail returns ENOTFOUND for an unknown address.
	CredentialsByEmail(ctx context.Context, email string) (Credentials, error)
	LoginFailures(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, err error)
	RecordLoginFailure(ctx context.Context, actor *domain.Actor, email, ip string) error
	ClearLoginFailures(ctx context.Context, actor *domain.Actor, email string) error
	EndAllSessions(ctx context.Context, actor *domain.Actor, userID int64) error
	// Invite returns a form error on "email" when the person already has the role.
	Invite(ctx context.Context, actor *domain.Actor, inv Invitation, tokenHash []byte, expires time.Time, message func(needsPassword bool) cmail.Message) (int64, error)
	// PendingToken and UseToken return ENOTFOUND for an unknown, used or expired token.
	PendingToken(ctx context.Context, purpose string, hash []byte) (PendingToken, error)
	UseToken(ctx context.Context, actor *domain.Actor, purpose string, hash []byte, nom, passwordHash string) (int64, error)
	// ResetRequests counts the reset requests made for email and from ip since then.
	ResetRequests(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, err error)
	// RequestReset records the request; for an active account it voids the
	// account's older reset tokens, stores the new one and queues its email.
	RequestReset(ctx context.Context, actor *domain.Actor, email, ip string, tokenHash []byte, expires time.Time, message func(nom string) cmail.Message) error
	Structure(ctx context.Context, v domain.Visibility, id int64) (domain.Structure, error)
	Region(ctx context.Context, v domain.Visibility, id int64) (domain.Region, error)
	Membership(ctx context.Context, id int64) (domain.Membership, domain.Scope, error)
	// Actor loads a signed-in person with every membership; EUNAUTH for an
	// unknown, disabled or not yet activated account, or a session older than the
	// account's "log out everywhere".
	Actor(ctx context.Context, userID int64, signedInAt time.Time) (*domain.Actor, error)
	// StructureMembers lists the people of an ML the visibility covers.
	StructureMembers(ctx context.Context, v domain.Visibility, structureID int64) ([]Member, error)
	// ListMembers lists every account with each of its memberships.
	ListMembers(ctx context.Context) ([]Member, error)
	// ListOutbox returns the limit newest messages; OutboxMessage one, ENOTFOUND.
	ListOutbox(ctx context.Context, limit int) ([]cmail.Queued, error)
	OutboxMessage(ctx context.Context, id int64) (cmail.Queued, error)
	RemoveMembership(ctx context.Context, actor *domain.Actor, id int64) error
	SetDisabled(ctx context.Context, actor *domain.Actor, userID int64, disabled bool) error
	// SetQualification sets an auditor's qualification ("" clears it);
	// EINVALID unless the account holds the auditor role.
	SetQualification(ctx context.Context, actor *domain.Actor, userID int64, qualification string) error
}

// Member is a person with one of their memberships, for team and user lists.
type Member struct {
	UserID       int64
	Email        string
	Nom          string
	Active       bool // has set a password
	Disabled     bool
	MembershipID int64
	Role         domain.Role
	ScopeLabel   string
}

// Service applies the account rules.
type Service struct {
	store   Store
	params  auth.Params
	baseURL *url.URL
	dummy   string // a hash to verify against for unknown addresses
}

// NewService returns the account rules on store; links in emails start with baseURL.
func NewService(store Store, params auth.Params, baseURL *url.URL) *Service {
	dummy, err := auth.HashPassword("no account has this password", params)
	if err != nil {
		panic(err) // only if the system's random source fails
	}
	return &Service{store: store, params: params, baseURL: baseURL, dummy: dummy}
}

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

func validEmail(email string) bool {
	a, err := mail.ParseAddress(email)
	return err == nil && a.Address == email && len(email) <= 254
}

// ErrBadCredentials is the one answer to a wrong address or password, so that
// nobody learns whether an address has an account.
var ErrBadCredentials = domain.Errorf(domain.EUNAUTH, "Adresse électronique ou mot de passe incorrect.")

// ErrThrottled answers logins after too many failures.
var ErrThrottled = domain.Errorf(domain.ETOOMANY, "Trop de tentatives de connexion ont échoué. Par sécurité, attendez 15 minutes avant de réessayer, ou réinitialisez votre mot de passe.")

// Login checks an address and password from ip. It returns the account and the
// instant of the login; wrong credentials give ErrBadCredentials after the same
// work whether or not the account exists, and too many failures ErrThrottled.
func (s *Service) Login(ctx context.Context, email, password, ip string) (int64, time.Time, error) {
	email = NormalizeEmail(email)
	byEmail, byIP, err := s.store.LoginFailures(ctx, email, ip, time.Now().Add(-ThrottleWindow))
	if err != nil {
		return 0, time.Time{}, err
	}
	if byEmail >= MaxFailuresPerAccount || byIP >= MaxFailuresPerAddress {
		return 0, time.Time{}, ErrThrottled
	}
	if len(password) > 1024 {
		password = password[:1024]
	}
	c, err := s.store.CredentialsByEmail(ctx, email)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return 0, time.Time{}, err
	}
	hash := c.PasswordHash
	if hash == "" {
		hash = s.dummy
	}
	ok, verr := auth.VerifyPassword(hash, password)
	if verr != nil {
		return 0, time.Time{}, fmt.Errorf("login: %w", verr)
	}
	if err != nil || c.PasswordHash == "" || !ok {
		if err := s.store.RecordLoginFailure(ctx, nil, email, ip); err != nil {
			return 0, time.Time{}, err
		}
		return 0, time.Time{}, ErrBadCredentials
	}
	if c.Disabled {
		return 0, time.Time{}, domain.Errorf(domain.EFORBIDDEN, "Ce compte est désactivé. Adressez-vous au pôle labellisation de l'UNML.")
	}
	if err := s.store.ClearLoginFailures(ctx, &domain.Actor{UserID: c.UserID, Email: c.Email}, email); err != nil {
		return 0, time.Time{}, err
	}
	return c.UserID, c.Now, nil
}

// LogoutEverywhere ends every session of the actor's account.
func (s *Service) LogoutEverywhere(ctx context.Context, actor *domain.Actor) error {
	return s.store.EndAllSessions(ctx, actor, actor.UserID)
}

// Invite gives a role to a person by email and sends the invitation. Directors may
// invite contributors to their own ML; the national team may invite to any role.
// A scope the actor cannot see is ENOTFOUND.
func (s *Service) Invite(ctx context.Context, actor *domain.Actor, inv Invitation) error {
	inv.Email = NormalizeEmail(inv.Email)
	inv.Nom = strings.TrimSpace(inv.Nom)
	inv.InvitedBy = actor.UserID
	fe := domain.FieldErrors{}
	if !validEmail(inv.Email) {
		fe["email"] = "Saisissez une adresse électronique valide, par exemple prenom.nom@ml-exemple.fr."
	}
	if utf8.RuneCountInString(inv.Nom) > 200 {
		fe["nom"] = "Le nom est trop long (200 caractères au plus)."
	}
	if !inv.Role.Valid() {
		fe["role"] = "Choisissez un rôle."
	}
	// The scope the role is held on, and what the inviter may do there.
	scopeLabel, scope := "", domain.Scope{}
	switch inv.Role.ScopeKind() {
	case "structure":
		inv.RegionID = 0
		if inv.StructureID == 0 {
			fe["structure"] = "Choisissez la Mission Locale."
			break
		}
		st, err := s.store.Structure(ctx, actor.Visible(domain.ActViewStructure), inv.StructureID)
		if err != nil {
			return err
		}
		scopeLabel, scope = st.Nom, domain.Scope{RegionID: st.RegionID, StructureID: st.ID}
	case "region":
		inv.StructureID = 0
		if inv.RegionID == 0 {
			fe["region"] = "Choisissez la région."
			break
		}
		r, err := s.store.Region(ctx, actor.Visible(domain.ActViewRegion), inv.RegionID)
		if err != nil {
			return err
		}
		scopeLabel, scope = r.Nom, domain.Scope{RegionID: r.ID}
	default:
		inv.RegionID, inv.StructureID = 0, 0
		scopeLabel = "national"
	}
	// Permission before validation: someone who may not invite learns nothing
	// from the form's errors.
	allowed := actor.Can(domain.ActManageRoles, scope) ||
		(inv.Role == domain.RoleContributeur && actor.Can(domain.ActManageTeam, scope))
	if !allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Vous ne pouvez pas attribuer ce rôle.")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	token, hash := auth.NewToken()
	inviter := actor.Nom
	if inviter == "" {
		inviter = actor.Email
	}
	_, err := s.store.Invite(ctx, actor, inv, hash, time.Now().Add(InvitationTTL), func(needsPassword bool) cmail.Message {
		body := fmt.Sprintf("Bonjour,\n\n%s vous donne accès à Cadre, la plateforme de la démarche qualité des Missions Locales, avec le rôle « %s » (%s).\n\n",
			inviter, inv.Role.Label(), scopeLabel)
		if needsPassword {
			body += fmt.Sprintf("Pour activer votre compte, choisissez votre mot de passe en ouvrant ce lien, valable 7 jours et une seule fois :\n%s\n\n", s.link(invitationPath+token))
		} else {
			body += fmt.Sprintf("Vous avez déjà un compte : ce rôle s'ajoute aux vôtres. Connectez-vous : %s\n\n", s.link("/connexion"))
		}
		body += "Si vous ne vous attendiez pas à ce message, ignorez-le.\n\n— Cadre"
		return cmail.Message{To: inv.Email, Subject: "Invitation à rejoindre Cadre", Body: body}
	})
	return err
}

// Paths of the single-use links sent by email; the token follows.
const (
	invitationPath = "/invitation/"
	resetPath      = "/mot-de-passe/"
)

// singleUseLink matches a single-use link in an email's text.
var singleUseLink = regexp.MustCompile(`\S*(` + regexp.QuoteMeta(invitationPath) + `|` + regexp.QuoteMeta(resetPath) + `)[A-Za-z0-9_-]+`)

// RedactLinks hides the single-use links of an email's text: whoever reads the
// outbox, other than the recipient, must not be able to use them.
func RedactLinks(body string) string {
	return singleUseLink.ReplaceAllString(body, "[lien personnel à usage unique, masqué]")
}

func (s *Service) link(path string) string {
	return strings.TrimRight(s.baseURL.String(), "/") + path
}

// Pending returns the account waiting behind a token, ENOTFOUND when the token is
// unknown, used or expired.
func (s *Service) Pending(ctx context.Context, purpose, token string) (PendingToken, error) {
	return s.store.PendingToken(ctx, purpose, auth.HashToken(token))
}

// AcceptInvitation activates an invited account with its name and password.
func (s *Service) AcceptInvitation(ctx context.Context, token, nom, password, confirm string) (int64, error) {
	p, err := s.Pending(ctx, PurposeInvitation, token)
	if err != nil {
		return 0, err
	}
	nom = strings.TrimSpace(nom)
	fe := passwordErrors(password, confirm, p.Email)
	if nom == "" {
		fe["nom"] = "Indiquez vos prénom et nom."
	} else if utf8.RuneCountInString(nom) > 200 {
		fe["nom"] = "Le nom est trop long (200 caractères au plus)."
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	hash, err := auth.HashPassword(password, s.params)
	if err != nil {
		return 0, err
	}
	return s.store.UseToken(ctx, &domain.Actor{UserID: p.UserID, Email: p.Email}, PurposeInvitation, auth.HashToken(token), nom, hash)
}

func passwordErrors(password, confirm, email string) domain.FieldErrors {
	fe := domain.FieldErrors{}
	if err := auth.CheckNewPassword(password, email); err != nil {
		fe["password"] = domain.ErrorFields(err)["password"]
	} else if confirm != password {
		fe["confirm"] = "Les deux mots de passe ne sont pas identiques."
	}
	return fe
}

// ErrResetThrottled answers reset requests beyond the limits, for any address.
var ErrResetThrottled = domain.Errorf(domain.ETOOMANY, "Trop de demandes de réinitialisation ont été faites pour cette adresse ou depuis votre poste. Par sécurité, attendez 15 minutes avant de réessayer ; le dernier lien envoyé reste valable.")

// RequestReset sends a reset link from ip if an active account has that address;
// the answer is the same either way. Only the newest link of an account works,
// and requests are throttled per address and per client (ErrResetThrottled),
// whether or not the address has an account.
func (s *Service) RequestReset(ctx context.Context, email, ip string) error {
	email = NormalizeEmail(email)
	if !validEmail(email) {
		return domain.FieldErrors{"email": "Saisissez une adresse électronique valide, par exemple prenom.nom@ml-exemple.fr."}.Err()
	}
	byEmail, byIP, err := s.store.ResetRequests(ctx, email, ip, time.Now().Add(-ThrottleWindow))
	if err != nil {
		return err
	}
	if byEmail >= MaxResetsPerAccount || byIP >= MaxResetsPerAddress {
		return ErrResetThrottled
	}
	token, hash := auth.NewToken()
	return s.store.RequestReset(ctx, nil, email, ip, hash, time.Now().Add(ResetTTL), func(nom string) cmail.Message {
		return cmail.Message{To: email, Subject: "Réinitialisation de votre mot de passe Cadre", Body: fmt.Sprintf(
			"Bonjour %s,\n\nUne réinitialisation du mot de passe de votre compte Cadre a été demandée. Pour choisir un nouveau mot de passe, ouvrez ce lien, valable une heure et une seule fois :\n%s\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.\n\n— Cadre",
			nom, s.link(resetPath+token))}
	})
}

// ResetPassword sets a new password through a reset token; every session of the
// account ends.
func (s *Service) ResetPassword(ctx context.Context, token, password, confirm string) error {
	p, err := s.Pending(ctx, PurposeReset, token)
	if err != nil {
		return err
	}
	if err := passwordErrors(password, confirm, p.Email).Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password, s.params)
	if err != nil {
		return err
	}
	_, err = s.store.UseToken(ctx, &domain.Actor{UserID: p.UserID, Email: p.Email, Nom: p.Nom}, PurposeReset, auth.HashToken(token), "", hash)
	return err
}

// RemoveMembership takes a role away. Directors may remove the contributors of
// their ML; the national team any role. Nobody removes their own.
func (s *Service) RemoveMembership(ctx context.Context, actor *domain.Actor, membershipID int64) error {
	m, scope, err := s.store.Membership(ctx, membershipID)
	if err != nil {
		return err
	}
	// A role on a scope the actor cannot see does not exist for them.
	visible := actor.Can(domain.ActManageRoles, scope) || actor.Can(domain.ActManageAccounts, domain.Scope{}) ||
		(m.StructureID != 0 && actor.Can(domain.ActViewStructure, scope)) ||
		(m.StructureID == 0 && m.RegionID != 0 && actor.Can(domain.ActViewRegion, scope))
	if !visible {
		return domain.Errorf(domain.ENOTFOUND, "Rôle introuvable.")
	}
	allowed := actor.Can(domain.ActManageRoles, scope) ||
		(m.Role == domain.RoleContributeur && actor.Can(domain.ActManageTeam, scope))
	if !allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Vous ne pouvez pas retirer ce rôle.")
	}
	if m.UserID == actor.UserID {
		return domain.Errorf(domain.EINVALID, "Vous ne pouvez pas retirer vos propres rôles : demandez-le à une autre personne habilitée.")
	}
	return s.store.RemoveMembership(ctx, actor, membershipID)
}

// SetDisabled disables or re-enables an account (the national team and platform
// admins; never one's own).
func (s *Service) SetDisabled(ctx context.Context, actor *domain.Actor, userID int64, disabled bool) error {
	if !actor.Can(domain.ActManageAccounts, domain.Scope{}) {
		return domain.Errorf(domain.ENOTFOUND, "Compte introuvable.")
	}
	if userID == actor.UserID {
		return domain.Errorf(domain.EINVALID, "Vous ne pouvez pas désactiver votre propre compte.")
	}
	return s.store.SetDisabled(ctx, actor, userID, disabled)
}

// Qualifications are an auditor account's possible qualifications, as stored:
// certified by the certification body, or from the network (issue 13).
var Qualifications = map[string]string{"certifie": "Auditeur·rice certifié·e", "reseau": "Auditeur·rice du réseau"}

// SetQualification sets an auditor's qualification, which the audit's pairs
// need (the national team: ENOTFOUND for anyone else). EINVALID for an
// unknown qualification or an account without the auditor role.
func (s *Service) SetQualification(ctx context.Context, actor *domain.Actor, userID int64, qualification string) error {
	if !actor.Can(domain.ActManageRoles, domain.Scope{}) {
		return domain.Errorf(domain.ENOTFOUND, "Compte introuvable.")
	}
	if _, ok := Qualifications[qualification]; !ok && qualification != "" {
		return domain.FieldErrors{"qualification": "Choisissez : auditeur·rice certifié·e ou du réseau."}.Err()
	}
	return s.store.SetQualification(ctx, actor, userID, qualification)
}

// Operator is the actor of the command line: someone with access to the server
// and its database, who may do what the national team does.
func Operator() *domain.Actor {
	return &domain.Actor{Nom: "L'équipe Cadre", Memberships: []domain.Membership{{Role: domain.RolePole}}}
}

// Actor returns the signed-in person of a session; EUNAUTH when the session is void.
func (s *Service) Actor(ctx context.Context, userID int64, signedInAt time.Time) (*domain.Actor, error) {
	return s.store.Actor(ctx, userID, signedInAt)
}

// Members lists the people of an ML actor may see; ENOTFOUND otherwise.
func (s *Service) Members(ctx context.Context, actor *domain.Actor, structureID int64) ([]Member, error) {
	return s.store.StructureMembers(ctx, actor.Visible(domain.ActViewStructure), structureID)
}

// People lists every account with its memberships, for those who manage accounts
// or roles; EFORBIDDEN for anyone else.
func (s *Service) People(ctx context.Context, actor *domain.Actor) ([]Member, error) {
	if !actor.Can(domain.ActManageAccounts, domain.Scope{}) && !actor.Can(domain.ActManageRoles, domain.Scope{}) {
		return nil, errForbidden
	}
	return s.store.ListMembers(ctx)
}

// Person names an account for those who manage accounts ("Nom (email)", or the
// email alone): for confirmation pages and messages. ENOTFOUND for anyone else,
// for one's own account (which one may not disable) and for an unknown id.
func (s *Service) Person(ctx context.Context, actor *domain.Actor, userID int64) (string, error) {
	if !actor.Can(domain.ActManageAccounts, domain.Scope{}) || userID == actor.UserID {
		return "", domain.Errorf(domain.ENOTFOUND, "Compte introuvable.")
	}
	people, err := s.store.ListMembers(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range people {
		if p.UserID == userID {
			if p.Nom == "" {
				return p.Email, nil
			}
			return p.Nom + " (" + p.Email + ")", nil
		}
	}
	return "", domain.Errorf(domain.ENOTFOUND, "Compte introuvable.")
}

// errForbidden refuses what the person's roles do not allow.
var errForbidden = domain.Errorf(domain.EFORBIDDEN, "Votre rôle ne permet pas cette action.")

// Outbox returns the newest limit messages for a platform admin; EFORBIDDEN for
// anyone else.
func (s *Service) Outbox(ctx context.Context, actor *domain.Actor, limit int) ([]cmail.Queued, error) {
	if !actor.Can(domain.ActReadOutbox, domain.Scope{}) {
		return nil, errForbidden
	}
	return s.store.ListOutbox(ctx, limit)
}

// OutboxMessage returns one message for a platform admin, its single-use links
// masked: the admin checks that mail goes out, and may never use someone else's
// invitation or reset link. EFORBIDDEN for anyone else, ENOTFOUND.
func (s *Service) OutboxMessage(ctx context.Context, actor *domain.Actor, id int64) (cmail.Queued, error) {
	if !actor.Can(domain.ActReadOutbox, domain.Scope{}) {
		return cmail.Queued{}, errForbidden
	}
	m, err := s.store.OutboxMessage(ctx, id)
	m.Body = RedactLinks(m.Body)
	return m, err
}
