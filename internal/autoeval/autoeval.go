// Package autoeval holds the self-assessment of a Mission Locale: its answers
// (cotations), their rules, the checklist before submission, the progress per
// section, conflicts between concurrent saves, and the Service that decides who
// may read, rate, submit and organise an auto-évaluation.
package autoeval

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
)

// Autoevaluation is one ML's self-assessment in one campaign.
type Autoevaluation struct {
	ID                 int64
	CampagneID         int64
	CampagneNom        string
	Cloture            time.Time
	StructureID        int64
	StructureNom       string
	RegionID           int64
	Etat               demarche.Etat
	ReferentielID      int64
	ReferentielVersion string
}

// Scope locates the auto-évaluation for the policy.
func (a Autoevaluation) Scope() domain.Scope {
	return domain.Scope{RegionID: a.RegionID, StructureID: a.StructureID}
}

// Cotation is the ML's answer on one item.
type Cotation struct {
	Valeur        int // 0: not rated
	NonConcerne   bool
	Justification string
	Commentaire   string
}

// Rated reports whether the item has an answer: a rating or "non concerné".
func (c Cotation) Rated() bool { return c.Valeur != 0 || c.NonConcerne }

// Normalize trims the texts.
func (c *Cotation) Normalize() {
	c.Justification, c.Commentaire = strings.TrimSpace(c.Justification), strings.TrimSpace(c.Commentaire)
}

// Validate checks an answer against the item and its scale: a value of the scale,
// or "non concerné" with a justification, never on an impératif item. An empty
// answer (clearing an item) is valid. Field names are suffixed by the item code so
// that one page of items can show each error at its item.
func (c Cotation) Validate(code string, imperatif bool, valeurs []int) error {
	fe := domain.FieldErrors{}
	if c.Valeur != 0 {
		known := false
		for _, v := range valeurs {
			known = known || v == c.Valeur
		}
		if !known {
			fe["valeur-"+code] = "Choisissez une cotation de l'échelle."
		}
	}
	if c.NonConcerne {
		switch {
		case c.Valeur != 0:
			fe["valeur-"+code] = "Choisissez une cotation ou « non concerné », pas les deux."
		case imperatif:
			fe["valeur-"+code] = "Cet élément est impératif : il ne peut pas être « non concerné »."
		case c.Justification == "":
			fe["justification-"+code] = "Justifiez « non concerné » : cette justification est obligatoire."
		}
	}
	if utf8.RuneCountInString(c.Justification) > domain.MaxCommentRunes {
		fe["justification-"+code] = "La justification est trop longue (5 000 caractères au plus)."
	}
	if utf8.RuneCountInString(c.Commentaire) > domain.MaxCommentRunes {
		fe["commentaire-"+code] = "Le commentaire est trop long (5 000 caractères au plus)."
	}
	return fe.Err()
}

// SavedCotation is a stored answer with its version and last author.
type SavedCotation struct {
	Cotation
	Version int // 0: never answered
	By      string
	At      time.Time
}

// Answers strips the bookkeeping from saved answers.
func Answers(saved map[string]SavedCotation) map[string]Cotation {
	out := make(map[string]Cotation, len(saved))
	for k, v := range saved {
		out[k] = v.Cotation
	}
	return out
}

// CotationChange is an answer to save, made from the version the person saw.
type CotationChange struct {
	Code        string
	Cotation    Cotation
	BaseVersion int
}

// Saved is what a save left: every answer it was given, as stored now, by item
// code, and the codes it actually changed, in the order of the changes.
type Saved struct {
	Answers map[string]SavedCotation
	Changed []string
}

// ConflictError lists the items someone else changed since the page was loaded;
// nothing was saved. It unwraps to an ECONFLICT *domain.Error.
type ConflictError struct {
	Current map[string]SavedCotation
}

func (e *ConflictError) Error() string {
	return domain.ECONFLICT + ": " + strconv.Itoa(len(e.Current)) + " item(s) changed meanwhile"
}

// errConflict is what the edges say of any *ConflictError.
var errConflict = domain.Errorf(domain.ECONFLICT, "Quelqu'un d'autre a modifié ces éléments depuis le chargement de la page : rien n'a été enregistré. Comparez les deux versions, puis enregistrez à nouveau.")

// Unwrap gives the conflict its code and French message for domain.ErrorCode
// and domain.ErrorMessage.
func (e *ConflictError) Unwrap() error { return errConflict }

// HistoryEntry is one change of an answer.
type HistoryEntry struct {
	Version  int
	By       string
	At       time.Time
	Old, New Cotation
}

// ChecklistEntry is an item that keeps an auto-évaluation from being submitted.
type ChecklistEntry struct {
	Code    string
	Section string
	Texte   string
	Problem string
}

// SubmissionChecklist lists, in document order, every item not yet answered and
// every "non concerné" without justification. Submission needs it empty.
func SubmissionChecklist(items []referentiel.AssessableItem, answers map[string]Cotation) []ChecklistEntry {
	var out []ChecklistEntry
	for _, it := range items {
		a := answers[it.Code]
		problem := ""
		switch {
		case !a.Rated():
			problem = "Non coté"
		case a.NonConcerne && strings.TrimSpace(a.Justification) == "":
			problem = "« Non concerné » sans justification"
		}
		if problem != "" {
			out = append(out, ChecklistEntry{Code: it.Code, Section: referentiel.SectionOf(it), Texte: it.Texte, Problem: problem})
		}
	}
	return out
}

// Progress is how far a section (or the whole) is rated, with the mean of its
// ratings and their distribution (DESIGN.md §4: no single public mark).
type Progress struct {
	Code, Titre  string
	Rated, Total int
	NonConcerne  int
	Mean         float64 // over rated items, "non concerné" excluded; 0 when none
	Distribution map[int]int
}

// Percent is the share of answered items, rounded down.
func (p Progress) Percent() int {
	if p.Total == 0 {
		return 0
	}
	return p.Rated * 100 / p.Total
}

// SectionsProgress returns the progress of each section, then of the whole.
func SectionsProgress(sections []referentiel.Section, answers map[string]Cotation) ([]Progress, Progress) {
	all := Progress{Code: "", Titre: "Ensemble", Distribution: map[int]int{}}
	var out []Progress
	sum, n := 0, 0
	for _, s := range sections {
		p := Progress{Code: s.Code, Titre: s.Titre, Total: len(s.Items), Distribution: map[int]int{}}
		psum, pn := 0, 0
		for _, code := range s.Items {
			a := answers[code]
			if !a.Rated() {
				continue
			}
			p.Rated++
			if a.NonConcerne {
				p.NonConcerne++
				continue
			}
			p.Distribution[a.Valeur]++
			all.Distribution[a.Valeur]++
			psum += a.Valeur
			pn++
		}
		if pn > 0 {
			p.Mean = float64(psum) / float64(pn)
		}
		sum, n = sum+psum, n+pn
		all.Rated += p.Rated
		all.Total += p.Total
		all.NonConcerne += p.NonConcerne
		out = append(out, p)
	}
	if n > 0 {
		all.Mean = float64(sum) / float64(n)
	}
	return out, all
}
