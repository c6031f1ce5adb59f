package kontur_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
)

func TestPaymentTypes(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		svc := e.svc

		const ref = "0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
		pt, err := svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{
			Ref: "0B6C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3", Code: "КБ-9", Name: "Белорусские рубли", Currency: "BYN",
			MaxPercent: dec("12.5"), Enabled: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if pt.Ref != ref || pt.Kind != kontur.PaymentKind || pt.DataVersion == 0 || pt.MaxPercent.String() != "12.50" || pt.Created.IsZero() {
			t.Fatalf("created %+v", pt)
		}
		if _, err := svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{Ref: ref, Name: "x", Currency: "RUB"}); !errors.Is(err, kontur.ErrPaymentTypeExists) {
			t.Fatalf("same Ref twice: %v", err)
		}
		for name, in := range map[string]kontur.PaymentTypeInput{
			"unknown currency": {Name: "x", Currency: "USDT"},
			"no name":          {Currency: "RUB"},
			"percent above":    {Name: "x", Currency: "RUB", MaxPercent: dec("100.01")},
			"negative percent": {Name: "x", Currency: "RUB", MaxPercent: dec("-1")},
			"percent 3 places": {Name: "x", Currency: "RUB", MaxPercent: dec("1.005")},
			"other kind":       {Name: "x", Currency: "RUB", Kind: "Наличные"},
			"bad ref":          {Ref: "not-a-guid", Name: "x", Currency: "RUB"},
		} {
			if _, err := svc.CreatePaymentType(ctx, tenant, in); code(err) != "KONTUR_INVALID_REQUEST" {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Default percent is 0, as in the PMS.
		zero, err := svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{Name: "Баллы", Currency: "POINTS"})
		if err != nil || !zero.MaxPercent.IsZero() || zero.Enabled {
			t.Fatalf("defaults: %v %+v", err, zero)
		}

		got, err := svc.GetPaymentType(ctx, tenant, ref)
		if err != nil || got.Name != pt.Name || got.DataVersion != pt.DataVersion {
			t.Fatalf("get: %v %+v", err, got)
		}
		if _, err := svc.GetPaymentType(ctx, tenant, "11111111-2222-4333-8444-555555555555"); !errors.Is(err, kontur.ErrPaymentTypeNotFound) {
			t.Fatalf("get unknown: %v", err)
		}
		if _, err := svc.GetPaymentType(ctx, "other-tenant", ref); !errors.Is(err, kontur.ErrPaymentTypeNotFound) {
			t.Fatalf("another tenant sees it: %v", err)
		}

		off, name := false, "Белорусские рубли (выкл.)"
		upd, err := svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{Enabled: &off, Name: &name}, pt.DataVersion)
		if err != nil || upd.Enabled || upd.Name != name || upd.Currency != "BYN" || upd.DataVersion <= pt.DataVersion {
			t.Fatalf("update: %v %+v", err, upd)
		}
		if _, err := svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{Enabled: &off}, pt.DataVersion); !errors.Is(err, kontur.ErrVersionConflict) {
			t.Fatalf("stale version: %v", err)
		}
		mark := true
		upd2, err := svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{DeletionMark: &mark}, 0)
		if err != nil || !upd2.DeletionMark || upd2.Name != name {
			t.Fatalf("update without version: %v %+v", err, upd2)
		}
		empty, usdt := "", "USDT"
		if _, err := svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{Name: &empty}, 0); code(err) != "KONTUR_INVALID_REQUEST" {
			t.Fatalf("empty name: %v", err)
		}
		if _, err := svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{Currency: &usdt}, 0); code(err) != "KONTUR_INVALID_REQUEST" {
			t.Fatalf("unknown currency: %v", err)
		}
		bad := money.FromInt(101)
		if _, err := svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{MaxPercent: &bad}, 0); code(err) != "KONTUR_INVALID_REQUEST" {
			t.Fatalf("bad percent: %v", err)
		}

		// Pages in Ref order.
		var refs []string
		cursor := ""
		for {
			p, err := svc.ListPaymentTypes(ctx, tenant, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > 2 {
				t.Fatalf("page of %d", len(p.Items))
			}
			for _, it := range p.Items {
				refs = append(refs, it.Ref)
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if len(refs) != 4 { // bonus, rub, BYN, points
			t.Fatalf("listed %d: %v", len(refs), refs)
		}
		for i := 1; i < len(refs); i++ {
			if refs[i-1] >= refs[i] {
				t.Fatalf("not in Ref order: %v", refs)
			}
		}
		if _, err := svc.ListPaymentTypes(ctx, tenant, "garbage", 2); code(err) != "KONTUR_INVALID_CURSOR" {
			t.Fatalf("bad cursor: %v", err)
		}

		if err := svc.DeletePaymentType(ctx, tenant, ref, pt.DataVersion); !errors.Is(err, kontur.ErrVersionConflict) {
			t.Fatalf("delete stale: %v", err)
		}
		if err := svc.DeletePaymentType(ctx, tenant, ref, upd2.DataVersion); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeletePaymentType(ctx, tenant, ref, 0); !errors.Is(err, kontur.ErrPaymentTypeNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}
