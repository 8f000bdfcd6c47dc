package preuves

import (
	"context"
	"slices"
	"time"

	"github.com/unml/cadre/internal/domain"
)

// Metadata is what may be edited of a piece once added: its nature and files
// stay; a new file is a new version.
type Metadata struct {
	Titre        string     `json:"titre"`
	Type         string     `json:"type"`
	DateDocument *time.Time `json:"date_document,omitempty"`
	FinValidite  *time.Time `json:"fin_validite,omitempty"`
	URL          string     `json:"url,omitempty"` // links only
	SiteIDs      []int64    `json:"sites,omitempty"`
}

// MetadataOf is the editable part of a piece, its sites sorted.
func MetadataOf(p domain.Preuve) Metadata {
	sites := slices.Clone(p.SiteIDs)
	slices.Sort(sites)
	return Metadata{Titre: p.Titre, Type: p.Type, DateDocument: p.DateDocument, FinValidite: p.FinValidite, URL: p.URL, SiteIDs: slices.Compact(sites)}
}

// Equal reports whether two metadata say the same.
func (m Metadata) Equal(o Metadata) bool {
	day := func(a, b *time.Time) bool {
		return (a == nil) == (b == nil) && (a == nil || a.Format(time.DateOnly) == b.Format(time.DateOnly))
	}
	return m.Titre == o.Titre && m.Type == o.Type && m.URL == o.URL && slices.Equal(m.SiteIDs, o.SiteIDs) &&
		day(m.DateDocument, o.DateDocument) && day(m.FinValidite, o.FinValidite)
}

// Modification is one recorded change of a piece's metadata.
type Modification struct {
	By           string // name or email; "" for a deleted account
	At           time.Time
	Avant, Apres Metadata
}

// Changes says in French what a modification changed, one line per field;
// siteName names a site of the ML.
func (m Modification) Changes(siteName func(int64) string) []string {
	var out []string
	text := func(label, a, b string) {
		if a != b {
			out = append(out, label+" : « "+a+" » → « "+b+" »")
		}
	}
	date := func(t *time.Time) string {
		if t == nil {
			return "aucune"
		}
		return domain.FrenchDate(*t)
	}
	sites := func(ids []int64) string {
		if len(ids) == 0 {
			return "aucun"
		}
		s := ""
		for i, id := range ids {
			if i > 0 {
				s += ", "
			}
			s += siteName(id)
		}
		return s
	}
	text("Titre", m.Avant.Titre, m.Apres.Titre)
	text("Type", domain.PreuveTypeLabel(m.Avant.Type), domain.PreuveTypeLabel(m.Apres.Type))
	text("Date du document", date(m.Avant.DateDocument), date(m.Apres.DateDocument))
	text("Fin de validité", date(m.Avant.FinValidite), date(m.Apres.FinValidite))
	text("Adresse du lien", m.Avant.URL, m.Apres.URL)
	text("Lieux d'accueil", sites(m.Avant.SiteIDs), sites(m.Apres.SiteIDs))
	return out
}

// UpdateMetadata replaces the metadata of a piece and records the change, and
// reports whether anything changed (the same values again: no change, no
// history line). ENOTFOUND unless actor sees the piece, EFORBIDDEN unless they
// manage its library, EINVALID with field errors (domain.Preuve.Validate, sites
// that are not the ML's) changes nothing.
func (s *Service) UpdateMetadata(ctx context.Context, actor *domain.Actor, preuveID int64, m Metadata) (bool, error) {
	p, scope, err := s.piece(ctx, actor, preuveID)
	if err != nil {
		return false, err
	}
	if err := s.MayManage(actor, scope); err != nil {
		return false, err
	}
	p.Titre, p.Type, p.DateDocument, p.FinValidite, p.SiteIDs = m.Titre, m.Type, m.DateDocument, m.FinValidite, m.SiteIDs
	if p.Nature == domain.NatureLien {
		p.URL = m.URL
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return false, err
	}
	return s.store.UpdateMetadata(ctx, actor, p.StructureID, p.ID, MetadataOf(p))
}
