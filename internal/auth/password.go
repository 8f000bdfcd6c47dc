// Package auth holds the security primitives of accounts: password hashing and
// policy, single-use tokens.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/unml/cadre/internal/domain"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams follow OWASP's argon2id recommendation (19 MiB, 2 passes).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// TestParams are cheap parameters for tests and demo data only.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1}

// HashPassword returns the password's argon2id hash in the PHC string format.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, in constant time. The
// hash carries its own parameters, so raising the defaults keeps old hashes valid.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("auth: not an argon2id hash")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("auth: hash parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("auth: hash salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("auth: hash key: %w", err)
	}
	// argon2 panics on out-of-range parameters: a damaged hash is an error instead.
	if p.Time < 1 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > 4<<20 || len(salt) < 8 || len(want) < 16 {
		return false, errors.New("auth: hash parameters out of range")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// MinPasswordRunes is the shortest password accepted.
const MinPasswordRunes = 12

// maxPasswordBytes bounds the work argon2 does on attacker-chosen input.
const maxPasswordBytes = 1024

//go:embed common-passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordsText, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// CheckNewPassword applies the password policy: at least 12 characters, not a
// common password, not the email address. Its error names the field "password".
func CheckNewPassword(password, email string) error {
	msg := ""
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	switch {
	case utf8.RuneCountInString(password) < MinPasswordRunes:
		msg = fmt.Sprintf("Le mot de passe doit compter au moins %d caractères.", MinPasswordRunes)
	case len(password) > maxPasswordBytes:
		msg = "Le mot de passe est trop long (1 000 caractères au plus)."
	case commonPasswords[lower] || commonPasswords[strings.TrimRight(lower, "0123456789!.?*")]:
		msg = "Ce mot de passe fait partie des mots de passe les plus courants : choisissez-en un autre, par exemple une phrase de plusieurs mots."
	case lower == strings.ToLower(email) || (len(local) >= 4 && strings.Contains(lower, local)):
		msg = "Le mot de passe ne doit pas reprendre votre adresse électronique."
	}
	if msg == "" {
		return nil
	}
	return domain.FieldErrors{"password": msg}.Err()
}

// NewToken returns a random URL-safe token and the hash under which it is stored.
func NewToken() (token string, hash []byte) {
	token = rand.Text() + rand.Text()
	return token, HashToken(token)
}

// HashToken returns the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
