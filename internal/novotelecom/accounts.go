package novotelecom

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

// The accounts a tenant has sent to Novotelecom (in debts and meter registries) are the only
// ones payments and readings may name. They live in one blob, one account a line; the record
// NT#ACC/set points at the current blob and is swapped with a versioned write, so concurrent
// submits never lose each other's accounts.

// loadAccounts returns the tenant's known accounts (an empty set before the first debts).
func (s *Service) loadAccounts(ctx context.Context, ts store.Store) (*registry.AccountSet, error) {
	for attempt := 0; ; attempt++ {
		it, err := ts.Get(ctx, pkAccounts, "set")
		if errors.Is(err, store.ErrNotFound) {
			return registry.NewAccountSet(), nil
		}
		if err != nil {
			return nil, err
		}
		data, err := s.d.Blobs.Get(ctx, it.Attrs["blob"])
		if errors.Is(err, blobs.ErrNotFound) && attempt < 3 {
			continue // swapped and the old blob removed meanwhile: read the new pointer
		}
		if err != nil {
			return nil, err
		}
		set := registry.NewAccountSet()
		for line := range bytes.Lines(data) {
			if a := bytes.TrimSpace(line); len(a) > 0 {
				set.Add(string(a))
			}
		}
		return set, nil
	}
}

// addAccounts adds accounts to the tenant's set.
func (s *Service) addAccounts(ctx context.Context, ts store.Store, tenant string, accounts []string) error {
	for attempt := 0; attempt < 20; attempt++ {
		it, err := ts.Get(ctx, pkAccounts, "set")
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		set, err := s.loadAccounts(ctx, ts)
		if err != nil {
			return err
		}
		before := set.Len()
		for _, a := range accounts {
			set.Add(a)
		}
		if exists && set.Len() == before {
			return nil
		}
		all := make([]string, 0, set.Len())
		set.Each(func(a string) { all = append(all, a) })
		slices.Sort(all)
		var buf bytes.Buffer
		for _, a := range all {
			buf.WriteString(a)
			buf.WriteByte('\n')
		}
		// A fresh key per attempt: a racing writer can never overwrite the blob we point to.
		var rnd [8]byte
		_, _ = rand.Read(rnd[:])
		key := blobKey(tenant, "accounts", hex.EncodeToString(rnd[:]))
		if err := s.d.Blobs.Put(ctx, key, buf.Bytes()); err != nil {
			return err
		}
		next := store.Item{PK: pkAccounts, SK: "set", Attrs: map[string]string{"blob": key, "count": strconv.Itoa(len(all))}}
		cond := store.NotExists()
		if exists {
			cond = store.VersionIs(it.Version)
		}
		if _, err := ts.Put(ctx, next, cond); err != nil {
			_ = s.d.Blobs.Delete(ctx, key)
			if errors.Is(err, store.ErrConditionFailed) {
				continue
			}
			return err
		}
		if exists {
			_ = s.d.Blobs.Delete(ctx, it.Attrs["blob"])
		}
		return nil
	}
	return store.ErrConditionFailed
}
