// Package sealertest is the conformance suite of the sealer port: every adapter passes Run,
// and SameKey and OtherKey with pairs of its instances.
package sealertest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stykovka/stykovka/internal/sealer"
)

// Run runs the checks that need one instance.
func Run(t *testing.T, s sealer.Sealer) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, s) })
	t.Run("RandomNonce", func(t *testing.T) { testRandomNonce(t, s) })
	t.Run("BoundToTenantAndPurpose", func(t *testing.T) { testBinding(t, s) })
	t.Run("Tampered", func(t *testing.T) { testTampered(t, s) })
	t.Run("NoPlaintextInside", func(t *testing.T) { testNoPlaintextInside(t, s) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, s) })
}

// SameKey checks that two instances over the same key (a reopened key file, a process with a
// cold cache) open each other's values.
func SameKey(t *testing.T, a, b sealer.Sealer) {
	t.Helper()
	for _, pair := range [][2]sealer.Sealer{{a, b}, {b, a}} {
		sealed := mustSeal(t, pair[0], "demo", "passport", []byte("4510 123456"))
		mustOpen(t, pair[1], "demo", "passport", sealed, []byte("4510 123456"))
		mustNotOpen(t, pair[1], "other", "passport", sealed)
	}
}

// OtherKey checks that values sealed by a do not open in b, nor the reverse.
func OtherKey(t *testing.T, a, b sealer.Sealer) {
	t.Helper()
	for _, pair := range [][2]sealer.Sealer{{a, b}, {b, a}} {
		sealed := mustSeal(t, pair[0], "demo", "passport", []byte("4510 123456"))
		mustNotOpen(t, pair[1], "demo", "passport", sealed)
	}
}

func mustSeal(t *testing.T, s sealer.Sealer, tenant, purpose string, plaintext []byte) []byte {
	t.Helper()
	sealed, err := s.Seal(t.Context(), tenant, purpose, plaintext)
	if err != nil {
		t.Fatalf("Seal(%q, %q, %d bytes): %v", tenant, purpose, len(plaintext), err)
	}
	return sealed
}

func mustOpen(t *testing.T, s sealer.Sealer, tenant, purpose string, sealed, want []byte) {
	t.Helper()
	got, err := s.Open(t.Context(), tenant, purpose, sealed)
	if err != nil {
		t.Fatalf("Open(%q, %q): %v", tenant, purpose, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Open(%q, %q) = %d bytes, want %d bytes", tenant, purpose, len(got), len(want))
	}
}

// mustNotOpen expects ErrOpen and no plaintext.
func mustNotOpen(t *testing.T, s sealer.Sealer, tenant, purpose string, sealed []byte) {
	t.Helper()
	if err := notOpen(t, s, tenant, purpose, sealed); err != nil {
		t.Fatal(err)
	}
}

func notOpen(t *testing.T, s sealer.Sealer, tenant, purpose string, sealed []byte) error {
	got, err := s.Open(t.Context(), tenant, purpose, sealed)
	if !errors.Is(err, sealer.ErrOpen) {
		return fmt.Errorf("Open(%q, %q) of %d bytes = %d bytes, %v; want ErrOpen", tenant, purpose, len(sealed), len(got), err)
	}
	if len(got) != 0 {
		return fmt.Errorf("Open(%q, %q) failed but returned %d bytes", tenant, purpose, len(got))
	}
	return nil
}

func testRoundTrip(t *testing.T, s sealer.Sealer) {
	big := make([]byte, 1<<20)
	rand.Read(big)
	for _, tc := range []struct {
		name, tenant, purpose string
		plaintext             []byte
	}{
		{"empty", "demo", "note", nil},
		{"one byte", "demo", "flag", []byte{0}},
		{"1 MiB", "demo", "scan", big},
		{"Cyrillic", "гостиница-восход", "guest.name", []byte("Иванов Иван Иванович")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed := mustSeal(t, s, tc.tenant, tc.purpose, tc.plaintext)
			mustOpen(t, s, tc.tenant, tc.purpose, sealed, tc.plaintext)
		})
	}
}

func testRandomNonce(t *testing.T, s sealer.Sealer) {
	plaintext := []byte("4510 123456")
	a := mustSeal(t, s, "demo", "passport", plaintext)
	b := mustSeal(t, s, "demo", "passport", plaintext)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal: the nonce is not random")
	}
	mustOpen(t, s, "demo", "passport", a, plaintext)
	mustOpen(t, s, "demo", "passport", b, plaintext)
}

func testBinding(t *testing.T, s sealer.Sealer) {
	sealed := mustSeal(t, s, "ab", "c", []byte("4510 123456"))
	mustOpen(t, s, "ab", "c", sealed, []byte("4510 123456"))
	for _, other := range [][2]string{
		{"other", "c"},  // another tenant
		{"ab", "other"}, // another purpose
		{"a", "bc"},     // the same bytes split differently
		{"c", "ab"},     // swapped
		{"", ""},
	} {
		mustNotOpen(t, s, other[0], other[1], sealed)
	}
}

func testTampered(t *testing.T, s sealer.Sealer) {
	sealed := mustSeal(t, s, "demo", "passport", []byte("4510 123456"))
	for i := range sealed {
		flipped := bytes.Clone(sealed)
		flipped[i] ^= 0x01
		if err := notOpen(t, s, "demo", "passport", flipped); err != nil {
			t.Fatalf("byte %d of %d flipped: %v", i, len(sealed), err)
		}
	}
	for n := range len(sealed) {
		if err := notOpen(t, s, "demo", "passport", sealed[:n:n]); err != nil {
			t.Fatalf("truncated to %d of %d bytes: %v", n, len(sealed), err)
		}
	}
	mustNotOpen(t, s, "demo", "passport", append(bytes.Clone(sealed), 0))
	mustNotOpen(t, s, "demo", "passport", nil)
	mustNotOpen(t, s, "demo", "passport", []byte{})
	// The original still opens: nothing above changed it.
	mustOpen(t, s, "demo", "passport", sealed, []byte("4510 123456"))
}

func testNoPlaintextInside(t *testing.T, s sealer.Sealer) {
	plaintext := []byte("PASSPORT 4510 123456 ИВАНОВ ИВАН ИВАНОВИЧ 1980-01-01")
	sealed := mustSeal(t, s, "demo", "passport", plaintext)
	// No 8-byte window of the plaintext shows.
	for i := 0; i+8 <= len(plaintext); i++ {
		if bytes.Contains(sealed, plaintext[i:i+8]) {
			t.Fatalf("sealed value contains plaintext bytes %q", plaintext[i:i+8])
		}
	}
}

func testConcurrent(t *testing.T, s sealer.Sealer) {
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Go(func() {
			ctx := t.Context()
			tenant := fmt.Sprintf("tenant-%d", g%5)
			for i := range 10 {
				plaintext := fmt.Appendf(nil, "goroutine %d value %d", g, i)
				sealed, err := s.Seal(ctx, tenant, "concurrent", plaintext)
				if err != nil {
					t.Errorf("Seal: %v", err)
					return
				}
				got, err := s.Open(ctx, tenant, "concurrent", sealed)
				if err != nil || !bytes.Equal(got, plaintext) {
					t.Errorf("Open = %q, %v; want %q", got, err, plaintext)
					return
				}
				if _, err := s.Open(ctx, tenant+"x", "concurrent", sealed); !errors.Is(err, sealer.ErrOpen) {
					t.Errorf("Open as another tenant = %v, want ErrOpen", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
