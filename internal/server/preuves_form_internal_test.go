package server

import (
	"net/url"
	"testing"

	"github.com/unml/cadre/internal/domain"
)

// The evidence form is decoded once, for a new piece and for an edit: what it
// reads, and a field error for what it cannot read.
func TestPreuveFormOf(t *testing.T) {
	f := preuveFormOf(url.Values{
		"nature": {domain.NatureFichier}, "titre": {" Charte "}, "type": {"procedure"},
		"date_document": {"15/03/2026"}, "fin_validite": {"2027-03-15"}, "sites": {"4", "2"},
		"url": {"https://exemple.fr"}, "rattacher": {" 1.1.1 "}, "retour": {"/x"},
	})
	if err := f.err(); err != nil {
		t.Fatalf("err() = %v, want none", err)
	}
	if f.meta.DateDocument == nil || f.meta.DateDocument.Format("2006-01-02") != "2026-03-15" ||
		f.meta.FinValidite == nil || f.meta.FinValidite.Format("2006-01-02") != "2027-03-15" {
		t.Errorf("dates = %v, %v", f.meta.DateDocument, f.meta.FinValidite)
	}
	if f.rattacher != "1.1.1" || f.retour != "/x" {
		t.Errorf("rattacher, retour = %q, %q", f.rattacher, f.retour)
	}
	p := f.preuve(7)
	if p.StructureID != 7 || p.Titre != "Charte" || p.URL != "" || len(p.SiteIDs) != 2 {
		t.Errorf("preuve(7) = %+v: want ML 7, the title trimmed, no address for a file, two sites", p)
	}

	// A link keeps its address; an edit keeps the piece's nature.
	link := preuveFormOf(url.Values{"nature": {domain.NatureLien}, "titre": {"Site"}, "url": {"https://exemple.fr"}})
	if p := link.preuve(1); p.URL != "https://exemple.fr" {
		t.Errorf("link's preuve().URL = %q", p.URL)
	}
	piece := domain.Preuve{ID: 3, Nature: domain.NatureFichier, Titre: "Ancien"}
	if e := link.edited(piece); e.Nature != domain.NatureFichier || e.URL != "" || e.Titre != "Site" {
		t.Errorf("edited(file) = %+v: want the file's nature, no address, the new title", e)
	}

	bad := preuveFormOf(url.Values{"titre": {"x"}, "date_document": {"31/02/2026"}, "sites": {"4", "deux"}})
	errs := domain.ErrorFields(bad.err())
	if bad.err() == nil || domain.ErrorCode(bad.err()) != domain.EINVALID || errs["date_document"] == "" || errs["sites"] == "" {
		t.Fatalf("err() = %v (fields %v): want EINVALID on date_document and sites", bad.err(), errs)
	}
	if errs["fin_validite"] != "" || len(bad.meta.SiteIDs) != 1 {
		t.Errorf("a blank date is no error, and the readable site stays: %v, %v", errs, bad.meta.SiteIDs)
	}
}
