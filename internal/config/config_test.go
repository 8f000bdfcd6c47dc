package config

import (
	"errors"
	"log/slog"
	"testing"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./var" || c.Env != Development || c.SecureCookies ||
		c.LogLevel != slog.LevelInfo || c.BaseURL.String() != "http://127.0.0.1:8080" || c.DatabaseURL != "" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestProductionSecuresCookiesUnlessTold(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"CADRE_ENV": "production", "CADRE_BASE_URL": "https://cadre.example.org"}))
	if err != nil || !c.SecureCookies {
		t.Errorf("production: SecureCookies = %v, %v", c.SecureCookies, err)
	}
	c, err = Load(env(map[string]string{"CADRE_ENV": "production", "CADRE_SECURE_COOKIES": "false"}))
	if err != nil || c.SecureCookies {
		t.Errorf("production with CADRE_SECURE_COOKIES=false: SecureCookies = %v, %v", c.SecureCookies, err)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{
		"CADRE_ENV": "prod", "CADRE_ADDR": "localhost", "CADRE_BASE_URL": "ftp://x",
		"CADRE_SECURE_COOKIES": "oui", "CADRE_LOG_LEVEL": "trace",
		"MIGRATE_DATABASE_URL": "postgres://owner@db/cadre", // without DATABASE_URL
	} {
		_, err := Load(env(map[string]string{name: value}))
		var ce *Error
		if !errors.As(err, &ce) || ce.Variable != name {
			t.Errorf("%s=%s: err = %v, want a config error naming it", name, value, err)
		}
	}
}
