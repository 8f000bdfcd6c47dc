package main

import (
	"context"
	"fmt"
	"io"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/postgres"
)

// userCmd runs `cadre user invite EMAIL ROLE [SCOPE-CODE]`: the way to create the
// first accounts of a new installation. The invitation email is queued and also
// printed, since no SMTP server may be set up yet.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) >= 2 && args[0] == "disable" {
		return disableUsers(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) < 3 || len(args) > 4 || args[0] != "invite" {
		return usageError("user invite EMAIL ROLE [CODE]: ROLE is one of directeur, contributeur (CODE of the Mission Locale), referent_arml (CODE of the région), auditeur, pole, admin")
	}
	email, role := args[1], domain.Role(args[2])
	if !role.Valid() {
		return usageError("unknown role %q", role)
	}
	code := ""
	if len(args) == 4 {
		code = args[3]
	}
	if (role.ScopeKind() == "") != (code == "") {
		return usageError("role %s needs %s", role, map[bool]string{true: "no CODE", false: "the CODE of its " + role.ScopeKind()}[role.ScopeKind() == ""])
	}
	cfg, _, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
		inv := accounts.Invitation{Email: email, Role: role}
		var err error
		switch role.ScopeKind() {
		case "structure":
			inv.StructureID, err = store.IDByCode(ctx, "structures", code)
		case "region":
			inv.RegionID, err = store.IDByCode(ctx, "regions", code)
		}
		if err != nil {
			return fmt.Errorf("%s: %s", code, domain.ErrorMessage(err))
		}
		svc := accounts.NewService(store, passwordParams, cfg.BaseURL)
		if err := svc.Invite(ctx, accounts.Operator(), inv); err != nil {
			if fields := domain.ErrorFields(err); len(fields) > 0 {
				for field, msg := range fields {
					err = fmt.Errorf("%s: %s", field, msg)
				}
			}
			return err
		}
		m, err := store.LatestMailTo(ctx, accounts.NormalizeEmail(email))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Invitation queued for %s. Its text:\n\n%s\n", m.To, m.Body)
		return nil
	})
}

// disableUsers runs `cadre user disable EMAIL…`: each account is disabled, its
// sessions end and its pending links are voided, as from the users page.
func disableUsers(ctx context.Context, emails []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	return withStore(ctx, getenv, stderr, func(store *postgres.Store) error {
		svc := accounts.NewService(store, passwordParams, cfg.BaseURL)
		for _, email := range emails {
			c, err := store.CredentialsByEmail(ctx, accounts.NormalizeEmail(email))
			if err != nil {
				return fmt.Errorf("%s: %s", email, domain.ErrorMessage(err))
			}
			if err := svc.SetDisabled(ctx, accounts.Operator(), c.UserID, true); err != nil {
				return fmt.Errorf("%s: %w", email, err)
			}
			fmt.Fprintf(stdout, "Disabled %s.\n", c.Email)
		}
		return nil
	})
}
