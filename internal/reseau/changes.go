package reseau

import (
	"fmt"
	"strings"

	"github.com/unml/cadre/internal/domain"
)

// Entity is what a change is about.
type Entity string

// The entities of the network.
const (
	EntityRegion    Entity = "region"
	EntityStructure Entity = "structure"
	EntitySite      Entity = "site"
)

// Action is what a change does.
type Action string

// The actions of an import; it never deletes.
const (
	Created Action = "created"
	Updated Action = "updated" // fields changed; see Change.Fields
	Moved   Action = "moved"   // a Mission Locale to another région, a site to another Mission Locale
)

// Change is one effect of an import on one entity.
type Change struct {
	Line   int // line of the file the change comes from
	Entity Entity
	Action Action
	Code   string
	Fields []FieldChange // Updated: the fields that differ
	From   string        // Moved: the code of the former région or Mission Locale
	To     string        // Moved: the code of the new one; Created: the parent's code
	Text   string        // the change in French, e.g. "création de la région BRE « Bretagne »"
}

// String returns the change in French.
func (c Change) String() string { return c.Text }

// FieldChange is one field whose value an import changes.
type FieldChange struct {
	Name     string // in French: "nom", "commune", "code postal"…
	Old, New string // as shown to people: labels rather than stored values
}

// String shows the field as « old » → « new ».
func (f FieldChange) String() string {
	return f.Name + " " + quote(f.Old) + " → " + quote(f.New)
}

// Changes are the effects of one import: régions first, then Missions Locales,
// then sites, each in the order of the file.
type Changes []Change

// Count returns how many changes are of entity e and action a.
func (cs Changes) Count(e Entity, a Action) int {
	n := 0
	for _, c := range cs {
		if c.Entity == e && c.Action == a {
			n++
		}
	}
	return n
}

// Summary counts the changes in French, e.g. "régions : 1 créée, 0 modifiée ;
// Missions Locales : 2 créées, 0 modifiée, 0 déplacée ; sites : 7 créés, 0 modifié,
// 0 déplacé".
func (cs Changes) Summary() string {
	count := func(e Entity, a Action, one, many string) string {
		n := cs.Count(e, a)
		return fmt.Sprintf("%d %s", n, plural(n, one, many))
	}
	return fmt.Sprintf("régions : %s, %s ; Missions Locales : %s, %s, %s ; sites : %s, %s, %s",
		count(EntityRegion, Created, "créée", "créées"), count(EntityRegion, Updated, "modifiée", "modifiées"),
		count(EntityStructure, Created, "créée", "créées"), count(EntityStructure, Updated, "modifiée", "modifiées"),
		count(EntityStructure, Moved, "déplacée", "déplacées"),
		count(EntitySite, Created, "créé", "créés"), count(EntitySite, Updated, "modifié", "modifiés"),
		count(EntitySite, Moved, "déplacé", "déplacés"))
}

// DiffRegion returns what importing next does to cur, the région of the same code
// as stored (nil when there is none): a creation, a modification, or nothing.
func DiffRegion(cur *Region, next Region) Changes {
	if cur == nil {
		return Changes{{Line: next.Line, Entity: EntityRegion, Action: Created, Code: next.Code,
			Text: fmt.Sprintf("création de la région %s « %s »", next.Code, next.Nom)}}
	}
	return updated(next.Line, EntityRegion, next.Code, "de la région",
		field("nom", cur.Nom, next.Nom))
}

// DiffStructure returns what importing next does to cur, the Mission Locale of the
// same code as stored (nil when there is none): a creation, or a modification of
// its fields and a move to another région, each when there is one.
func DiffStructure(cur *Structure, next Structure) Changes {
	if cur == nil {
		return Changes{{Line: next.Line, Entity: EntityStructure, Action: Created, Code: next.Code, To: next.RegionCode,
			Text: fmt.Sprintf("création de la Mission Locale %s « %s » dans la région %s", next.Code, next.Nom, next.RegionCode)}}
	}
	cs := updated(next.Line, EntityStructure, next.Code, "de la Mission Locale",
		field("nom", cur.Nom, next.Nom),
		field("forme juridique", domain.FormeLabel(cur.Forme), domain.FormeLabel(next.Forme)),
		field("SIRET", cur.Siret, next.Siret))
	if cur.RegionCode != next.RegionCode {
		cs = append(cs, Change{Line: next.Line, Entity: EntityStructure, Action: Moved, Code: next.Code, From: cur.RegionCode, To: next.RegionCode,
			Text: fmt.Sprintf("déplacement de la Mission Locale %s : région %s → %s", next.Code, cur.RegionCode, next.RegionCode)})
	}
	return cs
}

// DiffSite returns what importing next does to cur, the site of the same code as
// stored (nil when there is none): a creation, or a modification of its fields and
// a move to another Mission Locale, each when there is one.
func DiffSite(cur *Site, next Site) Changes {
	if cur == nil {
		return Changes{{Line: next.Line, Entity: EntitySite, Action: Created, Code: next.Code, To: next.StructureCode,
			Text: fmt.Sprintf("création du site %s « %s » (%s) de la Mission Locale %s", next.Code, next.Nom, kindLabel(next.Kind), next.StructureCode)}}
	}
	cs := updated(next.Line, EntitySite, next.Code, "du site",
		field("nom", cur.Nom, next.Nom),
		field("type", kindLabel(cur.Kind), kindLabel(next.Kind)),
		field("adresse", cur.Adresse, next.Adresse),
		field("code postal", cur.CodePostal, next.CodePostal),
		field("commune", cur.Commune, next.Commune))
	if cur.StructureCode != next.StructureCode {
		cs = append(cs, Change{Line: next.Line, Entity: EntitySite, Action: Moved, Code: next.Code, From: cur.StructureCode, To: next.StructureCode,
			Text: fmt.Sprintf("déplacement du site %s : Mission Locale %s → %s", next.Code, cur.StructureCode, next.StructureCode)})
	}
	return cs
}

func kindLabel(kind string) string { return strings.ToLower(domain.SiteKindLabel(kind)) }

// field returns the change of one field, or nil when the value is the same.
func field(name, before, after string) *FieldChange {
	if before == after {
		return nil
	}
	return &FieldChange{Name: name, Old: before, New: after}
}

// updated returns one Updated change listing the fields that differ, or none.
func updated(line int, e Entity, code, of string, fields ...*FieldChange) Changes {
	var fs []FieldChange
	var texts []string
	for _, f := range fields {
		if f != nil {
			fs = append(fs, *f)
			texts = append(texts, f.String())
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return Changes{{Line: line, Entity: e, Action: Updated, Code: code, Fields: fs,
		Text: fmt.Sprintf("modification %s %s : %s", of, code, strings.Join(texts, ", "))}}
}
