package kmssealer_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/sealer/kmssealer"
	"github.com/stykovka/stykovka/internal/sealer/sealertest"
	"github.com/stykovka/stykovka/internal/testinfra/kmsserver"
)

func start(t testing.TB) (*kmsserver.Server, *kms.Client) {
	t.Helper()
	endpoint, srv := kmsserver.Start(t)
	return srv, kmsserver.Client(t, endpoint)
}

func TestConformance(t *testing.T) {
	srv, client := start(t)
	sealertest.Run(t, kmssealer.New(client, srv.CreateKey()))
}

func TestFreshInstanceOpens(t *testing.T) {
	srv, client := start(t)
	key := srv.CreateKey()
	sealertest.SameKey(t, kmssealer.New(client, key), kmssealer.New(client, key))

	// A fresh instance asks KMS once per data key, then uses its cache.
	a := kmssealer.New(client, key)
	sealed := seal(t, a, "demo", "passport", "4510 123456")
	b := kmssealer.New(client, key)
	before := srv.DecryptCalls.Load()
	for range 5 {
		open(t, b, "demo", "passport", sealed, "4510 123456")
	}
	if got := srv.DecryptCalls.Load() - before; got != 1 {
		t.Fatalf("5 opens in a fresh instance made %d Decrypt calls, want 1", got)
	}
}

func TestAnotherKeyCannotOpen(t *testing.T) {
	srv, client := start(t)
	sealertest.OtherKey(t, kmssealer.New(client, srv.CreateKey()), kmssealer.New(client, srv.CreateKey()))
}

func TestOneDataKeyServesManySeals(t *testing.T) {
	srv, client := start(t)
	k := kmssealer.New(client, srv.CreateKey())
	// 1,000 seals for one tenant, from 10 goroutines at once: they share one data key.
	sealed := make([][]byte, 1000)
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			for i := g * 100; i < (g+1)*100; i++ {
				var err error
				if sealed[i], err = k.Seal(t.Context(), "demo", "passport", fmt.Appendf(nil, "value %d", i)); err != nil {
					t.Errorf("Seal: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := srv.GenerateDataKeyCalls.Load(); got != 1 {
		t.Fatalf("1,000 seals made %d GenerateDataKey calls, want 1", got)
	}
	// The instance that sealed opens without KMS.
	for i, s := range sealed {
		open(t, k, "demo", "passport", s, fmt.Sprintf("value %d", i))
	}
	if got := srv.DecryptCalls.Load(); got != 0 {
		t.Fatalf("opening in the sealing instance made %d Decrypt calls, want 0", got)
	}
	// Another tenant has its own data key.
	seal(t, k, "other", "passport", "x")
	if got := srv.GenerateDataKeyCalls.Load(); got != 2 {
		t.Fatalf("a second tenant made %d GenerateDataKey calls in all, want 2", got)
	}
}

func TestDataKeysAreRenewed(t *testing.T) {
	srv, client := start(t)
	key := srv.CreateKey()
	fake := clock.NewFake(time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC))
	k := kmssealer.New(client, key)
	kmssealer.SetClock(k, fake)

	first := seal(t, k, "demo", "p", "first")
	fake.Advance(kmssealer.MaxAge - time.Second)
	seal(t, k, "demo", "p", "x")
	if got := srv.GenerateDataKeyCalls.Load(); got != 1 {
		t.Fatalf("GenerateDataKey calls before the key's age limit = %d, want 1", got)
	}
	fake.Advance(time.Second)
	second := seal(t, k, "demo", "p", "second")
	if got := srv.GenerateDataKeyCalls.Load(); got != 2 {
		t.Fatalf("GenerateDataKey calls at the key's age limit = %d, want 2", got)
	}

	// Uses: the new key has sealed once; it seals MaxUses in all, then a new one comes.
	for range kmssealer.MaxUses - 1 {
		if _, err := k.Seal(t.Context(), "demo", "p", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.GenerateDataKeyCalls.Load(); got != 2 {
		t.Fatalf("GenerateDataKey calls at %d uses = %d, want 2", kmssealer.MaxUses, got)
	}
	third := seal(t, k, "demo", "p", "third")
	if got := srv.GenerateDataKeyCalls.Load(); got != 3 {
		t.Fatalf("GenerateDataKey calls after %d uses = %d, want 3", kmssealer.MaxUses, got)
	}

	// Values sealed under each of the data keys open, in this instance and a fresh one.
	fresh := kmssealer.New(client, key)
	for _, s := range []sealer.Sealer{k, fresh} {
		open(t, s, "demo", "p", first, "first")
		open(t, s, "demo", "p", second, "second")
		open(t, s, "demo", "p", third, "third")
	}
}

func TestTenantMismatchFailsAtKMS(t *testing.T) {
	srv, client := start(t)
	key := srv.CreateKey()
	a := kmssealer.New(client, key)
	sealed := seal(t, a, "demo", "passport", "4510 123456")

	// Even where the data key is cached, opening as another tenant goes to KMS, which refuses
	// the encryption context.
	for name, s := range map[string]*kmssealer.KMS{"sealing instance": a, "fresh instance": kmssealer.New(client, key)} {
		before := srv.DecryptCalls.Load()
		_, err := s.Open(t.Context(), "other", "passport", sealed)
		if !errors.Is(err, sealer.ErrOpen) {
			t.Errorf("%s: Open as another tenant = %v, want ErrOpen", name, err)
		}
		if got := srv.DecryptCalls.Load() - before; got != 1 {
			t.Errorf("%s: Open as another tenant made %d Decrypt calls, want 1", name, got)
		}
	}
}

func TestServiceTroubleIsNotErrOpen(t *testing.T) {
	srv, client := start(t)
	key := srv.CreateKey()
	sealed := seal(t, kmssealer.New(client, key), "demo", "passport", "4510 123456")
	srv.DisableKey(key)

	_, err := kmssealer.New(client, key).Open(t.Context(), "demo", "passport", sealed)
	var disabled *types.DisabledException
	if errors.Is(err, sealer.ErrOpen) || !errors.As(err, &disabled) {
		t.Fatalf("Open with a disabled key = %v, want the KMS error and not ErrOpen", err)
	}
	// Callers waiting for one GenerateDataKey call get its error too.
	k := kmssealer.New(client, key)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, err := k.Seal(t.Context(), "demo", "passport", []byte("x"))
			var disabled *types.DisabledException
			if errors.Is(err, sealer.ErrOpen) || !errors.As(err, &disabled) {
				t.Errorf("Seal with a disabled key = %v, want the KMS error", err)
			}
		})
	}
	wg.Wait()
	_, err = kmssealer.New(client, "no-such-key").Seal(t.Context(), "demo", "passport", []byte("x"))
	var notFound *types.NotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("Seal with an unknown key = %v, want NotFoundException", err)
	}
}

func TestOpenCacheIsBounded(t *testing.T) {
	srv, client := start(t)
	key := srv.CreateKey()
	a := kmssealer.New(client, key)
	b := kmssealer.New(client, key)
	kmssealer.SetMaxOpenKeys(b, 4)
	var sealed [][]byte
	for i := range 10 {
		sealed = append(sealed, seal(t, a, fmt.Sprint("tenant-", i), "p", "v"))
	}
	for i, s := range sealed {
		open(t, b, fmt.Sprint("tenant-", i), "p", s, "v")
		if n := kmssealer.OpenKeysCached(b); n > 4 {
			t.Fatalf("%d keys cached, want at most 4", n)
		}
	}
	// Evicted keys are fetched again.
	open(t, b, "tenant-0", "p", sealed[0], "v")
}

func seal(t *testing.T, s sealer.Sealer, tenant, purpose, plaintext string) []byte {
	t.Helper()
	sealed, err := s.Seal(t.Context(), tenant, purpose, []byte(plaintext))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

func open(t *testing.T, s sealer.Sealer, tenant, purpose string, sealed []byte, want string) {
	t.Helper()
	got, err := s.Open(t.Context(), tenant, purpose, sealed)
	if err != nil || string(got) != want {
		t.Fatalf("Open(%q, %q) = %q, %v; want %q", tenant, purpose, got, err, want)
	}
}

func BenchmarkSeal(b *testing.B) {
	srv, client := start(b)
	k := kmssealer.New(client, srv.CreateKey())
	plaintext := bytes.Repeat([]byte{'x'}, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal(b.Context(), "demo", "passport", plaintext); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(srv.GenerateDataKeyCalls.Load())/float64(b.N), "kms-calls/op")
}

func BenchmarkOpen(b *testing.B) {
	srv, client := start(b)
	k := kmssealer.New(client, srv.CreateKey())
	sealed, err := k.Seal(b.Context(), "demo", "passport", bytes.Repeat([]byte{'x'}, 64))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open(b.Context(), "demo", "passport", sealed); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(srv.DecryptCalls.Load())/float64(b.N), "kms-calls/op")
}
