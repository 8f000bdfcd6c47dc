package commission

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/unml/cadre/internal/demarche"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/mail"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecisionValidate(t *testing.T) {
	t.Parallel()
	session := d("2026-06-18")
	later, same := d("2026-12-31"), d("2026-06-18")
	for _, tc := range []struct {
		name  string
		dec   Decision
		field string
	}{
		{"labellisé", Decision{Resultat: Labellise, Motifs: "Démarche aboutie."}, ""},
		{"non labellisé", Decision{Resultat: NonLabellise, Motifs: "Écarts majeurs non levés."}, ""},
		{"ajourné", Decision{Resultat: Ajourne, Motifs: "Deux écarts.", Conditions: "Adopter la procédure.", Delai: &later}, ""},
		{"no outcome", Decision{Motifs: "x"}, "resultat"},
		{"no reasons", Decision{Resultat: Labellise}, "motifs"},
		{"ajourné without conditions", Decision{Resultat: Ajourne, Motifs: "x", Delai: &later}, "conditions"},
		{"ajourné without deadline", Decision{Resultat: Ajourne, Motifs: "x", Conditions: "y"}, "delai"},
		{"ajourné with a past deadline", Decision{Resultat: Ajourne, Motifs: "x", Conditions: "y", Delai: &same}, "delai"},
	} {
		tc.dec.Normalize()
		err := tc.dec.Validate(session)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && domain.ErrorFields(err)[tc.field] == "":
			t.Errorf("%s: no error on %s: %v", tc.name, tc.field, err)
		}
	}
	// Another outcome keeps no conditions.
	x := Decision{Resultat: Labellise, Motifs: "ok", Conditions: "c", Delai: &later}
	x.Normalize()
	if x.Conditions != "" || x.Delai != nil {
		t.Errorf("labellisé keeps conditions: %+v", x)
	}
}

func TestLabelLife(t *testing.T) {
	t.Parallel()
	l := NewLabel(Decision{ID: 1, StructureID: 2}, d("2026-06-18"), 3)
	l.ID = 9
	if !l.Fin.Equal(d("2029-06-18")) {
		t.Fatalf("fin %s, want 2029-06-18", l.Fin)
	}
	for day, want := range map[string]Statut{"2026-06-18": Valide, "2028-12-17": Valide, "2028-12-18": Expirant, "2029-06-17": Expirant, "2029-06-18": Expire} {
		if got := l.Statut(d(day)); got != want {
			t.Errorf("%s: %s, want %s", day, got, want)
		}
	}
	if !l.MiParcours().Equal(d("2027-12-18")) && !l.MiParcours().Equal(d("2027-12-17")) {
		t.Errorf("mid-term %s", l.MiParcours())
	}
	if l.SuiviDu(d("2027-09-01")) || !l.SuiviDu(d("2027-09-18")) || l.SuiviDu(d("2029-07-01")) {
		t.Error("the follow-up audit is due from three months before mid-term while the label is in force")
	}
	gone := d("2027-01-10")
	l.RetireLe = &gone
	if l.Statut(d("2027-02-01")) != Retire || l.SuiviDu(d("2028-01-01")) {
		t.Error("a withdrawn label is neither in force nor due a follow-up")
	}
	if (Label{}).Statut(d("2026-01-01")) != SansLabel {
		t.Error("no label")
	}
}

func TestRappelDue(t *testing.T) {
	t.Parallel()
	fin := d("2027-03-15")
	for day, want := range map[string]string{
		"2026-09-14": "", "2026-09-15": RappelM6, "2026-12-14": RappelM6, "2026-12-15": RappelM3, "2027-03-14": RappelM3, "2027-03-15": "", "2027-06-01": "",
	} {
		if got := RappelDue(fin, d(day)); got != want {
			t.Errorf("%s: %q, want %q", day, got, want)
		}
	}
}

// fakeRappels is the reminders' store in memory: one label and the
// reminders recorded, each queuing one email per recipient.
type fakeRappels struct {
	labels []Rappel
	sent   map[int64][]string
	mails  []mail.Message
}

func (f *fakeRappels) PendingLabelRappels(_ context.Context, today time.Time, months int) ([]Rappel, error) {
	var out []Rappel
	for _, r := range f.labels {
		if r.Fin.After(today) && !r.Fin.After(today.AddDate(0, months, 0)) {
			r.Envoyes = f.sent[r.LabelID]
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeRappels) RecordLabelRappel(_ context.Context, _ *domain.Actor, r Rappel, kind string, message func(Destinataire) mail.Message) (int, error) {
	f.sent[r.LabelID] = append(f.sent[r.LabelID], kind)
	for _, to := range []Destinataire{{Email: "directeur@ml.example", Nom: "Erwan"}, {Email: "referent@arml.example"}} {
		f.mails = append(f.mails, message(to))
	}
	return 2, nil
}

// TestWorkerSendsEachReminderOnce moves a fake clock over the year before a
// label ends: M-6 goes on the day six months before, once; M-3 on the day
// three months before, once; nothing else.
func TestWorkerSendsEachReminderOnce(t *testing.T) {
	t.Parallel()
	f := &fakeRappels{labels: []Rappel{{LabelID: 1, StructureID: 3, StructureNom: "Mission Locale du Pays de Cornouaille", Fin: d("2027-03-15")}}, sent: map[int64][]string{}}
	w := NewWorker(f, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sentOn := map[string]int{}
	for day := d("2026-03-01"); day.Before(d("2027-06-01")); day = day.AddDate(0, 0, 1) {
		// The clock may say any hour of the day: twice a day here.
		for _, h := range []int{1, 23} {
			n, err := w.RunOnce(t.Context(), day.Add(time.Duration(h)*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				sentOn[day.Format(time.DateOnly)] += n
			}
		}
	}
	if len(sentOn) != 2 || sentOn["2026-09-15"] != 2 || sentOn["2026-12-15"] != 2 {
		t.Errorf("emails by day: %v, want 2 on 2026-09-15 and 2 on 2026-12-15", sentOn)
	}
	if got := f.sent[1]; len(got) != 2 || got[0] != RappelM6 || got[1] != RappelM3 {
		t.Errorf("reminders %v", got)
	}
	if m := f.mails[2]; m.To != "directeur@ml.example" || m.Subject != "Rappel : le label de « Mission Locale du Pays de Cornouaille » expire le 15/03/2027" {
		t.Errorf("message %+v", m)
	}
}

// fakeStore is the commission's store in memory, enough for decisions.
type fakeStore struct {
	Store
	etat      demarche.Etat
	decisions []Decision
	labels    []*Label
	mails     []mail.Message
	standing  Resultat
}

func (f *fakeStore) RecordDecision(_ context.Context, _ *domain.Actor, d Decision, label *Label,
	decide func(demarche.Etat) (demarche.Etat, error), message func(Destinataire) mail.Message) (int64, error) {
	next, err := decide(f.etat)
	if err != nil {
		return 0, err
	}
	f.etat = next
	d.ID = int64(len(f.decisions) + 1)
	f.decisions = append(f.decisions, d)
	f.labels = append(f.labels, label)
	f.mails = append(f.mails, message(Destinataire{Email: "directeur@ml.example"}))
	return d.ID, nil
}

func (f *fakeStore) Decision(_ context.Context, id int64) (Decision, error) {
	if id < 1 || int(id) > len(f.decisions) {
		return Decision{}, domain.Errorf(domain.ENOTFOUND, "Décision introuvable.")
	}
	return f.decisions[id-1], nil
}

func (f *fakeStore) CorrectDecision(_ context.Context, _ *domain.Actor, d Decision, label *Label, message func(Destinataire) mail.Message) (int64, error) {
	d.ID = int64(len(f.decisions) + 1)
	f.decisions[d.CorrigeID-1].CorrigeeParID = d.ID
	f.decisions = append(f.decisions, d)
	f.labels = append(f.labels, label)
	return d.ID, nil
}

func (f *fakeStore) Representer(_ context.Context, _ *domain.Actor, _ int64, _ string, decide func(demarche.Etat, Resultat) (demarche.Etat, error)) error {
	next, err := decide(f.etat, f.standing)
	if err == nil {
		f.etat = next
	}
	return err
}

var (
	pole     = &domain.Actor{Memberships: []domain.Membership{{Role: domain.RolePole}}}
	referent = &domain.Actor{Memberships: []domain.Membership{{Role: domain.RoleReferentARML, RegionID: 1}}}
	director = &domain.Actor{Memberships: []domain.Membership{{Role: domain.RoleDirecteur, StructureID: 2}}}
	session  = Session{ID: 4, Date: d("2026-06-18"), Membres: "UNML, ARML, DGEFP"}
)

func TestDecideAndCorrect(t *testing.T) {
	t.Parallel()
	f := &fakeStore{etat: demarche.RapportDefinitif}
	s := NewService(f, nil, 0)
	ok := Decision{AutoevaluationID: 7, Resultat: Labellise, Motifs: "Démarche aboutie sur les cinq fonctions."}
	for _, who := range []*domain.Actor{referent, director, nil} {
		if _, err := s.Decide(t.Context(), who, session, ok); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("decision by %v: %v", who, err)
		}
	}
	if _, err := s.Decide(t.Context(), pole, session, Decision{AutoevaluationID: 7, Resultat: Ajourne, Motifs: "x"}); domain.ErrorCode(err) != domain.EINVALID || f.etat != demarche.RapportDefinitif {
		t.Errorf("ajourné without conditions: %v", err)
	}
	id, err := s.Decide(t.Context(), pole, session, ok)
	if err != nil {
		t.Fatal(err)
	}
	if f.etat != demarche.Decidee || f.labels[0] == nil || !f.labels[0].Fin.Equal(d("2029-06-18")) || len(f.mails) != 1 {
		t.Fatalf("after the decision: %s, label %+v, %d mails", f.etat, f.labels[0], len(f.mails))
	}
	// Final once recorded: a second decision on a decided dossier is refused.
	if _, err := s.Decide(t.Context(), pole, session, ok); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("a second decision: %v", err)
	}
	// A correction is a new decision linked to the first, which stays as recorded.
	later := d("2026-12-31")
	cid, err := s.Correct(t.Context(), pole, id, Decision{Resultat: Ajourne, Motifs: "Erreur matérielle : deux écarts non levés.", Conditions: "Lever les écarts.", Delai: &later})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.decisions[cid-1]; c.CorrigeID != id || c.AutoevaluationID != 7 || c.SessionID != 4 || f.labels[cid-1] != nil {
		t.Errorf("correction %+v", c)
	}
	if f.decisions[id-1].Resultat != Labellise || f.decisions[id-1].Motifs != ok.Motifs {
		t.Errorf("the corrected decision changed: %+v", f.decisions[id-1])
	}
	if _, err := s.Correct(t.Context(), pole, id, ok); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("correcting a corrected decision: %v", err)
	}
	if _, err := s.Correct(t.Context(), referent, cid, ok); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("correction by a référent: %v", err)
	}
}

func TestRepresenter(t *testing.T) {
	t.Parallel()
	f := &fakeStore{etat: demarche.Decidee, standing: Labellise}
	s := NewService(f, nil, 0)
	if err := s.Representer(t.Context(), pole, 7, "Conditions remplies."); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("a labelled dossier: %v", err)
	}
	f.standing = Ajourne
	if err := s.Representer(t.Context(), director, 7, "Conditions remplies."); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("by the director: %v", err)
	}
	if err := s.Representer(t.Context(), pole, 7, " "); domain.ErrorFields(err)["commentaire"] == "" {
		t.Errorf("without saying how the conditions are met: %v", err)
	}
	if err := s.Representer(t.Context(), pole, 7, "Procédure adoptée le 12/11/2026."); err != nil || f.etat != demarche.RapportDefinitif {
		t.Errorf("adjourned dossier: %v, %s", err, f.etat)
	}
}

func TestSessionValidate(t *testing.T) {
	t.Parallel()
	s := NewService(&fakeStore{}, nil, 0)
	_, err := s.CreateSession(t.Context(), pole, Session{Membres: "  "})
	if fe := domain.ErrorFields(err); fe["date"] == "" || fe["membres"] == "" {
		t.Errorf("empty session: %v", err)
	}
	if _, err := s.CreateSession(t.Context(), referent, session); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("by a référent: %v", err)
	}
}
