package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/web"
)

func journalURL(structureID int64) string {
	return "/reseau/structures/" + itoa(structureID) + "/journal"
}

// journalFilter reads the filters of a journal page from its query string; the
// fields carry what was typed and the errors of what cannot be read.
func journalFilter(r *http.Request) (journal.Filter, web.JournalView) {
	q := r.URL.Query()
	var f journal.Filter
	v := web.JournalView{
		Person: web.Field{Name: "personne", Label: "Personne", Type: "text", Value: q.Get("personne"), Hint: "Une partie de son nom (de son adresse si son compte n'a pas de nom)."},
		Act:    web.Field{Name: "action", Label: "Action", Type: "select", Value: q.Get("action")},
		Object: web.Field{Name: "objet", Label: "Type d'objet", Type: "select", Value: q.Get("objet")},
		From:   web.Field{Name: "du", Label: "Du", Type: "date", Value: q.Get("du")},
		To:     web.Field{Name: "au", Label: "Au", Type: "date", Value: q.Get("au")},
	}
	for _, a := range journal.Actions {
		v.Act.Options = append(v.Act.Options, web.Option{Value: a.Code, Label: a.Label})
	}
	for _, o := range journal.ObjectTypes {
		v.Object.Options = append(v.Object.Options, web.Option{Value: o.Code, Label: o.Label})
	}
	f.Person, f.Action, f.ObjectType = strings.TrimSpace(v.Person.Value), v.Act.Value, v.Object.Value
	fe := domain.FieldErrors{}
	if s := v.From.Value; s != "" {
		if t, ok := domain.ParseDate(s); ok {
			f.From = t
		} else {
			fe["du"] = "Saisissez une date, par exemple 31/01/2026."
		}
	}
	if s := v.To.Value; s != "" {
		if t, ok := domain.ParseDate(s); ok {
			f.To = t
		} else {
			fe["au"] = "Saisissez une date, par exemple 31/01/2026."
		}
	}
	if err := f.Check(); err != nil {
		for k, m := range domain.ErrorFields(err) {
			if fe[k] == "" {
				fe[k] = m
			}
		}
	}
	if len(fe) > 0 {
		v.Person.Error, v.Act.Error, v.Object.Error, v.From.Error, v.To.Error = fe["personne"], fe["action"], fe["objet"], fe["du"], fe["au"]
		v.Errors = web.Summary("", v.Person, v.Act, v.Object, v.From, v.To)
	}
	if before, err := strconv.ParseInt(q.Get("avant"), 10, 64); err == nil && before > 0 {
		f.Before = before
	}
	return f, v
}

// journalPage renders a page of entries got by list for the filter of r.
func (s *Server) journalPage(w http.ResponseWriter, r *http.Request, v web.JournalView, f journal.Filter, filterView web.JournalView,
	list func(journal.Filter) (journal.Page, error)) error {
	v.Errors, v.Person, v.Act, v.Object, v.From, v.To = filterView.Errors, filterView.Person, filterView.Act, filterView.Object, filterView.From, filterView.To
	if len(v.Errors.Fields) > 0 {
		// The policy first: a refusal is told before any form error.
		if _, err := list(journal.Filter{}); err != nil {
			return err
		}
		v.Page.Title = "Erreur · " + v.Page.Title
		return s.render(w, r, http.StatusBadRequest, web.JournalPage(v))
	}
	p, err := list(f)
	if err != nil {
		return err
	}
	for _, e := range p.Entries {
		role := domain.Role(e.ActorRole).Label()
		v.Rows = append(v.Rows, web.JournalRow{Seq: strconv.FormatInt(e.Seq, 10), At: domain.FrenchDateTime(e.At), Sentence: journal.Sentence(e), Role: role})
	}
	q := r.URL.Query()
	if p.Next != 0 {
		q.Set("avant", strconv.FormatInt(p.Next, 10))
		v.NextURL = v.Action + "?" + q.Encode()
	}
	if f.Before != 0 {
		q.Del("avant")
		v.FirstURL = v.Action + "?" + q.Encode()
	}
	return s.render(w, r, http.StatusOK, web.JournalPage(v))
}

// structureJournalPage is the journal of the ML of the URL.
func (s *Server) structureJournalPage(w http.ResponseWriter, r *http.Request) error {
	st := structureOf(r.Context())
	f, fv := journalFilter(r)
	v := web.JournalView{Page: s.page(r, "Journal · "+st.Nom), Heading: "Journal de " + st.Nom, Action: journalURL(st.ID),
		Intro:         "Toutes les modifications de la Mission Locale : qui a fait quoi, quand, et dans quel rôle.",
		BreadcrumbURL: "/reseau/structures/" + itoa(st.ID), BreadcrumbLabel: st.Nom}
	return s.journalPage(w, r, v, f, fv, func(f journal.Filter) (journal.Page, error) {
		return s.journal.StructureJournal(r.Context(), actorOf(r.Context()), domain.Scope{RegionID: st.RegionID, StructureID: st.ID}, f)
	})
}

// nationalJournalPage is the whole journal.
func (s *Server) nationalJournalPage(w http.ResponseWriter, r *http.Request) error {
	f, fv := journalFilter(r)
	v := web.JournalView{Page: s.page(r, "Journal national"), Heading: "Journal national", Action: "/journal",
		Intro: "Toutes les modifications de la plateforme, de toutes les Missions Locales, connexions comprises."}
	return s.journalPage(w, r, v, f, fv, func(f journal.Filter) (journal.Page, error) {
		return s.journal.NationalJournal(r.Context(), actorOf(r.Context()), f)
	})
}
