package revue

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/mail"
)

func itoa(i int) string { return strconv.Itoa(i) }

func hello(d Destinataire) string {
	if d.Nom != "" {
		return "Bonjour " + d.Nom + ",\n\n"
	}
	return "Bonjour,\n\n"
}

// MessageSoumission tells a référent of the région or the national team that
// an ML submitted its auto-évaluation; link leads to its review (a path: the
// store that queues it, within the submission, knows no base URL).
func MessageSoumission(d Destinataire, structure, campagne, link string) mail.Message {
	var b strings.Builder
	b.WriteString(hello(d))
	fmt.Fprintf(&b, "%s a soumis son auto-évaluation de la campagne « %s ». Elle attend l'avis régional.\n\n", structure, campagne)
	fmt.Fprintf(&b, "Pour la relire et donner l'avis, ouvrez dans Cadre le menu « Revue régionale », ou l'adresse %s.\n\n— Cadre", link)
	return mail.Message{To: d.Email, Subject: "Auto-évaluation soumise : " + structure, Body: b.String()}
}

func (s *Service) reviewLink(a autoeval.Autoevaluation) string {
	return s.baseURL + "/autoevaluations/" + strconv.FormatInt(a.ID, 10)
}

func (s *Service) messageAvis(d Destinataire, a autoeval.Autoevaluation, avis Avis) mail.Message {
	var b strings.Builder
	b.WriteString(hello(d))
	fmt.Fprintf(&b, "L'avis régional sur l'auto-évaluation de %s (campagne « %s ») est rendu.\n\n", a.StructureNom, a.CampagneNom)
	fmt.Fprintf(&b, "Recommandation : %s\n\nPoints forts :\n%s\n\nAxes de progrès :\n%s\n\n", avis.Recommandation.Label(), avis.PointsForts, avis.AxesProgres)
	if avis.Texte != "" {
		fmt.Fprintf(&b, "%s\n\n", avis.Texte)
	}
	fmt.Fprintf(&b, "L'avis et les remarques par élément sont dans Cadre :\n%s\n\n— Cadre", s.reviewLink(a))
	return mail.Message{To: d.Email, Subject: "Avis régional rendu : " + a.StructureNom, Body: b.String()}
}

func (s *Service) messageRenvoi(d Destinataire, a autoeval.Autoevaluation, r Renvoi) mail.Message {
	var b strings.Builder
	b.WriteString(hello(d))
	fmt.Fprintf(&b, "L'auto-évaluation de %s (campagne « %s ») est renvoyée pour compléments. Elle est de nouveau modifiable.\n\n", a.StructureNom, a.CampagneNom)
	fmt.Fprintf(&b, "Motif :\n%s\n\n", r.Motif)
	if len(r.Items) > 0 {
		b.WriteString("Éléments concernés :\n")
		for _, it := range r.Items {
			fmt.Fprintf(&b, "- %s : %s\n", it.Code, it.Motif)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Pour compléter puis soumettre à nouveau :\n%s\n\n— Cadre", s.reviewLink(a))
	return mail.Message{To: d.Email, Subject: "Auto-évaluation renvoyée pour compléments : " + a.StructureNom, Body: b.String()}
}
