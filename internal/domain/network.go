package domain

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Region is an association régionale (ARML / URML).
type Region struct {
	ID   int64
	Code string
	Nom  string
}

// Structure is a Mission Locale.
type Structure struct {
	ID        int64
	Code      string
	Nom       string
	RegionID  int64
	RegionNom string
	Forme     string // FormeAssociation or FormeGIP
	Siret     string // 14 digits, or empty
}

// Legal forms of a Mission Locale.
const (
	FormeAssociation = "association"
	FormeGIP         = "gip"
)

// Site is a lieu d'accueil of a Mission Locale.
type Site struct {
	ID          int64
	Code        string
	StructureID int64
	Nom         string
	Kind        string // one of SiteKinds
	Adresse     string
	CodePostal  string
	Commune     string
}

// SiteKinds are the kinds of lieu d'accueil, in display order.
var SiteKinds = []string{"siege", "antenne", "relais", "permanence"}

// SiteKindLabel returns the French label of a site kind.
func SiteKindLabel(kind string) string {
	switch kind {
	case "siege":
		return "Siège"
	case "antenne":
		return "Antenne"
	case "relais":
		return "Relais"
	case "permanence":
		return "Permanence"
	}
	return kind
}

// FormeLabel returns the French label of a legal form.
func FormeLabel(forme string) string {
	switch forme {
	case FormeAssociation:
		return "Association"
	case FormeGIP:
		return "GIP"
	}
	return forme
}

var (
	codePattern       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	siretPattern      = regexp.MustCompile(`^[0-9]{14}$`)
	codePostalPattern = regexp.MustCompile(`^[0-9][0-9AB][0-9]{3}$`)
)

// FieldErrors maps a form field to its French error message.
type FieldErrors map[string]string

// Err returns nil when there is no error, else an EINVALID *Error carrying them.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "Le formulaire contient des erreurs : corrigez les champs signalés.", Fields: fe}
}

func checkCode(fe FieldErrors, field, value string) {
	switch {
	case value == "":
		fe[field] = "Le code est obligatoire."
	case len(value) > 40 || !codePattern.MatchString(value):
		fe[field] = "Le code ne peut contenir que des lettres sans accent, des chiffres, « . », « - » et « _ » (40 caractères au plus)."
	}
}

func checkText(fe FieldErrors, field, value, label string, required bool, max int) {
	switch {
	case required && value == "":
		fe[field] = label + " est obligatoire."
	case utf8.RuneCountInString(value) > max:
		fe[field] = label + " est trop long (" + strconv.Itoa(max) + " caractères au plus)."
	}
}

// Normalize trims the region's fields.
func (r *Region) Normalize() {
	r.Code, r.Nom = strings.TrimSpace(r.Code), strings.TrimSpace(r.Nom)
}

// Validate checks a region's fields.
func (r Region) Validate() error {
	fe := FieldErrors{}
	checkCode(fe, "code", r.Code)
	checkText(fe, "nom", r.Nom, "Le nom", true, 200)
	return fe.Err()
}

// Normalize trims the structure's fields and defaults its legal form.
func (s *Structure) Normalize() {
	s.Code, s.Nom, s.Siret = strings.TrimSpace(s.Code), strings.TrimSpace(s.Nom), strings.ReplaceAll(strings.TrimSpace(s.Siret), " ", "")
	if s.Forme == "" {
		s.Forme = FormeAssociation
	}
}

// Validate checks a structure's fields.
func (s Structure) Validate() error {
	fe := FieldErrors{}
	checkCode(fe, "code", s.Code)
	checkText(fe, "nom", s.Nom, "Le nom", true, 200)
	if s.RegionID <= 0 {
		fe["region"] = "Choisissez la région."
	}
	if s.Forme != FormeAssociation && s.Forme != FormeGIP {
		fe["forme"] = "La forme juridique doit être « association » ou « GIP »."
	}
	if s.Siret != "" && !siretPattern.MatchString(s.Siret) {
		fe["siret"] = "Le SIRET compte 14 chiffres."
	}
	return fe.Err()
}

// Normalize trims the site's fields.
func (s *Site) Normalize() {
	s.Code, s.Nom = strings.TrimSpace(s.Code), strings.TrimSpace(s.Nom)
	s.Adresse, s.CodePostal, s.Commune = strings.TrimSpace(s.Adresse), strings.TrimSpace(s.CodePostal), strings.TrimSpace(s.Commune)
}

// Validate checks a site's fields.
func (s Site) Validate() error {
	fe := FieldErrors{}
	checkCode(fe, "code", s.Code)
	checkText(fe, "nom", s.Nom, "Le nom", true, 200)
	known := false
	for _, k := range SiteKinds {
		known = known || s.Kind == k
	}
	if !known {
		fe["kind"] = "Choisissez le type de lieu : siège, antenne, relais ou permanence."
	}
	checkText(fe, "adresse", s.Adresse, "L'adresse", false, 300)
	if s.CodePostal != "" && !codePostalPattern.MatchString(s.CodePostal) {
		fe["code_postal"] = "Le code postal compte 5 caractères, par exemple 35000 ou 2A004."
	}
	checkText(fe, "commune", s.Commune, "La commune", true, 200)
	return fe.Err()
}
