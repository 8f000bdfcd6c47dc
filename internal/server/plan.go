package server

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/export"
	"github.com/unml/cadre/internal/plan"
	"github.com/unml/cadre/web"
)

// The plan d'amélioration: an ML's plan, a new action pre-filled from its
// origin, an action with its history, change of status and comments, the
// plans of a région, and the exports.

const (
	planStructureKey resourceKey = iota + 70
	planActionKey
	planRegionKey
)

func planURL(structureID int64) string { return "/plan/structures/" + itoa(structureID) }
func planActionURL(id int64) string    { return "/plan/actions/" + itoa(id) }

// NewActionURL is the page that creates an action of an ML's plan from its
// origin (query: item, autoevaluation, revue, constat).
func newActionURL(structureID int64, q string) string {
	u := planURL(structureID) + "/actions/nouvelle"
	if q != "" {
		u += "?" + q
	}
	return u
}

func (s *Server) loadPlanStructure(next http.Handler) http.Handler {
	return loader(s, planStructureKey, s.plan.Structure)(next)
}

func (s *Server) loadPlanAction(next http.Handler) http.Handler {
	return loader(s, planActionKey, s.plan.Action)(next)
}

func (s *Server) loadPlanRegion(next http.Handler) http.Handler {
	return loader(s, planRegionKey, s.plan.Region)(next)
}

func planStructureOf(ctx context.Context) domain.Structure {
	return resource[domain.Structure](ctx, planStructureKey)
}
func planActionOf(ctx context.Context) plan.Action { return resource[plan.Action](ctx, planActionKey) }

// rowOf is an action as the lists show it, on the plan's today.
func rowOf(a plan.Action, p *plan.Plan) web.ActionRow {
	r := web.ActionRow{URL: planActionURL(a.ID), Titre: a.Titre, Structure: a.StructureNom, Items: strings.Join(a.Items, ", "),
		Origine: a.Origine.Label(), Pilote: a.PiloteNom, Priorite: a.Priorite.Label(), Echeance: domain.FrenchDate(a.Echeance),
		Statut: a.Statut.Label(), Closed: !a.Statut.Open()}
	if a.Overdue(p.Today) {
		r.Retard = strconv.Itoa(a.JoursRetard(p.Today))
	}
	return r
}

func (s *Server) planPage(w http.ResponseWriter, r *http.Request) error {
	st := planStructureOf(r.Context())
	p, err := s.plan.Plan(r.Context(), actorOf(r.Context()), st)
	if err != nil {
		return err
	}
	v := web.PlanView{Page: s.page(r, "Plan d'amélioration · "+st.Nom), Structure: st.Nom, URL: planURL(st.ID), NewURL: newActionURL(st.ID, ""),
		CanManage: p.CanManage, Retard: r.URL.Query().Get("retard") == "1", Overdue: len(p.Overdue()),
		ExportCSV: planURL(st.ID) + "/export.csv", ExportXLSX: planURL(st.ID) + "/export.xlsx"}
	counts := map[plan.Statut]int{}
	for _, a := range p.Actions {
		counts[a.Statut]++
		if v.Retard && !a.Overdue(p.Today) {
			continue
		}
		v.Rows = append(v.Rows, rowOf(a, p))
	}
	for _, st := range plan.Statuts {
		v.Counts = append(v.Counts, web.Option{Label: st.Label(), Value: strconv.Itoa(counts[st])})
	}
	return s.render(w, r, http.StatusOK, web.PlanPage(v))
}

func (s *Server) planExport(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st := planStructureOf(r.Context())
		p, err := s.plan.Plan(r.Context(), actorOf(r.Context()), st)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := export.Plan(&b, p.Actions, p.Today, format); err != nil {
			return err
		}
		ct := "text/csv; charset=utf-8"
		if format == "xlsx" {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="plan-amelioration-`+st.Code+`.`+format+`"`)
		_, err = w.Write(b.Bytes())
		return err
	}
}

// actionLabels are the French names of the new action's fields.
var actionLabels = map[string]string{"titre": "Intitulé de l'action", "description": "Description", "items": "Éléments du référentiel concernés",
	"origine": "Origine", "pilote": "Pilote", "priorite": "Priorité", "echeance": "Échéance"}

func (s *Server) actionForm(r *http.Request, st domain.Structure, a plan.Action, failure error) (web.ActionFormView, error) {
	pilotes, _, err := s.plan.Choices(r.Context(), st.ID)
	if err != nil {
		return web.ActionFormView{}, err
	}
	v := web.ActionFormView{Page: s.page(r, "Nouvelle action · "+st.Nom), Structure: st.Nom, PlanURL: planURL(st.ID),
		Action: newActionURL(st.ID, ""), Titre: a.Titre, Desc: a.Description, Items: strings.Join(a.Items, ", "),
		Origine: string(a.Origine), OrigineLbl: a.Origine.Label(), Priorite: string(a.Priorite)}
	if a.AutoevaluationID != 0 {
		v.Autoevaluation = itoa(a.AutoevaluationID)
	}
	if a.ConstatID != 0 {
		v.Constat = itoa(a.ConstatID)
		v.OrigineLbl += " n° " + v.Constat
	}
	if a.PiloteID != 0 {
		v.Pilote = itoa(a.PiloteID)
	}
	if !a.Echeance.IsZero() {
		v.Echeance = a.Echeance.Format("2006-01-02")
	}
	for _, p := range pilotes {
		v.Pilotes = append(v.Pilotes, web.Option{Value: itoa(p.ID), Label: p.Nom})
	}
	for _, p := range plan.Priorites {
		v.Priorites = append(v.Priorites, web.Option{Value: string(p), Label: p.Label()})
	}
	if failure != nil {
		v.Page.Title = "Erreur · " + v.Page.Title
		v.Errors, v.Fields = formErrors(failure, actionLabels)
	}
	return v, nil
}

func queryID(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return id
}

func (s *Server) newActionPage(w http.ResponseWriter, r *http.Request) error {
	st := planStructureOf(r.Context())
	a := actorOf(r.Context())
	if !a.Can(domain.ActManagePlan, domain.Scope{RegionID: st.RegionID, StructureID: st.ID}) {
		return plan.ErrMayNotManage
	}
	q := r.URL.Query()
	draft, err := s.plan.Prefill(r.Context(), st, plan.Origin{Item: strings.TrimSpace(q.Get("item")), Autoevaluation: queryID(r, "autoevaluation"),
		Revue: queryID(r, "revue"), Constat: queryID(r, "constat")})
	if err != nil {
		return err
	}
	v, err := s.actionForm(r, st, draft, nil)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.ActionFormPage(v))
}

func (s *Server) createAction(w http.ResponseWriter, r *http.Request) error {
	st := planStructureOf(r.Context())
	a := plan.Action{Titre: r.PostFormValue("titre"), Description: r.PostFormValue("description"), Items: strings.Split(r.PostFormValue("items"), ","),
		Origine: plan.Origine(r.PostFormValue("origine")), Priorite: plan.Priorite(r.PostFormValue("priorite"))}
	a.AutoevaluationID, _ = strconv.ParseInt(r.PostFormValue("autoevaluation"), 10, 64)
	a.ConstatID, _ = strconv.ParseInt(r.PostFormValue("constat"), 10, 64)
	a.PiloteID, _ = strconv.ParseInt(r.PostFormValue("pilote"), 10, 64)
	if d, ok := domain.ParseDate(r.PostFormValue("echeance")); ok {
		a.Echeance = d
	}
	if !a.Origine.Valid() {
		a.Origine = plan.OrigineAutoeval
	}
	id, err := s.plan.Create(r.Context(), actorOf(r.Context()), st, a)
	if err == nil {
		s.flash(r, "L'action est créée dans le plan d'amélioration.")
		return seeOther(w, r, planActionURL(id))
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	a.Normalize()
	v, ferr := s.actionForm(r, st, a, err)
	if ferr != nil {
		return ferr
	}
	v.Echeance = r.PostFormValue("echeance")
	return s.render(w, r, http.StatusBadRequest, web.ActionFormPage(v))
}

var historyWhat = map[string]string{"creation": "Action créée", "commentaire": "Commentaire"}

func (s *Server) renderAction(w http.ResponseWriter, r *http.Request, status int, fill func(*web.ActionView)) error {
	a := actorOf(r.Context())
	f, err := s.plan.Fiche(r.Context(), a, planActionOf(r.Context()))
	if err != nil {
		return err
	}
	x := f.Action
	p := &plan.Plan{Today: f.Today}
	v := web.ActionView{Page: s.page(r, x.Titre), URL: planActionURL(x.ID), PlanURL: planURL(x.StructureID), Structure: x.StructureNom,
		Row: rowOf(x, p), Description: x.Description, Preuve: x.PreuveTitre, Motif: x.MotifAbandon, Origine: x.Origine.Label(),
		Version: strconv.Itoa(x.Version), CanManage: f.CanManage, CanComment: f.CanComment, Open: x.Statut.Open()}
	if x.ConstatID != 0 {
		v.Origine += " n° " + itoa(x.ConstatID)
	}
	if x.PreuveID != 0 {
		v.PreuveURL = preuveURL(x.PreuveID)
	}
	if x.RealiseeLe != nil {
		v.RealiseeLe = domain.FrenchDate(*x.RealiseeLe)
	}
	for _, st := range plan.Statuts {
		if st != x.Statut {
			v.Statuts = append(v.Statuts, web.Option{Value: string(st), Label: st.Label()})
		}
	}
	if f.CanManage && v.Open {
		_, preuves, err := s.plan.Choices(r.Context(), x.StructureID)
		if err != nil {
			return err
		}
		for _, c := range preuves {
			v.Preuves = append(v.Preuves, web.Option{Value: itoa(c.ID), Label: c.Titre})
		}
	}
	for _, h := range f.Historique {
		what := historyWhat[h.Kind]
		if h.Kind == "statut" {
			what = "Statut : " + h.Statut.Label()
		}
		by := h.By
		if h.Role != "" {
			by += " (" + h.Role.Label() + ")"
		}
		v.Historique = append(v.Historique, web.ActionEvent{What: what, By: by, At: domain.FrenchDateTime(h.At), Texte: h.Texte})
	}
	if fill != nil {
		fill(&v)
		v.Page.Title = "Erreur · " + v.Page.Title
	}
	return s.render(w, r, status, web.ActionPage(v))
}

func (s *Server) actionPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAction(w, r, http.StatusOK, nil)
}

// refusalStatus is the status of a re-rendered form: 400 for bad input, 409 for a conflict.
func refusalStatus(err error) (int, bool) {
	switch domain.ErrorCode(err) {
	case domain.EINVALID:
		return http.StatusBadRequest, true
	case domain.ECONFLICT:
		return http.StatusConflict, true
	}
	return 0, false
}

func (s *Server) changeStatut(w http.ResponseWriter, r *http.Request) error {
	a := planActionOf(r.Context())
	form := web.StatutForm{Statut: r.PostFormValue("statut"), Preuve: r.PostFormValue("preuve"), RealiseeLe: r.PostFormValue("realisee_le"),
		Motif: r.PostFormValue("motif"), Commentaire: r.PostFormValue("commentaire")}
	c := plan.Changement{Statut: plan.Statut(form.Statut), Motif: form.Motif, Commentaire: form.Commentaire}
	c.PreuveID, _ = strconv.ParseInt(form.Preuve, 10, 64)
	c.BaseVersion, _ = strconv.Atoi(r.PostFormValue("version"))
	if d, ok := domain.ParseDate(form.RealiseeLe); ok {
		c.RealiseeLe = d
	}
	err := s.plan.ChangeStatut(r.Context(), actorOf(r.Context()), a, c)
	if err == nil {
		s.flash(r, "Le statut de l'action est enregistré : « "+c.Statut.Label()+" ».")
		return seeOther(w, r, planActionURL(a.ID))
	}
	status, ok := refusalStatus(err)
	if !ok {
		return err
	}
	return s.renderAction(w, r, status, func(v *web.ActionView) {
		v.Form = form
		v.Errors, v.Fields = formErrors(err, map[string]string{"statut": "Nouveau statut", "preuve": "Élément de preuve",
			"realisee_le": "Date de réalisation", "motif": "Motif", "commentaire": "Commentaire"})
	})
}

func (s *Server) commentAction(w http.ResponseWriter, r *http.Request) error {
	a := planActionOf(r.Context())
	texte := r.PostFormValue("texte")
	err := s.plan.Comment(r.Context(), actorOf(r.Context()), a, texte)
	if err == nil {
		s.flash(r, "Le commentaire est ajouté à l'historique de l'action.")
		return seeOther(w, r, planActionURL(a.ID)+"#historique")
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	return s.renderAction(w, r, http.StatusBadRequest, func(v *web.ActionView) {
		v.Comment = texte
		fe, fields := formErrors(err, map[string]string{"commentaire": "Commentaire"})
		v.CommentErrors = web.FormErrors{Message: fe.Message}
		if m := fields["commentaire"]; m != "" {
			v.CommentErrors.Fields = []web.Field{{Name: "texte", Label: "Commentaire", Error: m}}
		}
	})
}

func (s *Server) regionPlansPage(w http.ResponseWriter, r *http.Request) error {
	reg := resource[domain.Region](r.Context(), planRegionKey)
	rp, err := s.plan.RegionPlans(r.Context(), reg)
	if err != nil {
		return err
	}
	p := &plan.Plan{Today: rp.Today}
	v := web.RegionPlansView{Page: s.page(r, "Plans d'amélioration · "+reg.Nom), Region: reg.Nom}
	for _, a := range rp.Actions {
		row := rowOf(a, p)
		if n := len(v.Plans); n == 0 || v.Plans[n-1].Nom != a.StructureNom {
			v.Plans = append(v.Plans, web.PlanHomeLink{Nom: a.StructureNom, URL: planURL(a.StructureID)})
		}
		last := &v.Plans[len(v.Plans)-1]
		last.Total++
		if row.Retard != "" {
			last.Overdue = append(last.Overdue, row)
			v.Overdue = append(v.Overdue, row)
		}
	}
	return s.render(w, r, http.StatusOK, web.RegionPlansPage(v))
}

// planHome gives the home page the overdue actions of the plans of the
// person's own MLs (directors, contributors).
func (s *Server) planHome(r *http.Request) (web.PlanHome, error) {
	a := actorOf(r.Context())
	var h web.PlanHome
	for _, m := range a.Memberships {
		if m.RegionID != 0 && a.Can(domain.ActViewPlan, domain.Scope{RegionID: m.RegionID, StructureID: -1}) {
			// A référent follows the plans of the région: its overdue actions.
			reg, err := s.plan.Region(r.Context(), a, m.RegionID)
			if err != nil {
				return h, err
			}
			rp, err := s.plan.RegionPlans(r.Context(), reg)
			if err != nil {
				return h, err
			}
			p := &plan.Plan{Today: rp.Today}
			link := web.PlanHomeLink{Nom: "Missions Locales de " + reg.Nom, URL: "/plan/regions/" + itoa(reg.ID), Total: len(rp.Actions)}
			for _, x := range rp.Actions {
				if x.Overdue(rp.Today) {
					link.Overdue = append(link.Overdue, rowOf(x, p))
				}
			}
			h.Plans = append(h.Plans, link)
			continue
		}
		if m.StructureID == 0 || !a.Can(domain.ActViewPlan, domain.Scope{StructureID: m.StructureID}) {
			continue
		}
		st, err := s.plan.Structure(r.Context(), a, m.StructureID)
		if err != nil {
			return h, err
		}
		p, err := s.plan.Plan(r.Context(), a, st)
		if err != nil {
			return h, err
		}
		link := web.PlanHomeLink{Nom: st.Nom, URL: planURL(st.ID), Total: len(p.Actions)}
		for _, x := range p.Overdue() {
			link.Overdue = append(link.Overdue, rowOf(x, p))
		}
		h.Plans = append(h.Plans, link)
	}
	return h, nil
}
