package audit

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/revue"
)

// Store is what the audit needs of storage. Methods scoped to an ML take its
// structure id first and find nothing (ENOTFOUND) outside it; writes take the
// actor for the journal and run as one change; decisions on a state are taken
// under a row lock. Other failures are internal errors.
type Store interface {
	// Autoevaluation returns a dossier; ENOTFOUND unless v covers its ML.
	Autoevaluation(ctx context.Context, v domain.Visibility, id int64) (autoeval.Autoevaluation, error)
	// ReferentielByID returns a référentiel version's tree.
	ReferentielByID(ctx context.Context, id int64) (*referentiel.Referentiel, error)
	// Cotations returns the ML's answers by item code.
	Cotations(ctx context.Context, structureID, autoevalID int64) (map[string]autoeval.SavedCotation, error)
	// RevueItems returns the référent's avis by item code.
	RevueItems(ctx context.Context, structureID, autoevalID int64) (map[string]revue.SavedAvisItem, error)
	// AvisRegionaux returns the avis régionaux of a dossier, oldest first.
	AvisRegionaux(ctx context.Context, structureID, autoevalID int64) ([]revue.Avis, error)
	// FileAudit returns the dossiers awaiting an audit (avis rendu, or sent
	// without one), oldest first, and the submitted ones that could be sent.
	FileAudit(ctx context.Context) (queue, soumises []Dossier, err error)
	// Auditeurs returns the auditor accounts with their qualification and workload, by name.
	Auditeurs(ctx context.Context) ([]Auditeur, error)
	// Liens returns the memberships, current and ended, of userID in the ML
	// structureID, in any ML of its région or in its région's ARML.
	Liens(ctx context.Context, userID, structureID int64) ([]Lien, error)
	// SitesAudit returns the ML's sites and those earlier audits of it sampled.
	SitesAudit(ctx context.Context, structureID int64) (sites []Site, visites []int64, err error)
	// EnvoyerAudit records that the Pôle sends a submitted dossier to the
	// audit without an avis régional, with motif. ECONFLICT unless it is
	// submitted (under a lock); ENOTFOUND unless it is the ML's.
	EnvoyerAudit(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, motif string) error
	// AssignAudit creates the audit of a dossier with its sample and moves
	// the dossier by decide, which gets its state and the reason it was sent
	// without an avis (""); a decide giving no transition leaves the dossier
	// as it is (a follow-up audit, which also needs the label in force under
	// the lock). ECONFLICT when it already has its initial or renewal audit,
	// or, for a follow-up audit, an open one.
	AssignAudit(ctx context.Context, actor *domain.Actor, structureID, autoevalID int64, a Assignment, seed int64, candidats, visites []int64, siege int64,
		sample []Tire, decide func(etat demarche.Etat, motif string) (demarche.Etat, demarche.Transition, string, error)) (int64, error)
	// LabelSuivi says whether the ML holds, on today, a label in force given
	// by the decision on its dossier autoevalID, and which of the dossier's
	// follow-up audits is not at its rapport définitif yet (0: none).
	LabelSuivi(ctx context.Context, structureID, autoevalID int64, today time.Time) (LabelSuivi, error)
	// Audit returns an audit; ENOTFOUND unless v covers its ML.
	Audit(ctx context.Context, v domain.Visibility, id int64) (Audit, error)
	// AuditsOf returns the audits of the MLs v covers (and, unless userID is
	// 0, one of whose pair is userID), the latest first.
	AuditsOf(ctx context.Context, v domain.Visibility, userID int64) ([]Audit, error)
	// Suivis returns the follow-up audits of every ML, the latest first.
	Suivis(ctx context.Context) ([]Audit, error)
	// Echantillon returns an audit's sample, by rank.
	Echantillon(ctx context.Context, structureID, auditID int64) ([]SampledSite, error)
	// ReplaceSite replaces the site at rang of the sample with siteID, with a
	// justification. ECONFLICT unless the audit is in progress or when the
	// site is already in the sample; ENOTFOUND for a rank or site not the audit's ML's.
	ReplaceSite(ctx context.Context, actor *domain.Actor, structureID, auditID int64, rang int, siteID int64, justification string) error
	// Notes returns the audit ratings by item code.
	Notes(ctx context.Context, structureID, auditID int64) (map[string]SavedNote, error)
	// SaveNotes saves audit ratings: ECONFLICT unless the audit is in
	// progress; EINVALID for a code outside its référentiel; a
	// *ConflictError, saving nothing, when one changed since its base version.
	SaveNotes(ctx context.Context, actor *domain.Actor, structureID, auditID int64, changes []NoteChange) (map[string]SavedNote, error)
	// PreuvesAudit returns the ML's pieces attached to items of the audit's référentiel, by title; after the final report, those it froze.
	PreuvesAudit(ctx context.Context, structureID, auditID int64) ([]Preuve, error)
	// Verdicts returns the verdicts of an audit by piece id.
	Verdicts(ctx context.Context, structureID, auditID int64) (map[int64]SavedVerdict, error)
	// SaveVerdict saves the verdict on a piece of the ML, as SaveNotes does
	// (a *ConflictError when it changed since baseVersion).
	SaveVerdict(ctx context.Context, actor *domain.Actor, structureID, auditID, preuveID int64, v PreuveVerdict, baseVersion int) (SavedVerdict, error)
	// Constats returns an audit's findings, oldest first.
	Constats(ctx context.Context, structureID, auditID int64) ([]Constat, error)
	// AddConstat records a finding; ECONFLICT unless the audit is in progress.
	AddConstat(ctx context.Context, actor *domain.Actor, structureID, auditID int64, c Constat) (int64, error)
	// SaveObservations records the ML's observations (general, per finding id)
	// or, with reponses, the pair's answers; ECONFLICT unless the provisional
	// report is out, or, for observations, after the limit day.
	SaveObservations(ctx context.Context, actor *domain.Actor, structureID, auditID int64, reponses bool, generale string, parConstat map[int64]string, today time.Time) error
	// DelaiObservations returns the campaign's delay for observations, in days.
	DelaiObservations(ctx context.Context, campagneID int64) (int, error)
	// EmettreRapport issues the provisional report (definitif false: with the
	// observations' limit day) or the final one, which freezes the evidence
	// as it stands; decide moves the dossier under its lock (a decide giving
	// back the same state leaves it as it is: a follow-up audit), and message
	// is queued for the ML's directors. ECONFLICT when the audit's state does not allow it.
	EmettreRapport(ctx context.Context, actor *domain.Actor, structureID, auditID int64, definitif bool, synthese string, limite *time.Time,
		decide func(demarche.Etat) (demarche.Etat, error), message func(revue.Destinataire) mail.Message) error
	// OpenVersion opens a version of a piece of the ML (0: the latest).
	OpenVersion(ctx context.Context, structureID, preuveID int64, version int) (preuves.File, error)
	// LogDownload records that actor downloaded a version of a piece of the ML.
	LogDownload(ctx context.Context, actor *domain.Actor, structureID, preuveID, versionID int64) error
}

// Dossier is a dossier in the audit queue.
type Dossier struct {
	AutoevaluationID int64
	StructureID      int64
	StructureNom     string
	CampagneNom      string
	Etat             demarche.Etat
	Depuis           time.Time // the avis régional, or the sending without one
	SansAvisMotif    string
	AuditID          int64
}

// Service applies the audit's rules on the store.
type Service struct {
	store   Store
	plan    Plan
	baseURL string
	now     func() time.Time
}

// NewService returns the audit on store, asking plan how the plan
// d'amélioration covers the findings; baseURL starts the links of its emails.
func NewService(store Store, plan Plan, baseURL *url.URL) *Service {
	s := &Service{store: store, plan: plan, now: time.Now}
	if baseURL != nil {
		s.baseURL = strings.TrimSuffix(baseURL.String(), "/")
	}
	return s
}

var errNotFound = domain.Errorf(domain.ENOTFOUND, "Audit introuvable.")

// visibility is what of the network the actor may reach for an audit: the
// policy's scopes, and an auditor's assigned MLs.
func visibility(actor *domain.Actor) domain.Visibility {
	v := actor.Visible(domain.ActViewAudit)
	w := actor.Visible(domain.ActViewVerdicts)
	v.All = v.All || w.All
	v.RegionIDs = append(v.RegionIDs, w.RegionIDs...)
	v.StructureIDs = append(v.StructureIDs, w.StructureIDs...)
	if actor != nil {
		for _, x := range actor.Audits {
			v.StructureIDs = append(v.StructureIDs, x.StructureID)
		}
	}
	return v
}

// File returns the audit queue and the submitted dossiers the Pôle may send
// without an avis régional; EFORBIDDEN unless actor assigns audits.
func (s *Service) File(ctx context.Context, actor *domain.Actor) (queue, soumises []Dossier, err error) {
	if !actor.Can(domain.ActAssignAudit, domain.Scope{}) {
		return nil, nil, domain.Errorf(domain.EFORBIDDEN, "Seul le Pôle labellisation affecte les audits.")
	}
	return s.store.FileAudit(ctx)
}

// Auditeurs returns the auditors and their workload; EFORBIDDEN unless actor assigns audits.
func (s *Service) Auditeurs(ctx context.Context, actor *domain.Actor) ([]Auditeur, error) {
	if !actor.Can(domain.ActAssignAudit, domain.Scope{}) {
		return nil, domain.Errorf(domain.EFORBIDDEN, "Seul le Pôle labellisation affecte les audits.")
	}
	return s.store.Auditeurs(ctx)
}

// Dossier returns a dossier to assign; ENOTFOUND unless actor assigns audits.
func (s *Service) Dossier(ctx context.Context, actor *domain.Actor, autoevalID int64) (autoeval.Autoevaluation, error) {
	if !actor.Can(domain.ActAssignAudit, domain.Scope{}) {
		return autoeval.Autoevaluation{}, domain.Errorf(domain.ENOTFOUND, "Auto-évaluation introuvable.")
	}
	return s.store.Autoevaluation(ctx, actor.Visible(domain.ActAssignAudit), autoevalID)
}

// EnvoyerSansAvis puts a submitted dossier in the audit queue without an avis
// régional, with a reason (EINVALID without one); EFORBIDDEN unless actor
// assigns audits; ECONFLICT unless the dossier is submitted.
func (s *Service) EnvoyerSansAvis(ctx context.Context, actor *domain.Actor, a autoeval.Autoevaluation, motif string) error {
	if !actor.Can(domain.ActAssignAudit, a.Scope()) {
		return domain.Errorf(domain.EFORBIDDEN, "Seul le Pôle labellisation envoie un dossier à l'audit.")
	}
	motif = strings.TrimSpace(motif)
	if err := texte("motif", motif, "Indiquez pourquoi le dossier part à l'audit sans avis régional."); err != nil {
		return err
	}
	if a.Etat != demarche.Soumise {
		return domain.Errorf(domain.ECONFLICT, "Seul un dossier soumis, sans avis régional, s'envoie ainsi à l'audit ; celui-ci est à l'état « %s ».", a.Etat.Label())
	}
	return s.store.EnvoyerAudit(ctx, actor, a.StructureID, a.ID, motif)
}

// texte checks a required text of bounded length.
func texte(field, v, missing string) error {
	switch {
	case v == "" && missing != "":
		return domain.FieldErrors{field: missing}.Err()
	case utf8.RuneCountInString(v) > domain.MaxCommentRunes:
		return domain.FieldErrors{field: "Ce texte est trop long (5 000 caractères au plus)."}.Err()
	}
	return nil
}

// Assign assigns the audit of a dossier to a pair and draws its sample.
// EFORBIDDEN unless actor assigns audits; EINVALID, per field, for a kind,
// dates or pair that break the rules (one certified and one network auditor,
// neither holding nor having held a membership in the ML or in an ML or ARML
// of its région); ECONFLICT unless the dossier's avis régional is rendered,
// or it was sent without one, and has no audit yet. A follow-up audit (suivi)
// instead needs the dossier decided and its ML holding the label that
// decision gave, in force (ECONFLICT otherwise, or while another follow-up
// audit of it has no final report); it does not move the dossier.
func (s *Service) Assign(ctx context.Context, actor *domain.Actor, a autoeval.Autoevaluation, as Assignment) (int64, error) {
	if !actor.Can(domain.ActAssignAudit, a.Scope()) {
		return 0, domain.Errorf(domain.EFORBIDDEN, "Seul le Pôle labellisation affecte les audits.")
	}
	fe := domain.FieldErrors{}
	if !as.Nature.Valid() {
		fe["nature"] = "Choisissez le type d'audit."
	}
	if as.Debut.IsZero() {
		fe["debut"] = "Indiquez la date de début (jj/mm/aaaa)."
	}
	if as.Fin.IsZero() {
		fe["fin"] = "Indiquez la date de fin (jj/mm/aaaa)."
	} else if !as.Debut.IsZero() && as.Fin.Before(as.Debut) {
		fe["fin"] = "La date de fin précède la date de début."
	}
	auditeurs, err := s.store.Auditeurs(ctx)
	if err != nil {
		return 0, err
	}
	check := func(field string, id int64, want Qualification) {
		i := slices.IndexFunc(auditeurs, func(x Auditeur) bool { return x.UserID == id })
		switch {
		case id == 0 || i < 0:
			fe[field] = "Choisissez un·e " + strings.ToLower(want.Label()) + "."
		case auditeurs[i].Qualification != want:
			fe[field] = auditeurs[i].Nom + " n'est pas " + strings.ToLower(want.Label()) + "."
		default:
			liens, err2 := s.store.Liens(ctx, id, a.StructureID)
			if err2 != nil {
				err = err2
				return
			}
			if e := errConflit(field, auditeurs[i].Nom, liens); e != nil {
				fe[field] = domain.ErrorFields(e)[field]
			}
		}
	}
	check("certifie", as.Certifie, Certifie)
	check("reseau", as.Reseau, Reseau)
	if err != nil {
		return 0, err
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	if as.Nature == Suivi {
		if err := s.suiviPossible(ctx, a); err != nil {
			return 0, err
		}
	}
	sites, visites, err := s.store.SitesAudit(ctx, a.StructureID)
	if err != nil {
		return 0, err
	}
	if len(sites) == 0 {
		return 0, domain.Errorf(domain.ECONFLICT, "Cette Mission Locale n'a aucun lieu d'accueil : ajoutez-en avant d'affecter l'audit.")
	}
	var candidats []int64
	var siege int64
	for _, st := range sites {
		candidats = append(candidats, st.ID)
		if st.Siege && siege == 0 {
			siege = st.ID
		}
	}
	seed := as.Seed
	if seed == 0 {
		seed = NewSeed()
	}
	sample := Tirer(as.Nature, candidats, siege, visites, seed)
	return s.store.AssignAudit(ctx, actor, a.StructureID, a.ID, as, seed, candidats, visites, siege, sample,
		func(etat demarche.Etat, motif string) (demarche.Etat, demarche.Transition, string, error) {
			if as.Nature == Suivi {
				next, err := resteDecidee(etat)
				return next, "", "", err
			}
			if etat == demarche.Soumise && motif != "" {
				next, err := demarche.Next(etat, demarche.AffecterSansAvis, domain.RolePole, motif)
				return next, demarche.AffecterSansAvis, motif, err
			}
			next, err := demarche.Next(etat, demarche.AffecterAudit, domain.RolePole, "")
			return next, demarche.AffecterAudit, as.Nature.Label(), err
		})
}

// errHorsLabel refuses a follow-up audit outside a label's validity.
var errHorsLabel = domain.Errorf(domain.ECONFLICT, "Un audit de suivi se planifie sur un dossier labellisé, pendant la validité du label.")

// suiviPossible refuses (ECONFLICT) a follow-up audit of a dossier not
// decided, whose ML holds no label in force from its decision, or with a
// follow-up audit still open.
func (s *Service) suiviPossible(ctx context.Context, a autoeval.Autoevaluation) error {
	if a.Etat != demarche.Decidee {
		return errHorsLabel
	}
	l, err := s.store.LabelSuivi(ctx, a.StructureID, a.ID, today(s.now()))
	if err != nil {
		return err
	}
	if !l.EnVigueur {
		return errHorsLabel
	}
	if l.Ouvert != 0 {
		return errSuiviOuvert
	}
	return nil
}

// errSuiviOuvert refuses a second follow-up audit while one is open.
var errSuiviOuvert = domain.Errorf(domain.ECONFLICT, "Un audit de suivi de ce dossier est déjà en cours : son rapport définitif précède le suivant.")

// resteDecidee is how a follow-up audit moves its dossier: not at all, and
// only while it is decided (ECONFLICT otherwise).
func resteDecidee(etat demarche.Etat) (demarche.Etat, error) {
	if etat != demarche.Decidee {
		return etat, errHorsLabel
	}
	return etat, nil
}

// Load returns an audit for those who may see something of it: the Pôle, its
// pair, the ML's director once the provisional report is out, the ML's people
// and its région's référent once the final one is; ENOTFOUND otherwise.
func (s *Service) Load(ctx context.Context, actor *domain.Actor, id int64) (*Audit, error) {
	a, err := s.store.Audit(ctx, visibility(actor), id)
	if err != nil {
		return nil, err
	}
	if r := RolesOn(actor, &a); !r.Workspace && !r.Report && !r.Verdicts {
		return nil, errNotFound
	}
	return &a, nil
}

// Suivis returns the follow-up audits of every ML, the latest first, for the
// Pôle, which plans them from the register; nothing for anyone else.
func (s *Service) Suivis(ctx context.Context, actor *domain.Actor) ([]Audit, error) {
	if !actor.Can(domain.ActAssignAudit, domain.Scope{}) {
		return nil, nil
	}
	return s.store.Suivis(ctx)
}

// List returns the audits actor may see something of, the latest first: every
// audit for the Pôle, an auditor's own ("Mes audits"), an ML's once reported.
func (s *Service) List(ctx context.Context, actor *domain.Actor) ([]Audit, error) {
	var userID int64
	if !actor.Can(domain.ActAssignAudit, domain.Scope{}) && actor.HasRole(domain.RoleAuditeur) {
		userID = actor.UserID
	}
	all, err := s.store.AuditsOf(ctx, visibility(actor), userID)
	if err != nil {
		return nil, err
	}
	var out []Audit
	for _, a := range all {
		if r := RolesOn(actor, &a); r.Workspace || r.Report || r.Verdicts {
			out = append(out, a)
		}
	}
	return out, nil
}

// Reaches reports whether actor has any way to the audits' pages: the Pôle,
// an auditor, the people of an ML and the référents of a région.
func Reaches(actor *domain.Actor) bool {
	v := actor.Visible(domain.ActViewVerdicts)
	return actor.HasRole(domain.RoleAuditeur) || v.All || len(v.RegionIDs) > 0 || len(v.StructureIDs) > 0
}

// Roles says what the person may do on a loaded audit.
type Roles struct {
	// Conduct: one of the pair; Assign: the Pôle; Observe: the ML's director.
	Conduct, Assign, Observe, Replace bool
	// Report: may read the reports (the provisional one is out, or is theirs to write).
	Report bool
	// Verdicts: may see the three verdicts.
	Verdicts bool
	// Workspace: may see the workspace (Pôle and pair).
	Workspace bool
}

// RolesOn returns what actor may do on audit a.
func RolesOn(actor *domain.Actor, a *Audit) Roles {
	sc := a.Scope()
	r := Roles{
		Conduct: actor.CanAudit(domain.ActConductAudit, sc, a.ID) && a.Pair(actor.UserID),
		Assign:  actor.Can(domain.ActAssignAudit, sc),
		Observe: actor.Can(domain.ActObserveAudit, sc),
		Replace: actor.CanAudit(domain.ActReplaceSite, sc, a.ID),
	}
	r.Workspace = r.Conduct || r.Assign
	r.Report = r.Workspace || (actor.CanAudit(domain.ActViewAudit, sc, a.ID) && a.Etat != EnCours)
	r.Verdicts = r.Workspace || (actor.CanAudit(domain.ActViewVerdicts, sc, a.ID) && a.Frozen())
	return r
}

// Detail is an audit with everything its pages show.
type Detail struct {
	*Audit
	Roles     Roles
	Ref       *referentiel.Referentiel
	Items     []referentiel.AssessableItem
	Cotations map[string]autoeval.SavedCotation
	Avis      map[string]revue.SavedAvisItem
	// AvisRegional is the last avis régional on the whole, if any.
	AvisRegional *revue.Avis
	Notes        map[string]SavedNote
	Preuves      []Preuve
	Verdicts     map[int64]SavedVerdict
	Constats     []Constat
	Echantillon  []SampledSite
	Sites        []Site
}

// Complete adds to a loaded audit what its pages show.
func (s *Service) Complete(ctx context.Context, actor *domain.Actor, a *Audit) (*Detail, error) {
	d := &Detail{Audit: a, Roles: RolesOn(actor, a)}
	var err error
	if d.Ref, err = s.store.ReferentielByID(ctx, a.ReferentielID); err != nil {
		return nil, err
	}
	d.Items = d.Ref.Items()
	if d.Cotations, err = s.store.Cotations(ctx, a.StructureID, a.AutoevaluationID); err != nil {
		return nil, err
	}
	if d.Avis, err = s.store.RevueItems(ctx, a.StructureID, a.AutoevaluationID); err != nil {
		return nil, err
	}
	avis, err := s.store.AvisRegionaux(ctx, a.StructureID, a.AutoevaluationID)
	if err != nil {
		return nil, err
	}
	if len(avis) > 0 {
		d.AvisRegional = &avis[len(avis)-1]
	}
	if d.Notes, err = s.store.Notes(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.Preuves, err = s.store.PreuvesAudit(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.Verdicts, err = s.store.Verdicts(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.Constats, err = s.store.Constats(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.Echantillon, err = s.store.Echantillon(ctx, a.StructureID, a.ID); err != nil {
		return nil, err
	}
	if d.Sites, _, err = s.store.SitesAudit(ctx, a.StructureID); err != nil {
		return nil, err
	}
	return d, nil
}

// Item returns the item with that code.
func (d *Detail) Item(code string) (referentiel.AssessableItem, bool) {
	i := slices.IndexFunc(d.Items, func(it referentiel.AssessableItem) bool { return it.Code == code })
	if i < 0 {
		return referentiel.AssessableItem{}, false
	}
	return d.Items[i], true
}

var errNotPair = domain.Errorf(domain.EFORBIDDEN, "Seul le binôme d'auditeurs de cet audit y travaille.")

func errNotInProgress(e Etat) error {
	return domain.Errorf(domain.ECONFLICT, "L'audit est à l'état « %s » : cela ne se modifie plus.", e.Label())
}

// conduct checks that actor is one of the pair and the audit in progress.
func conduct(actor *domain.Actor, a *Audit) error {
	if !RolesOn(actor, a).Conduct {
		return errNotPair
	}
	if a.Etat != EnCours {
		return errNotInProgress(a.Etat)
	}
	return nil
}

// SaveNotes validates and saves audit ratings made on the page the auditor
// loaded. EFORBIDDEN unless one of the pair; ECONFLICT unless in progress;
// EINVALID for an unknown item or, per field, a value off the scale or a
// comment too long; a *ConflictError, saving nothing, when the other auditor
// changed one meanwhile.
func (s *Service) SaveNotes(ctx context.Context, actor *domain.Actor, d *Detail, changes []NoteChange) (map[string]SavedNote, error) {
	if err := conduct(actor, d.Audit); err != nil {
		return nil, err
	}
	fe := domain.FieldErrors{}
	for i := range changes {
		ch := &changes[i]
		if _, ok := d.Item(ch.Code); !ok {
			return nil, domain.Errorf(domain.EINVALID, "L'élément %s n'existe pas dans ce référentiel.", ch.Code)
		}
		ch.Note.Commentaire = strings.TrimSpace(ch.Note.Commentaire)
		if ch.Note.Valeur != 0 && !slices.ContainsFunc(d.Ref.Echelle.Niveaux, func(n referentiel.Niveau) bool { return n.Valeur == ch.Note.Valeur }) {
			fe["note-"+ch.Code] = "Choisissez une cotation de l'échelle."
		}
		if utf8.RuneCountInString(ch.Note.Commentaire) > domain.MaxCommentRunes {
			fe["commentaire-"+ch.Code] = "Le commentaire est trop long (5 000 caractères au plus)."
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return map[string]SavedNote{}, nil
	}
	return s.store.SaveNotes(ctx, actor, d.StructureID, d.ID, changes)
}

// SaveVerdict records a verdict on a piece of the ML's evidence: refusée needs
// a reason. Same refusals as SaveNotes; ENOTFOUND for a piece the audit does not see.
func (s *Service) SaveVerdict(ctx context.Context, actor *domain.Actor, d *Detail, preuveID int64, v PreuveVerdict, baseVersion int) (SavedVerdict, error) {
	if err := conduct(actor, d.Audit); err != nil {
		return SavedVerdict{}, err
	}
	if !slices.ContainsFunc(d.Preuves, func(p Preuve) bool { return p.ID == preuveID }) {
		return SavedVerdict{}, domain.Errorf(domain.ENOTFOUND, "Élément de preuve introuvable.")
	}
	v.Motif = strings.TrimSpace(v.Motif)
	fe := domain.FieldErrors{}
	switch v.Verdict {
	case Acceptee:
	case Refusee:
		if v.Motif == "" {
			fe["motif"] = "Indiquez pourquoi la preuve est refusée."
		}
	default:
		fe["verdict"] = "Choisissez : acceptée ou refusée."
	}
	if err := texte("motif", v.Motif, ""); err != nil {
		return SavedVerdict{}, err
	}
	if err := fe.Err(); err != nil {
		return SavedVerdict{}, err
	}
	return s.store.SaveVerdict(ctx, actor, d.StructureID, d.ID, preuveID, v, baseVersion)
}

// AddConstat records a finding linked to items and sampled sites. Same
// refusals as SaveNotes; EINVALID, per field, without a kind or a text, for
// an unknown item or a site outside the sample.
func (s *Service) AddConstat(ctx context.Context, actor *domain.Actor, d *Detail, c Constat) (int64, error) {
	if err := conduct(actor, d.Audit); err != nil {
		return 0, err
	}
	c.Texte = strings.TrimSpace(c.Texte)
	fe := domain.FieldErrors{}
	if !c.Nature.Valid() {
		fe["nature"] = "Choisissez la nature du constat."
	}
	if err := texte("texte", c.Texte, "Rédigez le constat."); err != nil {
		fe["texte"] = domain.ErrorFields(err)["texte"]
	}
	var codes []string
	for _, code := range c.Items {
		code = strings.TrimSpace(code)
		if code == "" || slices.Contains(codes, code) {
			continue
		}
		if _, ok := d.Item(code); !ok {
			fe["items"] = "L'élément « " + code + " » n'existe pas dans ce référentiel."
		}
		codes = append(codes, code)
	}
	for _, id := range c.Sites {
		if !slices.ContainsFunc(d.Echantillon, func(s SampledSite) bool { return s.SiteID == id }) {
			fe["sites"] = "Choisissez des lieux de l'échantillon."
		}
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	c.Items = codes
	return s.store.AddConstat(ctx, actor, d.StructureID, d.ID, c)
}

// ReplaceSite replaces a sampled site by another of the ML's, with a written
// justification, kept. EFORBIDDEN unless the Pôle or the pair; ECONFLICT
// unless in progress; EINVALID, per field, without a justification, for the
// siège (always in), or a site not the ML's or already in the sample.
func (s *Service) ReplaceSite(ctx context.Context, actor *domain.Actor, d *Detail, rang int, siteID int64, justification string) error {
	if !RolesOn(actor, d.Audit).Replace {
		return domain.Errorf(domain.EFORBIDDEN, "Seuls le Pôle labellisation et le binôme remplacent un lieu.")
	}
	if d.Etat != EnCours {
		return errNotInProgress(d.Etat)
	}
	justification = strings.TrimSpace(justification)
	fe := domain.FieldErrors{}
	i := slices.IndexFunc(d.Echantillon, func(x SampledSite) bool { return x.Rang == rang })
	switch {
	case i < 0:
		fe["rang"] = "Choisissez le lieu à remplacer."
	case d.Echantillon[i].Siege:
		fe["rang"] = "Le siège fait toujours partie de l'échantillon : il ne se remplace pas."
	}
	if !slices.ContainsFunc(d.Sites, func(x Site) bool { return x.ID == siteID }) {
		fe["site"] = "Choisissez un lieu d'accueil de la Mission Locale."
	} else if slices.ContainsFunc(d.Echantillon, func(x SampledSite) bool { return x.SiteID == siteID }) {
		fe["site"] = "Ce lieu fait déjà partie de l'échantillon."
	}
	if err := texte("justification", justification, "Justifiez le remplacement."); err != nil {
		fe["justification"] = domain.ErrorFields(err)["justification"]
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.store.ReplaceSite(ctx, actor, d.StructureID, d.ID, rang, siteID, justification)
}

// Verifier replays the draw of a loaded audit from its stored seed.
func (s *Service) Verifier(d *Detail) error { return Verifier(*d.Audit, d.Echantillon) }

// Download opens a piece of the ML's evidence for one of the pair (or the
// Pôle), and logs the download. ENOTFOUND for anyone else or a piece the
// audit does not see.
func (s *Service) Download(ctx context.Context, actor *domain.Actor, d *Detail, preuveID int64) (preuves.File, error) {
	if !actor.CanAudit(domain.ActDownloadPreuve, d.Scope(), d.ID) || !slices.ContainsFunc(d.Preuves, func(p Preuve) bool { return p.ID == preuveID }) {
		return nil, domain.Errorf(domain.ENOTFOUND, "Fichier introuvable.")
	}
	f, err := s.store.OpenVersion(ctx, d.StructureID, preuveID, 0)
	if err != nil {
		return nil, err
	}
	if err := s.store.LogDownload(ctx, actor, d.StructureID, preuveID, f.Info().VersionID); err != nil {
		return nil, err
	}
	return f, nil
}

// RendreProvisoire issues the provisional report (the pair: EFORBIDDEN
// otherwise); ECONFLICT unless the audit is in progress. The ML's directors
// are notified and have the campaign's delay for their observations.
func (s *Service) RendreProvisoire(ctx context.Context, actor *domain.Actor, d *Detail, synthese string) error {
	if err := conduct(actor, d.Audit); err != nil {
		return err
	}
	synthese = strings.TrimSpace(synthese)
	if err := texte("synthese", synthese, "Rédigez la synthèse du rapport."); err != nil {
		return err
	}
	delai, err := s.store.DelaiObservations(ctx, d.CampagneID)
	if err != nil {
		return err
	}
	limite := today(s.now()).AddDate(0, 0, delai)
	return s.store.EmettreRapport(ctx, actor, d.StructureID, d.ID, false, synthese, &limite,
		func(etat demarche.Etat) (demarche.Etat, error) {
			if d.Nature == Suivi {
				return resteDecidee(etat)
			}
			return demarche.Next(etat, demarche.RendreRapport, domain.RoleAuditeur, "")
		},
		func(dest revue.Destinataire) mail.Message { return s.message(dest, d, false, limite) })
}

// Observer records the ML's observations on the provisional report, general
// and per finding (its director: EFORBIDDEN otherwise); ECONFLICT unless the
// provisional report is out and its delay not over.
func (s *Service) Observer(ctx context.Context, actor *domain.Actor, d *Detail, generale string, parConstat map[int64]string) error {
	if !RolesOn(actor, d.Audit).Observe {
		return domain.Errorf(domain.EFORBIDDEN, "Seule la direction de la Mission Locale formule ses observations.")
	}
	return s.observations(ctx, actor, d, false, generale, parConstat)
}

// Repondre records the pair's answers to the ML's observations (EFORBIDDEN
// for anyone else); ECONFLICT unless the provisional report is out.
func (s *Service) Repondre(ctx context.Context, actor *domain.Actor, d *Detail, generale string, parConstat map[int64]string) error {
	if !RolesOn(actor, d.Audit).Conduct {
		return errNotPair
	}
	return s.observations(ctx, actor, d, true, generale, parConstat)
}

func (s *Service) observations(ctx context.Context, actor *domain.Actor, d *Detail, reponses bool, generale string, parConstat map[int64]string) error {
	if d.Etat != RapportProvisoire {
		return domain.Errorf(domain.ECONFLICT, "Les observations portent sur le rapport provisoire ; l'audit est à l'état « %s ».", d.Etat.Label())
	}
	generale = strings.TrimSpace(generale)
	if err := texte("generale", generale, ""); err != nil {
		return err
	}
	clean := map[int64]string{}
	for id, t := range parConstat {
		if !slices.ContainsFunc(d.Constats, func(c Constat) bool { return c.ID == id }) {
			return domain.Errorf(domain.EINVALID, "Constat introuvable.")
		}
		t = strings.TrimSpace(t)
		if err := texte(fmt.Sprintf("constat-%d", id), t, ""); err != nil {
			return err
		}
		clean[id] = t
	}
	return s.store.SaveObservations(ctx, actor, d.StructureID, d.ID, reponses, generale, clean, today(s.now()))
}

// RendreDefinitif issues the final report (the pair: EFORBIDDEN otherwise),
// which freezes the dossier. ECONFLICT unless the provisional report is out,
// or, naming each, while an écart, or an impératif item the audit rated below
// the top of the scale, has no action in the plan d'amélioration.
func (s *Service) RendreDefinitif(ctx context.Context, actor *domain.Actor, d *Detail) error {
	if !RolesOn(actor, d.Audit).Conduct {
		return errNotPair
	}
	if d.Etat != RapportProvisoire {
		return domain.Errorf(domain.ECONFLICT, "Le rapport définitif suit le rapport provisoire ; l'audit est à l'état « %s ».", d.Etat.Label())
	}
	req := planRequis(d.Constats, d.Notes, d.Items, d.Ref.Echelle.Max())
	if len(req.Constats) > 0 || len(req.Items) > 0 {
		parConstat, parItem, err := s.plan.Couverture(ctx, d.StructureID, req.Constats, req.Items)
		if err != nil {
			return err
		}
		if err := checkPlan(d.Constats, req, parConstat, parItem); err != nil {
			return err
		}
	}
	return s.store.EmettreRapport(ctx, actor, d.StructureID, d.ID, true, d.Synthese, nil,
		func(etat demarche.Etat) (demarche.Etat, error) {
			if d.Nature == Suivi {
				return resteDecidee(etat)
			}
			return demarche.Next(etat, demarche.EmettreDefinitif, domain.RoleAuditeur, "")
		},
		func(dest revue.Destinataire) mail.Message { return s.message(dest, d, true, time.Time{}) })
}

// message tells the ML's director that a report is out.
func (s *Service) message(d revue.Destinataire, a *Detail, definitif bool, limite time.Time) mail.Message {
	link := fmt.Sprintf("%s/audits/%d/rapport", s.baseURL, a.ID)
	if definitif && a.Nature == Suivi {
		return mail.Message{To: d.Email, Subject: "Rapport définitif de l'audit de suivi : " + a.StructureNom,
			Body: fmt.Sprintf("Bonjour %s,\n\nLe binôme d'auditeurs a émis le rapport définitif de l'audit de suivi du label de %s (%s).\n\nLe rapport : %s\n", d.Nom, a.StructureNom, a.CampagneNom, link)}
	}
	if definitif {
		return mail.Message{To: d.Email, Subject: "Rapport d'audit définitif : " + a.StructureNom,
			Body: fmt.Sprintf("Bonjour %s,\n\nLe binôme d'auditeurs a émis le rapport d'audit définitif de %s (%s). Le dossier est désormais figé ; il sera présenté à la commission nationale.\n\nLe rapport : %s\n", d.Nom, a.StructureNom, a.CampagneNom, link)}
	}
	return mail.Message{To: d.Email, Subject: "Rapport d'audit provisoire : " + a.StructureNom,
		Body: fmt.Sprintf("Bonjour %s,\n\nLe binôme d'auditeurs a émis le rapport d'audit provisoire de %s (%s). Vous pouvez formuler vos observations, par constat et en général, jusqu'au %s.\n\nLe rapport : %s\n", d.Nom, a.StructureNom, a.CampagneNom, limite.Format("02/01/2006"), link)}
}

// today is the day of t, at midnight UTC, as dates are stored.
func today(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
