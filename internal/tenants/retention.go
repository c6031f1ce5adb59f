package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// Retention of personal data: how long the hub keeps a tenant's personal data (guest
// documents, scan reads, mail bodies naming people, registries naming owners) after it was
// delivered. The hub is a conduit, not the system of record (shared/DESIGN.md, "Data
// residency"); this is the one setting every module reads.
const (
	DefaultRetention = 72 * time.Hour
	MinRetention     = time.Hour
	MaxRetention     = 90 * 24 * time.Hour
)

// ErrRetentionInvalid refuses a retention outside MinRetention..MaxRetention.
var ErrRetentionInvalid = apperr.New(apperr.Invalid, "TENANT_RETENTION_INVALID",
	"Срок хранения персональных данных: от 1 часа до 90 суток (0 — по умолчанию, 3 суток)")

// KeepFor is the tenant's effective retention of personal data.
func (t Tenant) KeepFor() time.Duration {
	if t.Retention <= 0 {
		return DefaultRetention
	}
	return t.Retention
}

// Retention returns a tenant's effective retention of personal data. A tenant without a
// record (test data, a record being created) gets DefaultRetention.
func (r *Registry) Retention(ctx context.Context, tenant string) (time.Duration, error) {
	return RetentionOf(ctx, r.st, tenant)
}

// SetRetention changes a tenant's retention of personal data and returns the effective one;
// 0 restores the default. It applies to data stored or delivered from then on: what is
// already stored keeps the expiry it was given.
func (r *Registry) SetRetention(ctx context.Context, tenant string, d time.Duration) (time.Duration, error) {
	if d != 0 && (d < MinRetention || d > MaxRetention) {
		return 0, ErrRetentionInvalid
	}
	d = d.Truncate(time.Second)
	it, err := store.Mutate(ctx, r.st, pkTenant, tenant, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, ErrNoTenant
		}
		var t Tenant
		if err := json.Unmarshal(cur.Data, &t); err != nil {
			return store.Item{}, fmt.Errorf("tenant %s: %w", tenant, err)
		}
		t.Retention = d
		next := *cur
		next.Data, _ = json.Marshal(t)
		return next, nil
	})
	if err != nil {
		return 0, err
	}
	var t Tenant
	if err := json.Unmarshal(it.Data, &t); err != nil {
		return 0, fmt.Errorf("tenant %s: %w", tenant, err)
	}
	return t.KeepFor(), nil
}

// RetentionOf reads a tenant's effective retention from the unscoped store st, for domain
// code that holds the store but not a Registry.
func RetentionOf(ctx context.Context, st store.Store, tenant string) (time.Duration, error) {
	if !store.ValidTenant(tenant) {
		return 0, fmt.Errorf("%w: tenant id %q", store.ErrInvalid, tenant)
	}
	it, err := st.Get(ctx, pkTenant, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return DefaultRetention, nil
	}
	if err != nil {
		return 0, err
	}
	var t Tenant
	if err := json.Unmarshal(it.Data, &t); err != nil {
		return 0, fmt.Errorf("tenant %s: %w", tenant, err)
	}
	return t.KeepFor(), nil
}
