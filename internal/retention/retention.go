// Package retention ends the life of personal data kept in Blobs.
//
// Store items expire by themselves (store.Item.ExpiresAt: hidden on read at once, removed by
// bbolt's Sweep locally and by DynamoDB's TTL in AWS). Blobs have no expiry, so a module that
// writes a blob holding personal data (a raw letter naming people, a registry naming owners)
// gives it a lease: KeepBlob records, in the tenant's store view, the blob's key and when it
// must go. The hub's "retention-sweep" job (internal/hub/retention.go) calls SweepBlobs for
// every tenant; it deletes the blobs whose time has come, then their leases.
//
// Layout inside the tenant's store.ForTenant view (keys hold blob keys, never personal data):
//
//	RET#BLOB/<blob key>   a lease; GSI1 RET#BLOBDUE / <due, UTC seconds>#<blob key>
//
// Leases themselves never expire: a lease hidden by expiry would leave its blob behind. Keeping
// a blob again moves its lease (the latest call wins), so a module may extend the retention
// from the delivery, as EMIS does for its records.
//
// The blob keys a lease may name are t/<tenant>/<system>/… of the Systems below: the tenant's
// own, and only where the hub-jobs function may delete objects (template.yaml).
package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/tenants"
)

// Systems are the modules whose blobs may hold personal data, by the folder of their blobs.
var Systems = []string{"emis", "novotelecom", "sep"}

const (
	pkLease   = "RET#BLOB"
	gsiDue    = "RET#BLOBDUE"
	dueLayout = "20060102T150405Z"
	// maxSuffix sorts after every key character: an inclusive upper bound for "due#anything".
	maxSuffix = "\U0010FFFF"
)

// ErrKey refuses a blob key outside the tenant's personal-data folders.
var ErrKey = errors.New("retention: blob key outside t/<tenant>/<system>/ of a personal-data system")

func checkKey(tenant, key string) error {
	if err := blobs.ValidKey(key); err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(key, "t/"+tenant+"/")
	sys, name, _ := strings.Cut(rest, "/")
	if !ok || name == "" || !slices.Contains(Systems, sys) {
		return fmt.Errorf("%w: %q", ErrKey, key)
	}
	return nil
}

func dueKey(t time.Time, key string) string {
	return t.UTC().Format(dueLayout) + "#" + key
}

// KeepBlob gives the blob at key a lease of the tenant's retention (tenants.RetentionOf)
// counted from from, and returns when the blob will be deleted. st is the unscoped store.
func KeepBlob(ctx context.Context, st store.Store, tenant, key string, from time.Time) (time.Time, error) {
	keep, err := tenants.RetentionOf(ctx, st, tenant)
	if err != nil {
		return time.Time{}, err
	}
	at := from.Add(keep)
	return at, KeepBlobUntil(ctx, st, tenant, key, at)
}

// KeepBlobUntil gives the blob at key a lease that ends at at (rounded up to the second).
func KeepBlobUntil(ctx context.Context, st store.Store, tenant, key string, at time.Time) error {
	if err := checkKey(tenant, key); err != nil {
		return err
	}
	ts, err := store.ForTenant(st, tenant)
	if err != nil {
		return err
	}
	if at.Truncate(time.Second) != at {
		at = at.Truncate(time.Second).Add(time.Second)
	}
	_, err = ts.Put(ctx, store.Item{PK: pkLease, SK: key, GSI1PK: gsiDue, GSI1SK: dueKey(at, key),
		Attrs: map[string]string{"due": at.UTC().Format(time.RFC3339)}})
	return err
}

// BlobDue returns when the blob at key is to be deleted; ok is false when it has no lease.
func BlobDue(ctx context.Context, st store.Store, tenant, key string) (at time.Time, ok bool, err error) {
	ts, err := store.ForTenant(st, tenant)
	if err != nil {
		return time.Time{}, false, err
	}
	it, err := ts.Get(ctx, pkLease, key)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	at, err = time.Parse(time.RFC3339, it.Attrs["due"])
	return at, err == nil, err
}

// SweepBlobs deletes the tenant's blobs whose lease ended at or before now, then their
// leases, and returns how many leases it ended. It is safe to run concurrently and again:
// deleting an absent blob is not an error, and a lease moved between the sweep's reading it
// and deleting it stays (privacy first: the blob is gone then, the module writes it anew).
func SweepBlobs(ctx context.Context, st store.Store, bl blobs.Blobs, tenant string, now time.Time) (int, error) {
	ts, err := store.ForTenant(st, tenant)
	if err != nil {
		return 0, err
	}
	deleted := 0
	q := store.Query{Index: store.GSI1, PK: gsiDue, To: now.UTC().Format(dueLayout) + "#" + maxSuffix, Limit: 100}
	for {
		page, err := ts.Query(ctx, q)
		if err != nil {
			return deleted, err
		}
		for _, idx := range page.Items {
			if err := ctx.Err(); err != nil {
				return deleted, err
			}
			// The index may lag behind the table (DynamoDB's GSIs are eventually consistent):
			// the lease itself decides.
			it, err := ts.Get(ctx, pkLease, idx.SK)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return deleted, err
			}
			at, err := time.Parse(time.RFC3339, it.Attrs["due"])
			if err == nil && at.After(now) {
				continue
			}
			if err := bl.Delete(ctx, it.SK); err != nil {
				return deleted, fmt.Errorf("retention: delete blob: %w", err)
			}
			deleted++
			err = ts.Delete(ctx, pkLease, it.SK, store.VersionIs(it.Version))
			if err != nil && !errors.Is(err, store.ErrConditionFailed) {
				return deleted, err
			}
		}
		if page.Next == "" {
			return deleted, nil
		}
		q.Cursor = page.Next
	}
}
