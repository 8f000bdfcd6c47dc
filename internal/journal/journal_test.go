package journal_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
)

func chain(n int) []journal.Entry {
	var out []journal.Entry
	var prev *journal.Entry
	for i := range n {
		e := journal.Entry{At: time.Date(2026, 12, 1, 10, 0, i, 123456789, time.UTC), ActorID: 7, ActorNom: "Nolwenn Qualité",
			Action: journal.ActCotationSaved, ObjectType: "cotation", ObjectID: "3/F2.R1.C1", Label: "F2.R1.C1",
			Before: json.RawMessage(`{"valeur": 2}`), After: json.RawMessage(`{"valeur": 3}`)}
		if err := e.Normalize(); err != nil {
			panic(err)
		}
		e.Seal(prev)
		out = append(out, e)
		prev = &out[len(out)-1]
	}
	return out
}

func verify(entries []journal.Entry) (int64, error) {
	return journal.Verify(func(fn func(journal.Entry) error) error {
		for _, e := range entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestVerifyNamesTheFirstBrokenEntry(t *testing.T) {
	t.Parallel()
	if n, err := verify(chain(5)); err != nil || n != 5 {
		t.Fatalf("a sound chain: %d, %v", n, err)
	}
	for _, tc := range []struct {
		name   string
		change func([]journal.Entry) []journal.Entry
		seq    int64
	}{
		{"edited", func(c []journal.Entry) []journal.Entry { c[2].After = json.RawMessage(`{"valeur":4}`); return c }, 3},
		{"edited and rehashed", func(c []journal.Entry) []journal.Entry {
			c[2].Label = "F1.R1.C1"
			c[2].Hash = c[2].ComputeHash(c[2].PrevHash)
			return c
		}, 4},
		{"deleted", func(c []journal.Entry) []journal.Entry { return append(c[:1], c[2:]...) }, 3},
		{"reordered", func(c []journal.Entry) []journal.Entry { c[1], c[2] = c[2], c[1]; return c }, 3},
		{"actor changed", func(c []journal.Entry) []journal.Entry { c[0].ActorNom = "Quelqu'un d'autre"; return c }, 1},
	} {
		_, err := verify(tc.change(chain(5)))
		var b *journal.Broken
		if !errors.As(err, &b) || b.Seq != tc.seq {
			t.Errorf("%s: err = %v, want entry %d named", tc.name, err, tc.seq)
		}
	}
}

func TestNormalizeKeepsWhatTheStoreReadsBack(t *testing.T) {
	t.Parallel()
	e := chain(1)[0]
	if string(e.Before) != `{"valeur":2}` || e.At.Nanosecond()%1000 != 0 {
		t.Errorf("normalized %s at %v", e.Before, e.At)
	}
	bad := journal.Entry{After: json.RawMessage(`{`)}
	if err := bad.Normalize(); err == nil {
		t.Error("invalid JSON accepted")
	}
}

func TestSentences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		e    journal.Entry
		want string
	}{
		{chain(1)[0], "Nolwenn Qualité a coté F2.R1.C1 : 2 → 3"},
		{journal.Entry{ActorNom: "Nolwenn Qualité", Action: journal.ActCotationSaved, Label: "F1.R1.C1", After: json.RawMessage(`{"non_concerne":true}`)},
			"Nolwenn Qualité a coté F1.R1.C1 : sans réponse → non concerné"},
		{journal.Entry{Action: journal.ActLoginFailed, Label: "x@example.org"}, "Un·e visiteur·se a échoué à se connecter avec l'adresse x@example.org"},
		{journal.Entry{ActorNom: "Directrice", Action: journal.ActLogin, Label: "d@example.org"}, "Directrice s'est connecté·e"},
		{journal.Entry{ActorNom: "Pôle", Action: journal.ActRoleGiven, Label: "c@example.org", After: json.RawMessage(`{"role":"contributeur"}`)},
			"Pôle a donné un rôle à c@example.org : Contributeur·rice (référent qualité)"},
		{journal.Entry{ActorNom: "Pôle", Action: journal.ActRegionUpdated, Label: "Bretagne (BRE)",
			Before: json.RawMessage(`{"code":"BRE","nom":"Bretagne"}`), After: json.RawMessage(`{"code":"BRE","nom":"Bretagne nord"}`)},
			"Pôle a modifié la région Bretagne (BRE) : champs nom"},
		{journal.Entry{ActorNom: "Dir", Action: journal.ActTransition, Label: "Soumettre",
			Before: json.RawMessage(`{"etat_label":"En cours"}`), After: json.RawMessage(`{"etat_label":"Soumise"}`)},
			"Dir a fait avancer l'auto-évaluation Soumettre : En cours → Soumise"},
	} {
		if got := journal.Sentence(tc.e); got != tc.want {
			t.Errorf("Sentence = %q, want %q", got, tc.want)
		}
	}
	for _, a := range journal.Actions {
		if !journal.KnownAction(a.Code) || a.Phrase == "" || a.Label == "" {
			t.Errorf("action %+v", a)
		}
	}
}

type fakeStore struct{ got *journal.Filter }

func (f *fakeStore) JournalPage(_ context.Context, fl journal.Filter) ([]journal.Entry, bool, error) {
	f.got = &fl
	return []journal.Entry{{Seq: 9}, {Seq: 8}}, true, nil
}

func TestServiceAsksThePolicy(t *testing.T) {
	t.Parallel()
	ml := domain.Scope{RegionID: 1, StructureID: 10}
	other := domain.Scope{RegionID: 2, StructureID: 20}
	as := func(r domain.Role) *domain.Actor {
		m := domain.Membership{Role: r}
		switch r {
		case domain.RoleDirecteur, domain.RoleContributeur:
			m.StructureID = 10
		case domain.RoleReferentARML:
			m.RegionID = 1
		}
		return &domain.Actor{UserID: 1, Memberships: []domain.Membership{m}}
	}
	for _, tc := range []struct {
		role             domain.Role
		own, oth, nation bool
	}{
		{domain.RoleDirecteur, true, false, false},
		{domain.RoleContributeur, false, false, false},
		{domain.RoleReferentARML, true, false, false},
		{domain.RolePole, true, true, true},
		{domain.RoleAdmin, false, false, true},
		{domain.RoleAuditeur, false, false, false},
	} {
		store := &fakeStore{}
		svc := journal.NewService(store)
		check := func(what string, want bool, err error) {
			if (err == nil) != want || err != nil && domain.ErrorCode(err) != domain.EFORBIDDEN {
				t.Errorf("%s, %s: err = %v, want allowed %v", tc.role, what, err, want)
			}
		}
		_, err := svc.StructureJournal(t.Context(), as(tc.role), ml, journal.Filter{})
		check("own ML", tc.own, err)
		if err == nil && store.got.StructureID != 10 {
			t.Errorf("%s: the ML's journal was asked for %+v", tc.role, store.got)
		}
		_, err = svc.StructureJournal(t.Context(), as(tc.role), other, journal.Filter{})
		check("other ML", tc.oth, err)
		p, err := svc.NationalJournal(t.Context(), as(tc.role), journal.Filter{})
		check("national", tc.nation, err)
		if err == nil && (p.Next != 8 || store.got.StructureID != 0) {
			t.Errorf("%s: page %+v for %+v", tc.role, p, store.got)
		}
	}
	svc := journal.NewService(&fakeStore{})
	from, to := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := svc.NationalJournal(t.Context(), as(domain.RolePole), journal.Filter{Action: "drop", ObjectType: "x", From: from, To: to})
	if f := domain.ErrorFields(err); f["action"] == "" || f["objet"] == "" || f["au"] == "" {
		t.Errorf("bad filter: %v", err)
	}
}

func TestRoleFor(t *testing.T) {
	t.Parallel()
	a := &domain.Actor{Memberships: []domain.Membership{{Role: domain.RolePole}, {Role: domain.RoleReferentARML, RegionID: 1}, {Role: domain.RoleDirecteur, StructureID: 10}}}
	for scope, want := range map[domain.Scope]domain.Role{
		{RegionID: 1, StructureID: 10}: domain.RoleDirecteur,
		{RegionID: 1, StructureID: 11}: domain.RoleReferentARML,
		{RegionID: 2, StructureID: 20}: domain.RolePole,
		{}:                             domain.RolePole,
	} {
		if got := journal.RoleFor(a, scope); got != want {
			t.Errorf("RoleFor(%+v) = %s, want %s", scope, got, want)
		}
	}
	if journal.RoleFor(nil, domain.Scope{}) != "" {
		t.Error("the system has a role")
	}
}
