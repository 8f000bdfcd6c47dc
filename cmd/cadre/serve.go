package main

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/audit"
	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/autoeval"
	"github.com/unml/cadre/internal/background"
	"github.com/unml/cadre/internal/campagnes"
	"github.com/unml/cadre/internal/commission"
	"github.com/unml/cadre/internal/config"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
	"github.com/unml/cadre/internal/pglocal"
	"github.com/unml/cadre/internal/plan"
	"github.com/unml/cadre/internal/postgres"
	"github.com/unml/cadre/internal/preuves"
	"github.com/unml/cadre/internal/referentiel"
	"github.com/unml/cadre/internal/reseau"
	"github.com/unml/cadre/internal/revue"
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

// database is the application role's pool, with the local cluster behind it
// when there is one, and how to reach the owner role that migrates.
type database struct {
	pool    *pgxpool.Pool
	cluster *pglocal.Cluster
	// ownerURL is the owner role's connection string; appRole the role GrantApp
	// gives its rights to, empty when one role does everything.
	ownerURL string
	appRole  string
}

// Close closes the pool, then stops the local cluster.
func (d *database) Close() {
	d.pool.Close()
	if d.cluster != nil {
		d.cluster.Stop()
	}
}

// migrate applies the pending migrations as the owner role, then gives the
// application role its rights on every table (postgres.Setup).
func (d *database) migrate(ctx context.Context) error {
	owner, err := postgres.OpenOwner(ctx, d.ownerURL)
	if err != nil {
		return fmt.Errorf("MIGRATE_DATABASE_URL: %w", err)
	}
	defer owner.Close()
	return postgres.Setup(ctx, owner, d.appRole)
}

// openDatabase connects the application role to DATABASE_URL, the owner being
// MIGRATE_DATABASE_URL's (or, without it, DATABASE_URL's own role). When
// DATABASE_URL is unset, it starts the local cluster in CADRE_DATA_DIR/postgres
// and creates both roles there (postgres.OwnerRole and postgres.AppRole).
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger) (*database, error) {
	d := &database{}
	conn := cfg.DatabaseURL
	switch {
	case conn == "":
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
		if err := localRoles(ctx, c); err != nil {
			c.Stop()
			return nil, err
		}
		conn = c.ConnStringAs(postgres.AppRole, "cadre")
		d.ownerURL, d.appRole = c.ConnStringAs(postgres.OwnerRole, "cadre"), postgres.AppRole
	case cfg.MigrateDatabaseURL != "":
		app, err := pgx.ParseConfig(conn)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		d.ownerURL, d.appRole = cfg.MigrateDatabaseURL, app.User
	default:
		d.ownerURL = conn
		logger.Warn("no MIGRATE_DATABASE_URL: DATABASE_URL's role runs the migrations and owns the tables; " +
			"row-level security still binds it, but it could lift it. See README, Database roles")
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

// localRoles creates the owner and application roles in the local cluster and
// gives the owner the database, with what an earlier version of Cadre created
// there as the superuser.
func localRoles(ctx context.Context, c *pglocal.Cluster) error {
	conn, err := pgx.Connect(ctx, c.ConnString("cadre"))
	if err != nil {
		return fmt.Errorf("local PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if err := postgres.EnsureRoles(ctx, conn, postgres.OwnerRole, postgres.AppRole, ""); err != nil {
		return err
	}
	return postgres.AdoptDatabase(ctx, conn, "cadre", postgres.OwnerRole)
}

func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, logger, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	tuneGC(getenv)
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
	if err := db.migrate(ctx); err != nil {
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
	srv := server.New(serverDeps(cfg, logger, store, passwordParams))

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

	// Label expiry reminders go to the outbox; every server may run this safely.
	labelReminders := commission.NewWorker(store, cfg.BaseURL, logger)
	labelRemindersDone := make(chan struct{})
	go func() { labelReminders.Run(ctx); close(labelRemindersDone) }()
	defer func() { <-labelRemindersDone }()

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
	if cfg.DebugAddr != "" {
		dln, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (CADRE_DEBUG_ADDR): %w", cfg.DebugAddr, err)
		}
		defer dln.Close()
		logger.Warn("debug endpoints served (never in production)", "addr", dln.Addr().String())
		expvar.Publish("pg_statements", expvar.Func(func() any { return postgres.Statements() }))
		expvar.Publish("pg_round_trips", expvar.Func(func() any { return postgres.RoundTrips() }))
		debugDone := make(chan struct{})
		go func() { server.Serve(ctx, dln, server.DebugHandler(), logger); close(debugDone) }()
		defer func() { <-debugDone }()
	}
	fmt.Fprintf(stdout, "Cadre is ready: %s (Ctrl-C to stop)\n", url)
	return server.Serve(ctx, ln, srv.Handler(), logger)
}

// tuneGC makes the collector run half as often as Go's default (GOGC=200),
// under a soft memory limit of 160 MiB that brings it back when the heap
// grows: a server's live heap is a few megabytes, and on national lists the
// collector took a large share of the CPU. GOGC or GOMEMLIMIT, when set, win.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(160 << 20)
	}
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
		Revue:       revue.NewService(store, cfg.BaseURL),
		Journal:     journal.NewService(store),
		// The store is the audit's Plan too: its Couverture counts the plan d'amélioration's actions (plan_couverture.go).
		Audit:      audit.NewService(store, store, cfg.BaseURL),
		Plan:       plan.NewService(store),
		Commission: commission.NewService(store, cfg.BaseURL, cfg.LabelYears),
	}
}
