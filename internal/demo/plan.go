package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/unml/cadre/internal/commission"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/plan"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/referentiel"
)

// seedPlanCommission gives Brest its plan d'amélioration (a dozen actions in
// every status, two overdue), holds a past commission session that labels
// Rennes and adjourns Lyon, records an older label of Quimper that expires
// within three months, and queues that label's reminder. Dates are relative
// to now, so the demo reads the same whenever it is seeded.
func seedPlanCommission(ctx context.Context, store *postgres.Store, f *Fixture, now time.Time) error {
	if err := seedRapportDefinitifLyon(ctx, store, f); err != nil {
		return err
	}
	if err := seedPlanBrest(ctx, store, f, now); err != nil {
		return err
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	pole := &domain.Actor{UserID: f.Users["pole@unml.demo"], Memberships: []domain.Membership{{Role: domain.RolePole}}}
	svc := commission.NewService(store, nil, commission.DefaultValidite)
	svc.Now = func() time.Time { return now }
	session := commission.Session{Date: today.AddDate(0, -5, -14), Membres: "Présidence : UNML. Membres : DGEFP, deux directions de Missions Locales, deux ARML, une personnalité qualifiée."}
	id, err := svc.CreateSession(ctx, pole, session)
	if err != nil {
		return err
	}
	session.ID = id
	rennes, lyon := f.Autoevaluations["ML-RENNES/2025"], f.Autoevaluations["ML-LYON/2025"]
	for _, ae := range []int64{rennes, lyon} {
		if err := svc.AddToAgenda(ctx, pole, session, ae); err != nil {
			return err
		}
	}
	if _, err := svc.Decide(ctx, pole, session, commission.Decision{AutoevaluationID: rennes, Resultat: commission.Labellise,
		Motifs: "Démarche qualité aboutie sur les cinq fonctions ; les pistes de progrès relevées à l'audit sont inscrites au plan d'amélioration."}); err != nil {
		return err
	}
	delai := today.AddDate(0, 1, 0)
	if _, err := svc.Decide(ctx, pole, session, commission.Decision{AutoevaluationID: lyon, Resultat: commission.Ajourne,
		Motifs:     "Deux écarts majeurs sur l'accompagnement des parcours restent sans réponse.",
		Conditions: "Adopter la procédure de suivi des parcours et en montrer la mise en œuvre sur les trois sites.", Delai: &delai}); err != nil {
		return err
	}
	// Quimper's label dates from before Cadre; it expires in two months.
	fin := today.AddDate(0, 2, 0)
	if _, err := store.SeedLabel(ctx, nil, f.Structures["ML-QUIMPER"], fin.AddDate(-commission.DefaultValidite, 0, 0), fin); err != nil {
		return err
	}
	w := commission.NewWorker(store, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, err = w.RunOnce(ctx, now)
	return err
}

// seedRapportDefinitifLyon brings Lyon's 2025 dossier straight to rapport
// définitif: its audit was done before Cadre, on paper, so the system records
// only its outcome. Rennes's 2025 dossier got there through the audit's own
// steps (seedAudits).
func seedRapportDefinitifLyon(ctx context.Context, store *postgres.Store, f *Fixture) error {
	if err := store.SeedEtat(ctx, nil, f.Structures["ML-LYON"], f.Autoevaluations["ML-LYON/2025"], demarche.EmettreDefinitif, demarche.RapportDefinitif); err != nil {
		return fmt.Errorf("rapport définitif of ML-LYON: %w", err)
	}
	return nil
}

// planBrest are Brest's actions: title, status, days from today to the due
// date, priority, origin.
var planBrest = []struct {
	titre    string
	statut   plan.Statut
	echeance int
	priorite plan.Priorite
	origine  plan.Origine
}{
	{"Formaliser la procédure d'accueil sur les trois sites", plan.EnCours, -21, plan.Haute, plan.OrigineAvis},
	{"Mettre à jour la plaquette de l'offre de service", plan.AEngager, -8, plan.Moyenne, plan.OrigineAutoeval},
	{"Réunir le comité technique partenarial deux fois par an", plan.EnCours, 45, plan.Moyenne, plan.OrigineAutoeval},
	{"Tracer les orientations vers les partenaires", plan.AEngager, 90, plan.Haute, plan.OrigineAvis},
	{"Former les conseillers à l'appui aux employeurs", plan.EnCours, 120, plan.Moyenne, plan.OrigineAutoeval},
	{"Publier le tableau de bord trimestriel au conseil d'administration", plan.AEngager, 150, plan.Basse, plan.OrigineAutoeval},
	{"Ouvrir une permanence au relais de Lesneven le samedi", plan.EnCours, 200, plan.Basse, plan.OrigineAvis},
	{"Conduire l'enquête de satisfaction des jeunes", plan.Realisee, -60, plan.Moyenne, plan.OrigineAutoeval},
	{"Signer la convention avec l'agence France Travail", plan.Realisee, -30, plan.Haute, plan.OrigineAvis},
	{"Afficher la charte d'accueil dans chaque lieu", plan.Realisee, -10, plan.Basse, plan.OrigineAutoeval},
	{"Créer un atelier numérique hebdomadaire", plan.Abandonnee, 60, plan.Basse, plan.OrigineAutoeval},
	{"Recruter un chargé de relation entreprises", plan.Abandonnee, 30, plan.Moyenne, plan.OrigineAvis},
}

// seedPlanBrest writes Brest's plan as its director, with three proofs:
// links, which need no RGPD acknowledgement of an upload.
func seedPlanBrest(ctx context.Context, store *postgres.Store, f *Fixture, now time.Time) error {
	brest, director := f.Structures["ML-BREST"], f.Users["directeur@ml-brest.demo"]
	asDirector := &domain.Actor{UserID: director}
	ref, _, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		return err
	}
	items := ref.Items()
	var proofs []int64
	for i, titre := range []string{"Résultats de l'enquête de satisfaction 2026", "Convention signée avec France Travail", "Photographies de la charte affichée"} {
		id, err := store.CreatePreuve(ctx, asDirector, domain.Preuve{StructureID: brest, Nature: domain.NatureLien, Titre: titre, Type: "autre",
			URL: fmt.Sprintf("https://www.ml-brest.example/qualite/%d", i+1)}, nil)
		if err != nil {
			return err
		}
		proofs = append(proofs, id)
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	done := 0
	for i, a := range planBrest {
		action := plan.Action{StructureID: brest, Titre: a.titre, Items: []string{items[i%12].Code}, Origine: a.origine,
			PiloteID: director, Priorite: a.priorite, Echeance: today.AddDate(0, 0, a.echeance)}
		if a.origine == plan.OrigineAvis {
			action.AutoevaluationID = f.Autoevaluations["ML-BREST/2026"]
			action.Description = "Suite à la remarque de la référente régionale sur l'élément " + items[i%12].Code + "."
		}
		id, err := store.CreatePlanAction(ctx, asDirector, domain.RoleDirecteur, action)
		if err != nil {
			return err
		}
		var c plan.Changement
		switch a.statut {
		case plan.EnCours:
			c = plan.Changement{Statut: plan.EnCours, Commentaire: "Pilote désigné, travail engagé."}
		case plan.Realisee:
			c = plan.Changement{Statut: plan.Realisee, PreuveID: proofs[done], RealiseeLe: today.AddDate(0, 0, a.echeance-3)}
			done++
		case plan.Abandonnee:
			c = plan.Changement{Statut: plan.Abandonnee, Motif: "Reporté au prochain projet de structure, faute de financement."}
		default:
			continue
		}
		if err := store.ChangePlanStatut(ctx, asDirector, domain.RoleDirecteur, brest, id, c,
			func(from plan.Statut) error { return c.Apply(from, now) }); err != nil {
			return err
		}
	}
	return nil
}
