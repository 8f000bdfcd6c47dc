package autoeval

import (
	"net/url"
	"testing"
	"unicode/utf8"
)

// FuzzParseAnswer feeds any posted page (a query string) and item code to the
// decoding of the rating forms, the section page's and the single item's: it
// never panics, refuses with EINVALID only, and what it accepts is a change
// the store can write (a version and a rating that fit their int columns, a
// rating or "non concerné" but not both). Seeds: testdata/fuzz/FuzzParseAnswer.
func FuzzParseAnswer(f *testing.F) {
	f.Fuzz(func(t *testing.T, query, code string) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return // the server's form reader refuses it before (FuzzFormDecoding)
		}
		ch, present, err := ParseAnswer(form, code)
		if err != nil {
			if !present {
				t.Fatalf("an absent item refused: %v", err)
			}
			if e := err.Error(); e == "" || !utf8.ValidString(e) {
				t.Fatalf("error %q", e)
			}
			return
		}
		if !present {
			return
		}
		if ch.Code != code || ch.BaseVersion < 0 || ch.BaseVersion > 1<<31-1 || ch.Cotation.Valeur < 0 || ch.Cotation.Valeur > 1<<31-1 {
			t.Fatalf("accepted %+v", ch)
		}
		if ch.Cotation.NonConcerne && ch.Cotation.Valeur != 0 {
			t.Fatalf("rated and non concerné at once: %+v", ch)
		}
	})
}
