package web

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"sync"

	"github.com/a-h/templ"
)

// fragments holds the HTML of components that depend only on a référentiel
// version, which never changes once imported: rendered once per process, then
// copied. Keys name the référentiel version first, so they are bounded by the
// versions, their items and each item's variants.
var fragments sync.Map // string → []byte

// perReferentiel renders c the first time ref's version asks for key, and the
// same bytes every time after; without a version (ref ""), it renders c. c must
// depend on nothing but ref and key.
func perReferentiel(ref, key string, c templ.Component) templ.Component {
	if ref == "" {
		return c
	}
	key = ref + "/" + key
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if b, ok := fragments.Load(key); ok {
			_, err := w.Write(b.([]byte))
			return err
		}
		var buf bytes.Buffer
		if err := c.Render(ctx, &buf); err != nil {
			return err
		}
		b, _ := fragments.LoadOrStore(key, buf.Bytes())
		_, err := w.Write(b.([]byte))
		return err
	})
}

// checkedKey names the radio of the rating scale an answer checks (segments)
// and so the scale's fragment: a value, "nc", "aucune" (not rated), or "hors"
// for a value off the scale (a refused form shown again), which checks none.
func checkedKey(v SectionView, it ItemView) string {
	switch {
	case it.Answer.NonConcerne:
		return "nc"
	case !it.Answer.Rated():
		return "aucune"
	}
	for _, n := range v.Scale {
		if n.Valeur == it.Answer.Valeur {
			return strconv.Itoa(n.Valeur)
		}
	}
	return "hors"
}
