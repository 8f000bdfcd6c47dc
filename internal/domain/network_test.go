package domain_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/domain"
)

// checkFields asserts that err is an EINVALID *domain.Error whose fields are
// exactly field (or no error at all when field is empty), with a French message
// containing fragment.
func checkFields(t *testing.T, err error, field, fragment string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("want no error, got %v (fields %v)", err, domain.ErrorFields(err))
		}
		return
	}
	if code := domain.ErrorCode(err); code != domain.EINVALID {
		t.Fatalf("want %s, got %q (%v)", domain.EINVALID, code, err)
	}
	if domain.ErrorMessage(err) == "Erreur interne." {
		t.Errorf("an EINVALID error should carry its own message, got %q", domain.ErrorMessage(err))
	}
	fe := domain.ErrorFields(err)
	if got := slices.Sorted(maps.Keys(fe)); !slices.Equal(got, []string{field}) {
		t.Fatalf("fields in error = %v (%v), want exactly [%s]", got, fe, field)
	}
	if !strings.Contains(fe[field], fragment) {
		t.Errorf("message of %q = %q, want it to contain %q", field, fe[field], fragment)
	}
}

func TestRegionNormalize(t *testing.T) {
	t.Parallel()
	r := domain.Region{Code: "  BRE\t", Nom: "\n Bretagne  "}
	r.Normalize()
	if r.Code != "BRE" || r.Nom != "Bretagne" {
		t.Fatalf("Normalize = %+v, want trimmed code and name", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	// A name of spaces only becomes empty, then refused.
	r = domain.Region{Code: "BRE", Nom: "   "}
	r.Normalize()
	checkFields(t, r.Validate(), "nom", "obligatoire")
}

func TestRegionValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, code, nom string
		field, fragment string
	}{
		{"plain", "BRE", "Bretagne", "", ""},
		{"code with digits and . - _", "r_93.PACA-2", "Provence-Alpes-Côte d'Azur", "", ""},
		{"code 40 characters", strings.Repeat("A", 40), "Bretagne", "", ""},
		{"name with accents of 200 runes", "ARA", strings.Repeat("é", 200), "", ""},
		{"empty code", "", "Bretagne", "code", "obligatoire"},
		{"code with an accent", "ÎDF", "Île-de-France", "code", "sans accent"},
		{"code with a space", "IDF 1", "Île-de-France", "code", "sans accent"},
		{"code with a slash", "IDF/1", "Île-de-France", "code", "sans accent"},
		{"code starting with a dash", "-IDF", "Île-de-France", "code", "sans accent"},
		{"code starting with a dot", ".IDF", "Île-de-France", "code", "sans accent"},
		{"code 41 characters", strings.Repeat("A", 41), "Bretagne", "code", "40 caractères"},
		{"empty name", "BRE", "", "nom", "obligatoire"},
		{"name of 201 runes", "BRE", strings.Repeat("é", 201), "nom", "200 caractères"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkFields(t, domain.Region{Code: c.code, Nom: c.nom}.Validate(), c.field, c.fragment)
		})
	}
	// Both wrong: both reported.
	fe := domain.ErrorFields(domain.Region{}.Validate())
	if fe["code"] == "" || fe["nom"] == "" || len(fe) != 2 {
		t.Errorf("empty région: fields %v, want code and nom", fe)
	}
}

func TestStructureNormalize(t *testing.T) {
	t.Parallel()
	s := domain.Structure{Code: " ML-RENNES ", Nom: " Mission Locale de Rennes\t", RegionID: 1, Siret: " 123 456 789 00012 "}
	s.Normalize()
	want := domain.Structure{Code: "ML-RENNES", Nom: "Mission Locale de Rennes", RegionID: 1, Forme: domain.FormeAssociation, Siret: "12345678900012"}
	if s != want {
		t.Fatalf("Normalize = %+v, want %+v", s, want)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	// A chosen form is kept.
	g := domain.Structure{Forme: domain.FormeGIP}
	g.Normalize()
	if g.Forme != domain.FormeGIP {
		t.Errorf("Normalize changed the form gip into %q", g.Forme)
	}
}

func TestStructureValidate(t *testing.T) {
	t.Parallel()
	valid := func() domain.Structure {
		return domain.Structure{Code: "ML-RENNES", Nom: "Mission Locale de Rennes", RegionID: 1, Forme: domain.FormeAssociation}
	}
	cases := []struct {
		name            string
		edit            func(*domain.Structure)
		field, fragment string
	}{
		{"valid association without SIRET", func(*domain.Structure) {}, "", ""},
		{"valid GIP with SIRET", func(s *domain.Structure) { s.Forme, s.Siret = domain.FormeGIP, "12345678900012" }, "", ""},
		{"empty code", func(s *domain.Structure) { s.Code = "" }, "code", "obligatoire"},
		{"code with an accent", func(s *domain.Structure) { s.Code = "ML-SAINT-ÉTIENNE" }, "code", "sans accent"},
		{"code with a space", func(s *domain.Structure) { s.Code = "ML RENNES" }, "code", "sans accent"},
		{"code too long", func(s *domain.Structure) { s.Code = "ML-" + strings.Repeat("X", 38) }, "code", "40 caractères"},
		{"empty name", func(s *domain.Structure) { s.Nom = "" }, "nom", "obligatoire"},
		{"name too long", func(s *domain.Structure) { s.Nom = strings.Repeat("n", 201) }, "nom", "200 caractères"},
		{"no région", func(s *domain.Structure) { s.RegionID = 0 }, "region", "région"},
		{"negative région", func(s *domain.Structure) { s.RegionID = -3 }, "region", "région"},
		{"empty form (not normalized)", func(s *domain.Structure) { s.Forme = "" }, "forme", "forme juridique"},
		{"unknown form", func(s *domain.Structure) { s.Forme = "sarl" }, "forme", "forme juridique"},
		{"SIRET of 13 digits", func(s *domain.Structure) { s.Siret = "1234567890001" }, "siret", "14 chiffres"},
		{"SIRET of 15 digits", func(s *domain.Structure) { s.Siret = "123456789000123" }, "siret", "14 chiffres"},
		{"SIRET with a letter", func(s *domain.Structure) { s.Siret = "1234567890001A" }, "siret", "14 chiffres"},
		{"SIRET with spaces (not normalized)", func(s *domain.Structure) { s.Siret = "123 456 789 00012" }, "siret", "14 chiffres"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := valid()
			c.edit(&s)
			checkFields(t, s.Validate(), c.field, c.fragment)
		})
	}
	fe := domain.ErrorFields(domain.Structure{Siret: "x"}.Validate())
	for _, f := range []string{"code", "nom", "region", "forme", "siret"} {
		if fe[f] == "" {
			t.Errorf("empty structure with bad SIRET: no message on %q (fields %v)", f, fe)
		}
	}
}

func TestSiteNormalize(t *testing.T) {
	t.Parallel()
	s := domain.Site{Code: " RENNES-SIEGE ", Nom: " Rennes — siège ", Kind: "siege", Adresse: " 6 cours des Alliés ", CodePostal: " 35000 ", Commune: " Rennes "}
	s.Normalize()
	want := domain.Site{Code: "RENNES-SIEGE", Nom: "Rennes — siège", Kind: "siege", Adresse: "6 cours des Alliés", CodePostal: "35000", Commune: "Rennes"}
	if s != want {
		t.Fatalf("Normalize = %+v, want %+v", s, want)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSiteValidate(t *testing.T) {
	t.Parallel()
	valid := func() domain.Site {
		return domain.Site{Code: "RENNES-SIEGE", StructureID: 1, Nom: "Rennes — siège", Kind: "siege",
			Adresse: "6 cours des Alliés", CodePostal: "35000", Commune: "Rennes"}
	}
	cases := []struct {
		name            string
		edit            func(*domain.Site)
		field, fragment string
	}{
		{"valid", func(*domain.Site) {}, "", ""},
		{"antenne", func(s *domain.Site) { s.Kind = "antenne" }, "", ""},
		{"relais", func(s *domain.Site) { s.Kind = "relais" }, "", ""},
		{"permanence", func(s *domain.Site) { s.Kind = "permanence" }, "", ""},
		{"no address, no postal code", func(s *domain.Site) { s.Adresse, s.CodePostal = "", "" }, "", ""},
		{"Corse-du-Sud 2A004", func(s *domain.Site) { s.CodePostal = "2A004" }, "", ""},
		{"Haute-Corse 2B033", func(s *domain.Site) { s.CodePostal = "2B033" }, "", ""},
		{"overseas 97400", func(s *domain.Site) { s.CodePostal = "97400" }, "", ""},
		{"address of 300 runes", func(s *domain.Site) { s.Adresse = strings.Repeat("é", 300) }, "", ""},
		{"empty code", func(s *domain.Site) { s.Code = "" }, "code", "obligatoire"},
		{"code with an accent", func(s *domain.Site) { s.Code = "RENNES-SIÈGE" }, "code", "sans accent"},
		{"code with a space", func(s *domain.Site) { s.Code = "RENNES SIEGE" }, "code", "sans accent"},
		{"code too long", func(s *domain.Site) { s.Code = strings.Repeat("S", 41) }, "code", "40 caractères"},
		{"empty name", func(s *domain.Site) { s.Nom = "" }, "nom", "obligatoire"},
		{"name too long", func(s *domain.Site) { s.Nom = strings.Repeat("n", 201) }, "nom", "200 caractères"},
		{"empty kind", func(s *domain.Site) { s.Kind = "" }, "kind", "type de lieu"},
		{"unknown kind", func(s *domain.Site) { s.Kind = "bureau" }, "kind", "type de lieu"},
		{"kind with a capital", func(s *domain.Site) { s.Kind = "Siege" }, "kind", "type de lieu"},
		{"kind as its label", func(s *domain.Site) { s.Kind = "siège" }, "kind", "type de lieu"},
		{"address too long", func(s *domain.Site) { s.Adresse = strings.Repeat("a", 301) }, "adresse", "300 caractères"},
		{"postal code of 4 digits", func(s *domain.Site) { s.CodePostal = "3500" }, "code_postal", "5 caractères"},
		{"postal code of 6 digits", func(s *domain.Site) { s.CodePostal = "350000" }, "code_postal", "5 caractères"},
		{"postal code with a space", func(s *domain.Site) { s.CodePostal = "35 000" }, "code_postal", "5 caractères"},
		{"postal code 2C004", func(s *domain.Site) { s.CodePostal = "2C004" }, "code_postal", "5 caractères"},
		{"postal code 2a004 lower case", func(s *domain.Site) { s.CodePostal = "2a004" }, "code_postal", "5 caractères"},
		{"postal code with a letter in third place", func(s *domain.Site) { s.CodePostal = "20A04" }, "code_postal", "5 caractères"},
		{"postal code of letters", func(s *domain.Site) { s.CodePostal = "ABCDE" }, "code_postal", "5 caractères"},
		{"empty commune", func(s *domain.Site) { s.Commune = "" }, "commune", "obligatoire"},
		{"commune too long", func(s *domain.Site) { s.Commune = strings.Repeat("c", 201) }, "commune", "200 caractères"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := valid()
			c.edit(&s)
			checkFields(t, s.Validate(), c.field, c.fragment)
		})
	}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]string{"siege": "Siège", "antenne": "Antenne", "relais": "Relais", "permanence": "Permanence", "autre": "autre"} {
		if got := domain.SiteKindLabel(kind); got != want {
			t.Errorf("SiteKindLabel(%q) = %q, want %q", kind, got, want)
		}
	}
	if len(domain.SiteKinds) != 4 || domain.SiteKinds[0] != "siege" {
		t.Errorf("SiteKinds = %v, want siège first of 4", domain.SiteKinds)
	}
	for forme, want := range map[string]string{domain.FormeAssociation: "Association", domain.FormeGIP: "GIP", "sarl": "sarl"} {
		if got := domain.FormeLabel(forme); got != want {
			t.Errorf("FormeLabel(%q) = %q, want %q", forme, got, want)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	if domain.ErrorCode(nil) != "" {
		t.Errorf("ErrorCode(nil) = %q, want empty", domain.ErrorCode(nil))
	}
	if err := (domain.FieldErrors{}).Err(); err != nil {
		t.Errorf("empty FieldErrors.Err() = %v, want nil", err)
	}
	plain := errors.New("pq: connection refused")
	if domain.ErrorCode(plain) != domain.EINTERNAL || domain.ErrorMessage(plain) != "Erreur interne." || domain.ErrorFields(plain) != nil {
		t.Errorf("a plain error should be internal and hidden: code %q, message %q", domain.ErrorCode(plain), domain.ErrorMessage(plain))
	}
	e := fmt.Errorf("region 7: %w", domain.Errorf(domain.ENOTFOUND, "Région %d introuvable.", 7))
	if domain.ErrorCode(e) != domain.ENOTFOUND || domain.ErrorMessage(e) != "Région 7 introuvable." {
		t.Errorf("Errorf: code %q message %q", domain.ErrorCode(e), domain.ErrorMessage(e))
	}
}
