// Package demo creates the demonstration data: two régions, three Missions
// Locales with their sites, and one account per role, all with one password.
package demo

import (
	"context"
	"fmt"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
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
	{"directeur@ml-lyon.demo", "Claude Lyon", domain.RoleDirecteur, "ML-LYON"},
}

// Fixture holds the ids of what Seed created, by code, for tests.
type Fixture struct {
	Regions    map[string]int64
	Structures map[string]int64
	Sites      map[string]int64
	Users      map[string]int64
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
	{"ML-LYON", "Mission Locale de Lyon", "ARA", "", []domain.Site{
		{Code: "LYON-SIEGE", Nom: "Lyon — siège", Kind: "siege", Adresse: "12 rue Jean-Baptiste Say", CodePostal: "69001", Commune: "Lyon"},
		{Code: "LYON-ANT-1", Nom: "Antenne de Lyon 8e", Kind: "antenne", Adresse: "25 avenue Paul Santy", CodePostal: "69008", Commune: "Lyon"},
		{Code: "LYON-ANT-2", Nom: "Antenne de Lyon 9e", Kind: "antenne", Adresse: "3 place du Marché", CodePostal: "69009", Commune: "Lyon"},
	}},
}

// Seed creates the demo data in an empty database; params are the password hash
// costs (auth.DefaultParams in a real run, cheaper ones in tests).
func Seed(ctx context.Context, store *postgres.Store, params auth.Params) (*Fixture, error) {
	f := &Fixture{Regions: map[string]int64{}, Structures: map[string]int64{}, Sites: map[string]int64{}, Users: map[string]int64{}}
	for _, r := range []domain.Region{{Code: "BRE", Nom: "Bretagne"}, {Code: "ARA", Nom: "Auvergne-Rhône-Alpes"}} {
		id, err := store.CreateRegion(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		f.Regions[r.Code] = id
	}
	for _, st := range network {
		id, err := store.CreateStructure(ctx, domain.Structure{Code: st.code, Nom: st.nom, RegionID: f.Regions[st.region], Forme: domain.FormeAssociation}, 0)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		f.Structures[st.code] = id
		for _, site := range st.sites {
			site.StructureID = id
			sid, err := store.CreateSite(ctx, site)
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
		id, err := store.CreateActiveUser(ctx, a.Email, a.Nom, hash, m)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", a.Email, err)
		}
		f.Users[a.Email] = id
	}
	return f, nil
}
