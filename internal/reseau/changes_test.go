package reseau_test

import (
	"slices"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/reseau"
)

func texts(cs reseau.Changes) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func TestDiff(t *testing.T) {
	t.Parallel()
	bre := reseau.Region{Region: domain.Region{Code: "BRE", Nom: "Bretagne"}, Line: 2}
	rennes := reseau.Structure{Structure: domain.Structure{Code: "ML-RENNES", Nom: "Mission Locale de Rennes", Forme: "association"}, RegionCode: "BRE", Line: 2}
	siege := reseau.Site{Site: domain.Site{Code: "RENNES-SIEGE", Nom: "Siège de Rennes", Kind: "siege", Adresse: "6 cours des Alliés", CodePostal: "35000", Commune: "Rennes"},
		StructureCode: "ML-RENNES", Line: 2}

	renamed := bre
	renamed.Nom = "Région Bretagne"
	gip := rennes
	gip.Forme, gip.Siret, gip.RegionCode = "gip", "13000123400012", "ARA"
	moved := siege
	moved.Kind, moved.CodePostal, moved.Commune, moved.StructureCode = "antenne", "", "Cesson-Sévigné", "ML-BREST"

	cases := []struct {
		name string
		got  reseau.Changes
		want []string
	}{
		{"new région", reseau.DiffRegion(nil, bre), []string{"création de la région BRE « Bretagne »"}},
		{"same région", reseau.DiffRegion(&bre, bre), nil},
		{"renamed région", reseau.DiffRegion(&bre, renamed), []string{"modification de la région BRE : nom « Bretagne » → « Région Bretagne »"}},
		{"new structure", reseau.DiffStructure(nil, rennes), []string{"création de la Mission Locale ML-RENNES « Mission Locale de Rennes » dans la région BRE"}},
		{"same structure", reseau.DiffStructure(&rennes, rennes), nil},
		{"structure changed and moved", reseau.DiffStructure(&rennes, gip), []string{
			"modification de la Mission Locale ML-RENNES : forme juridique « Association » → « GIP », SIRET (vide) → « 13000123400012 »",
			"déplacement de la Mission Locale ML-RENNES : région BRE → ARA",
		}},
		{"new site", reseau.DiffSite(nil, siege), []string{"création du site RENNES-SIEGE « Siège de Rennes » (siège) de la Mission Locale ML-RENNES"}},
		{"same site", reseau.DiffSite(&siege, siege), nil},
		{"site changed and moved", reseau.DiffSite(&siege, moved), []string{
			"modification du site RENNES-SIEGE : type « siège » → « antenne », code postal « 35000 » → (vide), commune « Rennes » → « Cesson-Sévigné »",
			"déplacement du site RENNES-SIEGE : Mission Locale ML-RENNES → ML-BREST",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := texts(tc.got); !slices.Equal(got, tc.want) {
				t.Errorf("changes =\n%q\nwant\n%q", got, tc.want)
			}
			for _, c := range tc.got {
				if c.Line != 2 || c.Code == "" {
					t.Errorf("change %+v lacks its line or code", c)
				}
			}
		})
	}

	cs := reseau.DiffStructure(&rennes, gip)
	if up := cs[0]; up.Action != reseau.Updated || len(up.Fields) != 2 || up.Fields[1] != (reseau.FieldChange{Name: "SIRET", Old: "", New: "13000123400012"}) {
		t.Errorf("update = %+v", up)
	}
	if mv := cs[1]; mv.Action != reseau.Moved || mv.Entity != reseau.EntityStructure || mv.From != "BRE" || mv.To != "ARA" {
		t.Errorf("move = %+v", mv)
	}
}

func TestChangesSummary(t *testing.T) {
	t.Parallel()
	var cs reseau.Changes
	if got, want := cs.Summary(), "régions : 0 créée, 0 modifiée ; Missions Locales : 0 créée, 0 modifiée, 0 déplacée ; sites : 0 créé, 0 modifié, 0 déplacé"; got != want {
		t.Errorf("empty summary = %q\nwant %q", got, want)
	}
	add := func(e reseau.Entity, a reseau.Action, n int) {
		for range n {
			cs = append(cs, reseau.Change{Entity: e, Action: a})
		}
	}
	add(reseau.EntityRegion, reseau.Created, 2)
	add(reseau.EntityStructure, reseau.Moved, 1)
	add(reseau.EntitySite, reseau.Created, 10)
	add(reseau.EntitySite, reseau.Updated, 3)
	if got, want := cs.Summary(), "régions : 2 créées, 0 modifiée ; Missions Locales : 0 créée, 0 modifiée, 1 déplacée ; sites : 10 créés, 3 modifiés, 0 déplacé"; got != want {
		t.Errorf("summary = %q\nwant %q", got, want)
	}
	if n := cs.Count(reseau.EntitySite, reseau.Created); n != 10 {
		t.Errorf("Count(site, created) = %d", n)
	}
}
