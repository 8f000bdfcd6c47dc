// Package demo creates the demonstration data: two régions, four Missions
// Locales with their sites, and one account per role, all with one password.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/revue"
	refdata "github.com/unml/cadre/referentiel"
)

// Password is the password of every demo account.
const Password = "cadre-demo-2026"

// Account is one demo account.
type Account struct {
	Email, Nom string
	Role       domain.Role
	// Scope is the structure or région code the role is held on, if any.
	Scope string
}

// Accounts lists the demo accounts, as the console shows them.
var Accounts = []Account{
	{"admin@cadre.demo", "Camille Admin", domain.RoleAdmin, ""},
	{"pole@unml.demo", "Dominique Pôle", domain.RolePole, ""},
	{"auditeur@unml.demo", "Alex Auditeur", domain.RoleAuditeur, ""},
	{"referent@bretagne.demo", "Morgane Le Gall", domain.RoleReferentARML, "BRE"},
	{"directeur@ml-rennes.demo", "Yann Rennes", domain.RoleDirecteur, "ML-RENNES"},
	{"contributeur@ml-rennes.demo", "Nolwenn Qualité", domain.RoleContributeur, "ML-RENNES"},
	{"directeur@ml-brest.demo", "Gwen Brest", domain.RoleDirecteur, "ML-BREST"},
	{"directeur@ml-quimper.demo", "Erwan Quimper", domain.RoleDirecteur, "ML-QUIMPER"},
	{"directeur@ml-lyon.demo", "Claude Lyon", domain.RoleDirecteur, "ML-LYON"},
	{"auditrice.reseau@unml.demo", "Sam Réseau", domain.RoleAuditeur, ""},
}

// Fixture holds the ids of what Seed created, by code, for tests.
type Fixture struct {
	Regions    map[string]int64
	Structures map[string]int64
	Sites      map[string]int64
	Users      map[string]int64
	// Campagnes by year ("2025", "2026"); Autoevaluations by "ML-RENNES/2026".
	Campagnes       map[string]int64
	Autoevaluations map[string]int64
	// Preuves holds one file piece per ML that has evidence, by structure code.
	Preuves map[string]int64
	// Audits by dossier, as Autoevaluations: "ML-BREST/2026", "ML-RENNES/2025".
	Audits map[string]int64
}

type structure struct {
	code, nom, region, siret string
	sites                    []domain.Site
}

var network = []structure{
	{"ML-RENNES", "Mission Locale du bassin d'emploi de Rennes", "BRE", "", []domain.Site{
		{Code: "RENNES-SIEGE", Nom: "Rennes — siège", Kind: "siege", Adresse: "6 cours des Alliés", CodePostal: "35000", Commune: "Rennes"},
		{Code: "RENNES-ANT-1", Nom: "Antenne de Bruz", Kind: "antenne", Adresse: "2 rue de Rennes", CodePostal: "35170", Commune: "Bruz"},
		{Code: "RENNES-ANT-2", Nom: "Antenne de Cesson-Sévigné", Kind: "antenne", Adresse: "1 esplanade de l'Hôtel de Ville", CodePostal: "35510", Commune: "Cesson-Sévigné"},
		{Code: "RENNES-PERM-1", Nom: "Permanence de Betton", Kind: "permanence", Adresse: "Place Charles de Gaulle", CodePostal: "35830", Commune: "Betton"},
	}},
	{"ML-BREST", "Mission Locale du Pays de Brest", "BRE", "", []domain.Site{
		{Code: "BREST-SIEGE", Nom: "Brest — siège", Kind: "siege", Adresse: "8 rue de Denver", CodePostal: "29200", Commune: "Brest"},
		{Code: "BREST-ANT-1", Nom: "Antenne de Landerneau", Kind: "antenne", Adresse: "Rue de la Tannerie", CodePostal: "29800", Commune: "Landerneau"},
		{Code: "BREST-REL-1", Nom: "Relais de Lesneven", Kind: "relais", Adresse: "Place du Château", CodePostal: "29260", Commune: "Lesneven"},
	}},
	{"ML-QUIMPER", "Mission Locale du Pays de Cornouaille", "BRE", "", []domain.Site{
		{Code: "QUIMPER-SIEGE", Nom: "Quimper — siège", Kind: "siege", Adresse: "3 rue Jean Jaurès", CodePostal: "29000", Commune: "Quimper"},
		{Code: "QUIMPER-ANT-1", Nom: "Antenne de Douarnenez", Kind: "antenne", Adresse: "Rue Louis Pasteur", CodePostal: "29100", Commune: "Douarnenez"},
	}},
	{"ML-LYON", "Mission Locale de Lyon", "ARA", "", []domain.Site{
		{Code: "LYON-SIEGE", Nom: "Lyon — siège", Kind: "siege", Adresse: "12 rue Jean-Baptiste Say", CodePostal: "69001", Commune: "Lyon"},
		{Code: "LYON-ANT-1", Nom: "Antenne de Lyon 8e", Kind: "antenne", Adresse: "25 avenue Paul Santy", CodePostal: "69008", Commune: "Lyon"},
		{Code: "LYON-ANT-2", Nom: "Antenne de Lyon 9e", Kind: "antenne", Adresse: "3 place du Marché", CodePostal: "69009", Commune: "Lyon"},
	}},
}

// Seed creates the demo data in an empty database; params are the password hash
// costs (auth.DefaultParams in a real run, cheaper ones in tests).
func Seed(ctx context.Context, store *postgres.Store, params auth.Params) (*Fixture, error) {
	f := &Fixture{Regions: map[string]int64{}, Structures: map[string]int64{}, Sites: map[string]int64{}, Users: map[string]int64{},
		Campagnes: map[string]int64{}, Autoevaluations: map[string]int64{}, Preuves: map[string]int64{}, Audits: map[string]int64{}}
	for _, r := range []domain.Region{{Code: "BRE", Nom: "Bretagne"}, {Code: "ARA", Nom: "Auvergne-Rhône-Alpes"}} {
		id, err := store.CreateRegion(ctx, nil, r)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		f.Regions[r.Code] = id
	}
	for _, st := range network {
		id, err := store.CreateStructure(ctx, nil, domain.Structure{Code: st.code, Nom: st.nom, RegionID: f.Regions[st.region], Forme: domain.FormeAssociation})
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		f.Structures[st.code] = id
		for _, site := range st.sites {
			site.StructureID = id
			sid, err := store.CreateSite(ctx, nil, site)
			if err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			f.Sites[site.Code] = sid
		}
	}
	hash, err := auth.HashPassword(Password, params)
	if err != nil {
		return nil, err
	}
	for _, a := range Accounts {
		m := domain.Membership{Role: a.Role}
		switch a.Role.ScopeKind() {
		case "structure":
			m.StructureID = f.Structures[a.Scope]
		case "region":
			m.RegionID = f.Regions[a.Scope]
		}
		id, err := store.CreateActiveUser(ctx, nil, a.Email, a.Nom, hash, m)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", a.Email, err)
		}
		f.Users[a.Email] = id
	}
	if err := seedCampagnes(ctx, store, f); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := seedPreuves(ctx, store, f); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := seedAudits(ctx, store, f); err != nil {
		return nil, fmt.Errorf("demo: audits: %w", err)
	}
	if err := seedPlanCommission(ctx, store, f, time.Now()); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return f, nil
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// answers returns demo answers for the first n items: ratings spread over the
// scale, a few "non concerné" with their justification, some comments.
func answers(items []referentiel.AssessableItem, n int, shift int) map[string]autoeval.Cotation {
	out := map[string]autoeval.Cotation{}
	for i, it := range items[:min(n, len(items))] {
		c := autoeval.Cotation{Valeur: 1 + (i*7+shift)%4}
		if i%9 == 4 {
			c.Commentaire = "Pratique formalisée dans le projet de structure ; à consolider sur les antennes."
		}
		if i%23 == 11 && !it.Imperatif {
			c = autoeval.Cotation{NonConcerne: true, Justification: "Action portée par le réseau régional pour notre territoire."}
		}
		out[it.Code] = c
	}
	return out
}

// seedCampagnes imports the embedded référentiels and adds a closed 2025 campaign that ML Rennes submitted, and the open
// "Auto-évaluation 2026": Rennes about half rated, Quimper submitted and awaiting the avis régional, Brest submitted
// with its avis régional rendered.
func seedCampagnes(ctx context.Context, store *postgres.Store, f *Fixture) error {
	// The campaigns rate the embedded cadre commun.
	if _, err := referentiel.ImportFS(ctx, store, refdata.Files); err != nil {
		return err
	}
	ref, refID, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		return err
	}
	items := ref.Items()
	// The campaigns are the national team's: written as its demo account.
	pole := &domain.Actor{UserID: f.Users["pole@unml.demo"]}
	// The demo's answers and submissions are the system's writes, made in the
	// name of the ML's people.
	as := func(email string) *domain.Actor { return &domain.Actor{UserID: f.Users[email]} }
	submit := func(structureID, autoevalID int64, director string) error {
		return store.Transition(ctx, as(director), structureID, autoevalID, demarche.Soumettre, domain.RoleDirecteur, "",
			func(etat demarche.Etat, _ map[string]autoeval.Cotation) (demarche.Etat, error) {
				return demarche.Next(etat, demarche.Soumettre, domain.RoleDirecteur, "")
			})
	}
	autoevals := func(campagneID int64, year string) error {
		rows, err := store.CampagneStructures(ctx, campagneID)
		if err != nil {
			return err
		}
		for code, id := range f.Structures {
			for _, r := range rows {
				if r.StructureID == id && r.AutoevaluationID != 0 {
					f.Autoevaluations[code+"/"+year] = r.AutoevaluationID
				}
			}
		}
		return nil
	}

	c2025, err := store.CreateCampagne(ctx, pole, campagnes.Campagne{Nom: "Auto-évaluation 2025", ReferentielID: refID,
		Ouverture: date("2025-02-03"), Cloture: date("2025-06-30")}, []int64{f.Structures["ML-RENNES"], f.Structures["ML-LYON"]})
	if err != nil {
		return err
	}
	if _, err := store.OpenCampagne(ctx, pole, c2025); err != nil {
		return err
	}
	if err := autoevals(c2025, "2025"); err != nil {
		return err
	}
	rennes2025 := f.Autoevaluations["ML-RENNES/2025"]
	if err := store.SeedCotations(ctx, as("directeur@ml-rennes.demo"), f.Structures["ML-RENNES"], rennes2025, answers(items, len(items), 1)); err != nil {
		return err
	}
	if err := submit(f.Structures["ML-RENNES"], rennes2025, "directeur@ml-rennes.demo"); err != nil {
		return err
	}
	// Lyon's 2025 dossier goes before the commission with Rennes's (seedPlanCommission).
	lyon2025 := f.Autoevaluations["ML-LYON/2025"]
	if err := store.SeedCotations(ctx, as("directeur@ml-lyon.demo"), f.Structures["ML-LYON"], lyon2025, answers(items, len(items), 2)); err != nil {
		return err
	}
	if err := submit(f.Structures["ML-LYON"], lyon2025, "directeur@ml-lyon.demo"); err != nil {
		return err
	}
	if err := store.CloseCampagne(ctx, pole, c2025); err != nil {
		return err
	}

	c2026, err := store.CreateCampagne(ctx, pole, campagnes.Campagne{Nom: "Auto-évaluation 2026", ReferentielID: refID,
		Ouverture: date("2026-09-01"), Cloture: date("2026-12-18")}, nil)
	if err != nil {
		return err
	}
	if _, err := store.OpenCampagne(ctx, pole, c2026); err != nil {
		return err
	}
	if err := autoevals(c2026, "2026"); err != nil {
		return err
	}
	f.Campagnes["2025"], f.Campagnes["2026"] = c2025, c2026
	if err := store.SeedCotations(ctx, as("contributeur@ml-rennes.demo"), f.Structures["ML-RENNES"], f.Autoevaluations["ML-RENNES/2026"], answers(items, len(items)/2, 2)); err != nil {
		return err
	}
	quimper := f.Autoevaluations["ML-QUIMPER/2026"]
	if err := store.SeedCotations(ctx, as("directeur@ml-quimper.demo"), f.Structures["ML-QUIMPER"], quimper, answers(items, len(items), 0)); err != nil {
		return err
	}
	if err := submit(f.Structures["ML-QUIMPER"], quimper, "directeur@ml-quimper.demo"); err != nil {
		return err
	}
	brest := f.Autoevaluations["ML-BREST/2026"]
	if err := store.SeedCotations(ctx, as("directeur@ml-brest.demo"), f.Structures["ML-BREST"], brest, answers(items, len(items), 3)); err != nil {
		return err
	}
	if err := submit(f.Structures["ML-BREST"], brest, "directeur@ml-brest.demo"); err != nil {
		return err
	}
	return seedAvis(ctx, store, f, items)
}

// seedAvis gives Brest's 2026 dossier the Bretagne référent's remarks on a few
// items and a rendered avis régional, through the review's rules.
func seedAvis(ctx context.Context, store *postgres.Store, f *Fixture, items []referentiel.AssessableItem) error {
	referent := &domain.Actor{UserID: f.Users["referent@bretagne.demo"]}
	brest, structure := f.Autoevaluations["ML-BREST/2026"], f.Structures["ML-BREST"]
	remarks := map[string]revue.AvisItem{}
	for i, it := range items[:12] {
		a := revue.AvisItem{Valeur: 1 + (i*5+1)%4}
		if i%3 == 0 {
			a.Remarque = "Pratique réelle, mais les éléments de preuve ne la montrent pas encore sur toutes les antennes."
		}
		remarks[it.Code] = a
	}
	if err := store.SeedRevue(ctx, referent, structure, brest, remarks); err != nil {
		return err
	}
	avis := revue.Avis{PointsForts: "Un accueil structuré sur les trois sites et un partenariat local dense.",
		AxesProgres: "Formaliser le suivi des orientations et l'appui aux employeurs.", Recommandation: revue.FavorableReserves,
		Texte: "La démarche est sincère ; l'audit pourra s'appuyer sur des preuves à compléter."}
	return store.RendreAvis(ctx, referent, structure, brest, avis,
		func(etat demarche.Etat) (demarche.Etat, error) {
			return demarche.Next(etat, demarche.RendreAvis, domain.RoleReferentARML, "")
		},
		func(d revue.Destinataire) mail.Message {
			return mail.Message{To: d.Email, Subject: "Avis régional rendu : Mission Locale du Pays de Brest", Body: "Avis régional rendu (données de démonstration)."}
		})
}

// demoPDF returns a small valid PDF whose text names the document.
func demoPDF(title string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + title + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
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

// titleSuffix tells apart the pieces that share a title across natures.
var titleSuffix = map[string]string{domain.NatureLien: " (page en ligne)", domain.NatureSurPlace: " (original consultable sur place)"}

// seedPreuves gives ML Rennes a dozen pieces of each nature attached to its rated
// items, and ML Lyon one file.
func seedPreuves(ctx context.Context, store *postgres.Store, f *Fixture) error {
	rennes, director := f.Structures["ML-RENNES"], f.Users["directeur@ml-rennes.demo"]
	// The pieces are the director's: written as them, after their RGPD acknowledgement.
	asDirector := &domain.Actor{UserID: director}
	if err := store.AcknowledgeRGPD(ctx, asDirector, director); err != nil {
		return err
	}
	_, refID, err := store.Referentiel(ctx, referentiel.DefaultCode, "")
	if err != nil {
		return err
	}
	rated, err := store.Cotations(ctx, rennes, f.Autoevaluations["ML-RENNES/2026"])
	if err != nil {
		return err
	}
	var codes []string
	for code := range rated {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	day := date("2026-03-15")
	n := 0
	for _, nature := range []string{domain.NatureFichier, domain.NatureLien, domain.NatureSurPlace} {
		for i, t := range preuveTitles {
			// Distinct titles: one per piece, whatever its nature.
			p := domain.Preuve{StructureID: rennes, Nature: nature, Titre: t.titre + titleSuffix[nature], Type: t.typ, DateDocument: &day}
			if i%4 == 3 {
				end := date("2026-06-30")
				p.FinValidite = &end // some have expired
			}
			var file *preuves.Upload
			switch nature {
			case domain.NatureFichier:
				file = &preuves.Upload{Name: fmt.Sprintf("preuve-%02d.pdf", i+1), Content: bytes.NewReader(demoPDF(t.titre))}
			case domain.NatureLien:
				p.URL = fmt.Sprintf("https://www.ml-rennes.example/documents/%d", i+1)
			}
			id, err := store.CreatePreuve(ctx, asDirector, p, file)
			if err != nil {
				return err
			}
			if nature == domain.NatureFichier && i == 0 {
				f.Preuves["ML-RENNES"] = id
			}
			for k := range 2 {
				code := codes[(n*2+k)%len(codes)]
				itemID, err := store.ItemID(ctx, refID, code)
				if err != nil {
					return err
				}
				if err := store.Attach(ctx, asDirector, rennes, id, itemID); err != nil {
					return err
				}
			}
			n++
		}
	}
	lyon := f.Structures["ML-LYON"]
	id, err := store.CreatePreuve(ctx, &domain.Actor{UserID: f.Users["directeur@ml-lyon.demo"]},
		domain.Preuve{StructureID: lyon, Nature: domain.NatureFichier, Titre: "Projet de structure 2025-2028", Type: "autre"},
		&preuves.Upload{Name: "projet.pdf", Content: bytes.NewReader(demoPDF("Projet de structure de Lyon"))})
	if err != nil {
		return err
	}
	f.Preuves["ML-LYON"] = id
	return nil
}

// LoadFixture rebuilds, from a database that Seed filled, the Fixture that Seed
// returned, looking everything up by its code, email or name. Tests use it on
// copies of a database seeded once.
func LoadFixture(ctx context.Context, store *postgres.Store) (*Fixture, error) {
	f := &Fixture{Regions: map[string]int64{}, Structures: map[string]int64{}, Sites: map[string]int64{}, Users: map[string]int64{},
		Campagnes: map[string]int64{}, Autoevaluations: map[string]int64{}, Preuves: map[string]int64{}, Audits: map[string]int64{}}
	all := domain.Visibility{All: true}
	for _, st := range network {
		if _, ok := f.Regions[st.region]; !ok {
			id, err := store.IDByCode(ctx, "regions", st.region)
			if err != nil {
				return nil, fmt.Errorf("demo: région %s: %w", st.region, err)
			}
			f.Regions[st.region] = id
		}
		id, err := store.IDByCode(ctx, "structures", st.code)
		if err != nil {
			return nil, fmt.Errorf("demo: structure %s: %w", st.code, err)
		}
		f.Structures[st.code] = id
		sites, err := store.Sites(ctx, all, id)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		for _, want := range st.sites {
			i := slices.IndexFunc(sites, func(s domain.Site) bool { return s.Code == want.Code })
			if i < 0 {
				return nil, fmt.Errorf("demo: site %s not found", want.Code)
			}
			f.Sites[want.Code] = sites[i].ID
		}
	}
	for _, a := range Accounts {
		c, err := store.CredentialsByEmail(ctx, a.Email)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", a.Email, err)
		}
		f.Users[a.Email] = c.UserID
	}
	list, err := store.ListCampagnes(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	for _, year := range []string{"2025", "2026"} {
		i := slices.IndexFunc(list, func(c campagnes.CampagneRow) bool { return c.Nom == "Auto-évaluation "+year })
		if i < 0 {
			return nil, fmt.Errorf("demo: campaign %s not found", year)
		}
		f.Campagnes[year] = list[i].ID
		rows, err := store.CampagneStructures(ctx, list[i].ID)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		for _, r := range rows {
			if r.AutoevaluationID != 0 {
				f.Autoevaluations[r.Code+"/"+year] = r.AutoevaluationID
			}
		}
	}
	// The pieces Seed names: ML Rennes' first file, ML Lyon's only one.
	for code, titre := range map[string]string{"ML-RENNES": preuveTitles[0].titre, "ML-LYON": ""} {
		list, err := store.ListPreuves(ctx, f.Structures[code], preuves.Filter{})
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		for _, p := range list {
			if p.Nature == domain.NatureFichier && (titre == "" || p.Titre == titre) {
				if f.Preuves[code] != 0 {
					return nil, fmt.Errorf("demo: several file pieces of %s match", code)
				}
				f.Preuves[code] = p.ID
			}
		}
		if f.Preuves[code] == 0 {
			return nil, fmt.Errorf("demo: file piece of %s not found", code)
		}
	}
	for _, k := range []string{"ML-BREST/2026", "ML-RENNES/2025"} {
		id, err := store.AuditIDOf(ctx, f.Autoevaluations[k])
		if err != nil || id == 0 {
			return nil, fmt.Errorf("demo: audit of %s not found: %v", k, err)
		}
		f.Audits[k] = id
	}
	return f, nil
}
