package server

import (
	"context"
	"net/http"

	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/domain"
)

// Per-resource loaders: middleware on the routes of one resource that reads the
// {id} of the URL, loads the object through its service (ENOTFOUND, so 404,
// unless the person may see it for the route's purpose) and puts it in the
// request's context. Handlers take it from there: no handler repeats the
// load-and-scope prologue.

type resourceKey int

const (
	regionKey resourceKey = iota
	structureKey
	siteKey
	preuveKey
	sheetKey
	campagneKey
)

// loader builds the middleware that loads a resource with load and stores it
// under key.
func loader[T any](s *Server, key resourceKey, load func(ctx context.Context, actor *domain.Actor, id int64) (T, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := idParam(r, "id")
			if err == nil {
				var obj T
				if obj, err = load(r.Context(), actorOf(r.Context()), id); err == nil {
					next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key, obj)))
					return
				}
			}
			s.renderError(w, r, err)
		})
	}
}

// resource returns the object a loader put in ctx.
func resource[T any](ctx context.Context, key resourceKey) T {
	obj, _ := ctx.Value(key).(T)
	return obj
}

// loadRegion loads the région of the URL, for those who may see it.
func (s *Server) loadRegion(next http.Handler) http.Handler {
	return loader(s, regionKey, s.reseau.Region)(next)
}

// loadStructure loads the ML of the URL, for those who may do act on it (see
// its page, or its library).
func (s *Server) loadStructure(act domain.Action) func(http.Handler) http.Handler {
	return loader(s, structureKey, func(ctx context.Context, a *domain.Actor, id int64) (domain.Structure, error) {
		return s.reseau.Structure(ctx, a, act, id)
	})
}

// loadSite loads the site of the URL, for those who may see its ML.
func (s *Server) loadSite(next http.Handler) http.Handler {
	return loader(s, siteKey, s.reseau.Site)(next)
}

func regionOf(ctx context.Context) domain.Region { return resource[domain.Region](ctx, regionKey) }
func structureOf(ctx context.Context) domain.Structure {
	return resource[domain.Structure](ctx, structureKey)
}
func siteOf(ctx context.Context) domain.Site { return resource[domain.Site](ctx, siteKey) }

// loadPreuve loads the piece of the URL, for those who may see the library of
// its ML.
func (s *Server) loadPreuve(next http.Handler) http.Handler {
	return loader(s, preuveKey, s.preuves.Preuve)(next)
}

// loadSheet loads the auto-évaluation of the URL, without its answers, for those
// who may see it: what a save or a submission needs; pages complete it.
func (s *Server) loadSheet(next http.Handler) http.Handler {
	return loader(s, sheetKey, s.autoeval.Sheet)(next)
}

func preuveOf(ctx context.Context) domain.Preuve  { return resource[domain.Preuve](ctx, preuveKey) }
func sheetOf(ctx context.Context) *autoeval.Sheet { return resource[*autoeval.Sheet](ctx, sheetKey) }

// loadedCampagne is a campaign with its MLs, as its loader put it in the context.
type loadedCampagne struct {
	Campagne   campagnes.Campagne
	Structures []campagnes.CampagneStructure
}

// loadCampagne loads the campaign of the URL with its MLs, for the national
// team. The permission is asked before the id is read, so that anyone else
// gets 403 even for an id that is not one; an unknown id is a 404.
func (s *Server) loadCampagne(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.campagnes.MayManage(actorOf(r.Context())); err != nil {
			s.renderError(w, r, err)
			return
		}
		loader(s, campagneKey, func(ctx context.Context, a *domain.Actor, id int64) (loadedCampagne, error) {
			c, list, err := s.campagnes.Campagne(ctx, a, id)
			return loadedCampagne{c, list}, err
		})(next).ServeHTTP(w, r)
	})
}

func campagneOf(ctx context.Context) loadedCampagne {
	return resource[loadedCampagne](ctx, campagneKey)
}
