package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/unml/cadre/internal/accounts"
	"github.com/unml/cadre/internal/domain"
	"github.com/unml/cadre/internal/journal"
	"github.com/unml/cadre/internal/mail"
)

// CredentialsByEmail returns an account's credentials; ENOTFOUND when no account
// has that address.
func (s *Store) CredentialsByEmail(ctx context.Context, email string) (_ accounts.Credentials, err error) {
	defer wrap(&err, "CredentialsByEmail")
	var c accounts.Credentials
	var hash *string
	err = s.pool.QueryRow(ctx, "SELECT id, email, password_hash, disabled_at IS NOT NULL, now() FROM users WHERE email = $1", email).
		Scan(&c.UserID, &c.Email, &hash, &c.Disabled, &c.Now)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, domain.Errorf(domain.ENOTFOUND, "Compte introuvable.")
	} else if err != nil {
		return c, err
	}
	if hash != nil {
		c.PasswordHash = *hash
	}
	return c, nil
}

// Actor loads a signed-in person with every membership. EUNAUTH for an unknown,
// disabled or not-yet-activated account, or when signedInAt is before the
// account's "log out everywhere" instant: the session is then void.
func (s *Store) Actor(ctx context.Context, userID int64, signedInAt time.Time) (_ *domain.Actor, err error) {
	defer wrap(&err, "Actor(%d)", userID)
	// One round trip: the person and their memberships, every signed-in
	// request. The person's scope is what is being loaded: the system reads it.
	var a *domain.Actor
	err = s.query(ctx, systemTenant, func(rows pgx.Rows) error {
		var email, nom string
		var id *int64
		var m domain.Membership
		_, err := pgx.ForEachRow(rows, []any{&email, &nom, &id, &m.Role, &m.RegionID, &m.StructureID, &m.ScopeLabel}, func() error {
			if a == nil {
				a = &domain.Actor{UserID: userID, Email: email, Nom: nom}
			}
			if id != nil {
				m.ID, m.UserID = *id, userID
				a.Memberships = append(a.Memberships, m)
			}
			return nil
		})
		return err
	}, `
		SELECT u.email, u.nom, m.id, coalesce(m.role, ''), coalesce(m.region_id, 0), coalesce(m.structure_id, 0), coalesce(st.nom, r.nom, '')
		FROM users u
		LEFT JOIN memberships m ON m.user_id = u.id
		LEFT JOIN structures st ON st.id = m.structure_id
		LEFT JOIN regions r ON r.id = m.region_id
		WHERE u.id = $1 AND u.disabled_at IS NULL AND u.password_hash IS NOT NULL AND u.sessions_valid_after <= $2
		ORDER BY array_position(ARRAY['pole','admin','auditeur','referent_arml','directeur','contributeur'], m.role), 7`, userID, signedInAt)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, domain.Errorf(domain.EUNAUTH, "Votre session a pris fin : connectez-vous à nouveau.")
	}
	if a.HasRole(domain.RoleAuditeur) {
		// The audits of the auditor's pairs: their only way to an ML's data.
		if a.Audits, err = s.auditAccess(ctx, userID); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// memberships lists memberships matching a condition, with their scope's name.
func (s *Store) memberships(ctx context.Context, t tenant, where string, args ...any) ([]domain.Membership, error) {
	var list []domain.Membership
	err := s.query(ctx, t, func(rows pgx.Rows) error {
		var err error
		list, err = pgx.CollectRows(rows, pgx.RowToStructByName[domain.Membership])
		return err
	}, `
		SELECT m.id, m.user_id, m.role, coalesce(m.region_id, 0) AS region_id, coalesce(m.structure_id, 0) AS structure_id,
		       coalesce(st.nom, r.nom, '') AS scope_label
		FROM memberships m
		LEFT JOIN structures st ON st.id = m.structure_id
		LEFT JOIN regions r ON r.id = m.region_id
		WHERE `+where+`
		ORDER BY array_position(ARRAY['pole','admin','auditeur','referent_arml','directeur','contributeur'], m.role), 6`, args...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// LoginFailures counts the failed logins since a moment, for an address and an IP.
func (s *Store) LoginFailures(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, err error) {
	defer wrap(&err, "LoginFailures")
	err = s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE email = $1), count(*) FILTER (WHERE ip = $2)
		FROM login_failures WHERE at >= $3 AND (email = $1 OR ip = $2)`, email, ip, since).Scan(&byEmail, &byIP)
	if err != nil {
		return 0, 0, err
	}
	return byEmail, byIP, nil
}

// RecordLoginFailure notes a failed login, and forgets those older than a day.
func (s *Store) RecordLoginFailure(ctx context.Context, actor *domain.Actor, email, ip string) error {
	return s.inTx(ctx, actor, "RecordLoginFailure", func(tx *jtx) error {
		_, err := tx.Exec(ctx, `WITH purge AS (DELETE FROM login_failures WHERE at < now() - interval '1 day')
			INSERT INTO login_failures (email, ip) VALUES ($1, $2)`, email, ip)
		tx.journal(journal.Entry{Action: journal.ActLoginFailed, ObjectType: "user", ObjectID: email, Label: email,
			After: journal.JSON(map[string]string{"email": email, "ip": ip})})
		return err
	})
}

// ClearLoginFailures forgets an address's failures after a successful login,
// and journals the login.
func (s *Store) ClearLoginFailures(ctx context.Context, actor *domain.Actor, email string) error {
	return s.inTx(ctx, actor, "ClearLoginFailures", func(tx *jtx) error {
		_, err := tx.Exec(ctx, "DELETE FROM login_failures WHERE email = $1", email)
		tx.journal(journal.Entry{Action: journal.ActLogin, ObjectType: "user", ObjectID: journal.ID(actorUserID(actor)), Label: email})
		return err
	})
}

// EndAllSessions voids every session of the account opened before now.
func (s *Store) EndAllSessions(ctx context.Context, actor *domain.Actor, userID int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("EndAllSessions(%d)", userID), func(tx *jtx) error {
		_, err := tx.Exec(ctx, "UPDATE users SET sessions_valid_after = now(), updated_at = now() WHERE id = $1", userID)
		tx.journal(journal.Entry{Action: journal.ActLogoutEverywhere, ObjectType: "user", ObjectID: journal.ID(userID)})
		return err
	})
}

// Invite gives the role to the person with that address, creating the account if
// needed, and queues the email built by message. link is true when the person has
// no password yet: the email must then carry the token's link, stored under
// tokenHash until expires. An existing membership is a form error.
func (s *Store) Invite(ctx context.Context, actor *domain.Actor, inv accounts.Invitation, tokenHash []byte, expires time.Time, message func(needsPassword bool) mail.Message) (userID int64, err error) {
	err = s.inTx(ctx, actor, "Invite", func(tx *jtx) error {
		var hasPassword, disabled, created bool
		err := tx.QueryRow(ctx, `
			INSERT INTO users (email, nom) VALUES ($1, $2)
			ON CONFLICT (email) DO UPDATE SET nom = CASE WHEN users.nom = '' THEN EXCLUDED.nom ELSE users.nom END
			RETURNING id, password_hash IS NOT NULL, disabled_at IS NOT NULL, xmax = 0`, inv.Email, inv.Nom).Scan(&userID, &hasPassword, &disabled, &created)
		if err != nil {
			return err
		}
		if created {
			if err := journalUserChange(ctx, tx, userID, journal.ActAccountCreated, nil); err != nil {
				return err
			}
		}
		if disabled {
			return domain.FieldErrors{"email": "Le compte de cette personne est désactivé : il doit être réactivé avant de recevoir un rôle."}.Err()
		}
		var membershipID int64
		err = tx.QueryRow(ctx, `INSERT INTO memberships (user_id, role, region_id, structure_id, created_by)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
			userID, inv.Role, nullID(inv.RegionID), nullID(inv.StructureID), nullID(inv.InvitedBy)).Scan(&membershipID)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.FieldErrors{"email": "Cette personne a déjà ce rôle."}.Err()
		} else if err != nil {
			return err
		}
		after, err := tx.rowJSON(ctx, membershipJSON, membershipID)
		if err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActRoleGiven, ObjectType: "membership", ObjectID: journal.ID(membershipID), Label: inv.Email,
			StructureID: inv.StructureID, RegionID: inv.RegionID, After: after})
		if !hasPassword {
			// A new link replaces any earlier, unused one.
			if _, err := tx.Exec(ctx, "DELETE FROM user_tokens WHERE user_id = $1 AND purpose = 'invitation' AND used_at IS NULL", userID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO user_tokens (hash, user_id, purpose, expires_at, created_by) VALUES ($1, $2, 'invitation', $3, $4)`,
				tokenHash, userID, expires, nullID(inv.InvitedBy)); err != nil {
				return err
			}
		}
		return EnqueueMail(ctx, tx, message(!hasPassword))
	})
	return userID, err
}

// PendingToken returns the account behind a valid, unused token of purpose;
// ENOTFOUND when the token is unknown, used or expired.
func (s *Store) PendingToken(ctx context.Context, purpose string, hash []byte) (_ accounts.PendingToken, err error) {
	defer wrap(&err, "PendingToken")
	var p accounts.PendingToken
	err = s.pool.QueryRow(ctx, `SELECT u.id, u.email, u.nom FROM user_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL`, hash, purpose).
		Scan(&p.UserID, &p.Email, &p.Nom)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, domain.Errorf(domain.ENOTFOUND, "Ce lien n'est pas valable : il a déjà servi ou il a expiré. Demandez-en un nouveau.")
	} else if err != nil {
		return p, err
	}
	return p, nil
}

// UseToken consumes a valid token of purpose and sets the account's password (and
// name, when given); every earlier session of the account ends. Used twice, or
// after expiry, it is ENOTFOUND and changes nothing.
func (s *Store) UseToken(ctx context.Context, actor *domain.Actor, purpose string, hash []byte, nom, passwordHash string) (int64, error) {
	var userID int64
	err := s.inTx(ctx, actor, "UseToken", func(tx *jtx) error {
		err := tx.QueryRow(ctx, `UPDATE user_tokens t SET used_at = now() FROM users u
			WHERE t.hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now()
			  AND u.id = t.user_id AND u.disabled_at IS NULL
			RETURNING t.user_id`, hash, purpose).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.ENOTFOUND, "Ce lien n'est pas valable : il a déjà servi ou il a expiré. Demandez-en un nouveau.")
		} else if err != nil {
			return err
		}
		var email string
		err = tx.QueryRow(ctx, `UPDATE users SET password_hash = $2, nom = CASE WHEN $3 = '' THEN nom ELSE $3 END,
			sessions_valid_after = now(), updated_at = now() WHERE id = $1 RETURNING email`, userID, passwordHash, nom).Scan(&email)
		if err != nil {
			return err
		}
		if purpose == accounts.PurposeReset {
			// A new password forgets the failures that led to it.
			if _, err := tx.Exec(ctx, "DELETE FROM login_failures WHERE email = $1", email); err != nil {
				return err
			}
		}
		tx.journal(journal.Entry{Action: journal.ActPasswordSet, ObjectType: "user", ObjectID: journal.ID(userID), Label: email,
			After: journal.JSON(map[string]string{"purpose": purpose})})
		// Other pending links of the same purpose die with this one.
		_, err = tx.Exec(ctx, "UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL", userID, purpose)
		return err
	})
	return userID, err
}

// ResetRequests counts the password-reset requests for email and from ip since then.
func (s *Store) ResetRequests(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, err error) {
	defer wrap(&err, "ResetRequests")
	err = s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE email = $1), count(*) FILTER (WHERE ip = $2)
		FROM reset_requests WHERE at >= $3 AND (email = $1 OR ip = $2)`, email, ip, since).Scan(&byEmail, &byIP)
	if err != nil {
		return 0, 0, err
	}
	return byEmail, byIP, nil
}

// RequestReset records a password-reset request from ip (forgetting those older
// than a day) and, for an active account with that address, voids its older
// reset tokens, stores the new one and queues its email; for any other address
// it sends nothing, silently: the caller answers the same either way.
func (s *Store) RequestReset(ctx context.Context, actor *domain.Actor, email, ip string, tokenHash []byte, expires time.Time, message func(nom string) mail.Message) error {
	return s.inTx(ctx, actor, "RequestReset", func(tx *jtx) error {
		_, err := tx.Exec(ctx, `WITH purge AS (DELETE FROM reset_requests WHERE at < now() - interval '1 day')
			INSERT INTO reset_requests (email, ip) VALUES ($1, $2)`, email, ip)
		if err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActResetRequested, ObjectType: "user", ObjectID: email, Label: email,
			After: journal.JSON(map[string]string{"email": email, "ip": ip})})
		var userID int64
		var nom string
		err = tx.QueryRow(ctx, "SELECT id, nom FROM users WHERE email = $1 AND disabled_at IS NULL AND password_hash IS NOT NULL FOR UPDATE", email).Scan(&userID, &nom)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND purpose = 'reset' AND used_at IS NULL", userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_tokens (hash, user_id, purpose, expires_at) VALUES ($1, $2, 'reset', $3)`, tokenHash, userID, expires); err != nil {
			return err
		}
		return EnqueueMail(ctx, tx, message(nom))
	})
}

// StructureMembers lists the people holding a role on an ML the visibility covers.
func (s *Store) StructureMembers(ctx context.Context, v domain.Visibility, structureID int64) (_ []accounts.Member, err error) {
	defer wrap(&err, "StructureMembers(%d)", structureID)
	var list []accounts.Member
	err = s.query(ctx, structureTenant(structureID), func(rows pgx.Rows) error {
		var err error
		list, err = pgx.CollectRows(rows, pgx.RowToStructByName[accounts.Member])
		return err
	}, `
		SELECT u.id AS user_id, u.email, u.nom, u.password_hash IS NOT NULL AS active, u.disabled_at IS NOT NULL AS disabled,
		       m.id AS membership_id, m.role, s.nom AS scope_label
		FROM memberships m JOIN users u ON u.id = m.user_id JOIN structures s ON s.id = m.structure_id
		WHERE m.structure_id = $4 AND `+visibleStructure+`
		ORDER BY m.role DESC, u.nom, u.email`, append(visArgs(v), structureID)...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// ListMembers lists every membership of every person (the national team's view).
func (s *Store) ListMembers(ctx context.Context) (_ []accounts.Member, err error) {
	defer wrap(&err, "ListMembers")
	var list []accounts.Member
	err = s.query(ctx, nationalTenant, func(rows pgx.Rows) error {
		var err error
		list, err = pgx.CollectRows(rows, pgx.RowToStructByName[accounts.Member])
		return err
	}, `
		SELECT u.id AS user_id, u.email, u.nom, u.password_hash IS NOT NULL AS active, u.disabled_at IS NOT NULL AS disabled,
		       coalesce(m.id, 0) AS membership_id, coalesce(m.role, '') AS role, coalesce(st.nom, r.nom, '') AS scope_label
		FROM users u LEFT JOIN memberships m ON m.user_id = u.id
		LEFT JOIN structures st ON st.id = m.structure_id LEFT JOIN regions r ON r.id = m.region_id
		ORDER BY u.email, m.role`)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Membership returns one membership (with its ML's région, for the policy).
func (s *Store) Membership(ctx context.Context, id int64) (_ domain.Membership, _ domain.Scope, err error) {
	defer wrap(&err, "Membership(%d)", id)
	// Read before the policy is asked about it: the system reads it.
	list, err := s.memberships(ctx, systemTenant, "m.id = $1", id)
	if err != nil {
		return domain.Membership{}, domain.Scope{}, err
	}
	if len(list) == 0 {
		return domain.Membership{}, domain.Scope{}, domain.Errorf(domain.ENOTFOUND, "Rôle introuvable.")
	}
	m := list[0]
	scope := domain.Scope{RegionID: m.RegionID, StructureID: m.StructureID}
	if m.StructureID != 0 {
		if err := s.pool.QueryRow(ctx, "SELECT region_id FROM structures WHERE id = $1", m.StructureID).Scan(&scope.RegionID); err != nil {
			return m, scope, err
		}
	}
	return m, scope, nil
}

// RemoveMembership deletes one membership.
func (s *Store) RemoveMembership(ctx context.Context, actor *domain.Actor, id int64) error {
	return s.inTx(ctx, actor, fmt.Sprintf("RemoveMembership(%d)", id), func(tx *jtx) error {
		var e journal.Entry
		err := tx.QueryRow(ctx, `SELECT coalesce(m.structure_id, 0), coalesce(m.region_id, 0), u.email FROM memberships m
			JOIN users u ON u.id = m.user_id WHERE m.id = $1 FOR UPDATE OF m`, id).Scan(&e.StructureID, &e.RegionID, &e.Label)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if e.Before, err = tx.rowJSON(ctx, membershipJSON, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM memberships WHERE id = $1", id); err != nil {
			return err
		}
		e.Action, e.ObjectType, e.ObjectID = journal.ActRoleRemoved, "membership", journal.ID(id)
		tx.journal(e)
		return nil
	})
}

// SetQualification sets an auditor's qualification ("" clears it).
func (s *Store) SetQualification(ctx context.Context, actor *domain.Actor, userID int64, qualification string) error {
	return s.inTx(ctx, actor, fmt.Sprintf("SetQualification(%d)", userID), func(tx *jtx) error {
		var before *string
		var email string
		err := tx.QueryRow(ctx, `SELECT qualification_audit, email FROM users u WHERE id = $1
			AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = 'auditeur') FOR UPDATE`, userID).Scan(&before, &email)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.FieldErrors{"qualification": "Seul un compte d'auditeur·rice reçoit une qualification."}.Err()
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET qualification_audit = nullif($2, ''), updated_at = now() WHERE id = $1", userID, qualification); err != nil {
			return err
		}
		tx.journal(journal.Entry{Action: journal.ActQualification, ObjectType: "user", ObjectID: journal.ID(userID), Label: email,
			Before: journal.JSON(map[string]any{"qualification": before}), After: journal.JSON(map[string]any{"qualification": qualification})})
		return nil
	})
}

// SetDisabled disables (ending every session) or re-enables an account.
func (s *Store) SetDisabled(ctx context.Context, actor *domain.Actor, userID int64, disabled bool) error {
	return s.inTx(ctx, actor, fmt.Sprintf("SetDisabled(%d, %v)", userID, disabled), func(tx *jtx) error {
		before, err := tx.rowJSON(ctx, userJSON+" FOR UPDATE", userID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET
			disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END,
			sessions_valid_after = CASE WHEN $2 THEN now() ELSE sessions_valid_after END,
			updated_at = now() WHERE id = $1`, userID, disabled)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return domain.Errorf(domain.ENOTFOUND, "Compte introuvable.")
		}
		if err := journalUserChange(ctx, tx, userID, map[bool]string{true: journal.ActAccountDisabled, false: journal.ActAccountEnabled}[disabled], before); err != nil {
			return err
		}
		if disabled {
			// Links sent before must not revive with a re-enabled account.
			_, err = tx.Exec(ctx, "UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL", userID)
		}
		return err
	})
}

// CreateActiveUser stores an account that can sign in at once, with its
// memberships (demo data and tests; people otherwise arrive by invitation).
func (s *Store) CreateActiveUser(ctx context.Context, actor *domain.Actor, email, nom, passwordHash string, ms ...domain.Membership) (int64, error) {
	var id int64
	err := s.inTx(ctx, actor, "CreateActiveUser", func(tx *jtx) error {
		if err := tx.QueryRow(ctx, "INSERT INTO users (email, nom, password_hash) VALUES ($1, $2, $3) RETURNING id", email, nom, passwordHash).Scan(&id); err != nil {
			return err
		}
		if err := journalUserChange(ctx, tx, id, journal.ActAccountCreated, nil); err != nil {
			return err
		}
		for _, m := range ms {
			var mid int64
			if err := tx.QueryRow(ctx, "INSERT INTO memberships (user_id, role, region_id, structure_id) VALUES ($1, $2, $3, $4) RETURNING id",
				id, m.Role, nullID(m.RegionID), nullID(m.StructureID)).Scan(&mid); err != nil {
				return err
			}
			after, err := tx.rowJSON(ctx, membershipJSON, mid)
			if err != nil {
				return err
			}
			tx.journal(journal.Entry{Action: journal.ActRoleGiven, ObjectType: "membership", ObjectID: journal.ID(mid), Label: email,
				StructureID: m.StructureID, RegionID: m.RegionID, After: after})
		}
		return nil
	})
	return id, err
}

// IsEmpty reports whether the database holds no network and no account yet.
func (s *Store) IsEmpty(ctx context.Context) (_ bool, err error) {
	defer wrap(&err, "IsEmpty")
	var empty bool
	err = s.pool.QueryRow(ctx, "SELECT NOT EXISTS (SELECT 1 FROM regions) AND NOT EXISTS (SELECT 1 FROM users)").Scan(&empty)
	if err != nil {
		return false, err
	}
	return empty, nil
}

// UsersWithEmailSuffix returns the addresses of enabled accounts ending in suffix, sorted.
func (s *Store) UsersWithEmailSuffix(ctx context.Context, suffix string) (_ []string, err error) {
	defer wrap(&err, "UsersWithEmailSuffix")
	rows, _ := s.pool.Query(ctx, "SELECT email FROM users WHERE email LIKE '%' || $1 AND disabled_at IS NULL ORDER BY email", suffix)
	emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return emails, nil
}

// userJSON selects an account as the journal keeps it: never its password.
const userJSON = `SELECT json_build_object('id', id, 'email', email, 'nom', nom, 'disabled', disabled_at IS NOT NULL) FROM users WHERE id = $1`

// membershipJSON selects a membership as the journal keeps it.
const membershipJSON = `SELECT json_build_object('id', id, 'user_id', user_id, 'role', role, 'region_id', region_id, 'structure_id', structure_id)
	FROM memberships WHERE id = $1`

// journalUserChange journals action on the account, as it is now, with before.
func journalUserChange(ctx context.Context, tx *jtx, userID int64, action string, before json.RawMessage) error {
	after, err := tx.rowJSON(ctx, userJSON, userID)
	if err != nil {
		return err
	}
	var label string
	if err := tx.QueryRow(ctx, "SELECT email FROM users WHERE id = $1", userID).Scan(&label); err != nil {
		return err
	}
	tx.journal(journal.Entry{Action: action, ObjectType: "user", ObjectID: journal.ID(userID), Label: label, Before: before, After: after})
	return nil
}

// actorUserID is the actor's account, 0 for the system.
func actorUserID(actor *domain.Actor) int64 {
	if actor == nil {
		return 0
	}
	return actor.UserID
}
