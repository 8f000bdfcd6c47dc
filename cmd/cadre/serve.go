package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/background"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/pglocal"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/reseau"
	"github.com/unml/cadre/internal/server"
	refdata "github.com/unml/cadre/referentiel"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// setup loads the configuration and the logger; a bad variable exits with code 2.
func setup(getenv func(string) string, stderr io.Writer) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return cfg, nil, &exitError{code: 2, err: err}
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.Env == config.Production {
		h = slog.NewJSONHandler(stderr, opts)
	}
	return cfg, slog.New(h), nil
}

// database is an open pool, with the local cluster behind it when there is one.
type database struct {
	pool    *pgxpool.Pool
	cluster *pglocal.Cluster
}

// Close closes the pool, then stops the local cluster.
func (d *database) Close() {
	d.pool.Close()
	if d.cluster != nil {
		d.cluster.Stop()
	}
}

// openDatabase connects to DATABASE_URL or, when it is unset, to the local cluster
// in CADRE_DATA_DIR/postgres, which it starts.
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger) (*database, error) {
	d := &database{}
	conn := cfg.DatabaseURL
	if conn == "" {
		c, err := pglocal.Start(ctx, pglocal.Options{
			Dir:      filepath.Join(cfg.DataDir, "postgres"),
			Database: "cadre",
			Durable:  true,
			Logger:   logger,
		})
		if err != nil {
			return nil, err
		}
		d.cluster = c
		conn = c.ConnString("cadre")
	}
	pool, err := postgres.Open(ctx, conn)
	if err != nil {
		if d.cluster != nil {
			d.cluster.Stop()
		}
		return nil, err
	}
	d.pool = pool
	return d, nil
}

func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, logger, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	// Listen first: a taken port fails fast, before any database work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (CADRE_ADDR): %w", cfg.Addr, err)
	}
	defer ln.Close()

	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db.pool); err != nil {
		var dirty *postgres.DirtyError
		if errors.As(err, &dirty) {
			return &exitError{code: 1, err: err}
		}
		return err
	}

	store := postgres.NewStore(db.pool)
	created, err := referentiel.ImportFS(ctx, store, refdata.Files)
	if err != nil {
		return fmt.Errorf("import the embedded référentiels: %w", err)
	}
	for _, c := range created {
		logger.Info("référentiel imported", "referentiel", c)
	}

	if cfg.Env == config.Production {
		if err := refuseDemoAccounts(ctx, store); err != nil {
			return err
		}
	}
	srv := server.New(serverDeps(cfg, logger, store, auth.DefaultParams))

	// Expired sessions and content no version refers to go every 5 minutes;
	// every server may run this safely. Uploads store content and its piece in
	// one transaction, so no orphan is expected: an hour leaves any write in
	// flight alone.
	cleanupDone := make(chan struct{})
	go func() {
		defer close(cleanupDone)
		background.Every(ctx, func(ctx context.Context) time.Duration {
			if _, err := store.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("delete expired sessions", "err", err)
			}
			if n, err := store.CollectOrphanContent(ctx, time.Hour); err != nil && ctx.Err() == nil {
				logger.Warn("collect orphan content", "err", err)
			} else if n > 0 {
				logger.Info("orphan content collected", "count", n)
			}
			return 5 * time.Minute
		})
	}()
	defer func() { <-cleanupDone }()

	// Closing reminders go to the outbox; every server may run this safely.
	reminders := campagnes.NewWorker(store, cfg.BaseURL, logger)
	remindersDone := make(chan struct{})
	go func() { reminders.Run(ctx); close(remindersDone) }()
	defer func() { <-remindersDone }()

	var sender mail.Sender
	switch {
	case cfg.SMTPURL != nil:
		if sender, err = mail.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("CADRE_SMTP_URL: %w", err)}
		}
	case cfg.Env != config.Production:
		// Links in email are single-use secrets: in development they go to
		// this console, never to a page someone else could read.
		sender = &mail.ConsoleSender{W: stdout}
		logger.Info("no CADRE_SMTP_URL: email is printed on this console (development)")
	default:
		logger.Warn("no CADRE_SMTP_URL: email stays in the outbox until it is set; /admin/outbox shows it with its links masked")
	}
	if sender != nil {
		worker := mail.NewWorker(store, sender, logger)
		done := make(chan struct{})
		go func() { worker.Run(ctx); close(done) }()
		defer func() { <-done }()
	}

	url := "http://" + ln.Addr().String()
	if getenv("CADRE_BASE_URL") != "" {
		url = cfg.BaseURL.String()
	}
	logger.Info("cadre started", "version", buildVersion(), "addr", ln.Addr().String(), "env", cfg.Env)
	if err := printDemoAccounts(ctx, store, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Cadre is ready: %s (Ctrl-C to stop)\n", url)
	return server.Serve(ctx, ln, srv.Handler(), logger)
}

// serverDeps builds the services on the one store, and the HTTP layer's
// dependencies around them.
func serverDeps(cfg config.Config, logger *slog.Logger, store *postgres.Store, params auth.Params) server.Deps {
	return server.Deps{
		Config:      cfg,
		Logger:      logger,
		Sessions:    store.SessionStore(),
		Ready:       store.Ping,
		Accounts:    accounts.NewService(store, params, cfg.BaseURL),
		Autoeval:    autoeval.NewService(store),
		Campagnes:   campagnes.NewService(store),
		Preuves:     preuves.NewService(store),
		Referentiel: referentiel.NewService(store),
		Reseau:      reseau.NewService(store),
		Journal:     journal.NewService(store),
	}
}
