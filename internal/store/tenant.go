package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

var tenantRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidTenant reports whether id is a well-formed tenant id (lower-case latin, digits, dashes).
func ValidTenant(id string) bool { return tenantRe.MatchString(id) }

// ForTenant returns a view of s confined to one tenant: every partition key (table and index)
// is prefixed with the tenant, so a tenant's code cannot name another tenant's items. Domain
// code gets only such views; the unscoped store is for system records (tenants, users).
func ForTenant(s Store, tenant string) (Store, error) {
	if !ValidTenant(tenant) {
		return nil, fmt.Errorf("%w: tenant id %q", ErrInvalid, tenant)
	}
	return &scoped{s: s, prefix: "T#" + tenant + "#"}, nil
}

type scoped struct {
	s      Store
	prefix string
}

func (t *scoped) in(pk string) string {
	if pk == "" {
		return ""
	}
	return t.prefix + pk
}

func (t *scoped) out(it Item) Item {
	it.PK = strings.TrimPrefix(it.PK, t.prefix)
	if it.GSI1PK != "" {
		it.GSI1PK = strings.TrimPrefix(it.GSI1PK, t.prefix)
	}
	if it.GSI2PK != "" {
		it.GSI2PK = strings.TrimPrefix(it.GSI2PK, t.prefix)
	}
	return it
}

func (t *scoped) Get(ctx context.Context, pk, sk string) (Item, error) {
	if pk == "" {
		return Item{}, fmt.Errorf("%w: empty PK", ErrInvalid)
	}
	it, err := t.s.Get(ctx, t.in(pk), sk)
	if err != nil {
		return Item{}, err
	}
	return t.out(it), nil
}

func (t *scoped) Put(ctx context.Context, it Item, conds ...Cond) (Item, error) {
	if it.PK == "" {
		return Item{}, fmt.Errorf("%w: empty PK", ErrInvalid)
	}
	it.PK, it.GSI1PK, it.GSI2PK = t.in(it.PK), t.in(it.GSI1PK), t.in(it.GSI2PK)
	got, err := t.s.Put(ctx, it, conds...)
	if err != nil {
		return Item{}, err
	}
	return t.out(got), nil
}

func (t *scoped) Update(ctx context.Context, pk, sk string, u Update, conds ...Cond) (Item, error) {
	if pk == "" {
		return Item{}, fmt.Errorf("%w: empty PK", ErrInvalid)
	}
	if u.GSI1 != nil {
		k := IndexKey{t.in(u.GSI1.PK), u.GSI1.SK}
		u.GSI1 = &k
	}
	if u.GSI2 != nil {
		k := IndexKey{t.in(u.GSI2.PK), u.GSI2.SK}
		u.GSI2 = &k
	}
	got, err := t.s.Update(ctx, t.in(pk), sk, u, conds...)
	if err != nil {
		return Item{}, err
	}
	return t.out(got), nil
}

func (t *scoped) Delete(ctx context.Context, pk, sk string, conds ...Cond) error {
	if pk == "" {
		return fmt.Errorf("%w: empty PK", ErrInvalid)
	}
	return t.s.Delete(ctx, t.in(pk), sk, conds...)
}

func (t *scoped) Query(ctx context.Context, q Query) (Page, error) {
	if q.PK == "" {
		return Page{}, fmt.Errorf("%w: empty PK", ErrInvalid)
	}
	q.PK = t.in(q.PK)
	p, err := t.s.Query(ctx, q)
	if err != nil {
		return Page{}, err
	}
	for i := range p.Items {
		p.Items[i] = t.out(p.Items[i])
	}
	return p, nil
}

// Close does nothing: the view does not own the store.
func (t *scoped) Close() error { return nil }
