package tenants_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/tenants"
)

func TestRetention(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegistry(t)
	if _, err := r.AddTenant(ctx, "hotel-1", "Гостиница", ""); err != nil {
		t.Fatal(err)
	}
	d, err := r.Retention(ctx, "hotel-1")
	if err != nil || d != 72*time.Hour {
		t.Fatalf("fresh tenant: %v %v, want the default of 3 days", d, err)
	}
	// A tenant without a record (test data) keeps the default rather than failing writes.
	if d, err := r.Retention(ctx, "nobody"); err != nil || d != tenants.DefaultRetention {
		t.Fatalf("unknown tenant: %v %v", d, err)
	}
	if _, err := r.Retention(ctx, "Bad Id"); err == nil {
		t.Fatal("malformed tenant id accepted")
	}

	if d, err := r.SetRetention(ctx, "hotel-1", 24*time.Hour); err != nil || d != 24*time.Hour {
		t.Fatalf("SetRetention: %v %v", d, err)
	}
	if d, _ := r.Retention(ctx, "hotel-1"); d != 24*time.Hour {
		t.Fatalf("after SetRetention: %v", d)
	}
	tn, _ := r.Tenant(ctx, "hotel-1")
	if tn.Retention != 24*time.Hour || tn.KeepFor() != 24*time.Hour || tn.Name != "Гостиница" || tn.TimeZone != "Europe/Moscow" {
		t.Fatalf("tenant record %+v", tn)
	}
	for _, bad := range []time.Duration{-time.Hour, time.Minute, 59 * time.Minute, 91 * 24 * time.Hour} {
		if _, err := r.SetRetention(ctx, "hotel-1", bad); code(err) != "TENANT_RETENTION_INVALID" {
			t.Errorf("SetRetention(%v): %v, want TENANT_RETENTION_INVALID", bad, err)
		}
	}
	if d, _ := r.Retention(ctx, "hotel-1"); d != 24*time.Hour {
		t.Fatalf("a refused value changed the setting: %v", d)
	}
	for _, ok := range []time.Duration{tenants.MinRetention, tenants.MaxRetention} {
		if d, err := r.SetRetention(ctx, "hotel-1", ok); err != nil || d != ok {
			t.Errorf("SetRetention(%v): %v %v", ok, d, err)
		}
	}
	if d, err := r.SetRetention(ctx, "hotel-1", 0); err != nil || d != tenants.DefaultRetention {
		t.Fatalf("0 restores the default: %v %v", d, err)
	}
	if _, err := r.SetRetention(ctx, "nobody", time.Hour); !errors.Is(err, tenants.ErrNoTenant) {
		t.Fatalf("unknown tenant: %v", err)
	}
	// Other tenants are untouched.
	if _, err := r.AddTenant(ctx, "hotel-2", "Другая", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetRetention(ctx, "hotel-1", 5*time.Hour); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.Retention(ctx, "hotel-2"); d != tenants.DefaultRetention {
		t.Fatalf("hotel-2 got %v", d)
	}
}
