package network_test

import (
	"slices"
	"testing"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/network"
)

func texts(cs network.Changes) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func TestDiff(t *testing.T) {
	t.Parallel()
	bre := network.Region{Region: domain.Region{Code: "BRE", Nom: "Bretagne"}, Line: 2}
	rennes := network.Structure{Structure: domain.Structure{Code: "ML-RENNES", Nom: "Mission Locale de Rennes", Forme: "association"}, RegionCode: "BRE", Line: 2}
	siege := network.Site{Site: domain.Site{Code: "RENNES-SIEGE", Nom: "Siège de Rennes", Kind: "siege", Adresse: "6 cours des Alliés", CodePostal: "35000", Commune: "Rennes"},
		StructureCode: "ML-RENNES", Line: 2}

	renamed := bre
	renamed.Nom = "Région Bretagne"
	gip := rennes
	gip.Forme, gip.Siret, gip.RegionCode = "gip", "13000123400012", "ARA"
	moved := siege
	moved.Kind, moved.CodePostal, moved.Commune, moved.StructureCode = "antenne", "", "Cesson-Sévigné", "ML-BREST"

	cases := []struct {
		name string
		got  network.Changes
		want []string
	}{
		{"new région", network.DiffRegion(nil, bre), []string{"création de la région BRE « Bretagne »"}},
		{"same région", network.DiffRegion(&bre, bre), nil},
		{"renamed région", network.DiffRegion(&bre, renamed), []string{"modification de la région BRE : nom « Bretagne » → « Région Bretagne »"}},
		{"new structure", network.DiffStructure(nil, rennes), []string{"création de la Mission Locale ML-RENNES « Mission Locale de Rennes » dans la région BRE"}},
		{"same structure", network.DiffStructure(&rennes, rennes), nil},
		{"structure changed and moved", network.DiffStructure(&rennes, gip), []string{
			"modification de la Mission Locale ML-RENNES : forme juridique « Association » → « GIP », SIRET (vide) → « 13000123400012 »",
			"déplacement de la Mission Locale ML-RENNES : région BRE → ARA",
		}},
		{"new site", network.DiffSite(nil, siege), []string{"création du site RENNES-SIEGE « Siège de Rennes » (siège) de la Mission Locale ML-RENNES"}},
		{"same site", network.DiffSite(&siege, siege), nil},
		{"site changed and moved", network.DiffSite(&siege, moved), []string{
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

	cs := network.DiffStructure(&rennes, gip)
	if up := cs[0]; up.Action != network.Updated || len(up.Fields) != 2 || up.Fields[1] != (network.FieldChange{Name: "SIRET", Old: "", New: "13000123400012"}) {
		t.Errorf("update = %+v", up)
	}
	if mv := cs[1]; mv.Action != network.Moved || mv.Entity != network.EntityStructure || mv.From != "BRE" || mv.To != "ARA" {
		t.Errorf("move = %+v", mv)
	}
}

func TestChangesSummary(t *testing.T) {
	t.Parallel()
	var cs network.Changes
	if got, want := cs.Summary(), "régions : 0 créée, 0 modifiée ; Missions Locales : 0 créée, 0 modifiée, 0 déplacée ; sites : 0 créé, 0 modifié, 0 déplacé"; got != want {
		t.Errorf("empty summary = %q\nwant %q", got, want)
	}
	add := func(e network.Entity, a network.Action, n int) {
		for range n {
			cs = append(cs, network.Change{Entity: e, Action: a})
		}
	}
	add(network.EntityRegion, network.Created, 2)
	add(network.EntityStructure, network.Moved, 1)
	add(network.EntitySite, network.Created, 10)
	add(network.EntitySite, network.Updated, 3)
	if got, want := cs.Summary(), "régions : 2 créées, 0 modifiée ; Missions Locales : 0 créée, 0 modifiée, 1 déplacée ; sites : 10 créés, 3 modifiés, 0 déplacé"; got != want {
		t.Errorf("summary = %q\nwant %q", got, want)
	}
	if n := cs.Count(network.EntitySite, network.Created); n != 10 {
		t.Errorf("Count(site, created) = %d", n)
	}
}
