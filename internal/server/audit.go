package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/web"
)

// The labelling audit: the Pôle's queue, workload and assignments; the
// pair's workspace (sample, audit ratings, verdicts, findings); the reports
// with the ML's observations; the three verdicts.

const auditKey resourceKey = iota + 70

func auditURL(id int64) string { return "/audits/" + itoa(id) }

// loadAudit loads the audit of the URL with what its pages show, for those
// who may see something of it (404 otherwise).
func (s *Server) loadAudit(next http.Handler) http.Handler {
	return loader(s, auditKey, func(ctx context.Context, a *domain.Actor, id int64) (*audit.Detail, error) {
		au, err := s.audit.Load(ctx, a, id)
		if err != nil {
			return nil, err
		}
		return s.audit.Complete(ctx, a, au)
	})(next)
}

func auditOf(ctx context.Context) *audit.Detail { return resource[*audit.Detail](ctx, auditKey) }

var errAuditNotFound = domain.Errorf(domain.ENOTFOUND, "Page introuvable.")

// workspace returns the loaded audit for its workspace pages: the Pôle and the pair.
func workspace(r *http.Request) (*audit.Detail, error) {
	d := auditOf(r.Context())
	if !d.Roles.Workspace {
		return nil, errAuditNotFound
	}
	return d, nil
}

func auditDates(a *audit.Audit) string {
	return "du " + domain.FrenchDate(a.Debut) + " au " + domain.FrenchDate(a.Fin)
}

func auditPair(a *audit.Audit) string {
	return a.CertifieNom + " (certifié·e) et " + a.ReseauNom + " (réseau)"
}

func (s *Server) auditsPage(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	if !audit.Reaches(a) {
		return errAuditNotFound
	}
	title := "Audits"
	if !a.Can(domain.ActAssignAudit, domain.Scope{}) && a.HasRole(domain.RoleAuditeur) {
		title = "Mes audits"
	}
	v := web.AuditsView{Page: s.page(r, title)}
	if err := s.fillQueue(r, &v); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, web.AuditsPage(v))
}

// fillQueue adds to the audits' home the queue and workload (for the Pôle)
// and the audits the person may see.
func (s *Server) fillQueue(r *http.Request, v *web.AuditsView) error {
	a := actorOf(r.Context())
	if a.Can(domain.ActAssignAudit, domain.Scope{}) {
		v.CanQueue = true
		queue, soumises, err := s.audit.File(r.Context(), a)
		if err != nil {
			return err
		}
		for _, q := range queue {
			row := web.QueueRow{StructureNom: q.StructureNom, CampagneNom: q.CampagneNom, Etat: q.Etat.Label(), Depuis: domain.FrenchDate(q.Depuis),
				SansAvisMotif: q.SansAvisMotif, AssignURL: "/audits/affecter/" + itoa(q.AutoevaluationID)}
			v.Queue = append(v.Queue, row)
		}
		for _, q := range soumises {
			v.Soumises = append(v.Soumises, web.Option{Value: itoa(q.AutoevaluationID), Label: q.StructureNom + " — " + q.CampagneNom})
		}
		auditeurs, err := s.audit.Auditeurs(r.Context(), a)
		if err != nil {
			return err
		}
		for _, x := range auditeurs {
			v.Workload = append(v.Workload, web.WorkloadRow{Nom: x.Nom, Email: x.Email, Qualification: x.Qualification.Label(),
				Prevus: x.Prevus, EnCours: x.EnCours, Dus: x.RapportsDus})
		}
	}
	list, err := s.audit.List(r.Context(), a)
	if err != nil {
		return err
	}
	for _, x := range list {
		v.Audits = append(v.Audits, auditLink(&x))
	}
	return nil
}

func auditLink(x *audit.Audit) web.AuditLink {
	return web.AuditLink{URL: auditURL(x.ID), StructureNom: x.StructureNom, CampagneNom: x.CampagneNom,
		Nature: x.Nature.Label(), Etat: x.Etat.Label(), Dates: auditDates(x), Pair: auditPair(x)}
}

func (s *Server) envoyerAudit(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	id, _ := strconv.ParseInt(r.PostFormValue("autoevaluation"), 10, 64)
	motif := r.PostFormValue("motif")
	ae, err := s.audit.Dossier(r.Context(), a, id)
	if err == nil {
		if err = s.audit.EnvoyerSansAvis(r.Context(), a, ae, motif); err == nil {
			s.flash(r, "Le dossier de "+ae.StructureNom+" rejoint la file d'audit, sans avis régional.")
			return seeOther(w, r, "/audits")
		}
	} else if id == 0 && a.Can(domain.ActAssignAudit, domain.Scope{}) {
		err = domain.FieldErrors{"autoevaluation": "Choisissez un dossier soumis."}.Err()
	}
	code := domain.ErrorCode(err)
	if code != domain.EINVALID && code != domain.ECONFLICT {
		return err
	}
	v := web.AuditsView{Page: s.page(r, "Erreur · Audits"), Motif: motif}
	if ferr := s.fillQueue(r, &v); ferr != nil {
		return ferr
	}
	v.Errors, _ = formErrors(err, map[string]string{"motif": "Motif", "autoevaluation": "Dossier soumis", "commentaire": "Motif"})
	return s.render(w, r, statusOfCode[code], web.AuditsPage(v))
}

// assignForm is the assignment form as posted.
type assignForm struct {
	nature, certifie, reseau, debut, fin string
}

func (s *Server) affecter(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	ae, err := s.audit.Dossier(r.Context(), a, id)
	if err != nil {
		return err
	}
	auditeurs, err := s.audit.Auditeurs(r.Context(), a)
	if err != nil {
		return err
	}
	f := assignForm{nature: string(audit.Initial)}
	if n := audit.Nature(r.URL.Query().Get("nature")); n.Valid() {
		f.nature = string(n) // the register's link preselects the follow-up audit
	}
	var fail error
	if r.Method == http.MethodPost {
		f = assignForm{nature: r.PostFormValue("nature"), certifie: r.PostFormValue("certifie"), reseau: r.PostFormValue("reseau"),
			debut: r.PostFormValue("debut"), fin: r.PostFormValue("fin")}
		as := audit.Assignment{Nature: audit.Nature(f.nature)}
		as.Certifie, _ = strconv.ParseInt(f.certifie, 10, 64)
		as.Reseau, _ = strconv.ParseInt(f.reseau, 10, 64)
		fe := domain.FieldErrors{}
		var ok bool
		if as.Debut, ok = domain.ParseDate(f.debut); !ok && f.debut != "" {
			fe["debut"] = "Indiquez une date valide (jj/mm/aaaa)."
		}
		if as.Fin, ok = domain.ParseDate(f.fin); !ok && f.fin != "" {
			fe["fin"] = "Indiquez une date valide (jj/mm/aaaa)."
		}
		if len(fe) > 0 {
			fail = fe.Err()
		} else {
			auditID, err := s.audit.Assign(r.Context(), a, ae, as)
			if err == nil {
				s.flash(r, "L'audit est affecté au binôme et l'échantillon des lieux est tiré.")
				return seeOther(w, r, auditURL(auditID))
			}
			fail = err
		}
		if c := domain.ErrorCode(fail); c != domain.EINVALID && c != domain.ECONFLICT {
			return fail
		}
	}
	var certifies, reseaux []web.Option
	for _, x := range auditeurs {
		o := web.Option{Value: itoa(x.UserID), Label: fmt.Sprintf("%s — %d prévu(s), %d en cours, %d rapport(s) dû(s)", x.Nom, x.Prevus, x.EnCours, x.RapportsDus)}
		switch x.Qualification {
		case audit.Certifie:
			certifies = append(certifies, o)
		case audit.Reseau:
			reseaux = append(reseaux, o)
		}
	}
	var natures []web.Option
	for _, n := range audit.Natures {
		natures = append(natures, web.Option{Value: string(n), Label: n.Label()})
	}
	fields := map[string]string{}
	if fail != nil {
		fields = domain.ErrorFields(fail)
	}
	v := web.AffecterView{Page: s.page(r, "Affecter l'audit de "+ae.StructureNom), StructureNom: ae.StructureNom, CampagneNom: ae.CampagneNom,
		Etat: ae.Etat.Label(), Action: "/audits/affecter/" + itoa(ae.ID), BackURL: "/audits",
		Taille: "⌈√n⌉ lieux pour un audit initial, ⌈0,6 × √n⌉ pour un suivi, ⌈0,8 × √n⌉ pour un renouvellement, siège compris",
		Fields: []web.Field{
			{Name: "nature", Label: "Type d'audit", Type: "select", Required: true, Value: f.nature, Options: natures, Error: fields["nature"]},
			{Name: "certifie", Label: "Auditeur·rice certifié·e", Type: "select", Required: true, Value: f.certifie, Options: certifies, Error: fields["certifie"]},
			{Name: "reseau", Label: "Auditeur·rice du réseau", Type: "select", Required: true, Value: f.reseau, Options: reseaux, Error: fields["reseau"]},
			{Name: "debut", Label: "Premier jour", Type: "date", Required: true, Value: f.debut, Hint: "jj/mm/aaaa", Error: fields["debut"]},
			{Name: "fin", Label: "Dernier jour", Type: "date", Required: true, Value: f.fin, Hint: "jj/mm/aaaa", Error: fields["fin"]},
		}}
	status := http.StatusOK
	if fail != nil {
		v.Errors = web.Summary(domain.ErrorMessage(fail), v.Fields...)
		if len(fields) == 0 {
			v.Errors = web.FormErrors{Message: domain.ErrorMessage(fail)}
		}
		v.Page.Title = "Erreur · " + v.Page.Title
		status = statusOfCode[domain.ErrorCode(fail)]
	}
	return s.render(w, r, status, web.AffecterPage(v))
}

func siteNames(d *audit.Detail) map[int64]string {
	out := map[int64]string{}
	for _, st := range d.Sites {
		out[st.ID] = st.Nom
	}
	return out
}

func sampleRows(d *audit.Detail) []web.SampleRow {
	var out []web.SampleRow
	for _, x := range d.Echantillon {
		mode := "tiré au sort"
		if x.Siege {
			mode = "siège, toujours inclus"
		} else if !x.Aleatoire {
			mode = "choisi"
		}
		row := web.SampleRow{Rang: strconv.Itoa(x.Rang), Nom: x.Nom, Tire: x.TireNom, Mode: mode, Justification: x.Justification}
		if x.At != nil {
			row.Trace = x.By + ", le " + domain.FrenchDateTime(*x.At)
		}
		out = append(out, row)
	}
	return out
}

func constatRows(d *audit.Detail) []web.ConstatRow {
	names := siteNames(d)
	var out []web.ConstatRow
	for i, c := range d.Constats {
		var sites []string
		for _, id := range c.Sites {
			sites = append(sites, names[id])
		}
		row := web.ConstatRow{N: strconv.Itoa(i + 1), ID: itoa(c.ID), Nature: c.Nature.Label(), Texte: c.Texte, Items: orNone(strings.Join(c.Items, ", ")),
			Sites: orNone(strings.Join(sites, ", ")), Ecart: c.Nature.Ecart(), Observation: c.Observation, Reponse: c.Reponse,
			URL: auditURL(d.ID) + "/constats/" + itoa(c.ID)}
		out = append(out, row)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "aucun"
	}
	return s
}

func preuveRows(d *audit.Detail) []web.AuditPreuveRow {
	var out []web.AuditPreuveRow
	for _, p := range d.Preuves {
		v := d.Verdicts[p.ID]
		row := web.AuditPreuveRow{ID: itoa(p.ID), Titre: p.Titre, Nature: domain.NatureLabel(p.Nature), Items: strings.Join(p.Items, ", "),
			Verdict: v.Verdict.Label(), Motif: v.Motif, Version: strconv.Itoa(v.Version), SurPlace: p.SurPlace(),
			Action: auditURL(d.ID) + "/preuves/" + itoa(p.ID)}
		if v.Version > 0 {
			row.Trace = v.By + ", le " + domain.FrenchDateTime(v.At)
		}
		switch p.Nature {
		case domain.NatureFichier:
			row.DownloadURL = auditURL(d.ID) + "/preuves/" + itoa(p.ID) + "/telecharger"
		case domain.NatureLien:
			row.LinkURL = p.URL
		}
		out = append(out, row)
	}
	return out
}

func (s *Server) auditView(r *http.Request, d *audit.Detail) web.AuditView {
	v := web.AuditView{Page: s.page(r, "Audit de "+d.StructureNom), ID: itoa(d.ID), StructureNom: d.StructureNom, CampagneNom: d.CampagneNom,
		Nature: d.Nature.Label(), Etat: d.Etat.Label(), Dates: auditDates(d.Audit), Pair: auditPair(d.Audit), SansAvis: d.SansAvisMotif,
		Regle: d.Nature.Regle(), Seed: strconv.FormatInt(d.Seed, 10), Candidats: strconv.Itoa(len(d.Candidats)),
		Sample: sampleRows(d), Preuves: preuveRows(d), Constats: constatRows(d), Conduct: d.Roles.Conduct, Replace: d.Roles.Replace,
		Editable: d.Etat == audit.EnCours, BaseURL: auditURL(d.ID), Provisoire: d.Etat != audit.EnCours}
	if d.ObservationsLimite != nil {
		v.Limite = domain.FrenchDate(*d.ObservationsLimite)
	}
	for _, n := range audit.NaturesConstat {
		v.NatureOptions = append(v.NatureOptions, web.Option{Value: string(n), Label: n.Label()})
	}
	inSample := map[int64]bool{}
	for _, x := range d.Echantillon {
		inSample[x.SiteID] = true
		v.SiteChoices = append(v.SiteChoices, web.Option{Value: itoa(x.SiteID), Label: x.Nom})
		if !x.Siege {
			v.SampleOptions = append(v.SampleOptions, web.Option{Value: strconv.Itoa(x.Rang), Label: strconv.Itoa(x.Rang) + " — " + x.Nom})
		}
	}
	for _, st := range d.Sites {
		if !inSample[st.ID] {
			v.SiteOptions = append(v.SiteOptions, web.Option{Value: itoa(st.ID), Label: st.Nom})
		}
	}
	for _, sec := range d.Ref.Sections() {
		rated := 0
		for _, code := range sec.Items {
			if d.Notes[code].Valeur != 0 {
				rated++
			}
		}
		v.Sections = append(v.Sections, web.AuditSectionLink{URL: auditURL(d.ID) + "/sections/" + sec.Code, Code: sec.Code, Titre: sec.Titre,
			Progress: fmt.Sprintf("%d élément(s) coté(s) sur %d", rated, len(sec.Items))})
	}
	return v
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	d := auditOf(r.Context())
	if !d.Roles.Workspace {
		if d.Roles.Report {
			return seeOther(w, r, auditURL(d.ID)+"/rapport")
		}
		return seeOther(w, r, auditURL(d.ID)+"/verdicts")
	}
	return s.render(w, r, http.StatusOK, web.AuditPage(s.auditView(r, d)))
}

// auditRefusal re-renders the workspace after a refused form, or returns err
// when it is not the form's fault.
func (s *Server) auditRefusal(w http.ResponseWriter, r *http.Request, err error, labels map[string]string, fill func(*web.AuditView)) error {
	code := domain.ErrorCode(err)
	if code != domain.EINVALID && code != domain.ECONFLICT {
		return err
	}
	v := s.auditView(r, auditOf(r.Context()))
	v.Errors, _ = formErrors(err, labels)
	if fill != nil {
		fill(&v)
	}
	v.Page.Title = "Erreur · " + v.Page.Title
	return s.render(w, r, statusOfCode[code], web.AuditPage(v))
}

func scaleOptions(ref *referentiel.Referentiel) []web.Option {
	var out []web.Option
	for _, n := range ref.Echelle.Niveaux {
		out = append(out, web.Option{Value: strconv.Itoa(n.Valeur), Label: strconv.Itoa(n.Valeur) + " — " + n.Libelle})
	}
	return append(out, web.Option{Value: "0", Label: "Pas de cotation d'audit"})
}

func valueLabel(ref *referentiel.Referentiel, v int) string {
	for _, n := range ref.Echelle.Niveaux {
		if n.Valeur == v {
			return strconv.Itoa(v) + " — " + n.Libelle
		}
	}
	return "—"
}

func gapText(a, b int) string {
	if a == 0 || b == 0 {
		return "—"
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	if d == 0 {
		return "aucun"
	}
	return strconv.Itoa(d) + " point(s)"
}

func (s *Server) auditSectionPage(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	return s.renderAuditSection(w, r, d, http.StatusOK, nil)
}

func (s *Server) renderAuditSection(w http.ResponseWriter, r *http.Request, d *audit.Detail, status int, fail error) error {
	sections := d.Ref.Sections()
	i, err := sectionIndex(sections, chi.URLParam(r, "section"))
	if err != nil {
		return err
	}
	sec := sections[i]
	byCode := map[string][]string{}
	for _, p := range d.Preuves {
		for _, c := range p.Items {
			byCode[c] = append(byCode[c], p.Titre)
		}
	}
	v := web.AuditSectionView{Page: s.page(r, sec.Code+" · Audit de "+d.StructureNom), BackURL: auditURL(d.ID), Heading: sec.Code + " " + sec.Titre,
		Action: auditURL(d.ID) + "/sections/" + sec.Code, Editable: d.Roles.Conduct && d.Etat == audit.EnCours, Scale: scaleOptions(d.Ref)}
	for _, code := range sec.Items {
		it, _ := d.Item(code)
		c, av, n := d.Cotations[code], d.Avis[code], d.Notes[code]
		ml := valueLabel(d.Ref, c.Valeur)
		if c.NonConcerne {
			ml = "Non concerné : " + c.Justification
		}
		row := web.AuditItemRow{Code: code, Texte: it.Texte, ML: ml, MLComment: c.Commentaire, Arml: valueLabel(d.Ref, av.Valeur), ArmlNote: av.Remarque,
			Note: n.Valeur, Commentaire: n.Commentaire, Version: strconv.Itoa(n.Version), Preuves: orNone(strings.Join(byCode[code], " ; ")),
			Gaps: "audit / ML : " + gapText(n.Valeur, c.Valeur) + " ; audit / ARML : " + gapText(n.Valeur, av.Valeur) + " ; ML / ARML : " + gapText(c.Valeur, av.Valeur)}
		if it.Imperatif {
			row.Imperatif = "impératif"
		}
		if n.Version > 0 {
			row.Trace = "Cotation d'audit : " + n.By + ", le " + domain.FrenchDateTime(n.At) + "."
		}
		v.Items = append(v.Items, row)
	}
	if fail != nil {
		v.Errors, _ = formErrors(fail, nil)
		v.Page.Title = "Erreur · " + v.Page.Title
	}
	return s.render(w, r, status, web.AuditSectionPage(v))
}

func (s *Server) saveAuditSection(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	sections := d.Ref.Sections()
	i, err := sectionIndex(sections, chi.URLParam(r, "section"))
	if err != nil {
		return err
	}
	var changes []audit.NoteChange
	fe := domain.FieldErrors{}
	for _, code := range sections[i].Items {
		note, com := r.PostForm.Get("note-"+code), r.PostForm.Get("commentaire-"+code)
		baseNote, baseCom := r.PostForm.Get("base-note-"+code), r.PostForm.Get("base-commentaire-"+code)
		if note == "" {
			note = baseNote
		}
		if note == baseNote && com == baseCom {
			continue // untouched: another auditor may have rated it meanwhile
		}
		valeur, perr := strconv.Atoi(note)
		version, verr := strconv.Atoi(r.PostForm.Get("version-" + code))
		if perr != nil || verr != nil {
			fe["note-"+code] = "Choisissez une cotation de l'échelle."
			continue
		}
		changes = append(changes, audit.NoteChange{Code: code, Note: audit.Note{Valeur: valeur, Commentaire: com}, BaseVersion: version})
	}
	if len(fe) == 0 {
		var saved map[string]audit.SavedNote
		if saved, err = s.audit.SaveNotes(r.Context(), actorOf(r.Context()), d, changes); err == nil {
			_ = saved
			if len(changes) == 0 {
				s.flash(r, "Aucune modification à enregistrer.")
			} else {
				s.flash(r, strconv.Itoa(len(changes))+" cotation(s) d'audit enregistrée(s).")
			}
			return seeOther(w, r, auditURL(d.ID)+"/sections/"+sections[i].Code)
		}
	} else {
		err = fe.Err()
	}
	code := domain.ErrorCode(err)
	if code != domain.EINVALID && code != domain.ECONFLICT {
		return err
	}
	// Reload: a conflict shows what the other auditor saved.
	au, lerr := s.audit.Load(r.Context(), actorOf(r.Context()), d.ID)
	if lerr != nil {
		return lerr
	}
	fresh, lerr := s.audit.Complete(r.Context(), actorOf(r.Context()), au)
	if lerr != nil {
		return lerr
	}
	return s.renderAuditSection(w, r, fresh, statusOfCode[code], err)
}

func (s *Server) saveVerdict(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	pid, err := idParam(r, "preuve")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	v := audit.PreuveVerdict{Verdict: audit.Verdict(r.PostFormValue("verdict")), Motif: r.PostFormValue("motif-" + itoa(pid))}
	if _, err = s.audit.SaveVerdict(r.Context(), actorOf(r.Context()), d, pid, v, version); err == nil {
		s.flash(r, "Verdict enregistré.")
		return seeOther(w, r, auditURL(d.ID)+"#preuve-"+itoa(pid))
	}
	return s.auditRefusal(w, r, err, map[string]string{"verdict": "Verdict", "motif": "Motif du refus"}, nil)
}

func (s *Server) downloadAuditPreuve(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	pid, err := idParam(r, "preuve")
	if err != nil {
		return err
	}
	f, err := s.audit.Download(r.Context(), actorOf(r.Context()), d, pid)
	if err != nil {
		return err
	}
	s.sendFile(w, r, f, "audit download", pid)
	return nil
}

func (s *Server) addConstat(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	c := audit.Constat{Nature: audit.NatureConstat(r.PostFormValue("nature")), Texte: r.PostFormValue("texte"),
		Items: strings.Split(r.PostFormValue("items"), ",")}
	for _, raw := range r.PostForm["sites"] {
		id, perr := strconv.ParseInt(raw, 10, 64)
		if perr != nil {
			id = -1
		}
		c.Sites = append(c.Sites, id)
	}
	id, err := s.audit.AddConstat(r.Context(), actorOf(r.Context()), d, c)
	if err == nil {
		s.flash(r, "Constat enregistré.")
		return seeOther(w, r, auditURL(d.ID)+"/constats/"+itoa(id))
	}
	return s.auditRefusal(w, r, err, map[string]string{"nature": "Nature", "texte": "Constat", "items": "Éléments du référentiel", "sites": "Lieux"},
		func(v *web.AuditView) { v.Texte = c.Texte })
}

func (s *Server) constatPage(w http.ResponseWriter, r *http.Request) error {
	d := auditOf(r.Context())
	if !d.Roles.Workspace && !d.Roles.Report {
		return errAuditNotFound
	}
	cid, err := idParam(r, "constat")
	if err != nil {
		return err
	}
	rows := constatRows(d)
	i := slices.IndexFunc(rows, func(c web.ConstatRow) bool { return c.ID == itoa(cid) })
	if i < 0 {
		return errAuditNotFound
	}
	v := web.ConstatView{Page: s.page(r, "Constat n° "+rows[i].N+" · "+d.StructureNom), BackURL: auditURL(d.ID), Constat: rows[i],
		PlanURL: fmt.Sprintf("/plan/structures/%d/actions/nouvelle?constat=%d", d.StructureID, cid)}
	return s.render(w, r, http.StatusOK, web.ConstatPage(v))
}

func (s *Server) replaceSite(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	rang, _ := strconv.Atoi(r.PostFormValue("rang"))
	site, _ := strconv.ParseInt(r.PostFormValue("site"), 10, 64)
	if err = s.audit.ReplaceSite(r.Context(), actorOf(r.Context()), d, rang, site, r.PostFormValue("justification")); err == nil {
		s.flash(r, "Le lieu est remplacé ; la justification est conservée au rapport.")
		return seeOther(w, r, auditURL(d.ID))
	}
	return s.auditRefusal(w, r, err, map[string]string{"rang": "Lieu à remplacer", "site": "Lieu qui le remplace", "justification": "Justification"}, nil)
}

func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	v := web.VerifyView{Page: s.page(r, "Vérifier le tirage · "+d.StructureNom), BackURL: auditURL(d.ID), Seed: strconv.FormatInt(d.Seed, 10), Regle: d.Nature.Regle()}
	if err := s.audit.Verifier(d); err != nil {
		v.Result = "Le tirage ne se rejoue pas : " + domain.ErrorMessage(err)
	} else {
		v.OK, v.Result = true, fmt.Sprintf("Le tirage rejoué depuis la graine donne les mêmes %d lieux : l'échantillon est conforme.", len(d.Echantillon))
	}
	return s.render(w, r, http.StatusOK, web.VerifyPage(v))
}

func (s *Server) rendreProvisoire(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	synthese := r.PostFormValue("synthese")
	if err = s.audit.RendreProvisoire(r.Context(), actorOf(r.Context()), d, synthese); err == nil {
		s.flash(r, "Le rapport provisoire est émis ; la Mission Locale est prévenue.")
		return seeOther(w, r, auditURL(d.ID)+"/rapport")
	}
	return s.auditRefusal(w, r, err, map[string]string{"synthese": "Synthèse du rapport"}, func(v *web.AuditView) { v.Synthese = synthese })
}

// means returns the mean of the non-zero values, formatted, and the mean itself.
func means(values []int) (string, float64) {
	sum, n := 0, 0
	for _, v := range values {
		if v != 0 {
			sum, n = sum+v, n+1
		}
	}
	if n == 0 {
		return "—", 0
	}
	m := float64(sum) / float64(n)
	return strings.Replace(strconv.FormatFloat(m, 'f', 1, 64), ".", ",", 1) + " (" + strconv.Itoa(n) + ")", m
}

// verdictRows returns the three ratings per part and per item.
func verdictRows(d *audit.Detail) ([]web.PartRow, []web.VerdictRow) {
	var parts []web.PartRow
	var items []web.VerdictRow
	for _, sec := range d.Ref.Sections() {
		var ml, arml, au []int
		for _, code := range sec.Items {
			it, _ := d.Item(code)
			c, a, n := d.Cotations[code].Valeur, d.Avis[code].Valeur, d.Notes[code].Valeur
			ml, arml, au = append(ml, c), append(arml, a), append(au, n)
			items = append(items, web.VerdictRow{Code: code, Texte: shorten(it.Texte, 90), ML: valueLabel(d.Ref, c), Arml: valueLabel(d.Ref, a),
				Audit: valueLabel(d.Ref, n), Gap: gapText(n, c)})
		}
		p := web.PartRow{Titre: sec.Code + " " + sec.Titre}
		var mlm, aum float64
		p.ML, mlm = means(ml)
		p.Arml, _ = means(arml)
		p.Audit, aum = means(au)
		p.Gap = "—"
		if mlm != 0 && aum != 0 {
			p.Gap = strings.Replace(strconv.FormatFloat(aum-mlm, 'f', 1, 64), ".", ",", 1)
		}
		parts = append(parts, p)
	}
	return parts, items
}

func (s *Server) rapportPage(w http.ResponseWriter, r *http.Request) error {
	d := auditOf(r.Context())
	if !d.Roles.Report {
		return errAuditNotFound
	}
	return s.renderRapport(w, r, d, http.StatusOK, nil)
}

func (s *Server) renderRapport(w http.ResponseWriter, r *http.Request, d *audit.Detail, status int, fail error) error {
	title := "Rapport d'audit provisoire"
	switch d.Etat {
	case audit.EnCours:
		title = "Aperçu du rapport d'audit"
	case audit.RapportDefinitif:
		title = "Rapport d'audit définitif"
	}
	back := auditURL(d.ID)
	if !d.Roles.Workspace {
		back = "/audits"
	}
	parts, items := verdictRows(d)
	v := web.RapportView{Page: s.page(r, title+" · "+d.StructureNom), Title: title, StructureNom: d.StructureNom, CampagneNom: d.CampagneNom,
		Nature: d.Nature.Label(), Dates: auditDates(d.Audit), Pair: auditPair(d.Audit), Etat: d.Etat.Label(), Synthese: d.Synthese,
		Regle: d.Nature.Regle(), Seed: strconv.FormatInt(d.Seed, 10), Sample: sampleRows(d), Parts: parts, Items: items,
		Constats: constatRows(d), Preuves: preuveRows(d), ObservationGenerale: d.ObservationGenerale, ReponseGenerale: d.ReponseGenerale,
		Observe: d.Roles.Observe && d.Etat == audit.RapportProvisoire, Answer: d.Roles.Conduct && d.Etat == audit.RapportProvisoire,
		CanFinal: d.Roles.Conduct && d.Etat == audit.RapportProvisoire, Definitif: d.Etat == audit.RapportDefinitif,
		ObserveAction: auditURL(d.ID) + "/observations", AnswerAction: auditURL(d.ID) + "/reponses", FinalAction: auditURL(d.ID) + "/rapport-definitif",
		VerdictsURL: auditURL(d.ID) + "/verdicts", BackURL: back}
	if d.ObservationsLimite != nil && d.Etat == audit.RapportProvisoire {
		v.Limite = domain.FrenchDate(*d.ObservationsLimite)
	}
	if fail != nil {
		v.Page.Title = "Erreur · " + v.Page.Title
		v.Error = domain.ErrorMessage(fail)
	}
	return s.render(w, r, status, web.RapportPage(v))
}

// observationTexts reads the per-finding texts of an observations form.
func observationTexts(r *http.Request, d *audit.Detail) map[int64]string {
	out := map[int64]string{}
	for _, c := range d.Constats {
		if t, ok := r.PostForm["constat-"+itoa(c.ID)]; ok {
			out[c.ID] = t[0]
		}
	}
	return out
}

func (s *Server) rapportRefusal(w http.ResponseWriter, r *http.Request, d *audit.Detail, err error) error {
	code := domain.ErrorCode(err)
	if code != domain.EINVALID && code != domain.ECONFLICT {
		return err
	}
	return s.renderRapport(w, r, d, statusOfCode[code], err)
}

func (s *Server) observer(w http.ResponseWriter, r *http.Request) error {
	d := auditOf(r.Context())
	if !d.Roles.Report {
		return errAuditNotFound
	}
	err := s.audit.Observer(r.Context(), actorOf(r.Context()), d, r.PostFormValue("generale"), observationTexts(r, d))
	if err == nil {
		s.flash(r, "Vos observations sont enregistrées ; le binôme y répondra dans le rapport définitif.")
		return seeOther(w, r, auditURL(d.ID)+"/rapport")
	}
	return s.rapportRefusal(w, r, d, err)
}

func (s *Server) repondre(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	if err = s.audit.Repondre(r.Context(), actorOf(r.Context()), d, r.PostFormValue("generale"), observationTexts(r, d)); err == nil {
		s.flash(r, "Les réponses aux observations sont enregistrées.")
		return seeOther(w, r, auditURL(d.ID)+"/rapport")
	}
	return s.rapportRefusal(w, r, d, err)
}

func (s *Server) rendreDefinitif(w http.ResponseWriter, r *http.Request) error {
	d, err := workspace(r)
	if err != nil {
		return err
	}
	if err = s.audit.RendreDefinitif(r.Context(), actorOf(r.Context()), d); err == nil {
		msg := "Le rapport définitif est émis : le dossier est figé."
		if d.Nature == audit.Suivi {
			msg = "Le rapport définitif de l'audit de suivi est émis ; le label suit son cours."
		}
		s.flash(r, msg)
		return seeOther(w, r, auditURL(d.ID)+"/rapport")
	}
	return s.rapportRefusal(w, r, d, err)
}

func (s *Server) verdictsPage(w http.ResponseWriter, r *http.Request) error {
	d := auditOf(r.Context())
	if !d.Roles.Verdicts {
		return errAuditNotFound
	}
	parts, items := verdictRows(d)
	back := "/audits"
	if d.Roles.Workspace {
		back = auditURL(d.ID)
	}
	v := web.VerdictsView{Page: s.page(r, "Les trois verdicts · "+d.StructureNom), StructureNom: d.StructureNom, CampagneNom: d.CampagneNom,
		Parts: parts, Items: items, BackURL: back}
	return s.render(w, r, http.StatusOK, web.VerdictsPage(v))
}

func (s *Server) setQualification(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.accounts.SetQualification(r.Context(), actorOf(r.Context()), id, r.PostFormValue("qualification")); err != nil {
		return err
	}
	s.flash(r, "Qualification enregistrée.")
	return seeOther(w, r, "/utilisateurs#qualifications")
}

// qualificationRows lists the auditors for the users' page of the national team.
func (s *Server) qualificationRows(r *http.Request) ([]web.QualificationRow, error) {
	a := actorOf(r.Context())
	if !a.Can(domain.ActManageRoles, domain.Scope{}) {
		return nil, nil
	}
	list, err := s.audit.Auditeurs(r.Context(), a)
	if err != nil {
		return nil, err
	}
	var out []web.QualificationRow
	for _, x := range list {
		out = append(out, web.QualificationRow{Nom: x.Nom, Email: x.Email, Value: string(x.Qualification), Action: "/utilisateurs/" + itoa(x.UserID) + "/qualification"})
	}
	return out, nil
}

// mesAudits lists an auditor's audits for their home; nothing for anyone else.
func (s *Server) mesAudits(r *http.Request) ([]web.AuditLink, error) {
	a := actorOf(r.Context())
	if !a.HasRole(domain.RoleAuditeur) {
		return nil, nil
	}
	list, err := s.audit.List(r.Context(), a)
	if err != nil {
		return nil, err
	}
	var out []web.AuditLink
	for _, x := range list {
		out = append(out, auditLink(&x))
	}
	return out, nil
}

// suivisPlanifies maps each dossier to its latest follow-up audit, in words
// and its link, for the Pôle, who plans them (nobody else: an empty map).
func (s *Server) suivisPlanifies(r *http.Request, pole bool) (map[int64][2]string, error) {
	out := map[int64][2]string{}
	if !pole {
		return out, nil
	}
	list, err := s.audit.Suivis(r.Context(), actorOf(r.Context()))
	if err != nil {
		return nil, err
	}
	for _, a := range list { // the latest first
		if _, seen := out[a.AutoevaluationID]; !seen {
			out[a.AutoevaluationID] = [2]string{"Audit de suivi planifié " + auditDates(&a) + " (" + strings.ToLower(a.Etat.Label()) + ")", auditURL(a.ID)}
		}
	}
	return out, nil
}
