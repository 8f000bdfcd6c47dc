package journal

import (
	"context"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// Filter selects entries. StructureID 0 is the national journal (every entry);
// otherwise the ML's entries only. Before pages: entries with Seq < Before
// (0: from the latest).
type Filter struct {
	StructureID int64
	// Person matches the actor's name or address, in part, case-insensitively.
	Person     string
	Action     string
	ObjectType string
	// From and To are days, both included (zero: unbounded).
	From, To time.Time
	Before   int64
	Limit    int
}

// Page is one page of entries, the latest first; Next is the Before of the
// following page (0: none).
type Page struct {
	Entries []Entry
	Next    int64
}

// Store reads the journal; internal/postgres implements it (the store appends
// itself, in the transaction of each write).
type Store interface {
	// JournalPage returns the entries matching f, the latest first, at most
	// f.Limit, and whether more follow.
	JournalPage(ctx context.Context, f Filter) ([]Entry, bool, error)
}

// PageSize is the number of entries per page.
const PageSize = 50

// Service reads the journal for the people the policy lets see it.
type Service struct {
	store Store
}

// NewService returns the journal's reading rules on store.
func NewService(store Store) *Service { return &Service{store: store} }

// StructureJournal returns a page of an ML's journal (scope: the ML and its
// région); EFORBIDDEN unless the policy allows domain.ActViewJournal there.
func (s *Service) StructureJournal(ctx context.Context, actor *domain.Actor, scope domain.Scope, f Filter) (Page, error) {
	if scope.StructureID == 0 || !actor.Can(domain.ActViewJournal, scope) {
		return Page{}, domain.Errorf(domain.EFORBIDDEN, "Vous ne pouvez pas consulter le journal de cette Mission Locale.")
	}
	f.StructureID = scope.StructureID
	return s.page(ctx, f)
}

// NationalJournal returns a page of the whole journal; EFORBIDDEN unless the
// policy allows domain.ActViewNationalJournal.
func (s *Service) NationalJournal(ctx context.Context, actor *domain.Actor, f Filter) (Page, error) {
	if !actor.Can(domain.ActViewNationalJournal, domain.Scope{}) {
		return Page{}, domain.Errorf(domain.EFORBIDDEN, "Le journal national est réservé au pôle labellisation et à l'administration de la plateforme.")
	}
	return s.page(ctx, f)
}

func (s *Service) page(ctx context.Context, f Filter) (Page, error) {
	if err := f.Check(); err != nil {
		return Page{}, err
	}
	f.Limit = PageSize
	entries, more, err := s.store.JournalPage(ctx, f)
	if err != nil {
		return Page{}, err
	}
	p := Page{Entries: entries}
	if more && len(entries) > 0 {
		p.Next = entries[len(entries)-1].Seq
	}
	return p, nil
}

// Check refuses filters no entry can match for a reason the person should know:
// an unknown action or object type, dates in the wrong order.
func (f Filter) Check() error {
	fe := domain.FieldErrors{}
	if f.Action != "" && !KnownAction(f.Action) {
		fe["action"] = "Choisissez une action dans la liste."
	}
	if f.ObjectType != "" && !KnownObjectType(f.ObjectType) {
		fe["objet"] = "Choisissez un type d'objet dans la liste."
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		fe["au"] = "La date de fin doit suivre la date de début."
	}
	if len(f.Person) > 200 {
		fe["personne"] = "Saisissez au plus 200 caractères."
	}
	return fe.Err()
}

// RoleFor returns the role actor acts in on an object at scope: the membership
// on the ML, else on its région, else a national one, else the first.
func RoleFor(actor *domain.Actor, scope domain.Scope) domain.Role {
	if actor == nil || len(actor.Memberships) == 0 {
		return ""
	}
	for _, m := range actor.Memberships {
		if scope.StructureID != 0 && m.StructureID == scope.StructureID {
			return m.Role
		}
	}
	for _, m := range actor.Memberships {
		if scope.RegionID != 0 && m.RegionID == scope.RegionID {
			return m.Role
		}
	}
	for _, m := range actor.Memberships {
		if m.Role.ScopeKind() == "" {
			return m.Role
		}
	}
	return actor.Memberships[0].Role
}
