package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/apptest"
	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/demo"
	"github.com/unml/cadre/internal/domain"
)

// newAuditor creates an auditor account, outside every pair, and signs the
// app's client in as them.
func newAuditor(t *testing.T, app *apptest.App, email, qualification string) int64 {
	t.Helper()
	hash, err := auth.HashPassword(demo.Password, auth.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	id, err := app.Store.CreateActiveUser(t.Context(), nil, email, "Claude Tierce", hash, domain.Membership{Role: domain.RoleAuditeur})
	if err != nil {
		t.Fatal(err)
	}
	if qualification != "" {
		if err := app.Store.SetQualification(t.Context(), nil, id, qualification); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// TestAuditUnassignedAuditor: an auditor outside the pair sees none of the
// audits: every page and form answers 404, and their home lists nothing.
func TestAuditUnassignedAuditor(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	newAuditor(t, app, "tierce@unml.demo", "reseau")
	app.Login(t, "tierce@unml.demo")
	f := app.Fixture
	for _, id := range []int64{f.Audits["ML-BREST/2026"], f.Audits["ML-RENNES/2025"]} {
		base := fmt.Sprintf("/audits/%d", id)
		for _, p := range []string{"", "/sections/F1", "/rapport", "/verdicts", "/verification", "/constats/1", "/preuves/1/telecharger"} {
			if resp, _ := app.Get(t, base+p); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s%s as an unassigned auditor: %d, want 404", base, p, resp.StatusCode)
			}
		}
		for _, p := range []string{"/sections/F1", "/constats", "/sites", "/rapport-provisoire", "/reponses", "/rapport-definitif", "/observations", "/preuves/1"} {
			if resp, _ := app.PostForm(t, base+p, url.Values{"texte": {"x"}, "nature": {"point_fort"}}); resp.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s%s as an unassigned auditor: %d, want 404", base, p, resp.StatusCode)
			}
		}
	}
	resp, body := app.Get(t, "/audits")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Mes audits") || strings.Contains(body, "Pays de Brest") {
		t.Errorf("the unassigned auditor's home: %d, lists Brest: %v", resp.StatusCode, strings.Contains(body, "Pays de Brest"))
	}
	// The demo auditor's home lists their two audits; this one's none.
	if _, body := app.Get(t, "/"); strings.Contains(body, "Mes audits") {
		t.Error("the unassigned auditor's home lists audits")
	}
	// The network stays closed to auditors.
	if resp, _ := app.Get(t, fmt.Sprintf("/reseau/structures/%d", f.Structures["ML-BREST"])); resp.StatusCode != http.StatusNotFound {
		t.Errorf("Brest's page as an auditor: %d, want 404", resp.StatusCode)
	}
}

// TestAuditAssignmentAndConflictRule: the Pôle sends Quimper's submitted
// dossier without an avis, then assigns it: a pair with a link to the région
// is refused with the French message; the right pair gets the sample.
func TestAuditAssignmentAndConflictRule(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	f := app.Fixture
	// An auditor once contributor at ML Rennes, in Bretagne like Quimper.
	lie := newAuditor(t, app, "ancien.rennes@unml.demo", "reseau")
	if _, err := app.Pool.Exec(t.Context(), "INSERT INTO memberships (user_id, role, structure_id) VALUES ($1, 'contributeur', $2)", lie, f.Structures["ML-RENNES"]); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Pool.Exec(t.Context(), "DELETE FROM memberships WHERE user_id = $1 AND role = 'contributeur'", lie); err != nil {
		t.Fatal(err)
	}
	app.Login(t, pole)
	quimper := f.Autoevaluations["ML-QUIMPER/2026"]
	if resp, _ := app.PostForm(t, "/audits/envois", url.Values{"autoevaluation": {fmt.Sprint(quimper)}, "motif": {""}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("sending without a reason: %d, want 400", resp.StatusCode)
	}
	if resp, _ := app.PostForm(t, "/audits/envois", url.Values{"autoevaluation": {fmt.Sprint(quimper)}, "motif": {"Référent ARML absent"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sending without an avis: %d", resp.StatusCode)
	}
	_, body := app.Get(t, "/audits")
	if !strings.Contains(body, "Sans avis régional : Référent ARML absent") {
		t.Error("the queue does not show Quimper with its reason")
	}
	form := url.Values{"nature": {"suivi"}, "certifie": {fmt.Sprint(f.Users[auditeur])}, "reseau": {fmt.Sprint(lie)},
		"debut": {"2026-12-14"}, "fin": {"2026-12-15"}}
	resp, body := app.PostForm(t, fmt.Sprintf("/audits/affecter/%d", quimper), form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Claude Tierce ne peut pas auditer cette Mission Locale : il·elle a été Contributeur·rice") {
		t.Fatalf("a linked auditor: %d\n%s", resp.StatusCode, body)
	}
	form.Set("reseau", fmt.Sprint(f.Users["auditrice.reseau@unml.demo"]))
	form.Set("fin", "2026-12-01")
	if resp, body = app.PostForm(t, fmt.Sprintf("/audits/affecter/%d", quimper), form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "La date de fin précède") {
		t.Errorf("end before start: %d", resp.StatusCode)
	}
	form.Set("fin", "2026-12-15")
	// A follow-up audit needs a labelled dossier: Quimper's 2026 one is not.
	if resp, body = app.PostForm(t, fmt.Sprintf("/audits/affecter/%d", quimper), form); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "Un audit de suivi se planifie sur un dossier labellisé, pendant la validité du label.") {
		t.Errorf("a follow-up audit of a dossier not labelled: %d", resp.StatusCode)
	}
	form.Set("nature", "renouvellement")
	resp, _ = app.PostForm(t, fmt.Sprintf("/audits/affecter/%d", quimper), form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assignment: %d", resp.StatusCode)
	}
	if _, body = app.Get(t, resp.Header.Get("Location")); !strings.Contains(body, "Audit de renouvellement") || !strings.Contains(body, "siège, toujours inclus") {
		t.Errorf("the new audit's page:\n%s", body)
	}
	var etat string
	if err := app.Pool.QueryRow(t.Context(), "SELECT etat FROM autoevaluations WHERE id = $1", quimper).Scan(&etat); err != nil || etat != "en_audit" {
		t.Errorf("Quimper's dossier: %s, %v", etat, err)
	}
}

// TestAuditReportRefusedWithoutPlan: Brest's audit has an écart mineur; the
// provisional report goes out, the director answers, and the final report is
// refused, naming the écart without an action in the plan.
func TestAuditReportRefusedWithoutPlan(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := app.Fixture.Audits["ML-BREST/2026"]
	base := fmt.Sprintf("/audits/%d", id)
	app.Login(t, auditeur)
	if _, body := app.Get(t, "/"); !strings.Contains(body, "Mes audits") || !strings.Contains(body, "Mission Locale du Pays de Brest") {
		t.Error("the auditor's home does not list their audits")
	}
	if resp, _ := app.PostForm(t, base+"/rapport-provisoire", url.Values{"synthese": {"Synthèse de l'audit de Brest."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("provisional report: %d", resp.StatusCode)
	}
	if _, body := app.Get(t, base+"/rapport"); !strings.Contains(body, "Rapport d&#39;audit provisoire") {
		t.Error("the report page after the provisional report")
	}
	director := apptest.NewClient(t)
	app.LoginClient(t, director, "directeur@ml-brest.demo")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+base+"/observations", strings.NewReader(url.Values{"generale": {"Merci au binôme."}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := director.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the director's observations: %d", resp.StatusCode)
	}
	resp, body := app.PostForm(t, base+"/rapport-definitif", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "aucune action du plan d&#39;amélioration ne couvre le constat n° 2 (écart mineur") {
		t.Errorf("final report with an uncovered écart: %d\n%s", resp.StatusCode, body)
	}
	if _, body := app.Get(t, base+"/rapport"); !strings.Contains(body, "Merci au binôme.") {
		t.Error("the report does not reproduce the director's observation")
	}
}
