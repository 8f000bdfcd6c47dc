package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The two database roles of Cadre (README "Database roles"): the owner runs the
// migrations and owns every table; the application role owns nothing, gets only
// the DML rights GrantApp gives it, and is always bound by row-level security.
const (
	OwnerRole = "cadre_owner"
	AppRole   = "cadre_app"
)

// OpenOwner connects the owner's pool: migrations and the grants. Its sessions
// carry the system scope, so that a data migration sees every row despite FORCE
// ROW LEVEL SECURITY.
func OpenOwner(ctx context.Context, connString string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection string: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["cadre.scope"] = "system"
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return pool, nil
}

// Setup migrates the database with the owner's pool, then gives app its rights
// on every table (GrantApp). app empty: the application uses the owner's role
// too, and only the migrations run.
func Setup(ctx context.Context, owner *pgxpool.Pool, app string) error {
	if err := Migrate(ctx, owner); err != nil {
		return err
	}
	if app == "" {
		return nil
	}
	return GrantApp(ctx, owner, app)
}

// GrantApp gives the application role app its rights on what the connected role
// (the owner) holds in schema public, and revokes anything more: SELECT, INSERT,
// UPDATE and DELETE on every table; only SELECT and INSERT on the journal tables
// (journal*), whose rows nobody may change; nothing on schema_migrations; the
// sequences of identity columns. It runs after every migration run, so tables
// that later migrations create are covered too.
func GrantApp(ctx context.Context, owner *pgxpool.Pool, app string) error {
	var me string
	var isOwner bool
	if err := owner.QueryRow(ctx, "SELECT current_user, NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 AND (rolsuper OR rolbypassrls))", app).
		Scan(&me, &isOwner); err != nil {
		return fmt.Errorf("grant %s: %w", app, err)
	}
	if me == app {
		return fmt.Errorf("grant %s: the application role must not be the owner that runs the migrations", app)
	}
	if !isOwner {
		return fmt.Errorf("grant %s: the application role must be neither superuser nor BYPASSRLS: row-level security would not bind it", app)
	}
	rows, _ := owner.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("grant %s: %w", app, err)
	}
	role := pgx.Identifier{app}.Sanitize()
	var b strings.Builder
	fmt.Fprintf(&b, "GRANT USAGE ON SCHEMA public TO %s;\n", role)
	for _, t := range tables {
		id := pgx.Identifier{t}.Sanitize()
		fmt.Fprintf(&b, "REVOKE ALL ON %s FROM %s;\n", id, role)
		switch {
		case t == "schema_migrations":
		case strings.HasPrefix(t, "journal"):
			fmt.Fprintf(&b, "GRANT SELECT, INSERT ON %s TO %s;\n", id, role)
		default:
			fmt.Fprintf(&b, "GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %s;\n", id, role)
		}
	}
	fmt.Fprintf(&b, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %s;\n", role)
	// One simple-protocol query: one round trip, one implicit transaction.
	if _, err := owner.Exec(ctx, b.String(), pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("grant %s: %w", app, err)
	}
	return nil
}

// EnsureRoles creates the owner and application roles when missing: LOGIN,
// neither superuser nor BYPASSRLS, with password unless it is empty. conn is a
// superuser's. Roles are shared by the whole cluster: concurrent calls (test
// binaries side by side) are serialised by an advisory lock on conn's database
// and tolerate a role created meanwhile from another database.
func EnsureRoles(ctx context.Context, conn *pgx.Conn, owner, app, password string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7263616472)"); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
		for _, r := range []string{owner, app} {
			var exists bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", r).Scan(&exists); err != nil {
				return fmt.Errorf("roles: %w", err)
			}
			if exists {
				continue
			}
			sql := "CREATE ROLE " + pgx.Identifier{r}.Sanitize() + " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
			if password != "" {
				sql += " PASSWORD " + quoteLiteral(password)
			}
			if _, err := tx.Exec(ctx, "SAVEPOINT r"); err != nil {
				return fmt.Errorf("roles: %w", err)
			}
			if _, err := tx.Exec(ctx, sql); err != nil {
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || (pgErr.Code != "42710" && pgErr.Code != "23505") { // created meanwhile
					return fmt.Errorf("roles: create %s: %w", r, err)
				}
				if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT r"); err != nil {
					return fmt.Errorf("roles: %w", err)
				}
			}
		}
		return nil
	})
}

// AdoptDatabase makes owner the owner of database db and of every table,
// sequence and function other roles left in its schema public: a database
// migrated before the roles were split (by the superuser). conn is a
// superuser's, on db.
func AdoptDatabase(ctx context.Context, conn *pgx.Conn, db, owner string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" OWNER TO "+pgx.Identifier{owner}.Sanitize()); err != nil {
			return fmt.Errorf("adopt %s: %w", db, err)
		}
		// Identity and serial sequences follow their tables.
		rows, _ := tx.Query(ctx, `
		SELECT format('ALTER %s %I OWNER TO %I', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname, $1::text)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S') AND pg_get_userbyid(c.relowner) <> $1
		  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
		UNION ALL
		SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, $1::text)
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1`, owner)
		stmts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("adopt %s: %w", db, err)
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("adopt %s: %s: %w", db, s, err)
			}
		}
		return nil
	})
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
