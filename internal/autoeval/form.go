package autoeval

import (
	"net/url"
	"strconv"

	"github.com/unml/cadre/internal/domain"
)

// errIncomplete refuses a posted page that lacks an item's version.
var errIncomplete = domain.Errorf(domain.EINVALID, "La page envoyée est incomplète : rechargez-la, puis recommencez.")

// ParseAnswer reads one item's fields of a posted section page: present is false
// when the page did not carry the item. A malformed version is EINVALID; a
// rating outside the numbers, EINVALID with a field error at the item.
func ParseAnswer(form url.Values, code string) (ch CotationChange, present bool, err error) {
	ch = CotationChange{Code: code}
	if _, present := form["version-"+code]; !present {
		return ch, false, nil
	}
	// Versions and ratings are int columns: a number past 32 bits is no version.
	version, err := strconv.ParseInt(form.Get("version-"+code), 10, 32)
	if err != nil || version < 0 {
		return ch, true, errIncomplete
	}
	ch.BaseVersion = int(version)
	switch raw := form.Get("valeur-" + code); raw {
	case "":
	case "nc":
		ch.Cotation.NonConcerne = true
	default:
		n, err := strconv.ParseInt(raw, 10, 32)
		if err != nil || n <= 0 {
			return ch, true, domain.FieldErrors{"valeur-" + code: "Choisissez une cotation de l'échelle."}.Err()
		}
		ch.Cotation.Valeur = int(n)
	}
	ch.Cotation.Justification = form.Get("justification-" + code)
	ch.Cotation.Commentaire = form.Get("commentaire-" + code)
	ch.Cotation.Normalize()
	return ch, true, nil
}
