package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/plan"
)

var planHeader = []string{"N°", "Action", "Éléments", "Origine", "Pilote", "Priorité", "Échéance", "Statut", "En retard (jours)",
	"Preuve", "Réalisée le", "Motif d'abandon", "Description"}

func planRows(actions []plan.Action, today time.Time) [][]string {
	rows := make([][]string, 0, len(actions))
	for _, a := range actions {
		retard := ""
		if a.Overdue(today) {
			retard = strconv.Itoa(a.JoursRetard(today))
		}
		realisee := ""
		if a.RealiseeLe != nil {
			realisee = domain.FrenchDate(*a.RealiseeLe)
		}
		rows = append(rows, []string{strconv.FormatInt(a.ID, 10), a.Titre, strings.Join(a.Items, ", "), a.Origine.Label(), a.PiloteNom,
			a.Priorite.Label(), domain.FrenchDate(a.Echeance), a.Statut.Label(), retard, a.PreuveTitre, realisee, a.MotifAbandon, a.Description})
	}
	return rows
}

// Plan writes one row per action of an ML's plan, as of today (its overdue
// days), in format "csv" (UTF-8 with a byte-order mark and semicolons) or "xlsx".
func Plan(w io.Writer, actions []plan.Action, today time.Time, format string) error {
	rows := planRows(actions, today)
	switch format {
	case "csv":
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.Comma = ';'
		cw.Write(planHeader)
		cw.WriteAll(rows)
		return cw.Error()
	case "xlsx":
		return writeXLSX(w, "Plan d'amélioration", planHeader, rows, []float64{6, 50, 20, 18, 22, 10, 12, 12, 10, 36, 12, 36, 60})
	default:
		return fmt.Errorf("unknown export format %q (csv or xlsx)", format)
	}
}
