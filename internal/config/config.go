// Package config reads Cadre's configuration from the environment.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environment names the deployment mode.
type Environment string

// The two deployment modes.
const (
	Development Environment = "development"
	Production  Environment = "production"
)

// Config is the whole configuration of one Cadre process.
type Config struct {
	// DatabaseURL is the application role's connection (it owns nothing and
	// row-level security binds it); empty when Cadre runs its own local
	// PostgreSQL cluster.
	DatabaseURL string
	// MigrateDatabaseURL is the owner role's, which runs the migrations; empty:
	// DatabaseURL's role runs them too (one role, owner of the tables).
	MigrateDatabaseURL string
	Addr               string
	DataDir            string
	BaseURL            *url.URL
	SecureCookies      bool
	LogLevel           slog.Level
	Env                Environment
	SessionIdle        time.Duration
	SessionMax         time.Duration
	// SMTPURL is where email goes (smtp://user:password@host:587); empty keeps
	// messages in the outbox, readable by platform admins.
	SMTPURL  *url.URL
	MailFrom string
	// MaxUpload is the largest evidence file accepted, in bytes.
	MaxUpload int64
	// DebugAddr, when set (never in production), serves the Go profiler and
	// runtime counters there and adds the benchmark's minimal signed-in page.
	DebugAddr string
	// LabelYears is how long a label lasts, in years (CADRE_LABEL_ANS, 3 by default).
	LabelYears int
}

// Error is a configuration error; it names the offending variable.
type Error struct {
	Variable string
	Value    string
	Reason   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("configuration: %s=%q: %s", e.Variable, e.Value, e.Reason)
}

// redact hides a password in a URL before it is printed.
func redact(v string) string {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		return u.Redacted()
	}
	return "…"
}

// Load reads the configuration through getenv, applying defaults, and returns the
// first invalid variable as an *Error.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:        strings.TrimSpace(getenv("DATABASE_URL")),
		MigrateDatabaseURL: strings.TrimSpace(getenv("MIGRATE_DATABASE_URL")),
		Addr:               "127.0.0.1:8080",
		DataDir:            "./var",
		LogLevel:           slog.LevelInfo,
		Env:                Development,
		SessionIdle:        30 * time.Minute,
		SessionMax:         12 * time.Hour,
		MaxUpload:          20 << 20,
		LabelYears:         3,
	}
	if v := getenv("CADRE_ENV"); v != "" {
		switch Environment(v) {
		case Development, Production:
			c.Env = Environment(v)
		default:
			return c, &Error{"CADRE_ENV", v, "must be development or production"}
		}
	}
	if v := getenv("CADRE_ADDR"); v != "" {
		host, port, err := net.SplitHostPort(v)
		if err != nil {
			return c, &Error{"CADRE_ADDR", v, "must be host:port, for example 127.0.0.1:8080"}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return c, &Error{"CADRE_ADDR", v, "the port must be a number between 0 and 65535"}
		}
		if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, "/ ") {
			return c, &Error{"CADRE_ADDR", v, "the host is not valid"}
		}
		c.Addr = v
	}
	if v := getenv("CADRE_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	base := "http://" + c.Addr
	if v := getenv("CADRE_BASE_URL"); v != "" {
		base = v
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, &Error{"CADRE_BASE_URL", base, "must be an absolute http or https URL, for example https://cadre.example.org"}
	}
	c.BaseURL = u
	c.SecureCookies = c.Env == Production
	if v := getenv("CADRE_SECURE_COOKIES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, &Error{"CADRE_SECURE_COOKIES", v, "must be true or false"}
		}
		c.SecureCookies = b
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"CADRE_SESSION_IDLE_TIMEOUT", &c.SessionIdle}, {"CADRE_SESSION_LIFETIME", &c.SessionMax}} {
		if v := getenv(d.name); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil || dur < time.Minute {
				return c, &Error{d.name, v, "must be a duration of at least 1m, for example 30m or 12h"}
			}
			*d.dst = dur
		}
	}
	if v := getenv("CADRE_SMTP_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			return c, &Error{"CADRE_SMTP_URL", redact(v), "must be smtp://user:password@host:port or smtps://…"}
		}
		c.SMTPURL = u
	}
	c.MailFrom = "Cadre <ne-pas-repondre@" + c.BaseURL.Hostname() + ">"
	if v := getenv("CADRE_MAIL_FROM"); v != "" {
		if _, err := mail.ParseAddress(v); err != nil {
			return c, &Error{"CADRE_MAIL_FROM", v, "must be an email address, for example Cadre <cadre@example.org>"}
		}
		c.MailFrom = v
	}
	if v := getenv("CADRE_MAX_UPLOAD_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return c, &Error{"CADRE_MAX_UPLOAD_MB", v, "must be a number of megabytes between 1 and 1024"}
		}
		c.MaxUpload = int64(n) << 20
	}
	if c.MigrateDatabaseURL != "" && c.DatabaseURL == "" {
		return c, &Error{"MIGRATE_DATABASE_URL", redact(c.MigrateDatabaseURL), "needs DATABASE_URL too: the application's role, which runs the server"}
	}
	if v := getenv("CADRE_LABEL_ANS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			return c, &Error{"CADRE_LABEL_ANS", v, "must be a number of years between 1 and 10"}
		}
		c.LabelYears = n
	}
	if v := getenv("CADRE_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, &Error{"CADRE_LOG_LEVEL", v, "must be debug, info, warn or error"}
		}
	}
	if v := getenv("CADRE_DEBUG_ADDR"); v != "" {
		if c.Env == Production {
			return c, &Error{"CADRE_DEBUG_ADDR", v, "is refused in production: the profiler shows the server's internals"}
		}
		if host, _, err := net.SplitHostPort(v); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
			return c, &Error{"CADRE_DEBUG_ADDR", v, "must be a loopback host:port, for example 127.0.0.1:6060"}
		}
		c.DebugAddr = v
	}
	return c, nil
}
