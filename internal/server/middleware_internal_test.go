package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/config"
)

func TestPanicBecomesTheErrorPage(t *testing.T) {
	t.Parallel()
	cfg, _ := config.Load(func(string) string { return "" })
	var logs bytes.Buffer
	s := &Server{cfg: cfg, logger: slog.New(slog.NewTextHandler(&logs, nil))}
	h := withRequestID(s.logRequests(s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	body := rec.Body.String()
	if !strings.Contains(body, "Erreur interne") || strings.Contains(body, "boom") {
		t.Errorf("500 page must be French and hide the panic:\n%s", body)
	}
	if id := rec.Header().Get("X-Request-Id"); id == "" || !strings.Contains(body, id) {
		t.Errorf("500 page lacks the request id %q", id)
	}
	if !strings.Contains(logs.String(), "panic: boom") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("the panic was not logged with its stack and status:\n%s", logs.String())
	}
}
