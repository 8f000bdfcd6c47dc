package revue

import (
	"slices"

	"github.com/unml/cadre/internal/referentiel"
)

// Cell is one cell of a heat map: the mean of N ratings; no value when N is 0.
type Cell struct {
	Mean float64
	N    int
}

// Valid reports whether the cell has a value.
func (c Cell) Valid() bool { return c.N > 0 }

// Part is a column or a line of a heat map: a volet, a fonction or a resource
// volet, by code.
type Part struct {
	Code, Titre string
}

// Ligne is one ML of the région in the pipeline and the heat map: its dossier,
// its progress, and the mean of its ratings per part.
type Ligne struct {
	Dossier
	Answered, Total int
	Cells           []Cell
}

// Percent is the share of items answered, rounded down.
func (l Ligne) Percent() int {
	if l.Total == 0 {
		return 0
	}
	return l.Answered * 100 / l.Total
}

// Carte is the heat map MLs × parts of a région, with the région's median and
// the national median of the MLs' means per part.
type Carte struct {
	Parts            []Part
	Lignes           []Ligne
	Region, National []Cell
}

// CarteRessources is the heat map fonctions × resource volets of a région:
// each cell the mean of the région's ratings of those conditions.
type CarteRessources struct {
	Fonctions []Part
	Volets    []Part
	Cells     [][]Cell
}

// groupRessource names the group of a fonction's conditions of one resource volet.
func groupRessource(fonction, volet string) string { return "R:" + fonction + "|" + volet }

// groups returns, for the store's aggregate, each item code with the groups it
// counts in: its section, and for a condition its fonction × resource volet.
func groups(ref *referentiel.Referentiel, ressources bool) (codes, names []string) {
	for _, it := range ref.Items() {
		codes, names = append(codes, it.Code), append(names, referentiel.SectionOf(it))
		if ressources && it.Ressource != "" && it.Fonction != "" {
			codes, names = append(codes, it.Code), append(names, groupRessource(it.Fonction, it.Ressource))
		}
	}
	return codes, names
}

// byStructure indexes aggregates by ML, then group.
func byStructure(list []Moyenne) map[int64]map[string]Moyenne {
	out := map[int64]map[string]Moyenne{}
	for _, m := range list {
		if out[m.StructureID] == nil {
			out[m.StructureID] = map[string]Moyenne{}
		}
		out[m.StructureID][m.Groupe] = m
	}
	return out
}

func cellOf(m Moyenne) Cell {
	if m.N == 0 {
		return Cell{}
	}
	return Cell{Mean: float64(m.Sum) / float64(m.N), N: m.N}
}

// median returns the median of the valid cells' means, with N the number of
// MLs behind it.
func median(cells []Cell) Cell {
	var means []float64
	for _, c := range cells {
		if c.Valid() {
			means = append(means, c.Mean)
		}
	}
	if len(means) == 0 {
		return Cell{}
	}
	slices.Sort(means)
	n := len(means)
	m := means[n/2]
	if n%2 == 0 {
		m = (means[n/2-1] + means[n/2]) / 2
	}
	return Cell{Mean: m, N: n}
}

// buildCarte makes the heat map of the région's dossiers from the aggregates
// of the région and of the whole campaign.
func buildCarte(ref *referentiel.Referentiel, dossiers []Dossier, region []Moyenne, national []Cell) Carte {
	sections := ref.Sections()
	c := Carte{}
	for _, s := range sections {
		c.Parts = append(c.Parts, Part{Code: s.Code, Titre: s.Titre})
	}
	total := len(ref.Items())
	reg := byStructure(region)
	for _, d := range dossiers {
		l := Ligne{Dossier: d, Total: total, Cells: make([]Cell, len(sections))}
		for i, s := range sections {
			m := reg[d.StructureID][s.Code]
			l.Answered += m.Answered
			l.Cells[i] = cellOf(m)
		}
		c.Lignes = append(c.Lignes, l)
	}
	c.Region, c.National = make([]Cell, len(sections)), slices.Clone(national)
	for i := range sections {
		var rc []Cell
		for _, l := range c.Lignes {
			rc = append(rc, l.Cells[i])
		}
		c.Region[i] = median(rc)
	}
	return c
}

// nationalMedians is, for each section of the référentiel, the median of
// the MLs' means in national (every ML's averages by section).
func nationalMedians(ref *referentiel.Referentiel, national []Moyenne) []Cell {
	sections := ref.Sections()
	nat := byStructure(national)
	out := make([]Cell, len(sections))
	for i, s := range sections {
		var nc []Cell
		for _, groups := range nat {
			nc = append(nc, cellOf(groups[s.Code]))
		}
		out[i] = median(nc)
	}
	return out
}

// buildRessources makes the heat map fonctions × resource volets of the région.
func buildRessources(ref *referentiel.Referentiel, region []Moyenne) CarteRessources {
	out := CarteRessources{}
	for _, v := range referentiel.RessourceVolets() {
		out.Volets = append(out.Volets, Part{Code: v, Titre: referentiel.LibelleRessource(v)})
	}
	sums := map[string]Moyenne{}
	for _, m := range region {
		s := sums[m.Groupe]
		s.Sum, s.N = s.Sum+m.Sum, s.N+m.N
		sums[m.Groupe] = s
	}
	for _, vo := range ref.Volets {
		for _, f := range vo.Fonctions {
			if len(f.Ressources) == 0 {
				continue
			}
			out.Fonctions = append(out.Fonctions, Part{Code: f.Code, Titre: f.Titre})
			row := make([]Cell, len(out.Volets))
			for j, v := range out.Volets {
				row[j] = cellOf(sums[groupRessource(f.Code, v.Code)])
			}
			out.Cells = append(out.Cells, row)
		}
	}
	return out
}
