package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/domain"
)

// Handler returns the application's whole HTTP handler: every route in one place,
// grouped by who may call it. Handlers ask the domain policy for anything finer.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.rejectHostileInput, s.crossOriginProtection)
	// Error pages keep the navigation and the sign-out of a signed-in person.
	withActor := func(h handlerFunc) http.HandlerFunc {
		return s.sessions.LoadAndSave(s.loadActor(s.handle(h))).ServeHTTP
	}
	r.NotFound(withActor(s.notFound))
	r.MethodNotAllowed(withActor(s.methodNotAllowed))

	// Infrastructure: no session, no database row per request.
	// Infrastructure answers HEAD too: load balancers use it.
	r.Get("/healthz", s.healthz)
	r.Head("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Head("/readyz", s.readyz)
	r.Get("/static/{version}/*", s.static)

	r.Group(func(r chi.Router) {
		r.Use(s.sessions.LoadAndSave, s.loadActor)

		// Anyone: signing in, and the links sent by email.
		r.Get("/connexion", s.handle(s.loginPage))
		r.Post("/connexion", s.handle(s.login))
		r.Get("/mot-de-passe-oublie", s.handle(s.forgotPage))
		r.Post("/mot-de-passe-oublie", s.handle(s.forgot))
		r.Get("/mot-de-passe/{token}", s.handle(s.resetPage))
		r.Post("/mot-de-passe/{token}", s.handle(s.reset))
		r.Get("/invitation/{token}", s.handle(s.invitationPage))
		r.Post("/invitation/{token}", s.handle(s.acceptInvitation))

		// Signed-in people; what each may see and do is the policy's answer.
		r.Group(func(r chi.Router) {
			r.Use(s.requireActor)
			r.Get("/", s.handle(s.dashboard))
			r.Post("/deconnexion", s.handle(s.logout))
			r.Post("/deconnexion-partout", s.handle(s.logoutEverywhere))
			r.Get("/compte", s.handle(s.accountPage))

			r.Get("/referentiel", s.handle(s.referentielPage))
			r.Get("/referentiel/{code}/{version}", s.handle(s.referentielPage))

			r.Get("/reseau", s.handle(s.reseauPage))
			r.Get("/reseau/regions/nouvelle", s.handle(s.newRegionPage))
			r.Post("/reseau/regions/nouvelle", s.handle(s.createRegion))
			r.With(s.loadRegion).Get("/reseau/regions/{id}", s.handle(s.regionPage))
			r.With(s.loadRegion).Get("/reseau/regions/{id}/modifier", s.handle(s.editRegion))
			r.With(s.loadRegion).Post("/reseau/regions/{id}/modifier", s.handle(s.editRegion))
			r.Get("/reseau/structures/nouvelle", s.handle(s.newStructurePage))
			r.Post("/reseau/structures/nouvelle", s.handle(s.createStructure))
			structure := r.With(s.loadStructure(domain.ActViewStructure))
			structure.Get("/reseau/structures/{id}", s.handle(s.structurePage))
			structure.Get("/reseau/structures/{id}/modifier", s.handle(s.editStructure))
			structure.Post("/reseau/structures/{id}/modifier", s.handle(s.editStructure))
			structure.Get("/reseau/structures/{id}/sites/nouveau", s.handle(s.newSite))
			structure.Post("/reseau/structures/{id}/sites/nouveau", s.handle(s.newSite))
			structure.Post("/reseau/structures/{id}/equipe", s.handle(s.inviteContributor))
			structure.Get("/reseau/structures/{id}/journal", s.handle(s.structureJournalPage))
			r.With(s.loadSite).Get("/reseau/sites/{id}/modifier", s.handle(s.editSite))
			r.With(s.loadSite).Post("/reseau/sites/{id}/modifier", s.handle(s.editSite))
			library := r.With(s.loadStructure(domain.ActViewPreuves))
			library.Get("/reseau/structures/{id}/preuves", s.handle(s.libraryPage))
			library.Get("/reseau/structures/{id}/preuves/nouvelle", s.handle(s.newPreuvePage))
			library.Post("/reseau/structures/{id}/preuves/nouvelle", s.handleUpload(s.createPreuve))
			library.Post("/reseau/structures/{id}/preuves/parametres", s.handle(s.preuvesSettings))
			r.Post("/rgpd", s.handle(s.acknowledgeRGPD))
			preuve := r.With(s.loadPreuve)
			preuve.Get("/preuves/{id}", s.handle(s.preuvePage))
			preuve.Post("/preuves/{id}/versions", s.handleUpload(s.addVersion))
			preuve.Get("/preuves/{id}/modifier", s.handle(s.editPreuve))
			preuve.Post("/preuves/{id}/modifier", s.handle(s.editPreuve))
			preuve.Post("/preuves/{id}/items", s.handle(s.attachItem(true)))
			preuve.Post("/preuves/{id}/items/{code}/detacher", s.handle(s.attachItem(false)))
			preuve.Get("/preuves/{id}/telecharger", s.handle(s.download))
			r.Post("/reseau/membres/{id}/retirer", s.handle(s.removeMembership))

			sheet := r.With(s.loadSheet)
			sheet.Get("/autoevaluations/{id}", s.handle(s.autoevalPage))
			sheet.Get("/autoevaluations/{id}/sections/{section}", s.handle(s.sectionPage))
			sheet.Post("/autoevaluations/{id}/sections/{section}", s.handle(s.saveSection))
			sheet.Post("/autoevaluations/{id}/items/{code}", s.handle(s.saveItem))
			sheet.Get("/autoevaluations/{id}/items/{code}/historique", s.handle(s.itemHistoryPage))
			sheet.Get("/autoevaluations/{id}/soumission", s.handle(s.checklistPage))
			sheet.Post("/autoevaluations/{id}/soumission", s.handle(s.submit))
			sheet.Get("/autoevaluations/{id}/soumettre", s.handle(s.confirmSubmit))
			sheet.Get("/autoevaluations/{id}/reprise", s.handle(s.confirmCopyPrevious))
			sheet.Post("/autoevaluations/{id}/reprise", s.handle(s.copyPrevious))
			sheet.Post("/autoevaluations/{id}/affectations", s.handle(s.assignSections))

			r.Get("/revue", s.handle(s.revueIndex))
			reviewRegion := r.With(s.loadRevueRegion)
			reviewRegion.Get("/revue/regions/{id}", s.handle(s.pipelinePage))
			reviewRegion.Get("/revue/regions/{id}/carte", s.handle(s.cartePage))
			review := r.With(s.loadRevue)
			review.Get("/revue/autoevaluations/{id}", s.handle(s.revuePage))
			review.Get("/revue/autoevaluations/{id}/sections/{section}", s.handle(s.revueSectionPage))
			review.Post("/revue/autoevaluations/{id}/sections/{section}", s.handle(s.saveRevueSection))
			review.Post("/revue/autoevaluations/{id}/avis", s.handle(s.rendreAvis))
			review.Post("/revue/autoevaluations/{id}/renvoi", s.handle(s.renvoyer))

			planStructure := r.With(s.loadPlanStructure)
			planStructure.Get("/plan/structures/{id}", s.handle(s.planPage))
			planStructure.Get("/plan/structures/{id}/export.csv", s.handle(s.planExport("csv")))
			planStructure.Get("/plan/structures/{id}/export.xlsx", s.handle(s.planExport("xlsx")))
			planStructure.Get("/plan/structures/{id}/actions/nouvelle", s.handle(s.newActionPage))
			planStructure.Post("/plan/structures/{id}/actions/nouvelle", s.handle(s.createAction))
			planAction := r.With(s.loadPlanAction)
			planAction.Get("/plan/actions/{id}", s.handle(s.actionPage))
			planAction.Post("/plan/actions/{id}/statut", s.handle(s.changeStatut))
			planAction.Post("/plan/actions/{id}/commentaire", s.handle(s.commentAction))
			r.With(s.loadPlanRegion).Get("/plan/regions/{id}", s.handle(s.regionPlansPage))

			r.Get("/commission", s.handle(s.commissionPage))
			r.Post("/commission/sessions", s.handle(s.createSession))
			session := r.With(s.loadCommissionSession)
			session.Get("/commission/sessions/{id}", s.handle(s.sessionPage))
			session.Post("/commission/sessions/{id}/ordre-du-jour", s.handle(s.addToAgenda))
			session.Post("/commission/sessions/{id}/decisions", s.handle(s.recordDecision))
			r.Post("/commission/decisions/{id}/correction", s.handle(s.correctDecision))
			r.Post("/commission/autoevaluations/{id}/representation", s.handle(s.representer))
			r.Get("/registre", s.handle(s.registrePage))

			r.Get("/campagnes", s.handle(s.campagnesPage))
			r.Get("/campagnes/nouvelle", s.handle(s.newCampagnePage))
			r.Post("/campagnes/nouvelle", s.handle(s.createCampagne))
			campagne := r.With(s.loadCampagne)
			campagne.Get("/campagnes/{id}", s.handle(s.campagnePage))
			campagne.Get("/campagnes/{id}/ouvrir", s.handle(s.confirmOpenCampagne))
			campagne.Post("/campagnes/{id}/ouvrir", s.handle(s.openCampagne))

			r.Get("/utilisateurs", s.handle(s.usersPage))
			r.Post("/utilisateurs/inviter", s.handle(s.inviteUser))
			r.Get("/utilisateurs/{id}/desactiver", s.handle(s.confirmDisable))
			r.Post("/utilisateurs/{id}/desactiver", s.handle(s.setDisabled(true)))
			r.Post("/utilisateurs/{id}/reactiver", s.handle(s.setDisabled(false)))

			r.Post("/utilisateurs/{id}/qualification", s.handle(s.setQualification))

			r.Get("/audits", s.handle(s.auditsPage))
			r.Post("/audits/envois", s.handle(s.envoyerAudit))
			r.Get("/audits/affecter/{id}", s.handle(s.affecter))
			r.Post("/audits/affecter/{id}", s.handle(s.affecter))
			au := r.With(s.loadAudit)
			au.Get("/audits/{id}", s.handle(s.auditPage))
			au.Get("/audits/{id}/sections/{section}", s.handle(s.auditSectionPage))
			au.Post("/audits/{id}/sections/{section}", s.handle(s.saveAuditSection))
			au.Post("/audits/{id}/preuves/{preuve}", s.handle(s.saveVerdict))
			au.Get("/audits/{id}/preuves/{preuve}/telecharger", s.handle(s.downloadAuditPreuve))
			au.Post("/audits/{id}/constats", s.handle(s.addConstat))
			au.Get("/audits/{id}/constats/{constat}", s.handle(s.constatPage))
			au.Post("/audits/{id}/sites", s.handle(s.replaceSite))
			au.Get("/audits/{id}/verification", s.handle(s.verifyPage))
			au.Post("/audits/{id}/rapport-provisoire", s.handle(s.rendreProvisoire))
			au.Get("/audits/{id}/rapport", s.handle(s.rapportPage))
			au.Post("/audits/{id}/observations", s.handle(s.observer))
			au.Post("/audits/{id}/reponses", s.handle(s.repondre))
			au.Post("/audits/{id}/rapport-definitif", s.handle(s.rendreDefinitif))
			au.Get("/audits/{id}/verdicts", s.handle(s.verdictsPage))

			r.Get("/journal", s.handle(s.nationalJournalPage))
			r.Get("/admin/outbox", s.handle(s.outboxPage))
			r.Get("/admin/outbox/{id}", s.handle(s.outboxMessagePage))

			if s.cfg.DebugAddr != "" {
				// The benchmark's signed-in floor; absent in production.
				r.Get("/debug/plancher", s.handle(s.floorPage))
			}
		})
	})
	return r
}
