package auth_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/unml/cadre/internal/auth"
	"github.com/unml/cadre/internal/domain"
)

// phc is the shape of the hashes HashPassword writes.
var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		params   auth.Params
		password string
	}{
		{"test params", auth.TestParams, "une phrase de passe assez longue"},
		{"test params, accents and emoji", auth.TestParams, "Élève-été à Brest 🌊 2026"},
		{"test params, empty", auth.TestParams, ""},
		{"default params", auth.DefaultParams, "correct horse battery staple"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hash, err := auth.HashPassword(c.password, c.params)
			if err != nil {
				t.Fatal(err)
			}
			m := phc.FindStringSubmatch(hash)
			if m == nil {
				t.Fatalf("hash %q is not an argon2id PHC string", hash)
			}
			if want := fmt.Sprintf("m=%d,t=%d,p=%d", c.params.Memory, c.params.Time, c.params.Threads); !strings.Contains(hash, want) {
				t.Errorf("hash %q does not record its parameters %s", hash, want)
			}
			if strings.Contains(hash, c.password) && c.password != "" {
				t.Errorf("hash %q contains the password", hash)
			}
			ok, err := auth.VerifyPassword(hash, c.password)
			if err != nil || !ok {
				t.Fatalf("VerifyPassword(right password) = %v, %v; want true, nil", ok, err)
			}
			for _, wrong := range []string{c.password + "x", strings.ToUpper(c.password) + "!", "tout autre mot de passe", c.password[:len(c.password)/2]} {
				if wrong == c.password {
					continue
				}
				ok, err := auth.VerifyPassword(hash, wrong)
				if err != nil || ok {
					t.Errorf("VerifyPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
		})
	}
}

// A hash keeps its own parameters: raising the defaults leaves old hashes valid.
func TestVerifyUsesTheHashParameters(t *testing.T) {
	t.Parallel()
	old, err := auth.HashPassword("mot de passe d'avant", auth.Params{Memory: 128, Time: 3, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.VerifyPassword(old, "mot de passe d'avant"); err != nil || !ok {
		t.Fatalf("VerifyPassword with other parameters = %v, %v", ok, err)
	}
	// Changing a parameter in the string changes the derived key.
	tampered := strings.Replace(old, "t=3", "t=2", 1)
	if ok, err := auth.VerifyPassword(tampered, "mot de passe d'avant"); err != nil || ok {
		t.Errorf("VerifyPassword with tampered parameters = %v, %v; want false, nil", ok, err)
	}
}

func TestHashIsSalted(t *testing.T) {
	t.Parallel()
	a, err := auth.HashPassword("la même phrase de passe", auth.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.HashPassword("la même phrase de passe", auth.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
	if strings.Split(a, "$")[4] == strings.Split(b, "$")[4] {
		t.Errorf("two hashes share their salt: %q, %q", a, b)
	}
	for _, h := range []string{a, b} {
		if ok, err := auth.VerifyPassword(h, "la même phrase de passe"); err != nil || !ok {
			t.Errorf("VerifyPassword(%q) = %v, %v", h, ok, err)
		}
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	t.Parallel()
	good, err := auth.HashPassword("secret", auth.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=…, salt, key
	join := func(p ...string) string { return strings.Join(p, "$") }
	cases := []struct{ name, hash string }{
		{"empty", ""},
		{"plain text", "secret"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join(parts[0], "argon2i", parts[2], parts[3], parts[4], parts[5])},
		{"a part missing", join(parts[0], parts[1], parts[2], parts[3], parts[4])},
		{"a part too many", good + "$extra"},
		{"parameters unreadable", join(parts[0], parts[1], parts[2], "m=lots,t=1,p=1", parts[4], parts[5])},
		{"parameters missing", join(parts[0], parts[1], parts[2], "", parts[4], parts[5])},
		{"salt not base64", join(parts[0], parts[1], parts[2], parts[3], "!!!not base64!!!", parts[5])},
		{"key not base64", join(parts[0], parts[1], parts[2], parts[3], parts[4], "***")},
		// An empty key must not compare equal to the empty key derived for it.
		{"empty key", join(parts[0], parts[1], parts[2], parts[3], parts[4], "")},
		{"key of 8 bytes", join(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5][:11])},
		{"empty salt", join(parts[0], parts[1], parts[2], parts[3], "", parts[5])},
		{"salt of 4 bytes", join(parts[0], parts[1], parts[2], parts[3], parts[4][:6], parts[5])},
		// argon2 panics on zero passes or zero threads: a bad stored hash must be
		// an error, not a crash of the request.
		{"zero passes", join(parts[0], parts[1], parts[2], "m=64,t=0,p=1", parts[4], parts[5])},
		{"zero threads", join(parts[0], parts[1], parts[2], "m=64,t=1,p=0", parts[4], parts[5])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("VerifyPassword(%q) panicked: %v", c.hash, r)
				}
			}()
			ok, err := auth.VerifyPassword(c.hash, "secret")
			if ok {
				t.Errorf("VerifyPassword(%q, right password) = true: a malformed hash must never match", c.hash)
			}
			if err == nil {
				t.Errorf("VerifyPassword(%q) returned no error", c.hash)
			}
		})
	}
}

func TestCheckNewPassword(t *testing.T) {
	t.Parallel()
	const email = "nolwenn.qualite@ml-rennes.fr"
	cases := []struct {
		name, password, email string
		refused               string // a fragment of the message; "" when accepted
	}{
		{"good passphrase", "trois chevaux dans la lande", email, ""},
		{"exactly 12 characters", "Kerlouan-29x", email, ""},
		{"12 accented runes", "éèàùçâêîôûëï", email, ""},
		{"1024 bytes", strings.Repeat("k", 1024), email, ""},
		{"a short local part is not searched", "mon ab est une longue phrase", "ab@ml.fr", ""},
		{"11 characters", "Kerlouan-29", email, "au moins 12 caractères"},
		{"11 accented runes (22 bytes)", "éèàùçâêîôûë", email, "au moins 12 caractères"},
		{"empty", "", email, "au moins 12 caractères"},
		{"1025 bytes", strings.Repeat("k", 1025), email, "trop long"},
		{"listed", "motdepasse1234", email, "plus courants"},
		{"listed, other case", "Motdepasse1234", email, "plus courants"},
		{"listed, upper case", "AZERTYUIOPQS", email, "plus courants"},
		{"listed, upper case, ending in a digit", "ZAQ12WSXCDE3", email, "plus courants"},
		{"listed, upper case, ending in digits", "ABCDEF123456", email, "plus courants"},
		{"listed with a space", "Mission Locale", email, "plus courants"},
		{"listed with trailing digits stripped", "Missionlocale2024", email, "plus courants"},
		{"listed with trailing punctuation stripped", "MOTDEPASSE!!", email, "plus courants"},
		{"short listed word with digits", "Paris75000000", email, "plus courants"},
		{"the demo password", "cadre-demo-2026", email, "plus courants"},
		{"the email address", email, email, "adresse électronique"},
		{"the email address, short local part", "AB@ml-rennes.fr", "ab@ml-rennes.fr", "adresse électronique"},
		{"the email address, other case", "Nolwenn.Qualite@ML-Rennes.fr", email, "adresse électronique"},
		{"contains the local part", "nolwenn.qualite-2026!", email, "adresse électronique"},
		{"contains the local part, other case", "Mon nom: NOLWENN.QUALITE", email, "adresse électronique"},
		{"contains a 4-letter local part", "jeanlamerdiroise", "jean@ml.fr", "adresse électronique"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := auth.CheckNewPassword(c.password, c.email)
			if c.refused == "" {
				if err != nil {
					t.Fatalf("CheckNewPassword(%q) = %v, want accepted", c.password, err)
				}
				return
			}
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("CheckNewPassword(%q) = %v, want %s", c.password, err, domain.EINVALID)
			}
			fe := domain.ErrorFields(err)
			if len(fe) != 1 || !strings.Contains(fe["password"], c.refused) {
				t.Errorf("CheckNewPassword(%q) fields = %v, want one on \"password\" containing %q", c.password, fe, c.refused)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	seen := map[string]bool{}
	for range 100 {
		token, hash := auth.NewToken()
		if len(token) < 43 { // at least 256 bits in base32 or base64
			t.Fatalf("token %q is too short", token)
		}
		if !urlSafe.MatchString(token) {
			t.Fatalf("token %q is not URL-safe", token)
		}
		if seen[token] {
			t.Fatalf("token %q drawn twice", token)
		}
		seen[token] = true
		if len(hash) != 32 {
			t.Fatalf("hash of %q has %d bytes, want 32", token, len(hash))
		}
		if !bytes.Equal(hash, auth.HashToken(token)) {
			t.Fatalf("NewToken's hash differs from HashToken(%q)", token)
		}
		if want := sha256.Sum256([]byte(token)); !bytes.Equal(hash, want[:]) {
			t.Fatalf("HashToken(%q) is not its SHA-256", token)
		}
	}
	if bytes.Equal(auth.HashToken("a"), auth.HashToken("b")) || !bytes.Equal(auth.HashToken("même"), auth.HashToken("même")) {
		t.Error("HashToken should be stable for one token and differ between tokens")
	}
}
