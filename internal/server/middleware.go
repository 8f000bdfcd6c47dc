package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/unml/cadre/internal/journal"
)

type ctxKey int

const requestIDKey ctxKey = iota

// requestID returns the request's id, set by withRequestID.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// withRequestID gives each request an id, echoed in X-Request-Id, in the log and on
// error pages, so a user's report can be matched with the log.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := rand.Text()[:16]
		w.Header().Set("X-Request-Id", id)
		// The journal's entries name the request that made them.
		ctx := journal.WithRequestID(context.WithValue(r.Context(), requestIDKey, id), id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// logRequests writes one structured line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			s.logger.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", requestID(r.Context())))
		}()
		next.ServeHTTP(ww, r)
	})
}

// recoverPanics turns a panic into the 500 page instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww, ok := w.(middleware.WrapResponseWriter)
		if !ok {
			ww = middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		}
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			err := fmt.Errorf("panic: %v\n%s", rec, debug.Stack())
			if ww.Status() != 0 {
				// The page has started; all we can do is log it.
				s.logger.ErrorContext(r.Context(), "panic after the response started", "err", err, "request_id", requestID(r.Context()))
				return
			}
			s.renderError(ww, r, err)
		}()
		next.ServeHTTP(ww, r)
	})
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	hsts := s.cfg.BaseURL != nil && s.cfg.BaseURL.Scheme == "https"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// maxFormBytes bounds a url-encoded form body, and the fields of an upload.
const maxFormBytes = 1 << 20

// errHostileInput answers a request carrying a NUL byte or invalid UTF-8.
var errHostileInput = &httpError{http.StatusBadRequest, "La requête contient des caractères non valides (caractère nul ou texte mal encodé). Vérifiez ce que vous avez saisi, puis réessayez."}

// rejectHostileInput answers 400 to a request whose path or query carries a NUL
// byte or invalid UTF-8, before any handler sees it. Those values would otherwise
// reach PostgreSQL, which refuses them with an error. Bodies are checked by the
// route's handler wrapper (readForm, or the upload reader).
func (s *Server) rejectHostileInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query, err := url.ParseQuery(r.URL.RawQuery)
		if !cleanText(r.URL.Path) || err != nil || !cleanValues(query) {
			s.renderError(w, r, errHostileInput)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readForm reads the body of a route that takes no file: nothing, or a
// url-encoded form of at most maxFormBytes whose names and values are clean text.
// Anything else is refused before a handler could parse it, so that no body is
// ever spooled to a temporary file or held beyond that limit.
func readForm(w http.ResponseWriter, r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if !isURLEncodedForm(r) {
		if r.ContentLength == 0 && ct == "" {
			return nil
		}
		return errUnsupportedBody
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{http.StatusRequestEntityTooLarge, "Le formulaire envoyé dépasse la taille autorisée (1 Mo)."}
		}
		return errHostileInput
	}
	if !cleanValues(r.PostForm) {
		return errHostileInput
	}
	return nil
}

// errUnsupportedBody refuses a body that is not a plain form where no file is taken.
var errUnsupportedBody = &httpError{http.StatusUnsupportedMediaType, "Ce formulaire n'accepte pas ce format d'envoi (aucun fichier n'y est attendu). Rechargez la page et recommencez depuis le formulaire."}

func isURLEncodedForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded"
}

func cleanValues(v url.Values) bool {
	for k, vs := range v {
		if !cleanText(k) {
			return false
		}
		for _, s := range vs {
			if !cleanText(s) {
				return false
			}
		}
	}
	return true
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// crossOriginProtection refuses state-changing requests sent by another site
// (CSRF), using the browser's Sec-Fetch-Site and Origin headers.
func (s *Server) crossOriginProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if s.cfg.BaseURL != nil {
		// Behind a proxy the Host header may differ from the public origin.
		_ = cop.AddTrustedOrigin(s.cfg.BaseURL.Scheme + "://" + s.cfg.BaseURL.Host)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeErrorPage(w, r, http.StatusForbidden, "Cette demande provient d'un autre site et a été refusée par sécurité. Revenez sur Cadre et recommencez depuis la page du formulaire.")
	}))
	return cop.Handler(next)
}
