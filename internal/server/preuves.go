package server

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/web"
)

// The evidence library of an ML: list, add (file, link, on-site document), a
// piece's page with its versions and attachments, downloads. Each handler reads
// its request and calls the evidence service, which checks the policy; forms
// that stream a file ask it first (MayManage, MayCreate), so that a refusal
// reads nothing of the body.

func libraryURL(structureID int64) string {
	return "/reseau/structures/" + itoa(structureID) + "/preuves"
}

func preuveURL(id int64) string { return "/preuves/" + itoa(id) }

// preuvesStructure is the ML of the library's URL, loaded by the route's loader
// for those who may see its library, with its scope.
func (s *Server) preuvesStructure(r *http.Request) (domain.Structure, domain.Scope, error) {
	st := structureOf(r.Context())
	return st, domain.Scope{RegionID: st.RegionID, StructureID: st.ID}, nil
}

func (s *Server) libraryPage(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	st, scope, err := s.preuvesStructure(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	filter := preuves.Filter{Type: q.Get("type"), Expired: q.Get("expire") == "oui", Today: time.Now()}
	ref, refID, err := s.referentiel.Default(r.Context())
	if err != nil {
		return err
	}
	if code := strings.TrimSpace(q.Get("item")); code != "" {
		if filter.ItemID, err = s.referentiel.ItemID(r.Context(), refID, code); err != nil {
			filter.ItemID = -1 // an unknown code matches nothing
		}
	}
	// ?rattacher=CODE&retour=…: the person came from an item to attach pieces to it.
	attaching, attachedIDs := strings.TrimSpace(q.Get("rattacher")), map[int64]bool{}
	if attaching != "" {
		itemID, err := s.referentiel.ItemID(r.Context(), refID, attaching)
		if err != nil || s.preuves.MayManage(a, scope) != nil {
			attaching = ""
		} else {
			attached, err := s.preuves.List(r.Context(), a, st.ID, preuves.Filter{ItemID: itemID})
			if err != nil {
				return err
			}
			for _, p := range attached {
				attachedIDs[p.ID] = true
			}
		}
	}
	list, err := s.preuves.List(r.Context(), a, st.ID, filter)
	if err != nil {
		return err
	}
	allowed, err := s.preuves.DocumentsARML(r.Context(), a, st.ID)
	if err != nil {
		return err
	}
	v := web.LibraryView{Page: s.page(r, "Éléments de preuve · "+st.Nom), Structure: st.Nom, BaseURL: libraryURL(st.ID),
		CanAdd: s.preuves.MayManage(a, scope) == nil, CanSettings: a.Can(domain.ActPreuvesSettings, scope), ARMLAllowed: allowed,
		Attaching: attaching, Retour: localPathOr(q.Get("retour"), libraryURL(st.ID))}
	types := []web.Option{}
	for _, t := range domain.PreuveTypes {
		types = append(types, web.Option{Value: t, Label: domain.PreuveTypeLabel(t)})
	}
	items := []web.Option{}
	for _, it := range ref.Items() {
		items = append(items, web.Option{Value: it.Code, Label: it.Code + " — " + shorten(it.Texte, 80)})
	}
	v.Filters = []web.Field{
		{Name: "type", Label: "Type", Type: "select", Value: filter.Type, Options: types},
		{Name: "item", Label: "Élément du référentiel", Type: "select", Value: q.Get("item"), Options: items},
		{Name: "expire", Label: "Validité", Type: "select", Value: q.Get("expire"), Options: []web.Option{{Value: "oui", Label: "Expirés seulement"}}},
	}
	for _, p := range list {
		row := web.PreuveRow{URL: preuveURL(p.ID), Titre: p.Titre, Nature: domain.NatureLabel(p.Nature), Type: domain.PreuveTypeLabel(p.Type),
			Statut: domain.StatutLabel(p.Statut), Items: p.Items, Expired: p.Expired(time.Now())}
		if attaching != "" && !attachedIDs[p.ID] {
			row.AttachURL = preuveURL(p.ID) + "/items"
		}
		if p.DateDocument != nil {
			row.Date = domain.FrenchDate(*p.DateDocument)
		}
		if p.FinValidite != nil {
			row.Validite = "jusqu'au " + domain.FrenchDate(*p.FinValidite)
		}
		v.Rows = append(v.Rows, row)
	}
	return s.render(w, r, http.StatusOK, web.LibraryPage(v))
}

func (s *Server) preuvesSettings(w http.ResponseWriter, r *http.Request) error {
	id := structureOf(r.Context()).ID
	allowed := r.PostFormValue("documents_arml") == "oui"
	if err := s.preuves.SetDocumentsARML(r.Context(), actorOf(r.Context()), id, allowed); err != nil {
		return err
	}
	s.flash(r, "Accès de l'association régionale enregistré.")
	return seeOther(w, r, libraryURL(id))
}

func (s *Server) acknowledgeRGPD(w http.ResponseWriter, r *http.Request) error {
	retour := localPath(r.PostFormValue("retour"))
	if r.PostFormValue("accord") != "oui" {
		return s.render(w, r, http.StatusBadRequest, web.RGPDPage(web.RGPDView{Page: s.page(r, "Erreur · Avant votre premier dépôt"), Retour: retour,
			Error: "Cochez la case pour confirmer que vous avez lu l'avertissement."}))
	}
	if err := s.preuves.AcknowledgeRGPD(r.Context(), actorOf(r.Context())); err != nil {
		return err
	}
	return seeOther(w, r, retour)
}

func (s *Server) preuveFormView(r *http.Request, st domain.Structure, p domain.Preuve) (web.PreuveFormView, error) {
	sites, err := s.reseau.Sites(r.Context(), actorOf(r.Context()), domain.ActViewPreuves, st.ID)
	if err != nil {
		return web.PreuveFormView{}, err
	}
	v := web.PreuveFormView{Page: s.page(r, "Ajouter un élément de preuve · "+st.Nom), Heading: "Ajouter un élément de preuve",
		Action: libraryURL(st.ID) + "/nouvelle", Cancel: libraryURL(st.ID), WithFile: true, MaxUpload: preuves.FormatTaille(s.cfg.MaxUpload), SiteIDs: map[string]bool{}}
	for _, site := range sites {
		v.Sites = append(v.Sites, web.Option{Value: itoa(site.ID), Label: site.Nom})
	}
	for _, id := range p.SiteIDs {
		v.SiteIDs[itoa(id)] = true
	}
	types := []web.Option{}
	for _, t := range domain.PreuveTypes {
		types = append(types, web.Option{Value: t, Label: domain.PreuveTypeLabel(t)})
	}
	date := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format("2006-01-02")
	}
	nature := p.Nature
	if nature == "" {
		nature = domain.NatureFichier
	}
	v.Fields = []web.Field{
		{Name: "nature", Label: "Nature", Type: "select", Value: nature, Required: true, Options: []web.Option{
			{Value: domain.NatureFichier, Label: "Fichier déposé"}, {Value: domain.NatureLien, Label: "Lien vers une page web"},
			{Value: domain.NatureSurPlace, Label: "À consulter sur place (rien n'est déposé)"}}},
		{Name: "titre", Label: "Titre", Type: "text", Value: p.Titre, Required: true},
		{Name: "type", Label: "Type de document", Type: "select", Value: p.Type, Required: true, Options: types},
		{Name: "date_document", Label: "Date du document", Type: "date", Value: date(p.DateDocument)},
		{Name: "fin_validite", Label: "Fin de validité", Type: "date", Value: date(p.FinValidite)},
		{Name: "url", Label: "Adresse du lien", Type: "url", Value: p.URL, Hint: "Pour un lien seulement : http:// ou https://."},
	}
	return v, nil
}

func (s *Server) newPreuvePage(w http.ResponseWriter, r *http.Request) error {
	st, scope, err := s.preuvesStructure(r)
	if err != nil {
		return err
	}
	// A person who has not acknowledged the RGPD warning is shown it first.
	if err := s.preuves.MayCreate(r.Context(), actorOf(r.Context()), scope); errors.Is(err, preuves.ErrRGPD) {
		// The query (the item to attach to, the way back) survives the warning.
		return s.render(w, r, http.StatusOK, web.RGPDPage(web.RGPDView{Page: s.page(r, "Avant votre premier dépôt"), Retour: r.URL.RequestURI()}))
	} else if err != nil {
		return err
	}
	v, err := s.preuveFormView(r, st, domain.Preuve{})
	if err != nil {
		return err
	}
	// The item to attach to and the way back come in the query.
	s.attachingNew(r, &v, preuveFormOf(r.URL.Query()))
	return s.render(w, r, http.StatusOK, web.PreuveFormPage(v))
}

// attachingNew keeps, in the new piece's form, the item the person came from
// (?rattacher=CODE&retour=…): known items of the default référentiel only.
func (s *Server) attachingNew(r *http.Request, v *web.PreuveFormView, f preuveForm) {
	code := f.rattacher
	if code == "" {
		return
	}
	_, refID, err := s.referentiel.Default(r.Context())
	if err != nil {
		return
	}
	if _, err := s.referentiel.ItemID(r.Context(), refID, code); err != nil {
		return
	}
	v.Attaching, v.Retour = code, localPathOr(f.retour, v.Cancel)
	v.Cancel = v.Retour
	v.Heading = "Ajouter un élément de preuve pour " + code
	v.Page.Title = v.Heading + " · " + strings.TrimPrefix(v.Page.Title, "Ajouter un élément de preuve · ")
}

// afterCreate ends a successful upload: on the piece's page, or, when the
// person came from an item, attached to that item and back on it.
func (s *Server) afterCreate(w http.ResponseWriter, r *http.Request, id int64, titre string, f preuveForm) error {
	code := f.rattacher
	if code == "" {
		s.flash(r, "Élément de preuve ajouté.")
		return seeOther(w, r, preuveURL(id))
	}
	_, refID, err := s.referentiel.Default(r.Context())
	if err != nil {
		return err
	}
	itemID, err := s.referentiel.ItemID(r.Context(), refID, code)
	if err == nil {
		err = s.preuves.Attach(r.Context(), actorOf(r.Context()), id, itemID)
	}
	if err != nil {
		// The piece is saved; only the attachment failed: say so on its page.
		s.flash(r, "Élément de preuve ajouté, mais pas rattaché à "+code+" : rattachez-le depuis cette page.")
		return seeOther(w, r, preuveURL(id)+"#items")
	}
	s.flash(r, "Élément de preuve « "+titre+" » ajouté et rattaché à "+code+".")
	return seeOther(w, r, localPathOr(f.retour, preuveURL(id)))
}

// tooLarge answers 413 with the limit.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) error {
	s.writeErrorPage(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("Le fichier dépasse la taille maximale autorisée de %s. Réduisez-le (par exemple en l'exportant en PDF) ou déposez-le en plusieurs parties : rien n'a été enregistré.", preuves.FormatTaille(s.cfg.MaxUpload)))
	return nil
}

// uploadForm is a multipart form read as a stream: its fields, then at most one
// file, which must be the last part (browsers send parts in the order of the
// form, whose file input comes last).
type uploadForm struct {
	fields url.Values
	// file is the file part, unread: the store reads it to its end, and a part
	// after it makes that read fail. Nil when no file was chosen.
	file *preuves.Upload
}

// maxUploadFields bounds the number of fields of an upload form.
const maxUploadFields = 200

// readUpload reads the fields of a multipart form up to its file part, without
// buffering the file: the handler checks the fields, then hands the file to the
// store, which streams it. Field names and values must be clean text, at most
// maxFormBytes in all. handleUpload has bounded the body.
func (s *Server) readUpload(r *http.Request) (uploadForm, error) {
	form := uploadForm{fields: url.Values{}}
	mr, err := r.MultipartReader()
	if err != nil {
		return form, domain.Errorf(domain.EINVALID, "Le formulaire envoyé n'est pas lisible : rechargez la page et recommencez.")
	}
	budget, count := int64(maxFormBytes), 0
	for {
		part, err := mr.NextPart()
		// Only the bare io.EOF is the form's final boundary: a body cut short
		// gives an error that wraps io.EOF.
		if err == io.EOF {
			return form, nil
		}
		if err != nil {
			return form, s.uploadErr(&streamError{err})
		}
		name := part.FormName()
		if !cleanText(name) {
			return form, errHostileInput
		}
		if count++; count > maxUploadFields {
			return form, domain.Errorf(domain.EINVALID, "Le formulaire envoyé compte trop de champs : rechargez la page et recommencez.")
		}
		if name == "file" {
			if part.FileName() == "" {
				// No file chosen: the browser sends an empty part.
				if _, err := io.Copy(io.Discard, io.LimitReader(part, 1)); err != nil {
					return form, s.uploadErr(&streamError{err})
				}
				continue
			}
			form.file = &preuves.Upload{Name: part.FileName(), Content: &lastPart{part: part, form: mr}, MaxBytes: s.cfg.MaxUpload}
			return form, nil
		}
		value, err := io.ReadAll(io.LimitReader(part, budget+1))
		if err != nil {
			return form, s.uploadErr(&streamError{err})
		}
		if budget -= int64(len(value)); budget < 0 {
			return form, &httpError{http.StatusRequestEntityTooLarge, "Le formulaire envoyé dépasse la taille autorisée (1 Mo)."}
		}
		if !cleanText(string(value)) {
			return form, errHostileInput
		}
		form.fields.Add(name, string(value))
	}
}

// lastPart reads the file part of an upload form and, at its end, checks that
// nothing follows it: a second file, or a field sent after the file, fails the
// read, and so the store's transaction.
type lastPart struct {
	part *multipart.Part
	form *multipart.Reader
}

// errPartAfterFile refuses a form with something after its file.
var errPartAfterFile = domain.Errorf(domain.EINVALID, "Le formulaire envoyé contient plus d'un fichier, ou des champs après le fichier : envoyez un seul fichier, depuis le formulaire de Cadre.")

// Read implements io.Reader.
func (l *lastPart) Read(p []byte) (int, error) {
	n, err := l.part.Read(p)
	if err == nil {
		return n, nil
	}
	if err != io.EOF {
		return n, &streamError{err}
	}
	switch _, next := l.form.NextPart(); {
	case next == io.EOF: // the final boundary; a cut body wraps io.EOF instead
		return n, io.EOF
	case next == nil:
		return n, errPartAfterFile
	default:
		return n, &streamError{next}
	}
}

// streamError is a failure to read the request's body: cut, malformed, or badly
// encoded, it is the client's doing.
type streamError struct{ err error }

func (e *streamError) Error() string { return "read the upload: " + e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

// uploadErr keeps the store's and the domain's errors, and says what a broken
// stream means.
func (s *Server) uploadErr(err error) error {
	if err == nil {
		return nil
	}
	var tooBig *http.MaxBytesError
	var tooLarge *preuves.TooLargeError
	var broken *streamError
	switch {
	case errors.As(err, &tooBig), errors.As(err, &tooLarge), errors.Is(err, multipart.ErrMessageTooLarge):
		return &preuves.TooLargeError{Limit: s.cfg.MaxUpload}
	case domain.ErrorCode(err) != domain.EINTERNAL:
		return err
	case errors.As(err, &broken):
		return errUploadCut
	}
	return fmt.Errorf("upload: %w", err)
}

// errUploadCut answers an upload whose body ended before the form did: the
// client's doing, not a failure of the server.
var errUploadCut = &httpError{http.StatusBadRequest, "L'envoi a été interrompu avant la fin, ou n'est pas lisible : rien n'a été enregistré. Recommencez depuis le formulaire."}

// preuveForm is the evidence form as typed, new piece or edited metadata,
// decoded once: what it reads, the item a new piece is attached to and the
// way back (rattacher, retour), and the fields it cannot read (dates, sites).
type preuveForm struct {
	nature            string
	meta              preuves.Metadata
	rattacher, retour string
	errs              domain.FieldErrors
}

func preuveFormOf(fields url.Values) preuveForm {
	f := preuveForm{
		nature:    fields.Get("nature"),
		meta:      preuves.Metadata{Titre: fields.Get("titre"), Type: fields.Get("type"), URL: fields.Get("url")},
		rattacher: strings.TrimSpace(fields.Get("rattacher")),
		retour:    fields.Get("retour"),
		errs:      domain.FieldErrors{},
	}
	for _, d := range []struct {
		field string
		dst   **time.Time
	}{{"date_document", &f.meta.DateDocument}, {"fin_validite", &f.meta.FinValidite}} {
		if raw := strings.TrimSpace(fields.Get(d.field)); raw != "" {
			if t, ok := domain.ParseDate(raw); ok {
				*d.dst = &t
			} else {
				f.errs[d.field] = "Saisissez une date valide, par exemple 15/03/2026."
			}
		}
	}
	for _, id := range fields["sites"] {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			f.errs["sites"] = "Choisissez des lieux d'accueil de la liste."
			continue
		}
		f.meta.SiteIDs = append(f.meta.SiteIDs, n)
	}
	return f
}

// err refuses the form when a field could not be read.
func (f preuveForm) err() error {
	if len(f.errs) == 0 {
		return nil
	}
	return f.errs.Err()
}

// preuve is the new piece of ML structureID the form describes, normalized:
// an address only for a link.
func (f preuveForm) preuve(structureID int64) domain.Preuve {
	m := f.meta
	p := domain.Preuve{StructureID: structureID, Nature: f.nature, Titre: m.Titre, Type: m.Type, URL: m.URL,
		DateDocument: m.DateDocument, FinValidite: m.FinValidite, SiteIDs: m.SiteIDs}
	p.Normalize()
	if p.Nature != domain.NatureLien {
		p.URL = ""
	}
	return p
}

// edited is p with the form's metadata, to show a refused edit again; the
// nature stays, and the address changes for a link only.
func (f preuveForm) edited(p domain.Preuve) domain.Preuve {
	m := f.meta
	p.Titre, p.Type, p.DateDocument, p.FinValidite, p.SiteIDs = m.Titre, m.Type, m.DateDocument, m.FinValidite, m.SiteIDs
	if p.Nature == domain.NatureLien {
		p.URL = m.URL
	}
	return p
}

func (s *Server) createPreuve(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	st, scope, err := s.preuvesStructure(r)
	if err != nil {
		return err
	}
	if err := s.preuves.MayCreate(r.Context(), a, scope); err != nil {
		return err
	}
	upload, err := s.readUpload(r)
	f := preuveFormOf(upload.fields)
	p := f.preuve(st.ID)
	if err == nil {
		err = f.err()
	}
	var id int64
	if err == nil {
		id, err = s.preuves.Create(r.Context(), a, p, upload.file)
		err = s.uploadErr(err)
	}
	var tooLarge *preuves.TooLargeError
	if errors.As(err, &tooLarge) {
		return s.tooLarge(w, r)
	}
	if err == nil {
		return s.afterCreate(w, r, id, p.Titre, f)
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	v, ferr := s.preuveFormView(r, st, p)
	if ferr != nil {
		return ferr
	}
	s.attachingNew(r, &v, f)
	preuveFormRefused(&v, err)
	return s.render(w, r, http.StatusBadRequest, web.PreuveFormPage(v))
}

// preuveFormRefused shows the evidence form again with err's messages beside its
// fields and in its summary.
func preuveFormRefused(v *web.PreuveFormView, err error) {
	errs := domain.ErrorFields(err)
	for i := range v.Fields {
		v.Fields[i].Error = errs[v.Fields[i].Name]
	}
	summary := v.Fields
	if msg := errs["file"]; msg != "" && v.WithFile {
		summary = append(summary, web.Field{Name: "file", Label: "Fichier", Error: msg})
	}
	if msg := errs["sites"]; msg != "" {
		summary = append(summary, web.Field{Name: "sites", Label: "Lieux d'accueil", Error: msg})
	}
	v.Errors = web.Summary(domain.ErrorMessage(err), summary...)
	v.Page.Title = "Erreur · " + v.Page.Title
}

// preuveAndScope is the piece of the URL, loaded by the route's loader for those
// who may see the library of its ML, with the scope of its ML.
func (s *Server) preuveAndScope(r *http.Request) (domain.Preuve, domain.Scope, error) {
	a := actorOf(r.Context())
	p := preuveOf(r.Context())
	st, err := s.reseau.Structure(r.Context(), a, domain.ActViewPreuves, p.StructureID)
	if err != nil {
		return p, domain.Scope{}, err
	}
	return p, domain.Scope{RegionID: st.RegionID, StructureID: st.ID}, nil
}

func (s *Server) preuvePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPreuve(w, r, http.StatusOK, nil)
}

func (s *Server) renderPreuve(w http.ResponseWriter, r *http.Request, status int, failure error) error {
	a := actorOf(r.Context())
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	f, err := s.preuves.Fiche(r.Context(), a, id)
	if err != nil {
		return err
	}
	p := f.Preuve
	v := web.PreuveView{Page: s.page(r, p.Titre), LibraryURL: libraryURL(p.StructureID), URL: preuveURL(p.ID), Preuve: p,
		CanManage: s.preuves.MayManage(a, f.Scope) == nil, CanDownload: a.CanDownloadPreuve(f.Scope, f.ARMLAllowed)}
	if failure != nil {
		v.Errors = web.FormErrors{Message: domain.ErrorMessage(failure)}
		v.Page.Title = "Erreur · " + v.Page.Title
	}
	v.Facts = [][2]string{{"Nature", domain.NatureLabel(p.Nature)}, {"Type", domain.PreuveTypeLabel(p.Type)}, {"Statut", domain.StatutLabel(p.Statut)}}
	if p.DateDocument != nil {
		v.Facts = append(v.Facts, [2]string{"Date du document", domain.FrenchDate(*p.DateDocument)})
	}
	if p.FinValidite != nil {
		validite := domain.FrenchDate(*p.FinValidite)
		if p.Expired(time.Now()) {
			validite += " (expiré)"
		}
		v.Facts = append(v.Facts, [2]string{"Fin de validité", validite})
	}
	siteName, err := s.siteNames(r, p.StructureID)
	if err != nil {
		return err
	}
	if len(p.SiteIDs) > 0 {
		names := ""
		for i, id := range p.SiteIDs {
			if i > 0 {
				names += ", "
			}
			names += siteName(id)
		}
		v.Facts = append(v.Facts, [2]string{"Lieux d'accueil", names})
	}
	for _, m := range f.Modifications {
		v.Modifications = append(v.Modifications, web.ModificationView{By: m.By, At: domain.FrenchDateTime(m.At), Changes: m.Changes(siteName)})
	}
	for _, ver := range f.Versions {
		v.Versions = append(v.Versions, web.VersionRow{Version: ver.Version, Nom: ver.Nom, Taille: preuves.FormatTaille(ver.Taille), Mime: ver.Mime,
			By: ver.By, At: domain.FrenchDateTime(ver.At), URL: preuveURL(p.ID) + "/telecharger?version=" + strconv.Itoa(ver.Version)})
	}
	ref, _, err := s.referentiel.Default(r.Context())
	if err != nil {
		return err
	}
	isLinked := map[string]bool{}
	for _, code := range f.Items {
		isLinked[code] = true
	}
	for _, it := range ref.Items() {
		if isLinked[it.Code] {
			v.Items = append(v.Items, web.LinkedItem{Code: it.Code, Texte: it.Texte, DetachURL: preuveURL(p.ID) + "/items/" + it.Code + "/detacher"})
		} else {
			label := it.Code + " — " + it.Texte
			if len([]rune(label)) > 110 {
				label = string([]rune(label)[:110]) + "…"
			}
			v.ItemOptions = append(v.ItemOptions, web.Option{Value: it.Code, Label: label})
		}
	}
	for _, h := range f.History {
		line := domain.FrenchDateTime(h.At) + " — " + domain.StatutLabel(h.Statut)
		if h.By != "" {
			line += " (" + h.By + ")"
		}
		if h.Motif != "" {
			line += " : « " + h.Motif + " »"
		}
		v.Statuts = append(v.Statuts, line)
	}
	for _, d := range f.Downloads {
		v.Downloads = append(v.Downloads, domain.FrenchDateTime(d.At)+" — "+d.By)
	}
	return s.render(w, r, status, web.PreuvePage(v))
}

// managedPreuve is the piece of the URL for someone who manages its library:
// EFORBIDDEN for the others who see it.
func (s *Server) managedPreuve(r *http.Request) (domain.Preuve, error) {
	p, scope, err := s.preuveAndScope(r)
	if err != nil {
		return p, err
	}
	return p, s.preuves.MayManage(actorOf(r.Context()), scope)
}

func (s *Server) addVersion(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	p, err := s.managedPreuve(r)
	if err != nil {
		return err
	}
	form, err := s.readUpload(r)
	switch {
	case err == nil && form.file == nil:
		err = domain.Errorf(domain.EINVALID, "Choisissez le fichier de la nouvelle version.")
	case err == nil:
		_, err = s.preuves.AddVersion(r.Context(), a, p.ID, *form.file)
		err = s.uploadErr(err)
	}
	var tooLarge *preuves.TooLargeError
	if errors.As(err, &tooLarge) {
		return s.tooLarge(w, r)
	}
	if err == nil {
		s.flash(r, "Nouvelle version déposée.")
		return seeOther(w, r, preuveURL(p.ID)+"#versions")
	}
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	return s.renderPreuve(w, r, http.StatusBadRequest, err)
}

func (s *Server) attachItem(attach bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a := actorOf(r.Context())
		p, scope, err := s.preuveAndScope(r)
		if err != nil {
			return err
		}
		// Asked before the item is looked up: a refused person learns nothing of it.
		if err := s.preuves.MayManage(a, scope); err != nil {
			return err
		}
		code := chi.URLParam(r, "code")
		if attach {
			code = r.PostFormValue("item")
		}
		_, refID, err := s.referentiel.Default(r.Context())
		if err != nil {
			return err
		}
		itemID, err := s.referentiel.ItemID(r.Context(), refID, code)
		if err != nil {
			if attach {
				return s.renderPreuve(w, r, http.StatusBadRequest, domain.Errorf(domain.EINVALID, "Choisissez un élément du référentiel dans la liste."))
			}
			return err
		}
		if attach {
			err = s.preuves.Attach(r.Context(), a, p.ID, itemID)
			s.flash(r, "Rattaché à "+code+".")
		} else {
			err = s.preuves.Detach(r.Context(), a, p.ID, itemID)
			s.flash(r, "Détaché de "+code+".")
		}
		if err != nil {
			return err
		}
		return seeOther(w, r, localPathOr(r.PostFormValue("retour"), preuveURL(p.ID)+"#items"))
	}
}

func localPathOr(p, fallback string) string {
	if p == "" {
		return fallback
	}
	return localPath(p)
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		// An int column; what does not parse names no version, which the service
		// answers after it has checked that the person may download at all.
		if n, err := strconv.ParseInt(v, 10, 32); err == nil && n > 0 {
			version = int(n)
		} else {
			version = -1
		}
	}
	f, err := s.preuves.Download(r.Context(), actorOf(r.Context()), id, version)
	if err != nil {
		return err
	}
	s.sendFile(w, r, f, "download", id)
	return nil
}

// sendFile sends a piece's file as an attachment, never sniffed nor cached.
func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, f preuves.File, what string, id int64) {
	info := f.Info()
	h := w.Header()
	h.Set("Content-Type", info.Mime)
	h.Set("Content-Disposition", preuves.ContentDisposition(info.Nom))
	h.Set("Content-Length", strconv.FormatInt(info.Taille, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, f); err != nil {
		// The headers are gone: the client sees a cut transfer, the log says why.
		s.logger.ErrorContext(r.Context(), what, "err", err, "preuve", id, "request_id", requestID(r.Context()))
	}
}

// shorten cuts s to at most n characters, on a word, with an ellipsis.
func shorten(s string, n int) string { return domain.Shorten(s, n) }

// siteNames names the sites of an ML, for a piece's facts and history.
func (s *Server) siteNames(r *http.Request, structureID int64) (func(int64) string, error) {
	sites, err := s.reseau.Sites(r.Context(), actorOf(r.Context()), domain.ActViewPreuves, structureID)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, site := range sites {
		names[site.ID] = site.Nom
	}
	return func(id int64) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "lieu supprimé"
	}, nil
}

// editPreuve shows (GET) and saves (POST) the metadata of a piece: /preuves/{id}/modifier.
func (s *Server) editPreuve(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	p, err := s.managedPreuve(r)
	if err != nil {
		return err
	}
	st, err := s.reseau.Structure(r.Context(), a, domain.ActViewPreuves, p.StructureID)
	if err != nil {
		return err
	}
	var failure error
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return err
		}
		f := preuveFormOf(r.PostForm)
		failure = f.err()
		if failure == nil {
			changed, err := s.preuves.UpdateMetadata(r.Context(), a, p.ID, f.meta)
			if err == nil {
				if changed {
					s.flash(r, "Informations enregistrées.")
				} else {
					s.flash(r, "Aucune modification.")
				}
				return seeOther(w, r, preuveURL(p.ID))
			}
			if domain.ErrorCode(err) != domain.EINVALID {
				return err
			}
			failure = err
		}
		p = f.edited(p)
	}
	v, err := s.preuveFormView(r, st, p)
	if err != nil {
		return err
	}
	v.Page = s.page(r, "Modifier « "+p.Titre+" »")
	v.Heading, v.Action, v.Cancel, v.WithFile = "Modifier les informations de « "+preuveOf(r.Context()).Titre+" »", preuveURL(p.ID)+"/modifier", preuveURL(p.ID), false
	v.BackLabel = "Retour à l'élément de preuve"
	// The nature stays; the address only for a link.
	var fields []web.Field
	for _, f := range v.Fields {
		if f.Name == "nature" || (f.Name == "url" && p.Nature != domain.NatureLien) {
			continue
		}
		fields = append(fields, f)
	}
	v.Fields = fields
	status := http.StatusOK
	if failure != nil {
		preuveFormRefused(&v, failure)
		status = http.StatusBadRequest
	}
	return s.render(w, r, status, web.PreuveFormPage(v))
}
