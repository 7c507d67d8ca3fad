// Package credential owns the secrets of user accounts: argon2id password
// hashes in the PHC string format, the password policy, and random tokens
// (sessions, first-login and reset links) with the hashes kept in place of
// them.
//
// The package stores nothing and never logs: callers keep the PHC strings
// and token hashes, and hand the clear token to the user exactly once.
package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/vmsplatform/vms"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
}

// DefaultParams is the OWASP minimum for argon2id: 19 MiB, 2 passes, 1 lane.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32

	// Bounds accepted when parsing a stored hash, so that a forged or
	// corrupt string cannot make verification allocate or spin without
	// limit: at most 256 MiB of memory and 64 passes.
	maxMemory  = 256 * 1024 // KiB = 256 MiB
	maxTime    = 64
	maxSaltLen = 64
	maxKeyLen  = 128

	// MinPasswordLen and MaxPasswordBytes bound a password (CheckPasswordPolicy).
	MinPasswordLen   = 12
	MaxPasswordBytes = 256
)

var b64 = base64.RawStdEncoding

// HashPassword hashes pw with DefaultParams.
func HashPassword(pw string) (string, error) {
	return HashPasswordWith(DefaultParams, pw)
}

// HashPasswordWith hashes pw with argon2id and the given parameters, a
// 16-byte random salt and a 32-byte key, and returns the PHC string
// "$argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<hash>".
func HashPasswordWith(p Params, pw string) (string, error) {
	if p.Memory < 8*uint32(p.Threads) || p.Time < 1 || p.Threads < 1 {
		return "", fmt.Errorf("credential: invalid argon2id parameters m=%d t=%d p=%d", p.Memory, p.Time, p.Threads)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("credential: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string phc. The
// parameters come from the string; a malformed string or one with
// out-of-range parameters never matches. The comparison is constant-time.
func VerifyPassword(phc, pw string) bool {
	p, salt, key, ok := parsePHC(phc)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// NeedsRehash reports whether phc was made with parameters other than p (or
// cannot be read), so that the caller can re-hash at the next login.
func NeedsRehash(phc string, p Params) bool {
	q, salt, key, ok := parsePHC(phc)
	return !ok || q != p || len(salt) != saltLen || len(key) != keyLen
}

// parsePHC reads "$argon2id$v=19$m=..,t=..,p=..$salt$hash".
func parsePHC(phc string) (p Params, salt, key []byte, ok bool) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, false
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, false
	}
	var m, t, th uint64
	seen := 0
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, found := strings.Cut(kv, "=")
		if !found {
			return p, nil, nil, false
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, false
		}
		switch {
		case k == "m" && seen == 0:
			m = n
		case k == "t" && seen == 1:
			t = n
		case k == "p" && seen == 2:
			th = n
		default:
			return p, nil, nil, false
		}
		seen++
	}
	if seen != 3 || t < 1 || t > maxTime || th < 1 || th > 255 || m < 8*th || m > maxMemory {
		return p, nil, nil, false
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > maxSaltLen {
		return p, nil, nil, false
	}
	key, err = b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxKeyLen {
		return p, nil, nil, false
	}
	return Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th)}, salt, key, true
}

// CheckPasswordPolicy returns a *vms.Error on field "password" when pw is
// too weak: fewer than 12 characters, more than 256 bytes, or the same
// character repeated.
func CheckPasswordPolicy(pw string) error {
	if len(pw) > MaxPasswordBytes {
		return vms.FieldError("password", "must be at most %d bytes long", MaxPasswordBytes)
	}
	if !utf8.ValidString(pw) {
		return vms.FieldError("password", "must be valid UTF-8 text")
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return vms.FieldError("password", "must be at least %d characters long", MinPasswordLen)
	}
	first, _ := utf8.DecodeRuneInString(pw)
	if strings.Trim(pw, string(first)) == "" {
		return vms.FieldError("password", "must not be the same character repeated")
	}
	return nil
}

// NewToken returns a fresh random token: 32 bytes from crypto/rand,
// base64url without padding (43 characters).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("credential: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the hex SHA-256 of tok: what is stored in place of a
// token, so that a leaked database does not hold usable tokens.
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}
