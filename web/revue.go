package web

import (
	"strconv"
	"strings"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/revue"
)

// RegionLink points to a région's review.
type RegionLink struct {
	Nom, URL string
}

// RevueIndexView lists the régions whose review the person may see.
type RevueIndexView struct {
	Page
	Regions []RegionLink
}

// SortLink is a sortable column heading of the pipeline.
type SortLink struct {
	Label, URL string
	// Sort is the aria-sort of the column: "ascending", "descending" or "".
	Sort string
}

// PipelineRow is one ML in the région's pipeline.
type PipelineRow struct {
	Nom, URL     string
	Etat         string
	Percent      int
	Avancement   string
	SoumiseLe    string
	Jours        string
	Means        []string
	AwaitingAvis bool
}

// PipelineView is the région's pipeline in one campaign.
type PipelineView struct {
	Page
	Region    string
	BaseURL   string
	CarteURL  string
	Campagne  string // the selected campaign's id
	Campagnes []Option
	Etat      string
	Etats     []Option
	Tri       string
	Headers   []SortLink
	Parts     []revue.Part
	Rows      []PipelineRow
	Total     int
}

// HeatCell is one cell of a heat map: the number printed in it, its colour
// step and the ink that keeps the number readable on it.
type HeatCell struct {
	Text, Fill, Ink, Title string
}

// HeatRow is one line of a heat map.
type HeatRow struct {
	Label, URL string
	Cells      []HeatCell
	// Summary marks the median lines.
	Summary bool
}

// HeatMap is a heat map and the same data as a table.
type HeatMap struct {
	ID, Caption string
	Columns     []revue.Part
	Rows        []HeatRow
	// LabelWidth, CellWidth, RowHeight, Width, Height lay out the SVG.
	LabelWidth, CellWidth, RowHeight, Width, Height int
}

// CarteView is the région's heat maps in one campaign.
type CarteView struct {
	Page
	Region, Campagne, PipelineURL string
	Campagnes                     []Option
	CampagneID                    string
	ActionURL                     string
	Parts                         HeatMap
	Ressources                    HeatMap
	Legend                        []HeatCell
}

// ScaleStep is one of the five colour steps of the heat maps: a cividis
// sequence (readable with every common colour-vision deficiency) from the
// lowest mean to the highest, each with an ink of at least 4.5:1 contrast.
type ScaleStep struct {
	Min       float64
	Fill, Ink string
	Label     string
}

// heatSteps are the colour steps, from the lowest mean up.
var heatSteps = []ScaleStep{
	{1, "#00224e", "#ffffff", "de 1 à moins de 1,75"},
	{1.75, "#35456c", "#ffffff", "de 1,75 à moins de 2,5"},
	{2.5, "#666970", "#ffffff", "de 2,5 à moins de 3,25"},
	{3.25, "#a59c74", "#000000", "de 3,25 à moins de 3,75"},
	{3.75, "#fee838", "#000000", "de 3,75 à 4"},
}

// FrenchNumber prints a mean with one decimal and a decimal comma.
func FrenchNumber(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 1, 64), ".", ",", 1)
}

// Heat returns the cell of a mean: its number on its colour step; "—" on white
// without ratings.
func Heat(c revue.Cell, title string) HeatCell {
	if !c.Valid() {
		return HeatCell{Text: "—", Fill: "#ffffff", Ink: "#3a3a3a", Title: title + " : aucune cotation"}
	}
	step := heatSteps[0]
	for _, s := range heatSteps {
		if c.Mean >= s.Min {
			step = s
		}
	}
	return HeatCell{Text: FrenchNumber(c.Mean), Fill: step.Fill, Ink: step.Ink, Title: title + " : " + FrenchNumber(c.Mean)}
}

// HeatLegend returns the colour steps as cells for the legend.
func HeatLegend() []HeatCell {
	out := make([]HeatCell, len(heatSteps))
	for i, s := range heatSteps {
		out[i] = HeatCell{Text: s.Label, Fill: s.Fill, Ink: s.Ink}
	}
	return out
}

// Layout computes the SVG's size from its rows and columns.
func (h *HeatMap) Layout() {
	h.LabelWidth, h.CellWidth, h.RowHeight = 300, 64, 24
	h.Width = h.LabelWidth + h.CellWidth*len(h.Columns)
	h.Height = h.RowHeight * (len(h.Rows) + 1)
}

func (h HeatMap) x(col int) string { return strconv.Itoa(h.LabelWidth + col*h.CellWidth) }
func (h HeatMap) y(row int) string { return strconv.Itoa(h.RowHeight * (row + 1)) }
func (h HeatMap) cx(col int) string {
	return strconv.Itoa(h.LabelWidth + col*h.CellWidth + h.CellWidth/2)
}
func (h HeatMap) ty(row int) string { return strconv.Itoa(h.RowHeight*(row+1) + h.RowHeight*2/3) }

// short cuts a label for the SVG; the table beside it has the whole label.
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// RevueLink points to a section of a dossier under review, with its counts.
type RevueLink struct {
	Code, Titre, URL string
	Avis, Ecarts     int
}

// RoundView is one step of the review's history: an avis or a return.
type RoundView struct {
	Kind, By, At string
	// For an avis.
	Recommandation, PointsForts, AxesProgres, Texte string
	// For a return.
	Motif string
	Items []revue.RenvoiItem
}

// RevueView is the review of one dossier: its sections, the avis régional,
// the return, and the rounds so far.
type RevueView struct {
	Page
	URL, AutoevalURL, PipelineURL string
	Structure, Campagne, Etat     string
	CanAvis, CanReturn            bool
	// Reviewable: the dossier is submitted (item avis and the avis régional);
	// Returnable: its state allows a return.
	Reviewable, Returnable bool
	Sections               []RevueLink
	Recommandations        []Option
	Avis                   revue.Avis
	Renvoi                 revue.Renvoi
	// RenvoiRows is the number of item reason lines of the return form.
	RenvoiRows   int
	AvisErrors   FormErrors
	AvisFields   map[string]string
	RenvoiErrors FormErrors
	RenvoiFields map[string]string
	Rounds       []RoundView
}

// RevueItemView is one item on a review page: the ML's answer and the avis.
type RevueItemView struct {
	Code, Texte                         string
	MLValue, Justification, Commentaire string
	Preuves                             []string
	Avis                                revue.AvisItem
	// Base is the avis the form was made from: an item posted as it was is
	// not a change, whatever came in meanwhile.
	Base           revue.AvisItem
	Version        int
	By, At         string
	Gap            int
	HasGap, BigGap bool
	Errors         map[string]string
	Conflict       *revue.SavedAvisItem
}

// RevueSectionView is one section of a dossier under review.
type RevueSectionView struct {
	Page
	URL, RevueURL, Action string
	Heading, Context      string
	Items                 []RevueItemView
	Scale                 []referentiel.Niveau
	Editable              bool
	ReadOnlyWhy           string
	Errors                FormErrors
	Prev, Next            *SectionLink
}

// RevueNotes is what the ML's dashboard shows of the review: the return to
// answer, the avis régional once rendered, and for reviewers a link.
type RevueNotes struct {
	Renvoi   *revue.Renvoi
	RenvoiAt string
	Avis     *revue.Avis
	AvisAt   string
	// ItemURL builds the link to an item of the dossier.
	ItemURLs map[string]string
	// ReviewURL leads to the review of the dossier, for its reviewers.
	ReviewURL string
}

// RevueItemNote is what an item of the ML's section page shows of the review.
type RevueItemNote struct {
	Avis        *revue.SavedAvisItem
	AvisLabel   string
	RenvoiMotif string
	Gap         int
	BigGap      bool
	// ActionURL creates an action of the ML's plan from the remark (plan.templ); "" when the person may not.
	ActionURL string
}

// RevueHome is the review on a référent's home page: per région, the dossiers
// of the latest campaign.
type RevueHome struct {
	Regions []RevueHomeRegion
}

// RevueHomeRegion is a région on the home page.
type RevueHomeRegion struct {
	Nom, URL, Campagne string
	Attente, Rendus    []RegionLink
	Autres             int
}

// avisLabel says a regional rating in words.
func avisLabel(scale []referentiel.Niveau, v int) string {
	if v == 0 {
		return "pas de cotation régionale"
	}
	return ValueLabel(scale, "", autoeval.Cotation{Valeur: v})
}
