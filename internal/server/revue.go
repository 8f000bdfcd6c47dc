package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/revue"
	"github.com/unml/cadre/web"
)

// The ARML's regional review: the régions, a région's pipeline and heat maps,
// a dossier's review (item avis, avis régional, return), and what the ML's
// own pages show of it.

const (
	revueKey resourceKey = iota + 50
	revueRegionKey
)

func revueURL(id int64) string       { return "/revue/autoevaluations/" + itoa(id) }
func revueRegionURL(id int64) string { return "/revue/regions/" + itoa(id) }

// loadRevue loads the dossier of the URL, for those who may see its région's review.
func (s *Server) loadRevue(next http.Handler) http.Handler {
	return loader(s, revueKey, s.revue.Load)(next)
}

// loadRevueRegion loads the région of the URL, for those who may see its review.
func (s *Server) loadRevueRegion(next http.Handler) http.Handler {
	return loader(s, revueRegionKey, s.revue.Region)(next)
}

func revueOf(ctx context.Context) *revue.Revue { return resource[*revue.Revue](ctx, revueKey) }
func revueRegionOf(ctx context.Context) domain.Region {
	return resource[domain.Region](ctx, revueRegionKey)
}

// revueIndex lists the régions to review; a référent of one région goes
// straight to it.
func (s *Server) revueIndex(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	regions, err := s.revue.Regions(r.Context(), a)
	if err != nil {
		return err
	}
	if len(regions) == 1 && !a.Visible(domain.ActViewRevue).All {
		return seeOther(w, r, revueRegionURL(regions[0].ID))
	}
	if len(regions) == 0 && !a.Visible(domain.ActViewRevue).All {
		return domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	v := web.RevueIndexView{Page: s.page(r, "Revue régionale")}
	for _, reg := range regions {
		v.Regions = append(v.Regions, web.RegionLink{Nom: reg.Nom, URL: revueRegionURL(reg.ID)})
	}
	return s.render(w, r, http.StatusOK, web.RevueIndexPage(v))
}

// regionReview loads the région's review for the campaign of the query.
func (s *Server) regionReview(r *http.Request) (*revue.RegionView, error) {
	campagne, _ := strconv.ParseInt(r.URL.Query().Get("campagne"), 10, 64)
	return s.revue.Review(r.Context(), revueRegionOf(r.Context()), campagne)
}

func campagneOptions(v *revue.RegionView) []web.Option {
	var out []web.Option
	for _, c := range v.Campagnes {
		out = append(out, web.Option{Value: itoa(c.ID), Label: c.Nom})
	}
	return out
}

// pipelineSorts are the sortable columns of the pipeline, by query value.
var pipelineSorts = []struct{ key, label string }{
	{"nom", "Mission Locale"}, {"etat", "État"}, {"avancement", "Avancement"}, {"soumission", "Soumise le"}, {"jours", "Jours depuis la soumission"},
}

func daysSince(t *time.Time, now time.Time) int {
	return int(now.Sub(*t).Hours() / 24)
}

func (s *Server) pipelinePage(w http.ResponseWriter, r *http.Request) error {
	rv, err := s.regionReview(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	etat, tri, ordre := q.Get("etat"), q.Get("tri"), q.Get("ordre")
	if !slices.ContainsFunc(pipelineSorts, func(p struct{ key, label string }) bool { return p.key == tri }) {
		tri = "nom"
	}
	if ordre != "desc" {
		ordre = "asc"
	}
	base := revueRegionURL(rv.Region.ID)
	v := web.PipelineView{Page: s.page(r, "Revue régionale · "+rv.Region.Nom), Region: rv.Region.Nom, BaseURL: base,
		CarteURL: base + "/carte?campagne=" + itoa(rv.Campagne.ID), Campagne: itoa(rv.Campagne.ID), Campagnes: campagneOptions(rv),
		Etat: etat, Tri: tri, Parts: rv.Carte.Parts, Total: len(rv.Carte.Lignes)}
	for _, e := range demarche.Etats {
		v.Etats = append(v.Etats, web.Option{Value: string(e), Label: e.Label()})
	}
	for _, p := range pipelineSorts {
		h := web.SortLink{Label: p.label}
		next := "asc"
		if p.key == tri {
			h.Sort = map[string]string{"asc": "ascending", "desc": "descending"}[ordre]
			if ordre == "asc" {
				next = "desc"
			}
		}
		h.URL = base + "?" + url.Values{"campagne": {itoa(rv.Campagne.ID)}, "etat": {etat}, "tri": {p.key}, "ordre": {next}}.Encode()
		v.Headers = append(v.Headers, h)
	}
	lignes := slices.Clone(rv.Carte.Lignes)
	lignes = slices.DeleteFunc(lignes, func(l revue.Ligne) bool { return etat != "" && string(l.Etat) != etat })
	now := time.Now()
	order := func(a, b revue.Ligne) int {
		switch tri {
		case "etat":
			return slices.Index(demarche.Etats, a.Etat) - slices.Index(demarche.Etats, b.Etat)
		case "avancement":
			return a.Answered - b.Answered
		case "soumission", "jours":
			at, bt := time.Time{}, time.Time{}
			if a.SoumiseLe != nil {
				at = *a.SoumiseLe
			}
			if b.SoumiseLe != nil {
				bt = *b.SoumiseLe
			}
			c := at.Compare(bt)
			if tri == "jours" {
				c = -c
			}
			return c
		}
		return 0
	}
	slices.SortStableFunc(lignes, func(a, b revue.Ligne) int {
		c := order(a, b)
		if c == 0 {
			c = strings.Compare(a.StructureNom, b.StructureNom)
		}
		if ordre == "desc" {
			c = -c
		}
		return c
	})
	for _, l := range lignes {
		row := web.PipelineRow{Nom: l.StructureNom, Etat: l.Etat.Label(), Percent: l.Percent(),
			Avancement:   strconv.Itoa(l.Answered) + " / " + strconv.Itoa(l.Total) + " (" + strconv.Itoa(l.Percent()) + " %)",
			AwaitingAvis: l.Etat == demarche.Soumise}
		if l.AutoevaluationID != 0 {
			row.URL = revueURL(l.AutoevaluationID)
		}
		if l.SoumiseLe != nil && l.Etat != demarche.EnCours {
			row.SoumiseLe = domain.FrenchDate(*l.SoumiseLe)
			row.Jours = strconv.Itoa(daysSince(l.SoumiseLe, now))
		}
		for _, c := range l.Cells {
			row.Means = append(row.Means, web.Heat(c, "").Text)
		}
		v.Rows = append(v.Rows, row)
	}
	return s.render(w, r, http.StatusOK, web.PipelinePage(v))
}

func (s *Server) cartePage(w http.ResponseWriter, r *http.Request) error {
	rv, err := s.regionReview(r)
	if err != nil {
		return err
	}
	base := revueRegionURL(rv.Region.ID)
	v := web.CarteView{Page: s.page(r, "Carte de chaleur · "+rv.Region.Nom), Region: rv.Region.Nom, Campagne: rv.Campagne.Nom,
		PipelineURL: base + "?campagne=" + itoa(rv.Campagne.ID), Campagnes: campagneOptions(rv), CampagneID: itoa(rv.Campagne.ID),
		ActionURL: base + "/carte", Legend: web.HeatLegend()}
	v.Parts = web.HeatMap{ID: "carte-parties", Caption: "Moyenne des cotations par Mission Locale et par partie, " + rv.Campagne.Nom, Columns: rv.Carte.Parts}
	for _, l := range rv.Carte.Lignes {
		row := web.HeatRow{Label: l.StructureNom}
		if l.AutoevaluationID != 0 {
			row.URL = revueURL(l.AutoevaluationID)
		}
		for j, c := range l.Cells {
			row.Cells = append(row.Cells, web.Heat(c, l.StructureNom+", "+rv.Carte.Parts[j].Code))
		}
		v.Parts.Rows = append(v.Parts.Rows, row)
	}
	for _, m := range []struct {
		label string
		cells []revue.Cell
	}{{"Médiane régionale", rv.Carte.Region}, {"Médiane nationale", rv.Carte.National}} {
		row := web.HeatRow{Label: m.label, Summary: true}
		for j, c := range m.cells {
			row.Cells = append(row.Cells, web.Heat(c, m.label+", "+rv.Carte.Parts[j].Code))
		}
		v.Parts.Rows = append(v.Parts.Rows, row)
	}
	v.Parts.Layout()
	res := rv.Ressources
	v.Ressources = web.HeatMap{ID: "carte-ressources", Caption: "Moyenne régionale des conditions par fonction et par volet des ressources, " + rv.Campagne.Nom}
	short := map[string]string{referentiel.RessourceRH: "RH", referentiel.RessourcePartenariat: "Partenariat",
		referentiel.RessourceOrganisation: "Organisation", referentiel.RessourceFinancier: "Financier", referentiel.RessourceReseauRegional: "Réseau régional"}
	for _, vo := range res.Volets {
		code := short[vo.Code]
		if code == "" {
			code = vo.Titre
		}
		v.Ressources.Columns = append(v.Ressources.Columns, revue.Part{Code: code, Titre: vo.Titre})
	}
	for i, f := range res.Fonctions {
		row := web.HeatRow{Label: f.Code + " " + f.Titre}
		for j, c := range res.Cells[i] {
			row.Cells = append(row.Cells, web.Heat(c, f.Code+", "+res.Volets[j].Titre))
		}
		v.Ressources.Rows = append(v.Ressources.Rows, row)
	}
	v.Ressources.Layout()
	v.Ressources.CellWidth = 110
	v.Ressources.Width = v.Ressources.LabelWidth + v.Ressources.CellWidth*len(v.Ressources.Columns)
	return s.render(w, r, http.StatusOK, web.CartePage(v))
}

// revueView builds a dossier's review page; the forms' values and errors
// override what is stored.
func (s *Server) revueView(r *http.Request, d *revue.Detail) web.RevueView {
	a := d.Autoeval
	url := revueURL(a.ID)
	v := web.RevueView{Page: s.page(r, "Revue · "+a.StructureNom), URL: url, AutoevalURL: autoevalURL(a.ID),
		PipelineURL: revueRegionURL(a.RegionID) + "?campagne=" + itoa(a.CampagneID),
		Structure:   a.StructureNom, Campagne: a.CampagneNom, Etat: a.Etat.Label(), CanAvis: d.CanAvis, CanReturn: d.CanReturn,
		Reviewable: a.Etat == demarche.Soumise, RenvoiRows: 3}
	_, err := demarche.Next(a.Etat, demarche.Renvoyer, domain.RolePole, "x")
	v.Returnable = err == nil
	for _, rec := range revue.Recommandations {
		v.Recommandations = append(v.Recommandations, web.Option{Value: string(rec), Label: rec.Label()})
	}
	for _, sec := range d.Sections {
		link := web.RevueLink{Code: sec.Code, Titre: sec.Titre, URL: url + "/sections/" + sec.Code}
		for _, code := range sec.Items {
			av, ok := d.Avis[code]
			if !ok || av.Empty() {
				continue
			}
			link.Avis++
			if g, ok := revue.Gap(d.Cotations[code].Valeur, av.Valeur); ok && g >= revue.GrandEcart {
				link.Ecarts++
			}
		}
		v.Sections = append(v.Sections, link)
	}
	type round struct {
		at time.Time
		v  web.RoundView
	}
	var rounds []round
	for _, av := range d.AvisRegionaux {
		rounds = append(rounds, round{av.At, web.RoundView{Kind: "Avis régional", By: av.By, At: domain.FrenchDateTime(av.At),
			Recommandation: av.Recommandation.Label(), PointsForts: av.PointsForts, AxesProgres: av.AxesProgres, Texte: av.Texte}})
	}
	for _, rn := range d.Renvois {
		rounds = append(rounds, round{rn.At, web.RoundView{Kind: "Renvoi pour compléments", By: rn.By + " (" + rn.Role.Label() + ")",
			At: domain.FrenchDateTime(rn.At), Motif: rn.Motif, Items: rn.Items}})
	}
	for _, t := range d.History {
		if t.Action == demarche.Soumettre {
			rounds = append(rounds, round{t.At, web.RoundView{Kind: "Soumission", By: t.By, At: domain.FrenchDateTime(t.At)}})
		}
	}
	slices.SortStableFunc(rounds, func(x, y round) int { return x.at.Compare(y.at) })
	for _, x := range rounds {
		v.Rounds = append(v.Rounds, x.v)
	}
	return v
}

func (s *Server) revuePage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.revue.Complete(r.Context(), revueOf(r.Context()))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.RevuePage(s.revueView(r, d)))
}

// fieldsOf returns the field errors of err, or a summary of its message.
func formErrors(err error, labels map[string]string) (web.FormErrors, map[string]string) {
	fields := domain.ErrorFields(err)
	fe := web.FormErrors{Message: domain.ErrorMessage(err)}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		label := labels[k]
		if label == "" {
			label = k
		}
		fe.Fields = append(fe.Fields, web.Field{Name: k, Label: label, Error: fields[k]})
	}
	return fe, fields
}

// reviewRefusal re-renders the review page after a refused form, or returns
// err when it is not the form's fault.
func (s *Server) reviewRefusal(w http.ResponseWriter, r *http.Request, err error, fill func(*web.RevueView)) error {
	code := domain.ErrorCode(err)
	if code != domain.EINVALID && code != domain.ECONFLICT {
		return err
	}
	d, lerr := s.revue.Complete(r.Context(), revueOf(r.Context()))
	if lerr != nil {
		return lerr
	}
	v := s.revueView(r, d)
	fill(&v)
	v.Page.Title = "Erreur · " + v.Page.Title
	status := http.StatusBadRequest
	if code == domain.ECONFLICT {
		status = http.StatusConflict
	}
	return s.render(w, r, status, web.RevuePage(v))
}

func (s *Server) rendreAvis(w http.ResponseWriter, r *http.Request) error {
	rv := revueOf(r.Context())
	avis := revue.Avis{PointsForts: r.PostFormValue("points_forts"), AxesProgres: r.PostFormValue("axes_progres"),
		Recommandation: revue.Recommandation(r.PostFormValue("recommandation")), Texte: r.PostFormValue("texte")}
	err := s.revue.RendreAvis(r.Context(), actorOf(r.Context()), rv, avis)
	if err == nil {
		s.flash(r, "L'avis régional est rendu ; la Mission Locale et le Pôle labellisation sont prévenus.")
		return seeOther(w, r, revueURL(rv.Autoeval.ID))
	}
	return s.reviewRefusal(w, r, err, func(v *web.RevueView) {
		v.Avis = avis
		v.AvisErrors, v.AvisFields = formErrors(err, map[string]string{"points_forts": "Points forts", "axes_progres": "Axes de progrès",
			"recommandation": "Recommandation", "texte": "Avis"})
	})
}

func (s *Server) renvoyer(w http.ResponseWriter, r *http.Request) error {
	rv := revueOf(r.Context())
	rn := revue.Renvoi{Motif: r.PostFormValue("motif")}
	for i := range 3 {
		rn.Items = append(rn.Items, revue.RenvoiItem{Code: r.PostFormValue("item-" + strconv.Itoa(i)), Motif: r.PostFormValue("motif-" + strconv.Itoa(i))})
	}
	err := s.revue.Renvoyer(r.Context(), actorOf(r.Context()), rv, rn)
	if err == nil {
		s.flash(r, "L'auto-évaluation est renvoyée pour compléments ; la Mission Locale est prévenue.")
		return seeOther(w, r, revueURL(rv.Autoeval.ID))
	}
	return s.reviewRefusal(w, r, err, func(v *web.RevueView) {
		v.Renvoi = rn
		labels := map[string]string{"motif": "Motif général", "commentaire": "Motif général"}
		for i := range 3 {
			labels["item-"+strconv.Itoa(i)] = "Code de l'élément " + strconv.Itoa(i+1)
			labels["motif-"+strconv.Itoa(i)] = "Motif pour l'élément " + strconv.Itoa(i+1)
		}
		v.RenvoiErrors, v.RenvoiFields = formErrors(err, labels)
		if msg := v.RenvoiFields["commentaire"]; msg != "" {
			v.RenvoiFields["motif"] = msg
		}
	})
}

func (s *Server) revueSectionView(r *http.Request, d *revue.Detail, i int, posted map[string]postedAvis,
	fieldErrors map[string]string, conflicts map[string]revue.SavedAvisItem) web.RevueSectionView {
	a, sec := d.Autoeval, d.Sections[i]
	url := revueURL(a.ID)
	v := web.RevueSectionView{Page: s.page(r, "Revue "+sec.Code+" · "+a.StructureNom), URL: url + "/sections/" + sec.Code, RevueURL: url,
		Action: url + "/sections/" + sec.Code, Heading: sec.Code + " — " + sec.Titre, Context: "Revue — " + a.StructureNom + " · " + a.CampagneNom,
		Scale: d.Ref.Echelle.Niveaux, Editable: d.CanAvis && a.Etat == demarche.Soumise}
	switch {
	case !d.CanAvis:
		v.ReadOnlyWhy = "Votre rôle permet de lire la revue, pas de donner l'avis régional."
	case a.Etat != demarche.Soumise:
		v.ReadOnlyWhy = "L'auto-évaluation est à l'état « " + a.Etat.Label() + " » : l'avis par élément ne se donne que sur une auto-évaluation soumise."
	}
	if i > 0 {
		p := d.Sections[i-1]
		v.Prev = &web.SectionLink{Code: p.Code, Titre: p.Titre, URL: url + "/sections/" + p.Code}
	}
	if i+1 < len(d.Sections) {
		n := d.Sections[i+1]
		v.Next = &web.SectionLink{Code: n.Code, Titre: n.Titre, URL: url + "/sections/" + n.Code}
	}
	var summary []web.Field
	for _, code := range sec.Items {
		it, _ := d.Item(code)
		c := d.Cotations[code]
		saved := d.Avis[code]
		item := web.RevueItemView{Code: code, Texte: it.Texte, MLValue: web.ValueLabel(d.Ref.Echelle.Niveaux, d.Ref.Echelle.NonConcerne, c.Cotation),
			Justification: c.Justification, Commentaire: c.Commentaire, Preuves: d.Preuves[code], Avis: saved.AvisItem, Base: saved.AvisItem,
			Version: saved.Version, By: saved.By, Errors: map[string]string{}}
		if saved.Version > 0 {
			item.At = domain.FrenchDateTime(saved.At)
		}
		if p, ok := posted[code]; ok {
			item.Avis, item.Base, item.Version = p.Change.Avis, p.Base, p.Change.BaseVersion
		}
		if other, ok := conflicts[code]; ok {
			// Saving again now knowingly replaces their version.
			item.Conflict = &other
			item.Base, item.Version = other.AvisItem, other.Version
		}
		item.Gap, item.HasGap = revue.Gap(c.Valeur, item.Avis.Valeur)
		item.BigGap = item.HasGap && item.Gap >= revue.GrandEcart
		for _, kind := range []string{"avis", "remarque"} {
			if msg := fieldErrors[kind+"-"+code]; msg != "" {
				item.Errors[kind] = msg
				summary = append(summary, web.Field{Name: kind + "-" + code, Label: code, Error: msg})
			}
		}
		v.Items = append(v.Items, item)
	}
	if len(summary) > 0 {
		v.Errors = web.FormErrors{Fields: summary}
	} else if len(conflicts) > 0 {
		v.Errors = web.FormErrors{Message: domain.ErrorMessage(&revue.ConflictError{})}
	}
	return v
}

// sectionIndex finds the section of the URL in a dossier.
func sectionIndex(sections []referentiel.Section, code string) (int, error) {
	i := slices.IndexFunc(sections, func(s referentiel.Section) bool { return s.Code == code })
	if i < 0 {
		return 0, domain.Errorf(domain.ENOTFOUND, "Partie introuvable.")
	}
	return i, nil
}

func (s *Server) revueSectionPage(w http.ResponseWriter, r *http.Request) error {
	rv := revueOf(r.Context())
	i, err := sectionIndex(rv.Sections, chi.URLParam(r, "section"))
	if err != nil {
		return err
	}
	d, err := s.revue.Complete(r.Context(), rv)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.RevueSectionPage(s.revueSectionView(r, d, i, nil, nil, nil)))
}

// postedAvis is an item's avis as a form posted it, with the avis the form
// was made from.
type postedAvis struct {
	Change revue.AvisItemChange
	Base   revue.AvisItem
}

// parseAvisItem reads one item's avis from a form; present is false when the
// form does not carry the item, changed is false when it posts the avis it
// was made from (a whole part is posted at once: an untouched item is no
// change, whatever came in meanwhile).
func parseAvisItem(form url.Values, code string) (p postedAvis, present, changed bool, err error) {
	p.Change.Code = code
	version, ok := form["version-"+code]
	if !ok {
		return p, false, false, nil
	}
	if p.Change.BaseVersion, err = strconv.Atoi(strings.TrimSpace(version[0])); err != nil || p.Change.BaseVersion < 0 {
		return p, true, false, domain.Errorf(domain.EINVALID, "Le formulaire est incomplet : rechargez la page.")
	}
	fe := domain.FieldErrors{}
	if v := strings.TrimSpace(form.Get("avis-" + code)); v != "" {
		if p.Change.Avis.Valeur, err = strconv.Atoi(v); err != nil {
			fe["avis-"+code] = "Choisissez une cotation de l'échelle."
		}
	}
	p.Change.Avis.Remarque = form.Get("remarque-" + code)
	p.Base.Valeur, _ = strconv.Atoi(form.Get("base-avis-" + code))
	p.Base.Remarque = form.Get("base-remarque-" + code)
	changed = p.Change.Avis.Valeur != p.Base.Valeur || strings.TrimSpace(p.Change.Avis.Remarque) != strings.TrimSpace(p.Base.Remarque)
	return p, true, changed, fe.Err()
}

// saveRevueSection saves the item avis of a whole section (the form, with or
// without JavaScript); only those that changed are written.
func (s *Server) saveRevueSection(w http.ResponseWriter, r *http.Request) error {
	rv := revueOf(r.Context())
	i, err := sectionIndex(rv.Sections, chi.URLParam(r, "section"))
	if err != nil {
		return err
	}
	sec := rv.Sections[i]
	var changes []revue.AvisItemChange
	posted := map[string]postedAvis{}
	fe := domain.FieldErrors{}
	for _, code := range sec.Items {
		p, present, changed, err := parseAvisItem(r.PostForm, code)
		if f := domain.ErrorFields(err); f != nil {
			for k, m := range f {
				fe[k] = m
			}
			posted[code] = p
			continue
		} else if err != nil {
			return err
		}
		if present {
			posted[code] = p
		}
		if changed {
			changes = append(changes, p.Change)
		}
	}
	if len(fe) == 0 {
		var saved revue.Saved
		if saved, err = s.revue.SaveItems(r.Context(), actorOf(r.Context()), rv, changes); err == nil {
			switch n := len(saved.Changed); n {
			case 0:
				s.flash(r, "Aucune modification à enregistrer.")
			case 1:
				s.flash(r, "1 avis enregistré.")
			default:
				s.flash(r, strconv.Itoa(n)+" avis enregistrés.")
			}
			target := revueURL(rv.Autoeval.ID) + "/sections/" + sec.Code
			if len(saved.Changed) > 0 {
				target += "#" + saved.Changed[0]
			}
			return seeOther(w, r, target)
		}
	} else {
		err = fe.Err()
	}
	var conflict *revue.ConflictError
	isConflict := errors.As(err, &conflict)
	if !isConflict && (domain.ErrorCode(err) != domain.EINVALID || domain.ErrorFields(err) == nil) {
		return err
	}
	d, lerr := s.revue.Complete(r.Context(), rv)
	if lerr != nil {
		return lerr
	}
	if isConflict {
		v := s.revueSectionView(r, d, i, posted, nil, conflict.Current)
		v.Page.Title = "Conflit · " + v.Page.Title
		return s.render(w, r, http.StatusConflict, web.RevueSectionPage(v))
	}
	v := s.revueSectionView(r, d, i, posted, domain.ErrorFields(err), nil)
	v.Page.Title = "Erreur · " + v.Page.Title
	return s.render(w, r, http.StatusBadRequest, web.RevueSectionPage(v))
}

// revueNotes is what the ML's dashboard shows of the review.
func (s *Server) revueNotes(r *http.Request, a autoeval.Autoevaluation, sections []referentiel.Section) (web.RevueNotes, error) {
	actor := actorOf(r.Context())
	n, err := s.revue.Notes(r.Context(), actor, a)
	if err != nil {
		return web.RevueNotes{}, err
	}
	v := web.RevueNotes{Renvoi: n.Renvoi, Avis: n.Avis, ItemURLs: map[string]string{}}
	if n.Renvoi != nil {
		v.RenvoiAt = domain.FrenchDateTime(n.Renvoi.At)
		for _, it := range n.Renvoi.Items {
			for _, sec := range sections {
				if slices.Contains(sec.Items, it.Code) {
					v.ItemURLs[it.Code] = autoevalURL(a.ID) + "/sections/" + sec.Code + "#" + it.Code
				}
			}
		}
	}
	if n.Avis != nil {
		v.AvisAt = domain.FrenchDateTime(n.Avis.At)
	}
	if actor.Can(domain.ActViewRevue, a.Scope()) {
		v.ReviewURL = revueURL(a.ID)
	}
	return v, nil
}

// addRevueNotes puts on the items of an ML's section page the avis régional
// once rendered and the reasons of a return to answer.
func (s *Server) addRevueNotes(r *http.Request, sh *autoeval.Sheet, page *web.SectionView) error {
	n, err := s.revue.Notes(r.Context(), actorOf(r.Context()), sh.Autoeval)
	if err != nil {
		return err
	}
	var motifs map[string]string
	if n.Renvoi != nil {
		motifs = n.Renvoi.Motifs()
	}
	for g := range page.Groups {
		for i := range page.Groups[g].Items {
			it := &page.Groups[g].Items[i]
			note := &web.RevueItemNote{RenvoiMotif: motifs[it.Code]}
			if av, ok := n.Items[it.Code]; ok && !av.Empty() {
				note.Avis = &av
				note.AvisLabel = web.ValueLabel(sh.Ref.Echelle.Niveaux, "", autoeval.Cotation{Valeur: av.Valeur})
				if av.Valeur == 0 {
					note.AvisLabel = "pas de cotation régionale"
				}
				if g, ok := revue.Gap(it.Answer.Valeur, av.Valeur); ok {
					note.Gap, note.BigGap = g, g >= revue.GrandEcart
				}
			}
			if note.Avis != nil && note.Avis.Remarque != "" && actorOf(r.Context()).Can(domain.ActManagePlan, sh.Autoeval.Scope()) {
				note.ActionURL = newActionURL(sh.Autoeval.StructureID, url.Values{"revue": {itoa(sh.Autoeval.ID)}, "item": {it.Code}}.Encode())
			}
			if note.Avis != nil || note.RenvoiMotif != "" {
				it.Revue = note
			}
		}
	}
	return nil
}

// revueHome is the review on a référent's home page.
func (s *Server) revueHome(r *http.Request) (web.RevueHome, error) {
	list, err := s.revue.Home(r.Context(), actorOf(r.Context()))
	if err != nil {
		return web.RevueHome{}, err
	}
	var h web.RevueHome
	for _, reg := range list {
		hr := web.RevueHomeRegion{Nom: reg.Region.Nom, URL: revueRegionURL(reg.Region.ID) + "?campagne=" + itoa(reg.Campagne.ID), Campagne: reg.Campagne.Nom}
		for _, d := range reg.Dossiers {
			link := web.RegionLink{Nom: d.StructureNom, URL: revueURL(d.AutoevaluationID)}
			switch {
			case d.AutoevaluationID == 0:
				hr.Autres++
			case d.Etat == demarche.Soumise:
				hr.Attente = append(hr.Attente, link)
			case d.Etat == demarche.AvisRendu:
				hr.Rendus = append(hr.Rendus, link)
			case d.Etat == demarche.EnAudit || d.Etat == demarche.RapportProvisoire || d.Etat == demarche.RapportDefinitif:
				// Gone on to the audit (issue 13): its avis stays rendered.
				hr.Rendus = append(hr.Rendus, link)
			default:
				hr.Autres++
			}
		}
		h.Regions = append(h.Regions, hr)
	}
	return h, nil
}
