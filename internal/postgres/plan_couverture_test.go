package postgres_test

import (
	"testing"
	"time"

	"github.com/unml/cadre/internal/demo/demotest"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/plan"
	"github.com/unml/cadre/internal/postgres"
)

// TestCouverture counts the actions not abandoned per finding and per item,
// within the ML only.
func TestCouverture(t *testing.T) {
	t.Parallel()
	pool, f := demotest.New(t)
	store := postgres.NewStore(pool)
	ctx := t.Context()
	rennes, lyon := f.Structures["ML-RENNES"], f.Structures["ML-LYON"]
	add := func(structure int64, director string, origine plan.Origine, constat int64, items ...string) int64 {
		t.Helper()
		id, err := store.CreatePlanAction(ctx, &domain.Actor{UserID: f.Users[director]}, domain.RoleDirecteur, plan.Action{StructureID: structure,
			Titre: "Action", Items: items, Origine: origine, ConstatID: constat, PiloteID: f.Users[director], Priorite: plan.Moyenne, Echeance: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	add(rennes, "directeur@ml-rennes.demo", plan.OrigineConstat, 501, "F1.R1.C1")
	add(rennes, "directeur@ml-rennes.demo", plan.OrigineConstat, 501)
	dropped := add(rennes, "directeur@ml-rennes.demo", plan.OrigineConstat, 502, "F1.R1.C2")
	add(lyon, "directeur@ml-lyon.demo", plan.OrigineConstat, 503, "F1.R1.C2")
	c := plan.Changement{Statut: plan.Abandonnee, Motif: "Doublon."}
	if err := store.ChangePlanStatut(ctx, &domain.Actor{UserID: f.Users["directeur@ml-rennes.demo"]}, domain.RoleDirecteur, rennes, dropped, c,
		func(s plan.Statut) error { return c.Apply(s, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	constats, items, err := store.Couverture(ctx, rennes, []int64{501, 502, 503}, []string{"F1.R1.C1", "F1.R1.C2", "F9"})
	if err != nil {
		t.Fatal(err)
	}
	if constats[501] != 2 || constats[502] != 0 || constats[503] != 0 || len(constats) != 3 {
		t.Errorf("par constat %v", constats)
	}
	if items["F1.R1.C1"] != 1 || items["F1.R1.C2"] != 0 || items["F9"] != 0 || len(items) != 3 {
		t.Errorf("par item %v", items)
	}
	if err := plan.CheckRapportDefinitif([]int64{501, 502}, []string{"F1.R1.C1"}, constats, items); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("écart 502 uncovered: %v", err)
	}
	add(rennes, "directeur@ml-rennes.demo", plan.OrigineConstat, 502)
	constats, items, _ = store.Couverture(ctx, rennes, []int64{501, 502}, []string{"F1.R1.C1"})
	if err := plan.CheckRapportDefinitif([]int64{501, 502}, []string{"F1.R1.C1"}, constats, items); err != nil {
		t.Errorf("all covered: %v", err)
	}
	if c, i, err := store.Couverture(ctx, rennes, nil, nil); err != nil || len(c) != 0 || len(i) != 0 {
		t.Errorf("nothing asked: %v %v %v", c, i, err)
	}
}
