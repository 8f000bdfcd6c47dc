package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
)

// seedAudits qualifies the two demo auditors, gives ML Brest a few pieces of
// evidence, assigns the pair to Brest's 2026 dossier (audit in progress, with
// audit ratings, verdicts and findings), and takes Rennes's 2025 dossier,
// sent to the audit without an avis régional, through the whole audit to its
// rapport définitif with the ML's observations answered. Everything goes
// through the audit's Service, as the people themselves.
func seedAudits(ctx context.Context, store *postgres.Store, f *Fixture) error {
	pole := &domain.Actor{UserID: f.Users["pole@unml.demo"]}
	certifie, reseau := f.Users["auditeur@unml.demo"], f.Users["auditrice.reseau@unml.demo"]
	if err := store.SetQualification(ctx, pole, certifie, string(audit.Certifie)); err != nil {
		return err
	}
	if err := store.SetQualification(ctx, pole, reseau, string(audit.Reseau)); err != nil {
		return err
	}
	if err := seedBrestPreuves(ctx, store, f); err != nil {
		return err
	}
	svc := audit.NewService(store, store, nil)
	// The people as the server loads them, memberships (and audits) included.
	as := func(email string) (*domain.Actor, error) {
		return store.Actor(ctx, f.Users[email], time.Now())
	}
	asPole, err := as("pole@unml.demo")
	if err != nil {
		return err
	}
	ref, _, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		return err
	}
	items := ref.Items()
	top := ref.Echelle.Max()

	// Brest 2026: avis rendu; the pair is on site this week.
	brest, err := svc.Dossier(ctx, asPole, f.Autoevaluations["ML-BREST/2026"])
	if err != nil {
		return err
	}
	id, err := svc.Assign(ctx, asPole, brest, audit.Assignment{Nature: audit.Initial, Certifie: certifie, Reseau: reseau,
		Debut: date("2026-11-30"), Fin: date("2026-12-04"), Seed: 20261130})
	if err != nil {
		return err
	}
	f.Audits["ML-BREST/2026"] = id
	a1, a2, err := pair(as)
	if err != nil {
		return err
	}
	d, err := load(ctx, svc, a1, id)
	if err != nil {
		return err
	}
	var notes []audit.NoteChange
	for i, it := range items[:10] {
		n := audit.Note{Valeur: 2 + i%3}
		if i%4 == 0 {
			n.Commentaire = "Constaté lors des entretiens sur place."
		}
		notes = append(notes, audit.NoteChange{Code: it.Code, Note: n})
	}
	if _, err := svc.SaveNotes(ctx, a1, d, notes[:5]); err != nil {
		return err
	}
	if _, err := svc.SaveNotes(ctx, a2, d, notes[5:]); err != nil {
		return err
	}
	if len(d.Preuves) >= 2 {
		if _, err := svc.SaveVerdict(ctx, a1, d, d.Preuves[0].ID, audit.PreuveVerdict{Verdict: audit.Acceptee}, 0); err != nil {
			return err
		}
		if _, err := svc.SaveVerdict(ctx, a2, d, d.Preuves[1].ID, audit.PreuveVerdict{Verdict: audit.Refusee, Motif: "Document non daté et sans signature."}, 0); err != nil {
			return err
		}
	}
	siege := d.Echantillon[0].SiteID
	for _, c := range []audit.Constat{
		{Nature: audit.PointFort, Texte: "Un accueil sans rendez-vous organisé sur les trois sites, connu des partenaires.", Items: []string{items[0].Code}, Sites: []int64{siege}},
		{Nature: audit.EcartMineur, Texte: "Le suivi des orientations vers les partenaires n'est pas tracé de façon homogène.", Items: []string{items[1].Code, items[2].Code}, Sites: []int64{siege}},
		{Nature: audit.PointVigilance, Texte: "Les conventions de partenariat arrivent à échéance sans revue prévue."},
	} {
		who := a1
		if c.Nature == audit.PointVigilance {
			who = a2
		}
		if _, err := svc.AddConstat(ctx, who, d, c); err != nil {
			return err
		}
	}

	// Rennes 2025: submitted, campaign closed without an avis régional.
	asPole, err = as("pole@unml.demo")
	if err != nil {
		return err
	}
	rennes, err := svc.Dossier(ctx, asPole, f.Autoevaluations["ML-RENNES/2025"])
	if err != nil {
		return err
	}
	if err := svc.EnvoyerSansAvis(ctx, asPole, rennes, "Campagne 2025 close sans avis régional : l'ARML Bretagne n'avait pas de référent labellisation."); err != nil {
		return err
	}
	if id, err = svc.Assign(ctx, asPole, rennes, audit.Assignment{Nature: audit.Initial, Certifie: certifie, Reseau: reseau,
		Debut: date("2025-09-15"), Fin: date("2025-09-16"), Seed: 20250915}); err != nil {
		return err
	}
	f.Audits["ML-RENNES/2025"] = id
	if a1, a2, err = pair(as); err != nil {
		return err
	}
	if d, err = load(ctx, svc, a1, id); err != nil {
		return err
	}
	// The audit rates impératif items at the top only: the final report needs no plan.
	notes = nil
	for i, it := range items[:12] {
		v := top - i%2
		if it.Imperatif {
			v = top
		}
		notes = append(notes, audit.NoteChange{Code: it.Code, Note: audit.Note{Valeur: v}})
	}
	if _, err := svc.SaveNotes(ctx, a1, d, notes); err != nil {
		return err
	}
	for i, p := range d.Preuves[:min(3, len(d.Preuves))] {
		v := audit.PreuveVerdict{Verdict: audit.Acceptee}
		if i == 2 {
			v = audit.PreuveVerdict{Verdict: audit.Refusee, Motif: "Version périmée : la procédure a changé depuis."}
		}
		if _, err := svc.SaveVerdict(ctx, a2, d, p.ID, v, 0); err != nil {
			return err
		}
	}
	for _, c := range []audit.Constat{
		{Nature: audit.PointFort, Texte: "Une gouvernance associant les partenaires et les jeunes.", Items: []string{items[0].Code}, Sites: []int64{d.Echantillon[0].SiteID}},
		{Nature: audit.PisteProgres, Texte: "Harmoniser les supports d'information entre le siège et les antennes.", Items: []string{items[3].Code}},
	} {
		if _, err := svc.AddConstat(ctx, a1, d, c); err != nil {
			return err
		}
	}
	if err := svc.RendreProvisoire(ctx, a1, d, "Une démarche qualité appropriée par les équipes ; l'audit recommande la labellisation."); err != nil {
		return err
	}
	director, err := as("directeur@ml-rennes.demo")
	if err != nil {
		return err
	}
	if d, err = load(ctx, svc, director, id); err != nil {
		return err
	}
	if err := svc.Observer(ctx, director, d, "Nous remercions le binôme pour la qualité des échanges.",
		map[int64]string{d.Constats[1].ID: "Un nouveau support commun est en préparation pour janvier."}); err != nil {
		return err
	}
	if d, err = load(ctx, svc, a2, id); err != nil {
		return err
	}
	if err := svc.Repondre(ctx, a2, d, "Les observations sont reprises au rapport définitif.",
		map[int64]string{d.Constats[1].ID: "Le binôme en prend acte ; la piste de progrès est maintenue."}); err != nil {
		return err
	}
	if d, err = load(ctx, svc, a1, id); err != nil {
		return err
	}
	return svc.RendreDefinitif(ctx, a1, d)
}

// pair loads the two demo auditors, with their audits.
func pair(as func(string) (*domain.Actor, error)) (*domain.Actor, *domain.Actor, error) {
	a1, err := as("auditeur@unml.demo")
	if err != nil {
		return nil, nil, err
	}
	a2, err := as("auditrice.reseau@unml.demo")
	return a1, a2, err
}

func load(ctx context.Context, svc *audit.Service, who *domain.Actor, id int64) (*audit.Detail, error) {
	a, err := svc.Load(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return svc.Complete(ctx, who, a)
}

// seedBrestPreuves gives ML Brest three pieces, one of each nature, attached
// to its first items.
func seedBrestPreuves(ctx context.Context, store *postgres.Store, f *Fixture) error {
	brest, director := f.Structures["ML-BREST"], f.Users["directeur@ml-brest.demo"]
	asDirector := &domain.Actor{UserID: director}
	if err := store.AcknowledgeRGPD(ctx, asDirector, director); err != nil {
		return err
	}
	ref, refID, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		return err
	}
	items := ref.Items()
	day := date("2026-05-12")
	for i, p := range []domain.Preuve{
		{Nature: domain.NatureFichier, Titre: "Charte d'accueil des trois sites", Type: "procedure"},
		{Nature: domain.NatureFichier, Titre: "Tableau de suivi des orientations 2026", Type: "tableau_de_bord"},
		{Nature: domain.NatureSurPlace, Titre: "Registre des entretiens (consultable sur place)", Type: "autre"},
	} {
		p.StructureID, p.DateDocument = brest, &day
		var file *preuves.Upload
		if p.Nature == domain.NatureFichier {
			file = &preuves.Upload{Name: fmt.Sprintf("brest-%d.pdf", i+1), Content: bytes.NewReader(demoPDF(p.Titre))}
		}
		id, err := store.CreatePreuve(ctx, asDirector, p, file)
		if err != nil {
			return err
		}
		for _, it := range items[i : i+2] {
			itemID, err := store.ItemID(ctx, refID, it.Code)
			if err != nil {
				return err
			}
			if err := store.Attach(ctx, asDirector, brest, id, itemID); err != nil {
				return err
			}
		}
	}
	return nil
}
