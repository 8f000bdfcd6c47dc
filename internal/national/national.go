// Package national builds the national dataset: 15 régions, 440 Missions
// Locales, 6,800 sites, about 3,000 people, three campaigns and 50,000 pieces
// of evidence, with the labelling's later steps (avis régionaux, audits and
// their findings, plans d'amélioration, commission decisions and labels), the
// same every time for the same seed. The benchmark (cadre bench) runs on it.
package national

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/referentiel"
	refdata "github.com/unml/cadre/referentiel"
)

// Password is the password of every account of the national dataset, which
// production refuses to serve.
const Password = "cadre-national-2026"

// Size is the dataset's scale.
type Size struct {
	Regions, MLs, Sites, People, Preuves int
	// BigFileEvery: every n-th ML holds a 1 MB file.
	BigFileEvery int
}

// National is the full scale; Tiny is for tests.
var (
	National = Size{Regions: 15, MLs: 440, Sites: 6800, People: 3000, Preuves: 50000, BigFileEvery: 4}
	Tiny     = Size{Regions: 2, MLs: 6, Sites: 30, People: 60, Preuves: 120, BigFileEvery: 2}
)

var regionNames = []string{"Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire", "Corse",
	"Grand Est", "Hauts-de-France", "Île-de-France", "Normandie", "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire",
	"Provence-Alpes-Côte d'Azur", "Guadeloupe", "La Réunion"}

var firstNames = []string{"Camille", "Dominique", "Alex", "Morgane", "Yann", "Nolwenn", "Gwen", "Claude", "Sacha", "Léa",
	"Hugo", "Inès", "Karim", "Chloé", "Thomas", "Amina", "Julien", "Sarah", "Nicolas", "Fatou", "Pierre", "Manon", "Mehdi", "Élodie"}

var lastNames = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
	"Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Le Gall", "Diallo"}

var comments = []string{
	"Pratique formalisée dans le projet de structure ; à consolider sur les antennes.",
	"Procédure écrite, connue des conseillers, revue chaque année en réunion d'équipe.",
	"Mise en œuvre inégale selon les sites : un plan d'harmonisation est prévu.",
	"Indicateurs suivis mensuellement dans le tableau de bord présenté au bureau.",
	"Partenariat formalisé par convention, bilan annuel partagé avec les partenaires.",
	"Action engagée cette année, premiers résultats attendus au prochain exercice.",
	"Point d'amélioration identifié lors de la précédente auto-évaluation.",
	"Organisation stable, appuyée sur un référent désigné dans chaque antenne.",
}

var preuveTitles = []struct{ titre, typ string }{
	{"Procédure d'accueil des jeunes", "procedure"},
	{"Compte rendu du conseil d'administration", "compte_rendu"},
	{"Convention de partenariat avec le centre social", "convention_partenariat"},
	{"Tableau de bord mensuel de l'activité", "tableau_de_bord"},
	{"Enquête de satisfaction des jeunes", "enquete_satisfaction"},
	{"Plaquette de présentation de l'offre de service", "support_communication"},
	{"Procédure de suivi des orientations", "procedure"},
	{"Compte rendu du comité technique partenarial", "compte_rendu"},
	{"Convention avec l'agence France Travail", "convention_partenariat"},
	{"Tableau de bord des entrées en formation", "tableau_de_bord"},
	{"Enquête auprès des employeurs partenaires", "enquete_satisfaction"},
	{"Programme des ateliers collectifs", "autre"},
}

// AsOf is the day the dataset describes: the démarche's steps are dated
// before it, the labels' reminders due by then are sent, and some actions of
// the plans are overdue on it. A fixed day keeps the dataset deterministic.
var AsOf = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// sessions are the national commission's: one a quarter from May 2024 to
// March 2025 decides the 2024 campaign's dossiers (the first one's labels end
// in May 2027, within six months of AsOf); the last is the next one.
var sessions = []time.Time{
	time.Date(2024, 5, 16, 0, 0, 0, 0, time.UTC), time.Date(2024, 9, 19, 0, 0, 0, 0, time.UTC),
	time.Date(2024, 12, 12, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 12, 17, 0, 0, 0, 0, time.UTC),
}

// draw is the audit's own draw of its sample (audit.Tirer), so that the
// sample the dataset stores replays from its seed as a real one does.
func draw(nature string, candidats []int64, siege int64, visites []int64, seed int64) (sites []int64, aleatoire []bool) {
	for _, t := range audit.Tirer(audit.Nature(nature), candidats, siege, visites, seed) {
		sites, aleatoire = append(sites, t.SiteID), append(aleatoire, t.Aleatoire)
	}
	return sites, aleatoire
}

// Plan decides the dataset's shape from the seed: the ML of each région, the
// sites, contributors and pieces of each ML, spread unevenly (a few large MLs,
// many small ones) with exact totals.
func Plan(size Size, seed int64, passwordHash string, referentielID int64) postgres.NationalPlan {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6361647265))
	p := postgres.NationalPlan{
		Seed: seed, RegionNames: regionNames[:min(size.Regions, len(regionNames))],
		BigFileEvery: size.BigFileEvery, PasswordHash: passwordHash, ReferentielID: referentielID,
		Poles: max(1, size.People/300), Admins: max(1, size.People/1000), Auditeurs: max(2, size.People/75),
		ReferentsPerRegion: 2, FirstNames: firstNames, LastNames: lastNames, Comments: comments,
		AsOf: AsOf, Sessions: sessions, Texts: texts, Draw: draw,
	}
	for _, t := range preuveTitles {
		p.PreuveTitles, p.PreuveTypes = append(p.PreuveTitles, t.titre), append(p.PreuveTypes, t.typ)
	}
	// A skewed weight per ML: most are small, some are large.
	weights := make([]float64, size.MLs)
	for i := range weights {
		u := rng.Float64()
		weights[i] = u * u * u
	}
	// Régions get MLs unevenly too: each ML draws its région with a weight.
	rw := make([]float64, len(p.RegionNames))
	for i := range rw {
		rw[i] = 0.4 + rng.Float64()
	}
	for range size.MLs {
		p.MLRegion = append(p.MLRegion, int32(pick(rng, rw)))
	}
	for r := range p.RegionNames { // every région has at least one ML
		if r < size.MLs {
			p.MLRegion[r] = int32(r)
		}
	}
	p.MLSites = spread(weights, size.Sites, 2, 60)
	national := p.Poles + p.Admins + p.Auditeurs + p.ReferentsPerRegion*len(p.RegionNames) + size.MLs
	p.MLContributors = spread(weights, max(0, size.People-national), 0, 30)
	p.MLPreuves = spread(weights, size.Preuves, 10, 400)
	return p
}

func pick(rng *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	r := rng.Float64() * sum
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

// spread shares total between the weights, each share within [lo, hi], the
// shares summing to total when the bounds allow it.
func spread(weights []float64, total, lo, hi int) []int32 {
	out := make([]int32, len(weights))
	var sum float64
	for _, w := range weights {
		sum += w
	}
	rest := total - lo*len(weights)
	given := 0
	for i, w := range weights {
		n := lo
		if sum > 0 && rest > 0 {
			n += int(w / sum * float64(rest))
		}
		n = min(max(n, lo), hi)
		out[i] = int32(n)
		given += n
	}
	// Hand out (or take back) the remainder one at a time, round-robin.
	for i := 0; given != total && i < 100*len(out); i++ {
		j := i % len(out)
		if given < total && int(out[j]) < hi {
			out[j]++
			given++
		} else if given > total && int(out[j]) > lo {
			out[j]--
			given--
		}
	}
	return out
}

// Seed imports the embedded référentiels and writes the dataset into an empty
// database. Every account gets Password, hashed once with params.
func Seed(ctx context.Context, store *postgres.Store, size Size, seed int64, params auth.Params) error {
	if _, err := referentiel.ImportFS(ctx, store, refdata.Files); err != nil {
		return err
	}
	_, refID, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(Password, params)
	if err != nil {
		return err
	}
	if err := store.SeedNational(ctx, nil, Plan(size, seed, hash, refID)); err != nil {
		return fmt.Errorf("national dataset: %w", err)
	}
	return nil
}
