package kontur

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// The ids of a write-off are derived from tenant and RequestId, so that every process that
// handles the same request — a retry, a concurrent duplicate, the recovery after a crash —
// computes the same document reference and sends Kontur the same operation id.

// writeOffRef is the write-off's document reference (Ref_Key): a name-based GUID (version 5
// layout over SHA-256) of tenant and RequestId.
func writeOffRef(tenant, requestID string) string {
	return guidFrom(sha256.Sum256([]byte("stykovka/kontur/writeoff\x00" + tenant + "\x00" + requestID)))
}

// operationID is the Kontur operation id of the write-off: unique across tenants, and the
// same on every retry.
func operationID(tenant, requestID string) string {
	sum := sha256.Sum256([]byte("stykovka/kontur/operation\x00" + tenant + "\x00" + requestID))
	return "stk-" + hex.EncodeToString(sum[:16])
}

func guidFrom(sum [32]byte) string {
	var g [16]byte
	copy(g[:], sum[:16])
	g[6] = g[6]&0x0f | 0x50 // version 5
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return formatGUID(g)
}

// newGUID returns a random (version 4) GUID, as 1C makes references.
func newGUID() string {
	var g [16]byte
	if _, err := rand.Read(g[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return formatGUID(g)
}

func formatGUID(g [16]byte) string {
	h := hex.EncodeToString(g[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

var guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// normGUID returns the canonical (lower-case) form of a GUID, or false.
func normGUID(s string) (string, bool) {
	if !guidRe.MatchString(s) {
		return "", false
	}
	return strings.ToLower(s), true
}

// maskCard keeps the last four characters of a card number: enough for the front desk and the
// logs to tell cards apart, not enough to use one.
func maskCard(card string) string {
	if len(card) <= 4 {
		return "****"
	}
	return "****" + card[len(card)-4:]
}
