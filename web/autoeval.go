package web

import (
	"strconv"
	"strings"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/referentiel"
)

// ItemView is one item of a section page, with its answer.
type ItemView struct {
	Code, Texte string
	Precisions  []string
	Imperatif   bool
	Aide        string
	Preuves     []string
	Answer      autoeval.Cotation
	Version     int
	By, At      string
	// Errors by field kind: valeur, justification, commentaire.
	Errors map[string]string
	// Conflict is the other person's answer when theirs came in between.
	Conflict *ConflictView
	// NbPreuves counts the pieces of evidence supporting the item.
	NbPreuves int
	// Revue is what the regional review says of the item (revue.templ).
	Revue *RevueItemNote
	// ActionURL creates an action of the ML's plan from the item (plan.templ); "" when the person may not.
	ActionURL string
}

// ConflictView is an answer saved by someone else since the page was loaded.
type ConflictView struct {
	By, At string
	Theirs autoeval.Cotation
}

// ItemGroup is a heading (a réalisation, a resource volet…) and its items.
type ItemGroup struct {
	Heading string
	Items   []ItemView
}

// SectionLink points to a section page.
type SectionLink struct {
	Code, Titre, URL string
}

// SectionView is one page of the self-assessment.
type SectionView struct {
	Page
	AutoevalURL string
	Heading     string
	Context     string // campaign and ML
	Finalite    string
	Action      string
	Groups      []ItemGroup
	// Referentiel names the référentiel's version (code:version): the items'
	// texts and scales are rendered once per version (fragments.go).
	Referentiel string
	Scale       []referentiel.Niveau
	NonConcerne string
	Editable    bool
	ReadOnlyWhy string
	Errors      FormErrors
	Prev, Next  *SectionLink
	// LibraryURL leads to the ML's evidence library, filtered by item.
	LibraryURL string
	// Uncovered lists the items of the page that no piece supports.
	Uncovered []string
}

// ValueLabel says an answer in words: its rating and label, "non concerné" or "non coté".
func ValueLabel(scale []referentiel.Niveau, nc string, c autoeval.Cotation) string {
	switch {
	case c.NonConcerne:
		return nc
	case c.Valeur == 0:
		return "non coté"
	}
	for _, n := range scale {
		if n.Valeur == c.Valeur {
			return strconv.Itoa(n.Valeur) + " — " + n.Libelle
		}
	}
	return strconv.Itoa(c.Valeur)
}

func radioID(code string, v string) string { return "valeur-" + code + "-" + v }

// Segment is one choice of a rating card's segmented control.
type Segment struct {
	ID, Value, Number, Label string
	Checked                  bool
}

// segments lists an item's choices: the scale, « non concerné » unless the item
// is impératif, and "not rated yet". The first one's id is the field's own, so
// that the error summary's link lands on the group.
func segments(v SectionView, it ItemView) []Segment {
	var out []Segment
	on := checkedKey(v, it)
	for i, n := range v.Scale {
		val := strconv.Itoa(n.Valeur)
		id := radioID(it.Code, val)
		if i == 0 {
			id = "valeur-" + it.Code
		}
		out = append(out, Segment{ID: id, Value: val, Number: val, Label: n.Libelle, Checked: on == val})
	}
	if !it.Imperatif {
		out = append(out, Segment{ID: radioID(it.Code, "nc"), Value: "nc", Label: v.NonConcerne, Checked: on == "nc"})
	}
	return append(out, Segment{ID: radioID(it.Code, "aucune"), Label: "Pas encore coté", Checked: on == "aucune"})
}

// ProgressRow is a section's line on the dashboard.
type ProgressRow struct {
	autoeval.Progress
	URL string
}

// MemberSections is a contributor and the sections they work on.
type MemberSections struct {
	MembershipID int64
	Nom          string
	Sections     []string // codes; empty: all
}

// AutoevalView is the dashboard of one auto-évaluation.
type AutoevalView struct {
	Page
	URL         string
	Title       string
	Structure   string
	Etat        demarche.Etat
	Cloture     string
	Rows        []ProgressRow
	Total       autoeval.Progress
	Unrated     int
	CanSubmit   bool
	CanCopy     bool
	Members     []MemberSections
	AllSections []SectionLink
	ScaleValues []int
	History     []TransitionView
	LibraryURL  string
	// Controls: the person works on the auto-évaluation (the ML's controls).
	Controls bool
	// Revue is what the regional review says of the dossier (revue.templ).
	Revue RevueNotes
	// StructureURL is the ML's page, with its team.
	StructureURL string
	// DaysLeft says how long until the closing ("dans 12 jours"), empty once past.
	DaysLeft string
	// Uncovered counts the items no piece of evidence supports.
	Uncovered int
}

// barSegment is one value's share of a stacked bar, in SVG user units.
type barSegment struct {
	X, W, Class string
}

// barSegments splits a 100-unit bar between the scale's values and « non
// concerné », in proportion to their counts.
func barSegments(p autoeval.Progress, scale []int) []barSegment {
	var out []barSegment
	x := 0.0
	add := func(n int, class string) {
		if n == 0 || p.Rated == 0 {
			return
		}
		w := float64(n) * 100 / float64(p.Rated)
		out = append(out, barSegment{X: strconv.FormatFloat(x, 'f', 2, 64), W: strconv.FormatFloat(w, 'f', 2, 64), Class: class})
		x += w
	}
	for _, v := range scale {
		add(p.Distribution[v], strconv.Itoa(v))
	}
	add(p.NonConcerne, "nc")
	return out
}

// DaysLeftLabel says in words how many days are left before a date.
func DaysLeftLabel(days int) string {
	switch {
	case days < 0:
		return ""
	case days == 0:
		return "aujourd'hui"
	case days == 1:
		return "demain"
	}
	return "dans " + strconv.Itoa(days) + " jours"
}

// TransitionView is a recorded step of the démarche.
type TransitionView struct {
	Label, By, At, Commentaire string
}

// ChecklistView is the submission page.
type ChecklistView struct {
	Page
	URL     string
	Title   string
	Entries []ChecklistLine
	// Uncovered lists the items no piece of evidence supports (not blocking).
	Uncovered []ChecklistLine
	CanSubmit bool
	Editable  bool
	Errors    FormErrors
}

// ChecklistLine is one item left to complete.
type ChecklistLine struct {
	Code, Texte, Problem, URL string
	// Part names the item's section ("F2 — Accueillir et informer").
	Part string
}

// ChecklistPart is the checklist's lines of one section.
type ChecklistPart struct {
	Title string
	Lines []ChecklistLine
}

// checklistParts groups consecutive lines by section, in document order.
func checklistParts(lines []ChecklistLine) []ChecklistPart {
	var out []ChecklistPart
	for _, l := range lines {
		if len(out) == 0 || out[len(out)-1].Title != l.Part {
			out = append(out, ChecklistPart{Title: l.Part})
		}
		out[len(out)-1].Lines = append(out[len(out)-1].Lines, l)
	}
	return out
}

// HistoryView lists the changes of one item.
type HistoryView struct {
	Page
	BackURL     string
	Code, Texte string
	Entries     []HistoryLine
}

// HistoryLine is one change, in words.
type HistoryLine struct {
	By, At, Old, New string
}

func percent(p autoeval.Progress) string { return strconv.Itoa(p.Percent()) + " %" }

func mean(p autoeval.Progress) string {
	if p.Mean == 0 {
		return "—"
	}
	return strings.Replace(strconv.FormatFloat(p.Mean, 'f', 1, 64), ".", ",", 1)
}

func distribution(p autoeval.Progress, scale []int) string {
	s := ""
	for i, v := range scale {
		if i > 0 {
			s += " · "
		}
		s += strconv.Itoa(v) + " : " + strconv.Itoa(p.Distribution[v])
	}
	if p.NonConcerne > 0 {
		s += " · NC : " + strconv.Itoa(p.NonConcerne)
	}
	return s
}
