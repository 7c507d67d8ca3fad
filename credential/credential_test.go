package credential

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/vmsplatform/vms"
)

// cheap keeps the tests fast; DefaultParams is exercised once and in the
// benchmark.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

func TestHashPasswordDefault(t *testing.T) {
	phc, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	m := phcRE.FindStringSubmatch(phc)
	if m == nil {
		t.Fatalf("%q is not an argon2id PHC string with a 16-byte salt and 32-byte key", phc)
	}
	if m[1] != "19456" || m[2] != "2" || m[3] != "1" {
		t.Errorf("params m=%s t=%s p=%s, want the OWASP minimum m=19456 t=2 p=1", m[1], m[2], m[3])
	}
	if !VerifyPassword(phc, "correct horse battery staple") {
		t.Error("the right password does not verify")
	}
	if VerifyPassword(phc, "correct horse battery stapler") {
		t.Error("a wrong password verifies")
	}
	if NeedsRehash(phc, DefaultParams) {
		t.Error("a fresh default hash needs rehash")
	}
}

func TestHashPasswordWith(t *testing.T) {
	a, err := HashPasswordWith(cheap, "pw")
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPasswordWith(cheap, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q does not carry its parameters", a)
	}
	if !NeedsRehash(a, DefaultParams) {
		t.Error("a hash with other params does not need rehash")
	}
	for _, p := range []Params{{Memory: 64, Time: 0, Threads: 1}, {Memory: 64, Time: 1, Threads: 0}, {Memory: 7, Time: 1, Threads: 1}} {
		if _, err := HashPasswordWith(p, "pw"); err == nil {
			t.Errorf("HashPasswordWith(%+v) accepted invalid params", p)
		}
	}
}

func TestVerifyPassword(t *testing.T) {
	good, err := HashPasswordWith(cheap, "s3cret-passphrase")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	withParts := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name string
		phc  string
		pw   string
		want bool
	}{
		{"right password", good, "s3cret-passphrase", true},
		{"wrong password", good, "s3cret-passphrasE", false},
		{"empty password", good, "", false},
		{"empty string", "", "s3cret-passphrase", false},
		{"argon2i", withParts(1, "argon2i"), "s3cret-passphrase", false},
		{"other version", withParts(2, "v=16"), "s3cret-passphrase", false},
		{"params reordered", withParts(3, "t=1,m=64,p=1"), "s3cret-passphrase", false},
		{"param missing", withParts(3, "m=64,t=1"), "s3cret-passphrase", false},
		{"param extra", withParts(3, "m=64,t=1,p=1,x=1"), "s3cret-passphrase", false},
		{"time zero", withParts(3, "m=64,t=0,p=1"), "s3cret-passphrase", false},
		{"huge memory", withParts(3, "m=4294967295,t=1,p=1"), "s3cret-passphrase", false},
		{"huge time", withParts(3, "m=64,t=100000,p=1"), "s3cret-passphrase", false},
		{"negative", withParts(3, "m=-64,t=1,p=1"), "s3cret-passphrase", false},
		{"bad salt", withParts(4, "!!!"), "s3cret-passphrase", false},
		{"short key", withParts(5, "AAAA"), "s3cret-passphrase", false},
		{"padded key", withParts(5, parts[5]+"="), "s3cret-passphrase", false},
		{"trailing field", good + "$", "s3cret-passphrase", false},
		{"no leading dollar", strings.TrimPrefix(good, "$"), "s3cret-passphrase", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyPassword(tt.phc, tt.pw); got != tt.want {
				t.Errorf("VerifyPassword(%q) = %v, want %v", tt.phc, got, tt.want)
			}
		})
	}
}

// TestKnownVector verifies a hash made by the reference implementation
// (phc-winner-argon2 CLI: argon2id, t=1, m=64 KiB, p=1, salt "somesalt",
// 24-byte key), so that hashes made elsewhere verify here.
func TestKnownVector(t *testing.T) {
	const phc = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$ZVrRXqxlLcWfcXCnMyv0m4Rpvh/bnCi7"
	if !VerifyPassword(phc, "password") {
		t.Errorf("reference hash of %q does not verify", "password")
	}
	if VerifyPassword(phc, "passwore") {
		t.Error("reference hash verifies a wrong password")
	}
	if !NeedsRehash(phc, cheap) {
		t.Error("a 24-byte key with an 8-byte salt does not need rehash")
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		rule string // "" when accepted; else a word of the message
	}{
		{"twelve characters", "abcdefghijkl", ""},
		{"passphrase", "correct horse battery staple", ""},
		{"multibyte counted as characters", "ééééééééééé1", ""},
		{"eleven characters", "abcdefghijk", "at least 12"},
		{"empty", "", "at least 12"},
		{"six two-byte characters are 12 bytes but 6 characters", "éééééé", "at least 12"},
		{"256 bytes", strings.Repeat("ab", 128), ""},
		{"257 bytes", strings.Repeat("ab", 128) + "c", "at most 256"},
		{"same character", strings.Repeat("a", 20), "same character"},
		{"same multibyte character", strings.Repeat("é", 20), "same character"},
		{"invalid UTF-8", "abcdefghijkl\xff", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPasswordPolicy(tt.pw)
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("CheckPasswordPolicy: %v", err)
				}
				return
			}
			if vms.ErrorCode(err) != vms.EINVALID || vms.ErrorField(err) != "password" {
				t.Fatalf("error = %v, want EINVALID on password", err)
			}
			if !strings.Contains(vms.ErrorMessage(err), tt.rule) {
				t.Errorf("message %q does not state the rule %q", vms.ErrorMessage(err), tt.rule)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q is not 32 bytes of unpadded base64url", tok)
		}
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) != 32 {
			t.Fatalf("token %q decodes to %d bytes, %v", tok, len(b), err)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	if got, want := HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashToken(abc) = %s, want %s", got, want)
	}
	if HashToken("a") == HashToken("b") {
		t.Error("different tokens hash alike")
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good, err := HashPasswordWith(cheap, "pw")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		good, "", "$", "$$$$$", "$argon2id$v=19$m=64,t=1,p=1$$",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=99999999999,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=64,t=1,p=0$c29tZXNhbHQ$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=,t=,p=$$",
	} {
		f.Add(s, "pw")
	}
	f.Fuzz(func(t *testing.T, phc, pw string) {
		p, _, _, ok := parsePHC(phc)
		if !ok {
			if VerifyPassword(phc, pw) {
				t.Fatalf("unparsable %q verified", phc)
			}
			return
		}
		if p.Time < 1 || p.Time > maxTime || p.Memory > maxMemory || p.Threads < 1 {
			t.Fatalf("parsePHC accepted out-of-range %+v", p)
		}
		// Verify only cheap parameter sets so that fuzzing stays fast.
		if p.Memory <= 1024 && p.Time <= 2 && p.Threads <= 4 {
			_ = VerifyPassword(phc, pw)
		}
	})
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	phc, err := HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyPassword(phc, "correct horse battery staple") {
			b.Fatal("no match")
		}
	}
}
