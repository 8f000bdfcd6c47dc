package preuves

import (
	"context"
	"io"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// Service is the only door to the evidence library: it asks the policy
// (domain.Actor.Can), validates, orchestrates and calls the store. Another
// tenant's library or piece answers ENOTFOUND; one the person sees but may not
// change, EFORBIDDEN.
type Service struct {
	store Store
}

// NewService returns the rules of the evidence library on store.
func NewService(store Store) *Service {
	return &Service{store: store}
}

// Filter narrows a library; zero values do not filter.
type Filter struct {
	Type    string    // a document type (domain.PreuveTypes)
	ItemID  int64     // pieces supporting this référentiel item
	Expired bool      // only pieces whose validity ended before Today
	Today   time.Time // the day Expired compares with; zero: today
}

// Version is one file version of a piece.
type Version struct {
	ID      int64
	Version int
	Nom     string
	Taille  int64
	Mime    string
	SHA256  string // hexadecimal
	By      string // name or email of who uploaded it
	At      time.Time
}

// StatutEntry is one review decision in a piece's history.
type StatutEntry struct {
	Statut string
	Motif  string
	By     string // name or email; "" for a deleted account
	At     time.Time
}

// Download is one recorded download of a piece.
type Download struct {
	Version int    // 0 when not known
	By      string // name or email; "" for a deleted account
	At      time.Time
}

// FileInfo is what a download says of the version it sends.
type FileInfo struct {
	VersionID int64
	Version   int
	Nom       string
	Taille    int64
	Mime      string
	SHA256    string // hexadecimal
}

// File is a version opened for reading. Its bytes are checked against the
// SHA-256 stored at upload: instead of io.EOF, Read returns an error wrapping
// ErrCorrupt when they differ, and it holds back the last bytes until the check
// passes, so that a client told Content-Length: Taille sees a cut transfer.
type File interface {
	io.Reader
	Info() FileInfo
}

// Fiche is a piece with what its page shows.
type Fiche struct {
	domain.Preuve
	Scope domain.Scope
	// ARMLAllowed is the ML's choice to let its ARML download its files.
	ARMLAllowed bool
	Versions    []Version // file pieces only, the current one first
	Items       []string  // codes of the items it supports, in the référentiel's order
	History     []StatutEntry
	// Modifications are the changes of its metadata, the latest first.
	Modifications []Modification
	// Downloads is the download log, the latest first; only those who manage the
	// library or the campaigns see it (nil for the others).
	Downloads []Download
}

// Store is the storage of the evidence library; internal/postgres implements
// it. Methods taking a structure id are scoped to that ML and answer ENOTFOUND
// for a piece that is not its own; writes take the actor (nil: the system).
type Store interface {
	// Structure returns an ML v covers; ENOTFOUND otherwise.
	Structure(ctx context.Context, v domain.Visibility, id int64) (domain.Structure, error)
	// Preuve returns a piece with its current version; ENOTFOUND unless v covers its ML.
	Preuve(ctx context.Context, v domain.Visibility, id int64) (domain.Preuve, error)
	// ListPreuves returns the ML's pieces that pass f, by title.
	ListPreuves(ctx context.Context, structureID int64, f Filter) ([]domain.Preuve, error)
	// PreuveVersions returns the file versions of a piece, the current one first.
	PreuveVersions(ctx context.Context, structureID, preuveID int64) ([]Version, error)
	// PreuveItems returns the codes of the items a piece supports.
	PreuveItems(ctx context.Context, structureID, preuveID int64) ([]string, error)
	// StatutHistory returns the review decisions on a piece, the latest first.
	StatutHistory(ctx context.Context, structureID, preuveID int64) ([]StatutEntry, error)
	// Downloads returns who downloaded a piece, the latest first.
	Downloads(ctx context.Context, structureID, preuveID int64) ([]Download, error)
	// DocumentsARML reports whether the ML lets its ARML download its files;
	// ENOTFOUND for an unknown ML.
	DocumentsARML(ctx context.Context, structureID int64) (bool, error)
	// RGPDAcknowledged returns when a person acknowledged the RGPD warning, and
	// whether they did.
	RGPDAcknowledged(ctx context.Context, userID int64) (time.Time, bool, error)
	// OpenVersion opens a version of a file piece (0: the current one);
	// ENOTFOUND when the piece is not a file or has no such version.
	OpenVersion(ctx context.Context, structureID, preuveID int64, version int) (File, error)

	// CreatePreuve stores a piece of p.StructureID and, for a file, file as its
	// version 1, in one transaction: EINVALID with field errors (CheckNew, the
	// sites, the file's type and size: a *TooLargeError) stores nothing.
	CreatePreuve(ctx context.Context, actor *domain.Actor, p domain.Preuve, file *Upload) (int64, error)
	// AddVersion stores file as the new current version of a file piece and
	// returns its number; EINVALID when the piece is not a file or the file is
	// refused.
	AddVersion(ctx context.Context, actor *domain.Actor, structureID, preuveID int64, file Upload) (int, error)
	// Attach makes a piece support an item (again: no change); ENOTFOUND for an
	// unknown item.
	Attach(ctx context.Context, actor *domain.Actor, structureID, preuveID, itemID int64) error
	// Detach removes a piece from an item (when not attached: no change).
	Detach(ctx context.Context, actor *domain.Actor, structureID, preuveID, itemID int64) error
	// LogDownload records that actor downloaded a version of a piece (0: none in
	// particular); ENOTFOUND when the version is not the piece's.
	LogDownload(ctx context.Context, actor *domain.Actor, structureID, preuveID, versionID int64) error
	// SetDocumentsARML sets whether the ML lets its ARML download its files;
	// ENOTFOUND for an unknown ML.
	SetDocumentsARML(ctx context.Context, actor *domain.Actor, structureID int64, allowed bool) error
	// AcknowledgeRGPD records that the person userID acknowledged the RGPD
	// warning; again keeps the first date.
	AcknowledgeRGPD(ctx context.Context, actor *domain.Actor, userID int64) error
	// UpdateMetadata replaces a piece's metadata and records the old and new
	// values, in one transaction, and reports whether they differed (equal: no
	// write); EINVALID (field "sites") for sites that are not the ML's.
	UpdateMetadata(ctx context.Context, actor *domain.Actor, structureID, preuveID int64, m Metadata) (bool, error)
	// Modifications returns the metadata changes of a piece, the latest first.
	Modifications(ctx context.Context, structureID, preuveID int64) ([]Modification, error)
}

var errForbidden = domain.Errorf(domain.EFORBIDDEN, "Votre rôle ne permet pas cette action.")

// ErrRGPD refuses a first upload before the person acknowledged the RGPD
// warning (domain.RGPDWarning); errors.Is finds it, so that a form can show the
// warning instead.
var ErrRGPD = domain.Errorf(domain.EINVALID, "Prenez d'abord connaissance de l'avertissement sur les données personnelles.")

// errNoDownload refuses a download to a role the ML did not open its files to.
var errNoDownload = domain.Errorf(domain.EFORBIDDEN, "La Mission Locale n'a pas ouvert le téléchargement de ses documents à votre rôle.")

// CheckNew checks a new piece: its metadata (domain.Preuve.Validate), and that a
// file comes with a file piece only (field "file"). p must be normalised.
func CheckNew(p domain.Preuve, hasFile bool) error {
	fe := domain.ErrorFields(p.Validate())
	if fe == nil {
		fe = domain.FieldErrors{}
	}
	switch {
	case p.Nature == domain.NatureFichier && !hasFile:
		fe["file"] = "Choisissez le fichier à déposer."
	case p.Nature != domain.NatureFichier && hasFile:
		fe["file"] = "Seul un élément de preuve de nature « fichier » a un fichier."
	}
	return fe.Err()
}

// scopeOf is where an ML sits on the tenant path.
func scopeOf(st domain.Structure) domain.Scope {
	return domain.Scope{RegionID: st.RegionID, StructureID: st.ID}
}

// library loads the ML whose library actor may see; ENOTFOUND otherwise.
func (s *Service) library(ctx context.Context, actor *domain.Actor, structureID int64) (domain.Scope, error) {
	st, err := s.store.Structure(ctx, actor.Visible(domain.ActViewPreuves), structureID)
	if err != nil {
		return domain.Scope{}, err
	}
	return scopeOf(st), nil
}

// piece loads a piece actor may see, and its scope; ENOTFOUND otherwise.
func (s *Service) piece(ctx context.Context, actor *domain.Actor, id int64) (domain.Preuve, domain.Scope, error) {
	p, err := s.store.Preuve(ctx, actor.Visible(domain.ActViewPreuves), id)
	if err != nil {
		return p, domain.Scope{}, err
	}
	scope, err := s.library(ctx, actor, p.StructureID)
	return p, scope, err
}

// MayManage returns EFORBIDDEN unless actor may add pieces and versions to the
// library at scope, and attach and detach them. Forms ask it before they read
// what is sent; every write asks it again.
func (s *Service) MayManage(actor *domain.Actor, scope domain.Scope) error {
	if !actor.Can(domain.ActManagePreuves, scope) {
		return errForbidden
	}
	return nil
}

// MayCreate returns what Create would refuse before it reads the piece:
// EFORBIDDEN unless actor manages the library at scope, ErrRGPD unless they
// acknowledged the RGPD warning.
func (s *Service) MayCreate(ctx context.Context, actor *domain.Actor, scope domain.Scope) error {
	if err := s.MayManage(actor, scope); err != nil {
		return err
	}
	ok, err := s.RGPDAcknowledged(ctx, actor)
	if err != nil {
		return err
	}
	if !ok {
		return ErrRGPD
	}
	return nil
}

// List returns the pieces of the ML's library that pass f, by title; ENOTFOUND
// unless actor may see the library.
func (s *Service) List(ctx context.Context, actor *domain.Actor, structureID int64, f Filter) ([]domain.Preuve, error) {
	if _, err := s.library(ctx, actor, structureID); err != nil {
		return nil, err
	}
	return s.store.ListPreuves(ctx, structureID, f)
}

// Preuve returns a piece with its current version; ENOTFOUND unless actor may
// see the library of its ML.
func (s *Service) Preuve(ctx context.Context, actor *domain.Actor, id int64) (domain.Preuve, error) {
	return s.store.Preuve(ctx, actor.Visible(domain.ActViewPreuves), id)
}

// Fiche returns a piece with its versions, items, review history and, for those
// who manage the library or the campaigns, its download log; ENOTFOUND unless
// actor may see the library of its ML.
func (s *Service) Fiche(ctx context.Context, actor *domain.Actor, id int64) (Fiche, error) {
	p, scope, err := s.piece(ctx, actor, id)
	if err != nil {
		return Fiche{}, err
	}
	f := Fiche{Preuve: p, Scope: scope}
	if f.ARMLAllowed, err = s.store.DocumentsARML(ctx, p.StructureID); err != nil {
		return f, err
	}
	if p.Nature == domain.NatureFichier {
		if f.Versions, err = s.store.PreuveVersions(ctx, p.StructureID, p.ID); err != nil {
			return f, err
		}
	}
	if f.Items, err = s.store.PreuveItems(ctx, p.StructureID, p.ID); err != nil {
		return f, err
	}
	if f.History, err = s.store.StatutHistory(ctx, p.StructureID, p.ID); err != nil {
		return f, err
	}
	if f.Modifications, err = s.store.Modifications(ctx, p.StructureID, p.ID); err != nil {
		return f, err
	}
	if actor.Can(domain.ActManagePreuves, scope) || actor.Can(domain.ActManageCampaigns, scope) {
		if f.Downloads, err = s.store.Downloads(ctx, p.StructureID, p.ID); err != nil {
			return f, err
		}
	}
	return f, nil
}

// Create adds p to the library of p.StructureID: for a file, with file as
// version 1, judged and stored in the same transaction, so that a refusal stores
// nothing. ENOTFOUND unless actor sees the library; EFORBIDDEN unless they
// manage it; ErrRGPD before they acknowledged the RGPD warning; EINVALID with
// field errors (a *TooLargeError for a file over its limit). Nothing of file is
// read before these checks pass. The piece starts déposée.
func (s *Service) Create(ctx context.Context, actor *domain.Actor, p domain.Preuve, file *Upload) (int64, error) {
	scope, err := s.library(ctx, actor, p.StructureID)
	if err != nil {
		return 0, err
	}
	if err := s.MayCreate(ctx, actor, scope); err != nil {
		return 0, err
	}
	p.Normalize()
	if err := CheckNew(p, file != nil); err != nil {
		return 0, err
	}
	return s.store.CreatePreuve(ctx, actor, p, file)
}

// AddVersion adds file as the new current version of a file piece and returns
// its number; older versions stay, and a reviewed piece goes back to déposée.
// ENOTFOUND unless actor sees the piece, EFORBIDDEN unless they manage its
// library, EINVALID when it is not a file or the file is refused.
func (s *Service) AddVersion(ctx context.Context, actor *domain.Actor, preuveID int64, file Upload) (int, error) {
	p, scope, err := s.piece(ctx, actor, preuveID)
	if err != nil {
		return 0, err
	}
	if err := s.MayManage(actor, scope); err != nil {
		return 0, err
	}
	return s.store.AddVersion(ctx, actor, p.StructureID, p.ID, file)
}

// Attach makes a piece support a référentiel item; attaching twice is no change.
// ENOTFOUND unless actor sees the piece or for an unknown item, EFORBIDDEN
// unless they manage its library.
func (s *Service) Attach(ctx context.Context, actor *domain.Actor, preuveID, itemID int64) error {
	p, scope, err := s.piece(ctx, actor, preuveID)
	if err != nil {
		return err
	}
	if err := s.MayManage(actor, scope); err != nil {
		return err
	}
	return s.store.Attach(ctx, actor, p.StructureID, p.ID, itemID)
}

// Detach removes a piece from an item; detaching what is not attached is no
// change. ENOTFOUND unless actor sees the piece, EFORBIDDEN unless they manage
// its library.
func (s *Service) Detach(ctx context.Context, actor *domain.Actor, preuveID, itemID int64) error {
	p, scope, err := s.piece(ctx, actor, preuveID)
	if err != nil {
		return err
	}
	if err := s.MayManage(actor, scope); err != nil {
		return err
	}
	return s.store.Detach(ctx, actor, p.StructureID, p.ID, itemID)
}

// Download opens a version of a file piece for actor (0: the current one; a
// negative number names none) and records the download. ENOTFOUND unless actor
// sees the piece, or when it has no such version; EFORBIDDEN unless actor may
// download its files (an ARML référent only where the ML allows it).
func (s *Service) Download(ctx context.Context, actor *domain.Actor, preuveID int64, version int) (File, error) {
	p, scope, err := s.piece(ctx, actor, preuveID)
	if err != nil {
		return nil, err
	}
	allowed, err := s.store.DocumentsARML(ctx, p.StructureID)
	if err != nil {
		return nil, err
	}
	if !actor.CanDownloadPreuve(scope, allowed) {
		return nil, errNoDownload
	}
	if version < 0 {
		return nil, domain.Errorf(domain.ENOTFOUND, "Version introuvable.")
	}
	f, err := s.store.OpenVersion(ctx, p.StructureID, p.ID, version)
	if err != nil {
		return nil, err
	}
	if err := s.store.LogDownload(ctx, actor, p.StructureID, p.ID, f.Info().VersionID); err != nil {
		return nil, err
	}
	return f, nil
}

// DocumentsARML reports whether the ML lets its ARML download its files;
// ENOTFOUND unless actor may see its library.
func (s *Service) DocumentsARML(ctx context.Context, actor *domain.Actor, structureID int64) (bool, error) {
	if _, err := s.library(ctx, actor, structureID); err != nil {
		return false, err
	}
	return s.store.DocumentsARML(ctx, structureID)
}

// SetDocumentsARML sets whether the ML lets its ARML download its files:
// ENOTFOUND unless actor may see its library, EFORBIDDEN unless they decide it
// (its director).
func (s *Service) SetDocumentsARML(ctx context.Context, actor *domain.Actor, structureID int64, allowed bool) error {
	scope, err := s.library(ctx, actor, structureID)
	if err != nil {
		return err
	}
	if !actor.Can(domain.ActPreuvesSettings, scope) {
		return errForbidden
	}
	return s.store.SetDocumentsARML(ctx, actor, structureID, allowed)
}

// RGPDAcknowledged reports whether actor acknowledged the RGPD warning, which
// comes before their first upload.
func (s *Service) RGPDAcknowledged(ctx context.Context, actor *domain.Actor) (bool, error) {
	if actor == nil {
		return false, nil
	}
	_, ok, err := s.store.RGPDAcknowledged(ctx, actor.UserID)
	return ok, err
}

// AcknowledgeRGPD records that actor read the RGPD warning; again keeps the
// first date. EFORBIDDEN without a person.
func (s *Service) AcknowledgeRGPD(ctx context.Context, actor *domain.Actor) error {
	if actor == nil || actor.UserID == 0 {
		return errForbidden
	}
	return s.store.AcknowledgeRGPD(ctx, actor, actor.UserID)
}
