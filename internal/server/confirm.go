package server

import (
	"net/http"
	"strconv"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/web"
)

// Confirmation pages: every irreversible action answers GET on its own address
// with a page saying what will happen and to whom email goes, whose form POSTs
// the action (the POST handlers are unchanged). A later action adds one GET
// handler here that asks the same service check as its POST, then calls confirm.

// confirm renders a confirmation page.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request, v web.ConfirmView) error {
	v.Page = s.page(r, v.Heading)
	return s.render(w, r, http.StatusOK, web.ConfirmPage(v))
}

// confirmOpenCampagne: GET /campagnes/{id}/ouvrir.
func (s *Server) confirmOpenCampagne(w http.ResponseWriter, r *http.Request) error {
	lc := campagneOf(r.Context())
	c, structures, id := lc.Campagne, lc.Structures, lc.Campagne.ID
	if _, err := campagnes.Next(c.Nom, c.Etat, campagnes.TrOuvrir); err != nil {
		return err
	}
	n := strconv.Itoa(len(structures))
	return s.confirm(w, r, web.ConfirmView{
		Heading: "Ouvrir la campagne « " + c.Nom + " » ?",
		BackURL: "/campagnes/" + itoa(id), BackLabel: "Retour à la campagne « " + c.Nom + " »",
		Effects: []string{
			"Chacune des " + n + " Missions Locales concernées reçoit son auto-évaluation : sa direction et ses contributeur·rices peuvent coter dès maintenant.",
			"La liste des Missions Locales concernées ne peut plus changer, et l'ouverture ne peut pas être annulée.",
			"Plus tard, des rappels partiront par courriel 30 et 7 jours avant la clôture du " + domain.FrenchDate(c.Cloture) + " aux directions qui n'auront pas soumis.",
		},
		Action: "/campagnes/" + itoa(id) + "/ouvrir", Submit: "Ouvrir la campagne",
	})
}

// confirmSubmit: GET /autoevaluations/{id}/soumettre; its form POSTs to
// …/soumission. With items left, the checklist says what to do first.
func (s *Server) confirmSubmit(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAutoeval(r)
	if err != nil {
		return err
	}
	if err := autoeval.MaySubmit(v.Sheet); err != nil {
		return err
	}
	a := v.Autoeval
	url := autoevalURL(a.ID)
	if left := autoeval.SubmissionChecklist(v.Items, v.Answers()); len(left) > 0 || !a.Etat.Editable() {
		return seeOther(w, r, url+"/soumission")
	}
	return s.confirm(w, r, web.ConfirmView{
		Heading: "Soumettre l'auto-évaluation de " + a.StructureNom + " ?",
		BackURL: url + "/soumission", BackLabel: "Retour à la vérification",
		Effects: []string{
			"L'auto-évaluation « " + a.CampagneNom + " » de " + a.StructureNom + " passe à l'état « soumise » : plus personne à la Mission Locale ne peut la modifier, sauf si elle lui est renvoyée pour compléments.",
			"La référente ou le référent labellisation de la région la lit pour rendre son avis.",
		},
		Action: url + "/soumission", Submit: "Soumettre l'auto-évaluation",
		Fields: web.SubmitCommentField(),
	})
}

// confirmCopyPrevious: GET /autoevaluations/{id}/reprise.
func (s *Server) confirmCopyPrevious(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAutoeval(r)
	if err != nil {
		return err
	}
	if err := autoeval.MayCopyPrevious(v.Sheet); err != nil {
		return err
	}
	a := v.Autoeval
	url := autoevalURL(a.ID)
	left := len(autoeval.SubmissionChecklist(v.Items, v.Answers()))
	return s.confirm(w, r, web.ConfirmView{
		Heading: "Reprendre les réponses de la campagne précédente ?",
		BackURL: url, BackLabel: "Retour à l'auto-évaluation",
		Effects: []string{
			"Les réponses de la campagne précédente de " + a.StructureNom + " sont copiées dans les éléments qui ne sont pas encore cotés ou restent à compléter (" + strconv.Itoa(left) + " aujourd'hui), quand l'élément existe encore.",
			"Les éléments déjà cotés ne changent pas. Chaque réponse reprise apparaît dans l'historique de son élément ; il faudra les relire.",
		},
		Action: url + "/reprise", Submit: "Reprendre les réponses",
	})
}

// confirmDisable: GET /utilisateurs/{id}/desactiver.
func (s *Server) confirmDisable(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	who, err := s.accounts.Person(r.Context(), actorOf(r.Context()), id)
	if err != nil {
		return err
	}
	return s.confirm(w, r, web.ConfirmView{
		Heading: "Désactiver le compte de " + who + " ?",
		BackURL: "/utilisateurs", BackLabel: "Retour aux utilisateurs",
		Effects: []string{
			who + " ne peut plus se connecter : ses sessions ouvertes sont fermées et ses liens d'invitation ou de mot de passe en attente ne fonctionnent plus.",
			"Ses cotations, éléments de preuve et rôles sont conservés ; le compte peut être réactivé depuis la liste des utilisateurs.",
		},
		Action: "/utilisateurs/" + itoa(id) + "/desactiver", Submit: "Désactiver le compte", Danger: true,
	})
}
