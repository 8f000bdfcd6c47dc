package referentiel

// Section is one page of the self-assessment: a volet of caractéristiques, of
// engagements or of chapitres, or one fonction of the offre de service.
type Section struct {
	Code  string
	Titre string
	// Items are the codes of the section's assessable items, in document order.
	Items []string
}

// Sections returns the pages of the self-assessment in document order.
func (r *Referentiel) Sections() []Section {
	var out []Section
	index := map[string]int{}
	for _, it := range r.Items() {
		code := SectionOf(it)
		i, ok := index[code]
		if !ok {
			i = len(out)
			index[code] = i
			out = append(out, Section{Code: code, Titre: r.sectionTitle(code)})
		}
		out[i].Items = append(out[i].Items, it.Code)
	}
	return out
}

// SectionOf returns the code of the section an item belongs to: its fonction, or
// else its volet.
func SectionOf(it AssessableItem) string {
	if it.Fonction != "" {
		return it.Fonction
	}
	return it.Volet
}

func (r *Referentiel) sectionTitle(code string) string {
	for _, v := range r.Volets {
		if v.Code == code {
			return v.Titre
		}
		for _, f := range v.Fonctions {
			if f.Code == code {
				return f.Titre
			}
		}
	}
	return code
}
