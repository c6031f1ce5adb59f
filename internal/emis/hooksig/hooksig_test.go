package hooksig

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

// TestKnownVector pins the scheme so that PMS vendors can check their code against it:
// HMAC-SHA256("secret", "1751371200.{}") computed independently (openssl dgst -sha256 -hmac).
func TestKnownVector(t *testing.T) {
	got := Sign([]byte("secret"), t0, []byte("{}"))
	want := "t=1751371200,v1=62346dbc918f502f025204ff718d7b410d40ba004e2135de15e72ef98afc10f9"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("s3cr3t-s3cr3t-s3cr3t-s3cr3t-0001")
	body := []byte(`{"event":"guest.saved"}`)
	h := Sign(secret, t0, body)
	for _, tc := range []struct {
		name    string
		header  string
		body    string
		secrets [][]byte
		now     time.Time
		want    error
	}{
		{"ok", h, string(body), [][]byte{secret}, t0, nil},
		{"ok at window edge", h, string(body), [][]byte{secret}, t0.Add(Window), nil},
		{"ok clock behind", h, string(body), [][]byte{secret}, t0.Add(-Window), nil},
		{"rotated: second secret", h, string(body), [][]byte{[]byte("old"), secret}, t0, nil},
		{"stale", h, string(body), [][]byte{secret}, t0.Add(Window + time.Second), ErrStale},
		{"from the future", h, string(body), [][]byte{secret}, t0.Add(-Window - time.Second), ErrStale},
		{"body changed", h, string(body) + " ", [][]byte{secret}, t0, ErrMismatch},
		{"wrong secret", h, string(body), [][]byte{[]byte("other")}, t0, ErrMismatch},
		{"no secrets", h, string(body), nil, t0, ErrMismatch},
		{"empty secret never matches", Sign(nil, t0, body), string(body), [][]byte{{}}, t0, ErrMismatch},
		{"time changed", strings.Replace(h, "t=1751371200", "t=1751371201", 1), string(body), [][]byte{secret}, t0, ErrMismatch},
		{"missing", "", string(body), [][]byte{secret}, t0, ErrMissing},
		{"no v1", "t=1751371200", string(body), [][]byte{secret}, t0, ErrMalformed},
		{"no t", "v1=" + strings.Repeat("0", 64), string(body), [][]byte{secret}, t0, ErrMalformed},
		{"two t", h + ",t=1", string(body), [][]byte{secret}, t0, ErrMalformed},
		{"short v1", "t=1751371200,v1=abcd", string(body), [][]byte{secret}, t0, ErrMalformed},
		{"signed t", "t=+1751371200,v1=" + strings.Repeat("0", 64), string(body), [][]byte{secret}, t0, ErrMalformed},
		{"too long", h + strings.Repeat(",x=y", 200), string(body), [][]byte{secret}, t0, ErrMalformed},
		{"unknown scheme ignored", h + ",v0=zz", string(body), [][]byte{secret}, t0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, sig, err := Verify(tc.header, []byte(tc.body), tc.secrets, tc.now, Window)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err == nil && len(sig) != 32 {
				t.Fatalf("signature %x", sig)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Sign([]byte("k"), t0, []byte("body")))
	f.Add("t=1,v1=" + strings.Repeat("ab", 32) + ",v1=" + strings.Repeat("cd", 32))
	f.Add("t=,v1=")
	f.Add("t=99999999999999999999,v1=00")
	f.Add(" t = 1 , v1=zz")
	f.Add(",,,")
	f.Fuzz(func(t *testing.T, h string) {
		p, err := Parse(h)
		if err != nil {
			return
		}
		if len(p.Sigs) == 0 || len(p.Sigs) > maxSigs {
			t.Fatalf("Parse(%q) gave %d signatures", h, len(p.Sigs))
		}
		for _, s := range p.Sigs {
			if len(s) != 32 {
				t.Fatalf("Parse(%q): signature of %d bytes", h, len(s))
			}
		}
		// A parsed header never verifies against an unknown secret by accident.
		if _, _, err := Verify(h, []byte("x"), [][]byte{[]byte("fuzz-secret")}, p.Time, Window); err == nil {
			t.Fatalf("Verify(%q) accepted a random signature", h)
		}
	})
}
