package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/web"
)

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle turns a handlerFunc into an http.HandlerFunc whose errors become pages.
// The body is read first (readForm): a handler sees a checked url-encoded form,
// or nothing.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := readForm(w, r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.renderError(w, r, err)
		}
	}
}

// handleUpload is handle for the routes that take a file: the handler streams the
// multipart body itself (readUpload), bounded by the upload limit. Whatever it
// answers, the rest of the body is read first, so the browser, still sending,
// sees the answer instead of a reset connection.
func (s *Server) handleUpload(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+maxFormBytes)
		dw := &drainingWriter{ResponseWriter: w, body: r.Body}
		if err := h(dw, r); err != nil {
			s.renderError(dw, r, err)
		}
	}
}

// drainingWriter reads what is left of the request body before the response starts.
type drainingWriter struct {
	http.ResponseWriter
	body    io.Reader
	drained bool
}

func (d *drainingWriter) drain() {
	if !d.drained {
		d.drained = true
		_, _ = io.Copy(io.Discard, d.body) // bounded by the MaxBytesReader
	}
}

// WriteHeader implements http.ResponseWriter.
func (d *drainingWriter) WriteHeader(status int) { d.drain(); d.ResponseWriter.WriteHeader(status) }

// Write implements http.ResponseWriter.
func (d *drainingWriter) Write(b []byte) (int, error) { d.drain(); return d.ResponseWriter.Write(b) }

// Unwrap lets http.ResponseController reach the connection.
func (d *drainingWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// httpError is an HTTP-level failure that the domain knows nothing of (bad
// request syntax, body too large, wrong method).
type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return e.message }

// errAbandoned answers a request whose client went away before the end.
var errAbandoned = &httpError{http.StatusBadRequest, "La requête a été interrompue avant la fin : rien n'a été enregistré. Recommencez."}

var statusOfCode = map[string]int{
	domain.ENOTFOUND:  http.StatusNotFound,
	domain.EINVALID:   http.StatusBadRequest,
	domain.ECONFLICT:  http.StatusConflict,
	domain.EFORBIDDEN: http.StatusForbidden,
	domain.EUNAUTH:    http.StatusUnauthorized,
	domain.ETOOMANY:   http.StatusTooManyRequests,
	domain.EINTERNAL:  http.StatusInternalServerError,
}

var headingOfStatus = map[int]string{
	http.StatusBadRequest:            "Requête invalide",
	http.StatusUnauthorized:          "Connexion requise",
	http.StatusForbidden:             "Accès refusé",
	http.StatusNotFound:              "Page introuvable",
	http.StatusMethodNotAllowed:      "Méthode non autorisée",
	http.StatusConflict:              "Modification en conflit",
	http.StatusRequestEntityTooLarge: "Envoi trop volumineux",
	http.StatusUnsupportedMediaType:  "Format d'envoi non accepté",
	http.StatusTooManyRequests:       "Trop de tentatives",
	http.StatusInternalServerError:   "Erreur interne",
	http.StatusServiceUnavailable:    "Service indisponible",
}

// renderError picks the status and French message for err, logs internal errors in
// full, and renders the error page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status, message := http.StatusInternalServerError, ""
	var he *httpError
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		// The client went away (a cut upload, a closed tab): nobody reads this
		// answer, and it is no failure of ours.
		s.logger.InfoContext(r.Context(), "request abandoned by the client", "err", err, "path", r.URL.Path, "request_id", requestID(r.Context()))
		err = errAbandoned
	}
	if errors.As(err, &he) {
		status, message = he.status, he.message
	} else {
		status = statusOfCode[domain.ErrorCode(err)]
		message = domain.ErrorMessage(err)
	}
	switch status {
	case http.StatusNotFound:
		message = "La page demandée n'existe pas ou n'est pas accessible avec votre compte. Vérifiez l'adresse ou revenez à l'accueil."
	case http.StatusInternalServerError:
		s.logger.ErrorContext(r.Context(), "internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", requestID(r.Context()))
		message = "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez dans quelques instants et, si elle persiste, transmettez la référence ci-dessous à l'assistance."
	}
	s.writeErrorPage(w, r, status, message)
}

// writeErrorPage renders the French error page for status.
func (s *Server) writeErrorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	heading := headingOfStatus[status]
	if heading == "" {
		heading = http.StatusText(status)
	}
	v := web.ErrorView{
		Page:      s.page(r, heading),
		Status:    status,
		Heading:   heading,
		Message:   message,
		RequestID: requestID(r.Context()),
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := s.render(w, r, status, web.ErrorPage(v)); err != nil {
		s.logger.Error("render error page", "err", err)
		http.Error(w, heading, status)
	}
}

// notFound answers every unknown path.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return domain.Errorf(domain.ENOTFOUND, "Page introuvable.")
}

// methodNotAllowed answers a known path asked with the wrong method.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	return &httpError{http.StatusMethodNotAllowed, "Cette adresse n'accepte pas cette méthode de requête."}
}
