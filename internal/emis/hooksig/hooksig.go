// Package hooksig signs and verifies the hub's webhooks (EMIS → hub, PMS → hub, hub → PMS).
//
// A signed request carries one header (Header for PMS webhooks; EMIS callbacks carry the same
// value in EmisHeader):
//
//	Stykovka-Signature: t=1751371200,v1=3f9a…(64 hex digits)
//
// where v1 is hex(HMAC-SHA256(secret, "<t>." + body)) over the exact body bytes and t is the
// sender's Unix time in seconds. A receiver accepts the request only if some v1 matches one
// of its secrets (several v1 values and secrets allow rotation) and |now − t| is within the
// replay window; it then records the signature, so the same request is accepted once (the
// recording is the caller's: a conditional write with an expiry, see package emis).
package hooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	Header     = "Stykovka-Signature"
	EmisHeader = "X-Emis-Signature"
)

// Limits.
const (
	// Window is how far a timestamp may be from the receiver's clock, either way.
	Window = 5 * time.Minute
	// MaxHeaderLen bounds the header: a timestamp and a few signatures.
	MaxHeaderLen = 512
	maxSigs      = 4
)

// Errors of Verify; none of them says which secret was tried.
var (
	ErrMissing   = errors.New("hooksig: no signature")
	ErrMalformed = errors.New("hooksig: malformed signature header")
	ErrStale     = errors.New("hooksig: timestamp outside the replay window")
	ErrMismatch  = errors.New("hooksig: signature does not match")
)

// FromRequest returns the signature header name of r. Its value holds a comma ("t=…,v1=…"), and
// proxies may hand it over as several values split at the commas (the API Gateway adapter
// does); joining them gives back what the sender sent.
func FromRequest(r *http.Request, name string) string {
	return strings.Join(r.Header.Values(name), ",")
}

// Sign returns the header value for body signed with secret at time now.
func Sign(secret []byte, now time.Time, body []byte) string {
	t := now.Unix()
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(mac(secret, t, body))
}

func mac(secret []byte, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Parsed is a parsed header.
type Parsed struct {
	Time time.Time
	Sigs [][]byte // the v1 values, 32 bytes each
}

// Parse reads a header value. Unknown keys (future schemes) are ignored; a header must have
// exactly one t and at least one v1.
func Parse(h string) (Parsed, error) {
	if h == "" {
		return Parsed{}, ErrMissing
	}
	if len(h) > MaxHeaderLen {
		return Parsed{}, ErrMalformed
	}
	var p Parsed
	seenT := false
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Parsed{}, ErrMalformed
		}
		switch k {
		case "t":
			if seenT || len(v) == 0 || len(v) > 12 || v[0] == '+' || v[0] == '-' {
				return Parsed{}, ErrMalformed
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return Parsed{}, ErrMalformed
			}
			p.Time, seenT = time.Unix(n, 0), true
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size || len(p.Sigs) == maxSigs {
				return Parsed{}, ErrMalformed
			}
			p.Sigs = append(p.Sigs, sig)
		}
	}
	if !seenT || len(p.Sigs) == 0 {
		return Parsed{}, ErrMalformed
	}
	return p, nil
}

// Verify checks header against body, the receiver's secrets and clock. It returns the
// parsed header, whose matching signature the caller records to refuse replays.
func Verify(header string, body []byte, secrets [][]byte, now time.Time, window time.Duration) (Parsed, []byte, error) {
	p, err := Parse(header)
	if err != nil {
		return Parsed{}, nil, err
	}
	// Check the MAC before the time, so that a forger learns nothing about the window.
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		want := mac(secret, p.Time.Unix(), body)
		for _, sig := range p.Sigs {
			if hmac.Equal(sig, want) {
				if d := now.Sub(p.Time); d > window || d < -window {
					return Parsed{}, nil, ErrStale
				}
				return p, sig, nil
			}
		}
	}
	return Parsed{}, nil, ErrMismatch
}
