package domain

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Natures of a piece of evidence.
const (
	NatureFichier  = "fichier"   // an uploaded file, with versions
	NatureLien     = "lien"      // an http or https link
	NatureSurPlace = "sur_place" // shown to auditors on the day; nothing uploaded
)

// NatureLabel returns the French name of a nature.
func NatureLabel(n string) string {
	switch n {
	case NatureFichier:
		return "Fichier"
	case NatureLien:
		return "Lien"
	case NatureSurPlace:
		return "À consulter sur place"
	}
	return n
}

// PreuveTypes are the document types, in display order.
var PreuveTypes = []string{"procedure", "compte_rendu", "convention_partenariat", "tableau_de_bord", "enquete_satisfaction", "support_communication", "autre"}

// PreuveTypeLabel returns the French name of a document type.
func PreuveTypeLabel(t string) string {
	switch t {
	case "procedure":
		return "Procédure"
	case "compte_rendu":
		return "Compte rendu"
	case "convention_partenariat":
		return "Convention de partenariat"
	case "tableau_de_bord":
		return "Tableau de bord"
	case "enquete_satisfaction":
		return "Enquête de satisfaction"
	case "support_communication":
		return "Support de communication"
	case "autre":
		return "Autre"
	}
	return t
}

// Review statuses of a piece.
const (
	StatutDeposee  = "deposee"
	StatutAcceptee = "acceptee"
	StatutRefusee  = "refusee"
)

// StatutLabel returns the French name of a review status.
func StatutLabel(s string) string {
	switch s {
	case StatutDeposee:
		return "Déposée"
	case StatutAcceptee:
		return "Acceptée"
	case StatutRefusee:
		return "Refusée"
	}
	return s
}

// Preuve is a piece of evidence of an ML's library.
type Preuve struct {
	ID           int64
	StructureID  int64
	Nature       string
	Titre        string
	Type         string
	DateDocument *time.Time
	FinValidite  *time.Time
	URL          string // links only
	Statut       string
	Motif        string
	SiteIDs      []int64
	// Filled when read: the current file version (0 if none), its name, size and type.
	Version   int
	Nom       string
	Taille    int64
	Mime      string
	Items     int // how many items it supports
	CreatedAt time.Time
}

// Expired reports whether the piece's validity ended before day.
func (p Preuve) Expired(day time.Time) bool {
	return p.FinValidite != nil && p.FinValidite.Before(day)
}

// Normalize trims the piece's texts.
func (p *Preuve) Normalize() {
	p.Titre, p.URL = strings.TrimSpace(p.Titre), strings.TrimSpace(p.URL)
}

// Validate checks a piece's metadata (the file itself is checked while stored).
func (p Preuve) Validate() error {
	fe := FieldErrors{}
	switch p.Nature {
	case NatureFichier, NatureSurPlace:
	case NatureLien:
		u, err := url.Parse(p.URL)
		if p.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p.URL) > 2000 {
			fe["url"] = "Saisissez une adresse web complète commençant par http:// ou https://."
		}
	default:
		fe["nature"] = "Choisissez : fichier, lien ou à consulter sur place."
	}
	checkText(fe, "titre", p.Titre, "Le titre", true, 300)
	if PreuveTypeLabel(p.Type) == p.Type {
		fe["type"] = "Choisissez le type de document dans la liste."
	}
	if p.DateDocument != nil && p.FinValidite != nil && p.FinValidite.Before(*p.DateDocument) {
		fe["fin_validite"] = "La fin de validité ne peut pas précéder la date du document."
	}
	return fe.Err()
}

// ValidateMotif checks a review decision: a refusal needs its reason.
func ValidateMotif(statut, motif string) error {
	switch statut {
	case StatutDeposee, StatutAcceptee:
	case StatutRefusee:
		if strings.TrimSpace(motif) == "" {
			return FieldErrors{"motif": "Indiquez le motif du refus."}.Err()
		}
	default:
		return FieldErrors{"statut": "Choisissez : déposée, acceptée ou refusée."}.Err()
	}
	if utf8.RuneCountInString(motif) > MaxCommentRunes {
		return FieldErrors{"motif": "Le motif est trop long (5 000 caractères au plus)."}.Err()
	}
	return nil
}

// RGPDWarning is the text a person acknowledges before their first upload
// (DESIGN.md §5).
const RGPDWarning = "Les éléments de preuve montrent comment la structure fonctionne, jamais la situation d'un jeune. " +
	"Ne déposez aucun dossier individuel, aucune capture d'écran d'I-Milo, aucune pièce d'identité, aucun numéro de sécurité sociale, " +
	"aucune donnée de santé, de handicap, de justice ou de vie privée. Anonymisez le document, ou déclarez-le « à consulter sur place »."
