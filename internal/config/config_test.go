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

func TestDebugAddrIsLoopbackAndNeverInProduction(t *testing.T) {
	t.Parallel()
	if c, err := Load(env(map[string]string{"CADRE_DEBUG_ADDR": "127.0.0.1:6060"})); err != nil || c.DebugAddr != "127.0.0.1:6060" {
		t.Errorf("development: DebugAddr = %q, %v", c.DebugAddr, err)
	}
	for _, vars := range []map[string]string{
		{"CADRE_ENV": "production", "CADRE_DEBUG_ADDR": "127.0.0.1:6060"},
		{"CADRE_DEBUG_ADDR": "0.0.0.0:6060"},
		{"CADRE_DEBUG_ADDR": "6060"},
	} {
		var ce *Error
		if _, err := Load(env(vars)); !errors.As(err, &ce) || ce.Variable != "CADRE_DEBUG_ADDR" {
			t.Errorf("%v: err = %v, want a CADRE_DEBUG_ADDR error", vars, err)
		}
	}
}

func TestLabelYears(t *testing.T) {
	t.Parallel()
	if c, err := Load(env(nil)); err != nil || c.LabelYears != 3 {
		t.Errorf("default: %d, %v", c.LabelYears, err)
	}
	if c, err := Load(env(map[string]string{"CADRE_LABEL_ANS": "4"})); err != nil || c.LabelYears != 4 {
		t.Errorf("4: %d, %v", c.LabelYears, err)
	}
	for _, v := range []string{"0", "11", "trois"} {
		var ce *Error
		if _, err := Load(env(map[string]string{"CADRE_LABEL_ANS": v})); !errors.As(err, &ce) || ce.Variable != "CADRE_LABEL_ANS" {
			t.Errorf("%s: %v", v, err)
		}
	}
}
