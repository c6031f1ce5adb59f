package tenants_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/tenants"
)

func newRegistry(t *testing.T) (*tenants.Registry, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return tenants.New(st, clk), clk
}

func code(err error) string { return apperr.As(err).Code }

func TestTenantsAndUsers(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegistry(t)
	if _, err := r.AddTenant(ctx, "Hotel_1", "x", ""); code(err) != "TENANT_ID_INVALID" {
		t.Fatalf("bad id accepted: %v", err)
	}
	if _, err := r.AddTenant(ctx, "hotel-1", "Гостиница", "Mars/Olympus"); code(err) != "TENANT_TZ_INVALID" {
		t.Fatalf("bad tz accepted: %v", err)
	}
	tn, err := r.AddTenant(ctx, "hotel-1", "Гостиница «Север»", "")
	if err != nil || tn.TimeZone != "Europe/Moscow" {
		t.Fatalf("AddTenant: %+v %v", tn, err)
	}
	if _, err := r.AddTenant(ctx, "hotel-1", "again", ""); !errors.Is(err, tenants.ErrTenantExists) {
		t.Fatalf("duplicate tenant: %v", err)
	}
	if err := r.AddUser(ctx, "nobody", "u", "p", false); !errors.Is(err, tenants.ErrNoTenant) {
		t.Fatalf("user of missing tenant: %v", err)
	}
	if err := r.AddUser(ctx, "hotel-1", "a:b", "p", false); code(err) != "USER_NAME_INVALID" {
		t.Fatalf("colon in user name accepted: %v", err)
	}
	if err := r.AddUser(ctx, "hotel-1", "Администратор", string(make([]byte, 73)), false); code(err) != "PASSWORD_INVALID" {
		t.Fatalf("73-byte password accepted: %v", err)
	}
	if err := r.AddUser(ctx, "hotel-1", "Администратор", "секрет", true); err != nil {
		t.Fatal(err)
	}
	if err := r.AddUser(ctx, "hotel-1", "Администратор", "x", true); !errors.Is(err, tenants.ErrUserExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	us, err := r.Users(ctx, "hotel-1")
	if err != nil || len(us) != 1 || us[0].Name != "Администратор" || !us[0].Admin || us[0].Hash != nil {
		t.Fatalf("Users: %+v %v", us, err)
	}
	ts, err := r.Tenants(ctx)
	if err != nil || len(ts) != 1 {
		t.Fatalf("Tenants: %+v %v", ts, err)
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	r, clk := newRegistry(t)
	if _, err := r.AddTenant(ctx, "demo", "Демо", ""); err != nil {
		t.Fatal(err)
	}
	if err := r.AddUser(ctx, "demo", "Кассир", "пароль", false); err != nil {
		t.Fatal(err)
	}
	p, err := r.Authenticate(ctx, "Кассир", "пароль")
	if err != nil || p.Tenant != "demo" || p.User != "Кассир" || p.Admin {
		t.Fatalf("Authenticate: %+v %v", p, err)
	}
	for _, tc := range [][2]string{{"Кассир", "Пароль"}, {"кассир", "пароль"}, {"никто", "пароль"}, {"Кассир", ""}} {
		if _, err := r.Authenticate(ctx, tc[0], tc[1]); !errors.Is(err, tenants.ErrBadLogin) {
			t.Errorf("%q/%q: want AUTH_FAILED, got %v", tc[0], tc[1], err)
		}
	}
	// A changed password takes effect at once, although the old one was cached.
	if err := r.SetPassword(ctx, "Кассир", "новый"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, "Кассир", "пароль"); !errors.Is(err, tenants.ErrBadLogin) {
		t.Fatalf("old password still works: %v", err)
	}
	if _, err := r.Authenticate(ctx, "Кассир", "новый"); err != nil {
		t.Fatal(err)
	}
	// A deleted user is refused at once.
	if err := r.DeleteUser(ctx, "Кассир"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, "Кассир", "новый"); !errors.Is(err, tenants.ErrBadLogin) {
		t.Fatalf("deleted user authenticated: %v", err)
	}
	if err := r.DeleteUser(ctx, "Кассир"); !errors.Is(err, tenants.ErrNoUser) {
		t.Fatalf("delete twice: %v", err)
	}
	clk.Advance(time.Hour)
}

func TestAuthenticateConcurrent(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegistry(t)
	r.AddTenant(ctx, "demo", "Демо", "")
	r.AddUser(ctx, "demo", "demo", "demo", true)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Authenticate(ctx, "demo", "demo"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
