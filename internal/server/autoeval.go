package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/web"
)

// The ML's self-assessment screens: dashboard, one page per section, saving with
// and without JavaScript, submission, copy of the previous answers, history.

// daysUntil counts the calendar days from now to day (negative once past).
func daysUntil(now, day time.Time) int {
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	y, m, d = day.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(today).Hours() / 24)
}

func autoevalURL(id int64) string { return "/autoevaluations/" + itoa(id) }

// loadAutoeval completes the auto-évaluation of the URL, loaded by the route's
// loader, with its answers, for its pages.
func (s *Server) loadAutoeval(r *http.Request) (*autoeval.View, error) {
	return s.autoeval.Complete(r.Context(), sheetOf(r.Context()))
}

func (s *Server) autoevalPage(w http.ResponseWriter, r *http.Request) error {
	v, o, err := s.autoeval.Dashboard(r.Context(), sheetOf(r.Context()))
	if err != nil {
		return err
	}
	a := v.Autoeval
	url := autoevalURL(a.ID)
	rows, total := autoeval.SectionsProgress(v.Sections, v.Answers())
	page := web.AutoevalView{Page: s.page(r, a.CampagneNom+" · "+a.StructureNom), URL: url, Title: a.CampagneNom, Structure: a.StructureNom,
		Etat: a.Etat, Cloture: domain.FrenchDate(a.Cloture), Total: total, CanSubmit: v.CanSubmit && a.Etat.Editable(),
		Unrated: len(autoeval.SubmissionChecklist(v.Items, v.Answers())), LibraryURL: libraryURL(a.StructureID), Controls: v.CanRate,
		StructureURL: "/reseau/structures/" + itoa(a.StructureID), DaysLeft: web.DaysLeftLabel(daysUntil(time.Now(), a.Cloture))}
	if page.Revue, err = s.revueNotes(r, a, v.Sections); err != nil {
		return err
	}
	for _, it := range v.Items {
		if v.Coverage[it.Code] == 0 {
			page.Uncovered++
		}
	}
	for _, n := range v.Ref.Echelle.Niveaux {
		page.ScaleValues = append(page.ScaleValues, n.Valeur)
	}
	for _, p := range rows {
		page.Rows = append(page.Rows, web.ProgressRow{Progress: p, URL: url + "/sections/" + p.Code})
	}
	for _, sec := range v.Sections {
		page.AllSections = append(page.AllSections, web.SectionLink{Code: sec.Code, Titre: sec.Titre})
	}
	page.CanCopy = page.CanSubmit && o.HasPrevious
	members, err := s.accounts.Members(r.Context(), actorOf(r.Context()), a.StructureID)
	if err != nil {
		return err
	}
	sections := o.Assignments
	for _, m := range members {
		if m.Role != domain.RoleContributeur {
			continue
		}
		nom := m.Nom
		if nom == "" {
			nom = m.Email
		}
		page.Members = append(page.Members, web.MemberSections{MembershipID: m.MembershipID, Nom: nom, Sections: sections[m.MembershipID]})
	}
	for _, t := range o.Transitions {
		page.History = append(page.History, web.TransitionView{Label: t.Action.Label(), By: t.By, At: domain.FrenchDateTime(t.At), Commentaire: t.Commentaire})
	}
	return s.render(w, r, http.StatusOK, web.AutoevalPage(page))
}

// sectionOf finds the section of the URL in the auto-évaluation.
func sectionOf(sh *autoeval.Sheet, code string) (int, error) {
	for i, sec := range sh.Sections {
		if sec.Code == code {
			return i, nil
		}
	}
	return 0, domain.Errorf(domain.ENOTFOUND, "Partie introuvable.")
}

// sectionView builds a section page; answers and problems override what is saved.
func (s *Server) sectionView(r *http.Request, v *autoeval.View, i int, posted map[string]autoeval.Cotation, versions map[string]int,
	fieldErrors domain.FieldErrors, conflicts map[string]autoeval.SavedCotation) web.SectionView {
	a, sec := v.Autoeval, v.Sections[i]
	url := autoevalURL(a.ID)
	page := web.SectionView{Page: s.page(r, sec.Titre+" · "+a.CampagneNom), AutoevalURL: url,
		Heading: sec.Code + " — " + sec.Titre, Context: a.CampagneNom + " · " + a.StructureNom,
		Action: url + "/sections/" + sec.Code, Referentiel: v.Ref.Code + ":" + v.Ref.Version, Scale: v.Ref.Echelle.Niveaux, NonConcerne: v.Ref.Echelle.NonConcerne,
		Editable: v.Allowed(sec.Code), LibraryURL: libraryURL(a.StructureID)}
	coverage := v.Coverage
	switch {
	case !v.Autoeval.Etat.Editable():
		page.ReadOnlyWhy = "L'auto-évaluation est à l'état « " + a.Etat.Label() + " » : les cotations ne sont plus modifiables."
	case !v.CanRate:
		page.ReadOnlyWhy = "Votre rôle permet de lire cette auto-évaluation, pas de la coter."
	case !page.Editable:
		page.ReadOnlyWhy = "La direction ne vous a pas confié cette partie : vous pouvez la lire, pas la coter."
	}
	for _, vo := range v.Ref.Volets {
		for _, f := range vo.Fonctions {
			if f.Code == sec.Code {
				page.Finalite = f.Finalite
			}
		}
	}
	if i > 0 {
		p := v.Sections[i-1]
		page.Prev = &web.SectionLink{Code: p.Code, Titre: p.Titre, URL: url + "/sections/" + p.Code}
	}
	if i+1 < len(v.Sections) {
		n := v.Sections[i+1]
		page.Next = &web.SectionLink{Code: n.Code, Titre: n.Titre, URL: url + "/sections/" + n.Code}
	}
	var summary []web.Field
	lastGroup := ""
	for _, code := range sec.Items {
		it, _ := v.Item(code)
		saved := v.Saved[code]
		item := web.ItemView{Code: it.Code, Texte: it.Texte, Precisions: it.Precisions, Imperatif: it.Imperatif, Aide: it.Aide, Preuves: it.Preuves,
			Answer: saved.Cotation, Version: saved.Version, By: saved.By, Errors: map[string]string{}, NbPreuves: coverage[code]}
		if coverage[code] == 0 {
			page.Uncovered = append(page.Uncovered, code)
		}
		if actorOf(r.Context()).Can(domain.ActManagePlan, a.Scope()) {
			item.ActionURL = newActionURL(a.StructureID, "item="+code+"&autoevaluation="+itoa(a.ID)) // item codes are URL-safe
		}
		if saved.Version > 0 {
			item.At = domain.FrenchDateTime(saved.At)
		}
		if c, ok := posted[code]; ok {
			item.Answer = c
			item.Version = versions[code]
		}
		if other, ok := conflicts[code]; ok {
			item.Conflict = &web.ConflictView{By: other.By, At: domain.FrenchDateTime(other.At), Theirs: other.Cotation}
			// Saving again now knowingly replaces their version.
			item.Version = other.Version
		}
		for _, kind := range []string{"valeur", "justification", "commentaire"} {
			if msg := fieldErrors[kind+"-"+code]; msg != "" {
				item.Errors[kind] = msg
				summary = append(summary, web.Field{Name: kind + "-" + code, Label: code, Error: msg})
			}
		}
		heading := groupHeading(it)
		if heading != lastGroup || len(page.Groups) == 0 {
			page.Groups = append(page.Groups, web.ItemGroup{Heading: heading})
			lastGroup = heading
		}
		g := &page.Groups[len(page.Groups)-1]
		g.Items = append(g.Items, item)
	}
	if len(summary) > 0 {
		page.Errors = web.FormErrors{Fields: summary}
	} else if len(conflicts) > 0 {
		page.Errors = web.FormErrors{Message: domain.ErrorMessage(&autoeval.ConflictError{})}
	}
	return page
}

// groupHeading names the group an item is shown under: its réalisation, its
// resource volet, its caractéristique, group or chapter.
func groupHeading(it referentiel.AssessableItem) string {
	parent := it.Path[len(it.Path)-1]
	if it.Kind == referentiel.KindCondition {
		return "Ressources et moyens — " + parent
	}
	return it.Parent + " — " + parent
}

func (s *Server) sectionPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAutoeval(r)
	if err != nil {
		return err
	}
	i, err := sectionOf(v.Sheet, chi.URLParam(r, "section"))
	if err != nil {
		return err
	}
	page := s.sectionView(r, v, i, nil, nil, nil, nil)
	if err := s.addRevueNotes(r, v.Sheet, &page); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.SectionPage(page))
}

// saveSection saves the whole page (the form without JavaScript). Every item
// of the page goes to the service, which writes only those that changed; the
// page's answers are read only to show it again after a refusal.
func (s *Server) saveSection(w http.ResponseWriter, r *http.Request) error {
	sh := sheetOf(r.Context())
	i, err := sectionOf(sh, chi.URLParam(r, "section"))
	if err != nil {
		return err
	}
	sec := sh.Sections[i]
	var changes []autoeval.CotationChange
	posted, versions := map[string]autoeval.Cotation{}, map[string]int{}
	fe := domain.FieldErrors{}
	for _, code := range sec.Items {
		ch, present, err := autoeval.ParseAnswer(r.PostForm, code)
		if err != nil {
			if f := domain.ErrorFields(err); f != nil {
				for k, m := range f {
					fe[k] = m
				}
				continue
			}
			return err
		}
		if !present {
			continue
		}
		posted[code], versions[code] = ch.Cotation, ch.BaseVersion
		changes = append(changes, ch)
	}
	if len(fe) == 0 {
		var saved autoeval.Saved
		saved, err = s.autoeval.Save(r.Context(), actorOf(r.Context()), sh, changes)
		if err == nil {
			target := autoevalURL(sh.Autoeval.ID) + "/sections/" + sec.Code
			switch n := len(saved.Changed); n {
			case 0:
				s.flash(r, "Aucune modification à enregistrer.")
			case 1:
				s.flash(r, "1 élément enregistré.")
			default:
				s.flash(r, strconv.Itoa(n)+" éléments enregistrés.")
			}
			if len(saved.Changed) > 0 {
				target += "#" + saved.Changed[0]
			}
			return seeOther(w, r, target)
		}
	} else {
		err = fe.Err()
	}
	var conflict *autoeval.ConflictError
	isConflict := errors.As(err, &conflict)
	invalid := domain.ErrorCode(err) == domain.EINVALID && domain.ErrorFields(err) != nil
	if !isConflict && !invalid {
		return err
	}
	v, lerr := s.autoeval.Complete(r.Context(), sh)
	if lerr != nil {
		return lerr
	}
	if isConflict {
		page := s.sectionView(r, v, i, posted, versions, nil, conflict.Current)
		if err := s.addRevueNotes(r, sh, &page); err != nil {
			return err
		}
		page.Page.Title = "Conflit · " + page.Page.Title
		return s.render(w, r, http.StatusConflict, web.SectionPage(page))
	}
	page := s.sectionView(r, v, i, posted, versions, domain.ErrorFields(err), nil)
	if err := s.addRevueNotes(r, sh, &page); err != nil {
		return err
	}
	page.Page.Title = "Erreur · " + page.Page.Title
	return s.render(w, r, http.StatusBadRequest, web.SectionPage(page))
}

// itemResult is the JSON answer to the script's save of one item.
type itemResult struct {
	Status  string            `json:"status"` // saved, unchanged, conflict, invalid, error
	Message string            `json:"message,omitempty"`
	Version int               `json:"version,omitempty"`
	By      string            `json:"by,omitempty"`
	At      string            `json:"at,omitempty"`
	Errors  map[string]string `json:"errors,omitempty"`
	Theirs  string            `json:"theirs,omitempty"`
}

// saveItem saves one item, for the page's script: JSON in, JSON out. Without
// the script's Accept header it behaves as a form post and redirects.
func (s *Server) saveItem(w http.ResponseWriter, r *http.Request) error {
	sh := sheetOf(r.Context())
	code := chi.URLParam(r, "code")
	saved, err := s.autoeval.SaveItem(r.Context(), actorOf(r.Context()), sh, code, r.PostForm)
	if domain.ErrorCode(err) == domain.ENOTFOUND || errors.Is(err, autoeval.ErrMayNotRate) {
		// An unknown item, or a role that may not rate: the error page, as for
		// any other route; the script only meets the refusals of an answer.
		return err
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		if err != nil {
			return err
		}
		it, _ := sh.Item(code)
		return seeOther(w, r, autoevalURL(sh.Autoeval.ID)+"/sections/"+referentiel.SectionOf(it)+"#"+code)
	}
	res, status := itemResult{Status: "saved"}, http.StatusOK
	var conflict *autoeval.ConflictError
	switch {
	case err == nil:
		c := saved.Answers[code]
		res.Version, res.By = c.Version, c.By
		if c.Version > 0 {
			res.At = domain.FrenchDateTime(c.At)
		}
		if len(saved.Changed) == 0 {
			res.Status = "unchanged"
		}
	case errors.As(err, &conflict):
		other := conflict.Current[code]
		res = itemResult{Status: "conflict", Version: other.Version, By: other.By, At: domain.FrenchDateTime(other.At),
			Theirs:  web.ValueLabel(sh.Ref.Echelle.Niveaux, sh.Ref.Echelle.NonConcerne, other.Cotation),
			Message: "Modifié entre-temps par " + other.By + " : votre saisie n'est pas enregistrée. Rechargez la page pour comparer les deux versions."}
		status = http.StatusConflict
	case domain.ErrorCode(err) == domain.EINVALID || domain.ErrorCode(err) == domain.EFORBIDDEN || domain.ErrorCode(err) == domain.ECONFLICT:
		res = itemResult{Status: "invalid", Message: domain.ErrorMessage(err), Errors: domain.ErrorFields(err)}
		status = http.StatusBadRequest
		if domain.ErrorCode(err) == domain.EFORBIDDEN {
			status = http.StatusForbidden
		} else if domain.ErrorCode(err) == domain.ECONFLICT {
			status = http.StatusConflict
		}
	default:
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(res)
}

func (s *Server) checklistView(r *http.Request, v *autoeval.View) web.ChecklistView {
	a := v.Autoeval
	url := autoevalURL(a.ID)
	page := web.ChecklistView{Page: s.page(r, "Vérifier et soumettre · "+a.CampagneNom), URL: url, Title: a.CampagneNom + " · " + a.StructureNom,
		CanSubmit: v.CanSubmit, Editable: a.Etat.Editable()}
	titles := map[string]string{}
	for _, sec := range v.Sections {
		titles[sec.Code] = sec.Code + " — " + sec.Titre
	}
	for _, e := range autoeval.SubmissionChecklist(v.Items, v.Answers()) {
		page.Entries = append(page.Entries, web.ChecklistLine{Code: e.Code, Texte: e.Texte, Problem: e.Problem, URL: url + "/sections/" + e.Section + "#" + e.Code,
			Part: titles[e.Section]})
	}
	for _, it := range v.Items {
		if v.Coverage[it.Code] == 0 {
			page.Uncovered = append(page.Uncovered, web.ChecklistLine{Code: it.Code, Texte: it.Texte, URL: url + "/sections/" + referentiel.SectionOf(it) + "#" + it.Code})
		}
	}
	return page
}

func (s *Server) checklistPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAutoeval(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.ChecklistPage(s.checklistView(r, v)))
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) error {
	sh := sheetOf(r.Context())
	err := s.autoeval.Submit(r.Context(), actorOf(r.Context()), sh, r.PostFormValue("commentaire"))
	if err == nil {
		s.flash(r, "L'auto-évaluation est soumise. Merci !")
		return seeOther(w, r, autoevalURL(sh.Autoeval.ID))
	}
	if code := domain.ErrorCode(err); code != domain.EINVALID && code != domain.ECONFLICT {
		return err
	}
	// Show the checklist again as it is now, with the reason.
	v, lerr := s.loadAutoeval(r)
	if lerr != nil {
		return lerr
	}
	page := s.checklistView(r, v)
	page.Errors = web.FormErrors{Message: domain.ErrorMessage(err)}
	page.Page.Title = "Erreur · " + page.Page.Title
	status := http.StatusBadRequest
	if domain.ErrorCode(err) == domain.ECONFLICT {
		status = http.StatusConflict
	}
	return s.render(w, r, status, web.ChecklistPage(page))
}

func (s *Server) copyPrevious(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAutoeval(r)
	if err != nil {
		return err
	}
	n, err := s.autoeval.CopyPrevious(r.Context(), actorOf(r.Context()), v)
	if err != nil {
		return err
	}
	s.flash(r, strconv.Itoa(n)+" réponses reprises de la campagne précédente, sur les éléments qui n'étaient pas encore cotés. Relisez-les et ajustez-les.")
	return seeOther(w, r, autoevalURL(v.Autoeval.ID))
}

func (s *Server) assignSections(w http.ResponseWriter, r *http.Request) error {
	sh := sheetOf(r.Context())
	// No number is no person: the service says so, after the permission check.
	membre, _ := strconv.ParseInt(r.PostFormValue("membre"), 10, 64)
	if err := s.autoeval.SetSections(r.Context(), actorOf(r.Context()), sh, membre, r.PostForm["section"]); err != nil {
		return err
	}
	s.flash(r, "Répartition enregistrée.")
	return seeOther(w, r, autoevalURL(sh.Autoeval.ID)+"#equipe")
}

func (s *Server) itemHistoryPage(w http.ResponseWriter, r *http.Request) error {
	v := sheetOf(r.Context())
	code := chi.URLParam(r, "code")
	entries, err := s.autoeval.History(r.Context(), v, code)
	if err != nil {
		return err
	}
	it, _ := v.Item(code)
	page := web.HistoryView{Page: s.page(r, "Historique "+code), Code: code, Texte: it.Texte,
		BackURL: autoevalURL(v.Autoeval.ID) + "/sections/" + referentiel.SectionOf(it) + "#" + code}
	describe := func(c autoeval.Cotation) string {
		out := web.ValueLabel(v.Ref.Echelle.Niveaux, v.Ref.Echelle.NonConcerne, c)
		if c.Justification != "" {
			out += " — justification : « " + c.Justification + " »"
		}
		if c.Commentaire != "" {
			out += " — commentaire : « " + c.Commentaire + " »"
		}
		return out
	}
	for _, e := range entries {
		page.Entries = append(page.Entries, web.HistoryLine{By: e.By, At: domain.FrenchDateTime(e.At), Old: describe(e.Old), New: describe(e.New)})
	}
	return s.render(w, r, http.StatusOK, web.HistoryPage(page))
}
