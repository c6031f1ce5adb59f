package retention_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/tenants"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

var tableSeq atomic.Int64

// stores are both adapters of the store port, on the same fake clock.
func stores(t *testing.T, clk *clock.Fake) map[string]store.Store {
	t.Helper()
	bolt, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	client := dynalite.Client(t, dynalite.Shared(t))
	table := fmt.Sprintf("retention%d", tableSeq.Add(1))
	if err := dynamostore.CreateTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	return map[string]store.Store{"bbolt": bolt, "dynalite": dynamostore.New(client, table, clk)}
}

func TestBlobLeases(t *testing.T) {
	clk := clock.NewFake(t0)
	for name, st := range stores(t, clk) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			bl, err := folderblobs.New(filepath.Join(t.TempDir(), "blobs"))
			if err != nil {
				t.Fatal(err)
			}
			reg := tenants.New(st, clk)
			for _, id := range []string{"hotel-a", "hotel-b"} {
				if _, err := reg.AddTenant(ctx, id, id, ""); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := reg.SetRetention(ctx, "hotel-b", 24*time.Hour); err != nil {
				t.Fatal(err)
			}
			put := func(key string) {
				t.Helper()
				if err := bl.Put(ctx, key, []byte("Иванов Иван Иванович")); err != nil {
					t.Fatal(err)
				}
			}
			now := clk.Now()
			letterA, letterB := "t/hotel-a/sep/mail/m-1.eml", "t/hotel-b/sep/mail/m-1.eml"
			registryA, plainA := "t/hotel-a/novotelecom/in/abc", "t/hotel-a/kontur/x.json"
			for _, k := range []string{letterA, letterB, registryA, plainA} {
				put(k)
			}
			// The tenant's retention decides: 3 days by default, 1 day for hotel-b.
			at, err := retention.KeepBlob(ctx, st, "hotel-a", letterA, now)
			if err != nil || !at.Equal(now.Add(72*time.Hour)) {
				t.Fatalf("KeepBlob: %v %v", at, err)
			}
			if at, err := retention.KeepBlob(ctx, st, "hotel-b", letterB, now); err != nil || !at.Equal(now.Add(24*time.Hour)) {
				t.Fatalf("KeepBlob hotel-b: %v %v", at, err)
			}
			if err := retention.KeepBlobUntil(ctx, st, "hotel-a", registryA, now.Add(time.Hour+300*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if at, ok, err := retention.BlobDue(ctx, st, "hotel-a", registryA); err != nil || !ok || !at.Equal(now.Add(time.Hour+time.Second)) {
				t.Fatalf("BlobDue rounds up to the second: %v %v %v", at, ok, err)
			}
			if _, ok, _ := retention.BlobDue(ctx, st, "hotel-a", plainA); ok {
				t.Fatal("a blob never kept has a lease")
			}

			// Leases name only the tenant's own personal-data folders.
			for _, bad := range []struct{ tenant, key string }{
				{"hotel-a", letterB},                  // another tenant's blob
				{"hotel-a", plainA},                   // not a personal-data system
				{"hotel-a", "mail/hotel-a/x.eml"},     // outside t/
				{"hotel-a", "t/hotel-a/sep"},          // a folder, no name
				{"hotel-a", "t/hotel-a/sep/../x.eml"}, // not a valid key
			} {
				if err := retention.KeepBlobUntil(ctx, st, bad.tenant, bad.key, now); err == nil {
					t.Errorf("KeepBlobUntil(%s, %s) accepted", bad.tenant, bad.key)
				}
			}

			sweep := func(tenant string) int {
				t.Helper()
				n, err := retention.SweepBlobs(ctx, st, bl, tenant, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			exists := func(key string) bool {
				_, err := bl.Get(ctx, key)
				if err != nil && !errors.Is(err, blobs.ErrNotFound) {
					t.Fatal(err)
				}
				return err == nil
			}
			if n := sweep("hotel-a"); n != 0 || !exists(registryA) {
				t.Fatalf("nothing is due yet: swept %d", n)
			}
			clk.Advance(time.Hour + time.Second)
			if n := sweep("hotel-a"); n != 1 || exists(registryA) || !exists(letterA) || !exists(plainA) {
				t.Fatalf("after an hour: swept %d; registry %v letter %v", n, exists(registryA), exists(letterA))
			}
			if n := sweep("hotel-a"); n != 0 {
				t.Fatalf("a second sweep found %d", n)
			}
			// Keeping again moves the lease: the retention now runs from the delivery.
			clk.Advance(70 * time.Hour) // 71 h after storing
			if _, err := retention.KeepBlob(ctx, st, "hotel-a", letterA, clk.Now()); err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * time.Hour) // 73 h after storing: the first lease would have ended
			if n := sweep("hotel-a"); n != 0 || !exists(letterA) {
				t.Fatalf("the moved lease was swept by its old time: %d", n)
			}
			// hotel-b's day has passed long ago; its sweep does not touch hotel-a.
			if n := sweep("hotel-b"); n != 1 || exists(letterB) || !exists(letterA) {
				t.Fatalf("hotel-b: swept %d", n)
			}
			clk.Advance(71 * time.Hour)
			// A blob already gone (deleted by its module) only ends the lease.
			if err := bl.Delete(ctx, letterA); err != nil {
				t.Fatal(err)
			}
			if n := sweep("hotel-a"); n != 1 {
				t.Fatalf("lease of a deleted blob: swept %d", n)
			}
			if _, ok, _ := retention.BlobDue(ctx, st, "hotel-a", letterA); ok {
				t.Fatal("lease left after the sweep")
			}
			if !exists(plainA) {
				t.Fatal("a blob without a lease was deleted")
			}
		})
	}
}
