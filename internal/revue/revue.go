// Package revue holds the ARML's regional review of the Missions Locales'
// dossiers (DESIGN.md §2, §4, §6): the région's pipeline, the heat maps, the
// référent's avis per item and on the whole, and the return of a dossier for
// completion; and the Service that decides who may see and do each.
package revue

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
)

// Recommandation is the verdict of an avis régional, stored as is.
type Recommandation string

// The recommendations of an avis régional.
const (
	Favorable         Recommandation = "favorable"
	FavorableReserves Recommandation = "favorable_reserves"
	Defavorable       Recommandation = "defavorable"
)

// Recommandations lists them in display order.
var Recommandations = []Recommandation{Favorable, FavorableReserves, Defavorable}

// Label returns the recommendation's French name.
func (r Recommandation) Label() string {
	switch r {
	case Favorable:
		return "Favorable"
	case FavorableReserves:
		return "Favorable avec réserves"
	case Defavorable:
		return "Défavorable"
	}
	return string(r)
}

// Valid reports whether r is a known recommendation.
func (r Recommandation) Valid() bool {
	for _, k := range Recommandations {
		if r == k {
			return true
		}
	}
	return false
}

// AvisItem is the référent's avis on one item: an optional rating on the
// référentiel's scale (0: none) and a remark.
type AvisItem struct {
	Valeur   int
	Remarque string
}

// Empty reports whether the avis says nothing.
func (a AvisItem) Empty() bool { return a.Valeur == 0 && a.Remarque == "" }

// SavedAvisItem is a stored item avis with its version and last author.
type SavedAvisItem struct {
	AvisItem
	Version int // 0: never given
	By      string
	At      time.Time
}

// AvisItemChange is an item avis to save, made from the version the référent saw.
type AvisItemChange struct {
	Code        string
	Avis        AvisItem
	BaseVersion int
}

// Saved is what a save of item avis left: the avis as stored now by item code,
// and the codes it changed.
type Saved struct {
	Items   map[string]SavedAvisItem
	Changed []string
}

// ConflictError lists the items whose avis someone else changed since the page
// was loaded; nothing was saved. It unwraps to an ECONFLICT *domain.Error.
type ConflictError struct {
	Current map[string]SavedAvisItem
}

func (e *ConflictError) Error() string {
	return domain.ECONFLICT + ": " + strconv.Itoa(len(e.Current)) + " item avis changed meanwhile"
}

var errConflict = domain.Errorf(domain.ECONFLICT, "Quelqu'un d'autre a modifié ces avis depuis le chargement de la page : rien n'a été enregistré. Comparez, puis enregistrez à nouveau.")

// Unwrap gives the conflict its code and French message.
func (e *ConflictError) Unwrap() error { return errConflict }

// Gap is the absolute difference between the ML's rating and the référent's,
// and whether both exist.
func Gap(ml, arml int) (int, bool) {
	if ml == 0 || arml == 0 {
		return 0, false
	}
	d := ml - arml
	if d < 0 {
		d = -d
	}
	return d, true
}

// GrandEcart is the gap from which the screens make a difference stand out.
const GrandEcart = 2

// Avis is the avis régional on the whole dossier, at one round of review.
type Avis struct {
	ID             int64
	PointsForts    string
	AxesProgres    string
	Recommandation Recommandation
	Texte          string
	By             string
	At             time.Time
}

// Normalize trims the texts.
func (a *Avis) Normalize() {
	a.PointsForts, a.AxesProgres, a.Texte = strings.TrimSpace(a.PointsForts), strings.TrimSpace(a.AxesProgres), strings.TrimSpace(a.Texte)
}

// Validate checks an avis: a synthesis in two parts and a recommendation, each
// text of bounded length. Field names are those of the form.
func (a Avis) Validate() error {
	fe := domain.FieldErrors{}
	if a.PointsForts == "" {
		fe["points_forts"] = "Indiquez les points forts."
	}
	if a.AxesProgres == "" {
		fe["axes_progres"] = "Indiquez les axes de progrès."
	}
	if !a.Recommandation.Valid() {
		fe["recommandation"] = "Choisissez une recommandation."
	}
	for name, text := range map[string]string{"points_forts": a.PointsForts, "axes_progres": a.AxesProgres, "texte": a.Texte} {
		if utf8.RuneCountInString(text) > domain.MaxCommentRunes {
			fe[name] = "Ce texte est trop long (5 000 caractères au plus)."
		}
	}
	return fe.Err()
}

// Renvoi is a return of the dossier for completion: the general reason and
// the reasons on chosen items.
type Renvoi struct {
	ID    int64
	Motif string
	Items []RenvoiItem
	By    string
	Role  domain.Role
	At    time.Time
}

// RenvoiItem is the reason of a return on one item.
type RenvoiItem struct {
	Code, Motif string
}

// Motifs returns the item reasons by code.
func (r Renvoi) Motifs() map[string]string {
	out := make(map[string]string, len(r.Items))
	for _, it := range r.Items {
		out[it.Code] = it.Motif
	}
	return out
}

// Dossier is one ML of a région in a campaign, for the pipeline: its
// auto-évaluation (0: none) and state, and its last submission.
type Dossier struct {
	StructureID      int64
	StructureNom     string
	AutoevaluationID int64
	Etat             demarche.Etat
	SoumiseLe        *time.Time
}

// Moyenne is what a store aggregate says of one ML's ratings in one group of
// items: how many items were answered (rated or non concerné), and the sum
// and count of the ratings.
type Moyenne struct {
	StructureID int64
	Groupe      string
	Answered    int
	Sum, N      int
}

// openRenvoi returns the return the ML still has to answer: the latest one,
// if the dossier is back en cours and was not submitted since.
func openRenvoi(etat demarche.Etat, renvois []Renvoi, transitions []demarche.Record) *Renvoi {
	if etat != demarche.EnCours || len(renvois) == 0 {
		return nil
	}
	last := renvois[len(renvois)-1]
	for _, t := range transitions {
		if t.Action == demarche.Soumettre && t.At.After(last.At) {
			return nil
		}
	}
	return &last
}
