package export

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unml/cadre/internal/plan"
)

func TestPlan(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	actions := []plan.Action{
		{ID: 1, Titre: "Formaliser l'accueil", Items: []string{"F1.R1.C1", "F1.R1.C2"}, Origine: plan.OrigineAvis, PiloteNom: "Gwen Brest",
			Priorite: plan.Haute, Echeance: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Statut: plan.EnCours},
		{ID: 2, Titre: "Enquête; satisfaction", Origine: plan.OrigineAutoeval, Priorite: plan.Basse, Echeance: today, Statut: plan.Realisee, PreuveTitre: "Résultats"},
	}
	var csv bytes.Buffer
	if err := Plan(&csv, actions, today, "csv"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "\ufeffN°;Action;") ||
		lines[1] != "1;Formaliser l'accueil;F1.R1.C1, F1.R1.C2;Avis régional;Gwen Brest;Haute;22/11/2026;En cours;10;;;;" ||
		!strings.HasPrefix(lines[2], `2;"Enquête; satisfaction";`) {
		t.Errorf("csv:\n%s", csv.String())
	}
	var x bytes.Buffer
	if err := Plan(&x, actions, today, "xlsx"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Plan d'amélioration")
	if err != nil || len(rows) != 3 || rows[1][8] != "10" || rows[2][7] != "Réalisée" {
		t.Errorf("xlsx rows %v, %v", rows, err)
	}
	if err := Plan(&x, actions, today, "pdf"); err == nil {
		t.Error("pdf accepted")
	}
}
