package commission

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
)

// Store is what the commission needs of storage. Writes take the actor for
// the journal and run as one change; other failures are internal errors.
type Store interface {
	// CommissionSessions returns every session, the latest first.
	CommissionSessions(ctx context.Context) ([]Session, error)
	// CommissionSession returns one session; ENOTFOUND when there is none.
	CommissionSession(ctx context.Context, id int64) (Session, error)
	// CreateCommissionSession records a new session.
	CreateCommissionSession(ctx context.Context, actor *domain.Actor, s Session) (int64, error)
	// DossiersRapportDefinitif returns the dossiers in state rapport_definitif, by ML.
	DossiersRapportDefinitif(ctx context.Context) ([]Dossier, error)
	// Agenda returns the dossiers on a session's agenda, by ML.
	Agenda(ctx context.Context, sessionID int64) ([]Dossier, error)
	// AddToAgenda puts a dossier on a session's agenda; ECONFLICT unless it is
	// in state rapport_definitif or when it is already there; ENOTFOUND for
	// an unknown dossier.
	AddToAgenda(ctx context.Context, actor *domain.Actor, sessionID, autoevalID int64) error
	// DecisionsOf returns the decisions of the dossiers of a session's agenda
	// and of earlier ones on the same dossiers, oldest first.
	DecisionsOf(ctx context.Context, autoevalIDs []int64) ([]Decision, error)
	// Decision returns one decision; ENOTFOUND when there is none.
	Decision(ctx context.Context, id int64) (Decision, error)
	// RecordDecision records d on a dossier of its session's agenda (ENOTFOUND
	// otherwise) and, in the same transaction, moves the dossier by decide
	// (under a row lock; its refusal is returned as is), gives label when not
	// nil (its DecisionID is set) and queues message for the ML's directors
	// and its région's référents.
	RecordDecision(ctx context.Context, actor *domain.Actor, d Decision, label *Label,
		decide func(demarche.Etat) (demarche.Etat, error), message func(Destinataire) mail.Message) (int64, error)
	// CorrectDecision records d as the correction of decision d.CorrigeID:
	// ECONFLICT when that one was already corrected. The label the corrected
	// decision gave is withdrawn; label, when not nil, is given; message is
	// queued as for RecordDecision.
	CorrectDecision(ctx context.Context, actor *domain.Actor, d Decision, label *Label, message func(Destinataire) mail.Message) (int64, error)
	// Representer moves a decided dossier back to rapport_definitif by decide,
	// which gets its state and the outcome of its standing decision (""
	// when none), under a row lock; ENOTFOUND for an unknown dossier.
	Representer(ctx context.Context, actor *domain.Actor, autoevalID int64, commentaire string,
		decide func(demarche.Etat, Resultat) (demarche.Etat, error)) error
	// Registre returns every ML (of a région; 0: all) with its latest label, by name.
	Registre(ctx context.Context, regionID int64) ([]Ligne, error)
	// ListRegions returns the régions v covers, by name.
	ListRegions(ctx context.Context, v domain.Visibility) ([]domain.Region, error)
}

// Destinataire is a person a notification is sent to.
type Destinataire struct {
	Email, Nom string
}

// Service applies the commission's rules on the store.
type Service struct {
	store   Store
	baseURL string
	// Validite is a label's length in years.
	Validite int
	// Now is the clock.
	Now func() time.Time
}

// NewService returns the commission on store; labels last years years
// (DefaultValidite when 0); baseURL starts the links of its emails.
func NewService(store Store, baseURL *url.URL, years int) *Service {
	if years <= 0 {
		years = DefaultValidite
	}
	s := &Service{store: store, Validite: years, Now: time.Now}
	if baseURL != nil {
		s.baseURL = strings.TrimSuffix(baseURL.String(), "/")
	}
	return s
}

// ErrMayNotManage refuses the commission's work to anyone but the Pôle (EFORBIDDEN).
var ErrMayNotManage = domain.Errorf(domain.EFORBIDDEN, "Seul le Pôle labellisation gère la commission.")

// MayManage reports EFORBIDDEN unless actor manages the commission.
func (s *Service) MayManage(actor *domain.Actor) error {
	if !actor.Can(domain.ActManageCommission, domain.Scope{}) {
		return ErrMayNotManage
	}
	return nil
}

// Accueil is the commission's home: its sessions and the dossiers awaiting a decision.
type Accueil struct {
	Sessions  []Session
	EnAttente []Dossier
}

// Accueil returns the commission's home; EFORBIDDEN unless actor manages it.
func (s *Service) Accueil(ctx context.Context, actor *domain.Actor) (*Accueil, error) {
	if err := s.MayManage(actor); err != nil {
		return nil, err
	}
	var a Accueil
	var err error
	if a.Sessions, err = s.store.CommissionSessions(ctx); err != nil {
		return nil, err
	}
	if a.EnAttente, err = s.store.DossiersRapportDefinitif(ctx); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateSession validates and records a session.
func (s *Service) CreateSession(ctx context.Context, actor *domain.Actor, sess Session) (int64, error) {
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	sess.Normalize()
	if err := sess.Validate(); err != nil {
		return 0, err
	}
	return s.store.CreateCommissionSession(ctx, actor, sess)
}

// Session returns a session for the Pôle; ENOTFOUND for anyone else, as for an unknown one.
func (s *Service) Session(ctx context.Context, actor *domain.Actor, id int64) (Session, error) {
	if s.MayManage(actor) != nil {
		return Session{}, domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	return s.store.CommissionSession(ctx, id)
}

// SessionDetail is a session with its agenda, each dossier's decisions, and
// the dossiers that could be added.
type SessionDetail struct {
	Session   Session
	Agenda    []Dossier
	Decisions map[int64][]Decision // by auto-évaluation, oldest first
	Candidats []Dossier
}

// Standing returns the dossier's decision that stands (not corrected), if any.
func (d *SessionDetail) Standing(autoevalID int64) *Decision {
	list := d.Decisions[autoevalID]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].CorrigeeParID == 0 {
			return &list[i]
		}
	}
	return nil
}

// Detail completes a session loaded by Session.
func (s *Service) Detail(ctx context.Context, sess Session) (*SessionDetail, error) {
	d := &SessionDetail{Session: sess, Decisions: map[int64][]Decision{}}
	var err error
	if d.Agenda, err = s.store.Agenda(ctx, sess.ID); err != nil {
		return nil, err
	}
	waiting, err := s.store.DossiersRapportDefinitif(ctx)
	if err != nil {
		return nil, err
	}
	on := map[int64]bool{}
	var ids []int64
	for _, x := range d.Agenda {
		on[x.AutoevaluationID] = true
		ids = append(ids, x.AutoevaluationID)
	}
	for _, x := range waiting {
		if !on[x.AutoevaluationID] {
			d.Candidats = append(d.Candidats, x)
		}
	}
	list, err := s.store.DecisionsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, dec := range list {
		d.Decisions[dec.AutoevaluationID] = append(d.Decisions[dec.AutoevaluationID], dec)
	}
	return d, nil
}

// AddToAgenda puts a dossier with a rapport définitif on a session's agenda.
func (s *Service) AddToAgenda(ctx context.Context, actor *domain.Actor, sess Session, autoevalID int64) error {
	if err := s.MayManage(actor); err != nil {
		return err
	}
	if autoevalID <= 0 {
		return domain.FieldErrors{"autoevaluation": "Choisissez un dossier."}.Err()
	}
	return s.store.AddToAgenda(ctx, actor, sess.ID, autoevalID)
}

// Decide records the commission's decision d on a dossier of sess's agenda:
// the dossier becomes décidée; a labellisé gives a label from the session's
// date for Validite years; the ML and its référent are told. EFORBIDDEN
// unless actor manages the commission; EINVALID per field; ECONFLICT unless
// the dossier is a rapport définitif.
func (s *Service) Decide(ctx context.Context, actor *domain.Actor, sess Session, d Decision) (int64, error) {
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	d.SessionID, d.SessionDate, d.CorrigeID = sess.ID, sess.Date, 0
	d.Normalize()
	if err := d.Validate(sess.Date); err != nil {
		return 0, err
	}
	var label *Label
	if d.Resultat == Labellise {
		l := NewLabel(d, sess.Date, s.Validite)
		label = &l
	}
	return s.store.RecordDecision(ctx, actor, d, label,
		func(e demarche.Etat) (demarche.Etat, error) {
			return demarche.Next(e, demarche.Decider, domain.RolePole, d.Motifs)
		},
		func(to Destinataire) mail.Message { return s.messageDecision(to, d, label, false) })
}

// Correct records a correction of decision id: a new decision, linked to it,
// taken at the same session; the decision it corrects stays as recorded. The
// label follows the correction. ECONFLICT when id was already corrected.
func (s *Service) Correct(ctx context.Context, actor *domain.Actor, id int64, d Decision) (int64, error) {
	if err := s.MayManage(actor); err != nil {
		return 0, err
	}
	prev, err := s.store.Decision(ctx, id)
	if err != nil {
		return 0, err
	}
	if prev.CorrigeeParID != 0 {
		return 0, domain.Errorf(domain.ECONFLICT, "Cette décision a déjà été corrigée : corrigez la décision qui la remplace.")
	}
	d.SessionID, d.SessionDate, d.AutoevaluationID, d.StructureID, d.CorrigeID = prev.SessionID, prev.SessionDate, prev.AutoevaluationID, prev.StructureID, prev.ID
	d.Normalize()
	if err := d.Validate(prev.SessionDate); err != nil {
		return 0, err
	}
	var label *Label
	if d.Resultat == Labellise {
		l := NewLabel(d, prev.SessionDate, s.Validite)
		label = &l
	}
	return s.store.CorrectDecision(ctx, actor, d, label, func(to Destinataire) mail.Message { return s.messageDecision(to, d, label, true) })
}

// Representer puts an adjourned dossier back before the commission once its
// conditions are met, said in commentaire: it is again a rapport définitif,
// ready for a session's agenda. ECONFLICT unless its standing decision is an
// adjournment.
func (s *Service) Representer(ctx context.Context, actor *domain.Actor, autoevalID int64, commentaire string) error {
	if err := s.MayManage(actor); err != nil {
		return err
	}
	commentaire = strings.TrimSpace(commentaire)
	return s.store.Representer(ctx, actor, autoevalID, commentaire, func(e demarche.Etat, r Resultat) (demarche.Etat, error) {
		if r != Ajourne {
			return e, domain.Errorf(domain.ECONFLICT, "Seul un dossier ajourné peut être présenté à nouveau à la commission.")
		}
		return demarche.Next(e, demarche.Representer, domain.RolePole, commentaire)
	})
}

// Registre is the national register as a person sees it.
type Registre struct {
	Lignes  []Ligne
	Regions []domain.Region
	Region  int64
	Today   time.Time
	// CanPlanSuivi: the person may plan follow-up audits (the Pôle).
	CanPlanSuivi bool
}

// Registre returns the national register, of a région when regionID is not 0.
// Every signed-in role reads it: it is the network's public fact.
func (s *Service) Registre(ctx context.Context, actor *domain.Actor, regionID int64) (*Registre, error) {
	if !actor.Can(domain.ActViewRegistre, domain.Scope{}) {
		return nil, domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	r := &Registre{Region: regionID, Today: s.Now(), CanPlanSuivi: actor.Can(domain.ActManageCommission, domain.Scope{})}
	var err error
	if r.Regions, err = s.store.ListRegions(ctx, domain.Visibility{All: true}); err != nil {
		return nil, err
	}
	if r.Lignes, err = s.store.Registre(ctx, regionID); err != nil {
		return nil, err
	}
	return r, nil
}

func hello(d Destinataire) string {
	if d.Nom != "" {
		return "Bonjour " + d.Nom + ",\n\n"
	}
	return "Bonjour,\n\n"
}

// messageDecision tells the ML's director or its référent of a decision.
func (s *Service) messageDecision(to Destinataire, d Decision, label *Label, correction bool) mail.Message {
	var b strings.Builder
	b.WriteString(hello(to))
	what := "La commission nationale de labellisation a rendu sa décision"
	if correction {
		what = "La commission nationale de labellisation a corrigé sa décision"
	}
	fmt.Fprintf(&b, "%s, lors de sa session du %s : %s.\n\nMotifs :\n%s\n\n", what, domain.FrenchDate(d.SessionDate), d.Resultat.Label(), d.Motifs)
	if d.Resultat == Ajourne && d.Delai != nil {
		fmt.Fprintf(&b, "Conditions à remplir avant le %s :\n%s\n\n", domain.FrenchDate(*d.Delai), d.Conditions)
	}
	if label != nil {
		fmt.Fprintf(&b, "Le label est valable du %s au %s.\n\n", domain.FrenchDate(label.Debut), domain.FrenchDate(label.Fin))
	}
	fmt.Fprintf(&b, "Le registre national des labels : %s/registre\n\n— Cadre", s.baseURL)
	return mail.Message{To: to.Email, Subject: "Décision de la commission de labellisation : " + d.Resultat.Label(), Body: b.String()}
}

// Decision returns a decision for the Pôle; ENOTFOUND for anyone else, as for an unknown one.
func (s *Service) Decision(ctx context.Context, actor *domain.Actor, id int64) (Decision, error) {
	if s.MayManage(actor) != nil {
		return Decision{}, domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	return s.store.Decision(ctx, id)
}
