package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/unml/cadre/internal/commission"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/web"
)

// The national commission: its sessions, their agenda and decisions, the
// corrections and re-presentations, and the national register of labels.

const commissionSessionKey resourceKey = iota + 80

func sessionURL(id int64) string { return "/commission/sessions/" + itoa(id) }

func (s *Server) loadCommissionSession(next http.Handler) http.Handler {
	return loader(s, commissionSessionKey, s.commission.Session)(next)
}

func sessionOf(ctx context.Context) commission.Session {
	return resource[commission.Session](ctx, commissionSessionKey)
}

func (s *Server) commissionPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCommission(w, r, http.StatusOK, nil, "", "")
}

func (s *Server) renderCommission(w http.ResponseWriter, r *http.Request, status int, failure error, date, membres string) error {
	home, err := s.commission.Accueil(r.Context(), actorOf(r.Context()))
	if err != nil {
		return err
	}
	v := web.CommissionView{Page: s.page(r, "Commission de labellisation"), Date: date, Membres: membres}
	for _, x := range home.Sessions {
		v.Sessions = append(v.Sessions, web.SessionRow{URL: sessionURL(x.ID), Date: domain.FrenchDate(x.Date), Membres: x.Membres, Dossiers: x.Dossiers})
	}
	for _, d := range home.EnAttente {
		v.EnAttente = append(v.EnAttente, dossierRow(d))
	}
	if failure != nil {
		v.Page.Title = "Erreur · " + v.Page.Title
		v.Errors, v.Fields = formErrors(failure, map[string]string{"date": "Date de la session", "membres": "Membres"})
	}
	return s.render(w, r, status, web.CommissionPage(v))
}

func dossierRow(d commission.Dossier) web.DossierRow {
	return web.DossierRow{ID: itoa(d.AutoevaluationID), Structure: d.StructureNom, Campagne: d.CampagneNom, Etat: d.Etat.Label()}
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) error {
	x := commission.Session{Membres: r.PostFormValue("membres")}
	if d, ok := domain.ParseDate(r.PostFormValue("date")); ok {
		x.Date = d
	}
	id, err := s.commission.CreateSession(r.Context(), actorOf(r.Context()), x)
	if err == nil {
		s.flash(r, "La session de la commission est créée.")
		return seeOther(w, r, sessionURL(id))
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	return s.renderCommission(w, r, http.StatusBadRequest, err, r.PostFormValue("date"), x.Membres)
}

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSession(w, r, http.StatusOK, func(*web.SessionView) {})
}

func (s *Server) renderSession(w http.ResponseWriter, r *http.Request, status int, fill func(*web.SessionView)) error {
	sess := sessionOf(r.Context())
	d, err := s.commission.Detail(r.Context(), sess)
	if err != nil {
		return err
	}
	v := web.SessionView{Page: s.page(r, "Session du "+domain.FrenchDate(sess.Date)), URL: sessionURL(sess.ID), Date: domain.FrenchDate(sess.Date), Membres: sess.Membres}
	for _, res := range commission.Resultats {
		v.Resultats = append(v.Resultats, web.Option{Value: string(res), Label: res.Label()})
	}
	for _, c := range d.Candidats {
		v.Candidats = append(v.Candidats, web.Option{Value: itoa(c.AutoevaluationID), Label: c.StructureNom + " — " + c.CampagneNom})
	}
	for _, x := range d.Agenda {
		row := web.AgendaRow{ID: itoa(x.AutoevaluationID), Structure: x.StructureNom, Campagne: x.CampagneNom, Etat: x.Etat.Label()}
		standing := d.Standing(x.AutoevaluationID)
		row.Decidable = x.Etat == demarche.RapportDefinitif
		if standing != nil && standing.Resultat == commission.Ajourne && x.Etat == demarche.Decidee {
			row.Representable, row.RepresenterURL = true, "/commission/autoevaluations/"+itoa(x.AutoevaluationID)+"/representation"
		}
		for _, dec := range d.Decisions[x.AutoevaluationID] {
			dr := web.DecisionRow{ID: itoa(dec.ID), Resultat: dec.Resultat.Label(), Motifs: dec.Motifs, Conditions: dec.Conditions, By: dec.By,
				At: domain.FrenchDateTime(dec.At), CorrectionURL: "/commission/decisions/" + itoa(dec.ID) + "/correction",
				Standing: dec.CorrigeeParID == 0 && x.Etat == demarche.Decidee}
			if dec.Delai != nil {
				dr.Delai = domain.FrenchDate(*dec.Delai)
			}
			if dec.CorrigeID != 0 {
				dr.Corrige = itoa(dec.CorrigeID)
			}
			if dec.CorrigeeParID != 0 {
				dr.CorrigeePar = itoa(dec.CorrigeeParID)
			}
			row.Decisions = append(row.Decisions, dr)
		}
		v.Agenda = append(v.Agenda, row)
	}
	fill(&v)
	if status != http.StatusOK {
		v.Page.Title = "Erreur · " + v.Page.Title
	}
	return s.render(w, r, status, web.SessionPage(v))
}

func (s *Server) addToAgenda(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r.Context())
	id, _ := strconv.ParseInt(r.PostFormValue("autoevaluation"), 10, 64)
	err := s.commission.AddToAgenda(r.Context(), actorOf(r.Context()), sess, id)
	if err == nil {
		s.flash(r, "Le dossier est inscrit à l'ordre du jour.")
		return seeOther(w, r, sessionURL(sess.ID))
	}
	status, ok := refusalStatus(err)
	if !ok {
		return err
	}
	return s.renderSession(w, r, status, func(v *web.SessionView) {
		v.AgendaErrors, _ = formErrors(err, map[string]string{"autoevaluation": "Dossier"})
	})
}

var decisionLabels = map[string]string{"resultat": "Décision", "motifs": "Motifs", "conditions": "Conditions", "delai": "Délai", "commentaire": "Motifs"}

// decisionForm reads a decision form whose fields start with prefix.
func decisionForm(r *http.Request, prefix string) (commission.Decision, web.DecisionForm) {
	f := web.DecisionForm{Resultat: r.PostFormValue("resultat"), Motifs: r.PostFormValue(prefix + "motifs"),
		Conditions: r.PostFormValue(prefix + "conditions"), Delai: r.PostFormValue(prefix + "delai")}
	d := commission.Decision{Resultat: commission.Resultat(f.Resultat), Motifs: f.Motifs, Conditions: f.Conditions}
	if t, ok := domain.ParseDate(f.Delai); ok {
		d.Delai = &t
	}
	return d, f
}

// decisionRefusal keeps a refused decision's form and errors, its links
// pointing to the prefixed fields.
func decisionRefusal(err error, f web.DecisionForm, prefix string) web.DecisionForm {
	fe, fields := formErrors(err, decisionLabels)
	if m := fields["commentaire"]; m != "" {
		fields["motifs"] = m
	}
	for i := range fe.Fields {
		fe.Fields[i].Name = prefix + fe.Fields[i].Name
		if fe.Fields[i].Name == prefix+"commentaire" {
			fe.Fields[i].Name = prefix + "motifs"
		}
	}
	f.Errors, f.Fields = fe, fields
	return f
}

func (s *Server) recordDecision(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r.Context())
	ae, _ := strconv.ParseInt(r.PostFormValue("autoevaluation"), 10, 64)
	prefix := "d" + itoa(ae) + "-"
	d, f := decisionForm(r, prefix)
	d.AutoevaluationID = ae
	_, err := s.commission.Decide(r.Context(), actorOf(r.Context()), sess, d)
	if err == nil {
		s.flash(r, "La décision est enregistrée ; la Mission Locale et sa référente régionale sont prévenues.")
		return seeOther(w, r, sessionURL(sess.ID))
	}
	status, ok := refusalStatus(err)
	if !ok {
		return err
	}
	return s.renderSession(w, r, status, func(v *web.SessionView) {
		v.Form = decisionRefusal(err, f, prefix)
		v.Form.For = itoa(ae)
	})
}

func (s *Server) correctDecision(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	a := actorOf(r.Context())
	if err := s.commission.MayManage(a); err != nil {
		return domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	prev, err := s.commission.Decision(r.Context(), a, id)
	if err != nil {
		return err
	}
	prefix := "c" + itoa(id) + "-"
	d, f := decisionForm(r, prefix)
	_, err = s.commission.Correct(r.Context(), a, id, d)
	if err == nil {
		s.flash(r, "La correction est enregistrée comme une nouvelle décision ; la Mission Locale et sa référente régionale sont prévenues.")
		return seeOther(w, r, sessionURL(prev.SessionID))
	}
	status, ok := refusalStatus(err)
	if !ok {
		return err
	}
	sess, serr := s.commission.Session(r.Context(), a, prev.SessionID)
	if serr != nil {
		return serr
	}
	return s.renderSession(w, r.WithContext(context.WithValue(r.Context(), commissionSessionKey, sess)), status, func(v *web.SessionView) {
		v.Form = decisionRefusal(err, f, prefix)
		v.Form.For, v.Form.Correction = itoa(id), true
	})
}

func (s *Server) representer(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	a := actorOf(r.Context())
	if err := s.commission.MayManage(a); err != nil {
		return domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
	}
	err = s.commission.Representer(r.Context(), a, id, r.PostFormValue("r"+itoa(id)+"-commentaire"))
	if err == nil {
		s.flash(r, "Le dossier a de nouveau un rapport définitif : inscrivez-le à l'ordre du jour d'une session.")
		return seeOther(w, r, "/commission")
	}
	return err
}

func (s *Server) registrePage(w http.ResponseWriter, r *http.Request) error {
	region, _ := strconv.ParseInt(r.URL.Query().Get("region"), 10, 64)
	reg, err := s.commission.Registre(r.Context(), actorOf(r.Context()), region)
	if err != nil {
		return err
	}
	v := web.RegistreView{Page: s.page(r, "Registre national des labels")}
	if region != 0 {
		v.Region = itoa(region)
	}
	for _, x := range reg.Regions {
		v.Regions = append(v.Regions, web.Option{Value: itoa(x.ID), Label: x.Nom})
	}
	suivis, err := s.suivisPlanifies(r, reg.CanPlanSuivi)
	if err != nil {
		return err
	}
	for _, l := range reg.Lignes {
		row := web.RegistreRow{Structure: l.StructureNom, Region: l.RegionNom, Statut: l.Label.Statut(reg.Today).Label()}
		if !l.Label.Debut.IsZero() {
			row.Debut, row.Fin = domain.FrenchDate(l.Label.Debut), domain.FrenchDate(l.Label.Fin)
		}
		if l.Label.SuiviDu(reg.Today) {
			row.Suivi = true
			v.Suivis++
			if reg.CanPlanSuivi && l.Label.AutoevaluationID != 0 {
				// The audit's page (issue 13) plans the follow-up audit.
				row.SuiviURL = "/audits/affecter/" + itoa(l.Label.AutoevaluationID) + "?nature=suivi"
			}
		}
		if l.Label.AutoevaluationID != 0 {
			row.SuiviPlanifie, row.SuiviAuditURL = suivis[l.Label.AutoevaluationID][0], suivis[l.Label.AutoevaluationID][1]
		}
		v.Rows = append(v.Rows, row)
	}
	return s.render(w, r, http.StatusOK, web.RegistrePage(v))
}
