package legal_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
)

func TestValidINN(t *testing.T) {
	for inn, want := range map[string]bool{
		"7707083893":   true,  // ПАО Сбербанк
		"7736207543":   true,  // ООО «Яндекс»
		"500100732259": true,  // a valid 12-digit (individual) number
		"7707083890":   false, // wrong control digit
		"500100732250": false,
		"770708389":    false,
		"77070838931":  false,
		"77070838a3":   false,
		"":             false,
		"７７０７０８３８９３":   false, // full-width digits
	} {
		if got := legal.ValidINN(inn); got != want {
			t.Errorf("ValidINN(%q) = %v", inn, got)
		}
	}
	for kpp, want := range map[string]bool{"773601001": true, "7736AB001": true, "7736ab001": false, "77360100": false, "A73601001": false} {
		if got := legal.ValidKPP(kpp); got != want {
			t.Errorf("ValidKPP(%q) = %v", kpp, got)
		}
	}
}

func FuzzValidINN(f *testing.F) {
	for _, s := range []string{"7707083893", "500100732259", "", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if legal.ValidINN(s) && len(s) != 10 && len(s) != 12 {
			t.Fatalf("%q accepted", s)
		}
		_ = legal.ValidKPP(s)
	})
}

func newService(t *testing.T) (*legal.Service, store.Store) {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewFake(time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(dir, "hub.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seal, err := localsealer.Open(filepath.Join(dir, "local.key"))
	if err != nil {
		t.Fatal(err)
	}
	return legal.New(st, seal, clk), st
}

func ptr[T any](v T) *T { return &v }

func kind(err error) apperr.Kind { return apperr.As(err).Kind }

func TestRulesAndVersions(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for name, c := range map[string]legal.Changes{
		"no name":      {Code: ptr("1")},
		"bad INN":      {Description: ptr("ООО"), INN: ptr("7707083890")},
		"bad KPP":      {Description: ptr("ООО"), KPP: ptr("12345")},
		"KPP for ИП":   {Description: ptr("ИП"), INN: ptr("500100732259"), KPP: ptr("773601001")},
		"bad script":   {Description: ptr("ООО"), NamesScript: ptr("Greek")},
		"long code":    {Description: ptr("ООО"), Code: ptr(strings.Repeat("1", 26))},
		"control":      {Description: ptr("ООО\x01")},
		"EMIS w/o key": {Description: ptr("ООО"), EmisEnabled: ptr(true), EmisWebLogin: ptr("x")},
		"long secret":  {Description: ptr("ООО"), EmisWebPassword: ptr(strings.Repeat("п", 257))},
	} {
		if _, err := s.Create(ctx, "hotel-a", "", c); kind(err) != apperr.Invalid {
			t.Errorf("%s: %v", name, err)
		} else if strings.Contains(apperr.As(err).Message, "ппп") {
			t.Errorf("%s: the message quotes the value", name)
		}
	}
	e, err := s.Create(ctx, "hotel-a", "", legal.Changes{Description: ptr(" ООО «Ромашка» "), INN: ptr("7707083893"), KPP: ptr("773601001")})
	if err != nil {
		t.Fatal(err)
	}
	if e.Description != "ООО «Ромашка»" || e.NamesScript != legal.Cyrillic || e.Version != 1 {
		t.Fatalf("created: %+v", e)
	}
	if _, err := s.Update(ctx, "hotel-a", e.Ref, legal.Changes{Code: ptr("1")}, 7); !errors.Is(err, legal.ErrVersionMismatch) {
		t.Fatalf("stale update: %v", err)
	}
	u, err := s.Update(ctx, "hotel-a", e.Ref, legal.Changes{Code: ptr("1"), INN: ptr("")}, 1)
	if err != nil || u.Code != "1" || u.INN != "" || u.KPP != "773601001" || u.Version != 2 {
		t.Fatalf("update: %+v %v", u, err)
	}
	if err := s.Delete(ctx, "hotel-a", e.Ref, 1); !errors.Is(err, legal.ErrVersionMismatch) {
		t.Fatalf("stale delete: %v", err)
	}
	if err := s.Delete(ctx, "hotel-b", e.Ref, 0); kind(err) != apperr.NotFound {
		t.Fatalf("another tenant deleted: %v", err)
	}
	if err := s.Delete(ctx, "hotel-a", e.Ref, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "hotel-a", e.Ref); kind(err) != apperr.NotFound {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := s.Get(ctx, "Bad Tenant", e.Ref); kind(err) != apperr.Forbidden {
		t.Fatalf("bad tenant: %v", err)
	}
}

func TestCredentials(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	e, err := s.Create(ctx, "hotel-a", "", legal.Changes{Description: ptr("ООО"),
		EmisWebLogin: ptr("web"), EmisWebPassword: ptr("web-pass"), EmisIntegrationLogin: ptr("int"), EmisIntegrationPassword: ptr("int-pass"),
		EmisEnabled: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if !e.EmisEnabled || !e.EmisWebLoginSet || !e.EmisWebPasswordSet || !e.EmisIntegrationLoginSet || !e.EmisIntegrationPasswordSet {
		t.Fatalf("flags: %+v", e)
	}
	// Clearing one credential is refused while EMIS is on, allowed once it is off.
	if _, err := s.Update(ctx, "hotel-a", e.Ref, legal.Changes{EmisWebPassword: ptr("")}, 0); kind(err) != apperr.Invalid {
		t.Fatalf("clearing with EMIS on: %v", err)
	}
	u, err := s.Update(ctx, "hotel-a", e.Ref, legal.Changes{EmisEnabled: ptr(false), EmisWebPassword: ptr("")}, 0)
	if err != nil || u.EmisWebPasswordSet || !u.EmisWebLoginSet {
		t.Fatalf("clear: %+v %v", u, err)
	}
	c, err := s.Credentials(ctx, "hotel-a", e.Ref)
	if err != nil || c != (legal.EmisCredentials{WebLogin: "web", IntegrationLogin: "int", IntegrationPassword: "int-pass"}) {
		t.Fatalf("credentials: %+v %v", c, err)
	}
	// The sealed blob is bound to its entity: copied onto another one it does not open.
	other, err := s.Create(ctx, "hotel-a", "", legal.Changes{Description: ptr("АО")})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := store.ForTenant(st, "hotel-a")
	src, _ := ts.Get(ctx, "LEGAL", e.Ref)
	dst, _ := ts.Get(ctx, "LEGAL", other.Ref)
	dst.Data = src.Data
	if _, err := ts.Put(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credentials(ctx, "hotel-a", other.Ref); kind(err) != apperr.Internal {
		t.Fatalf("moved blob opened: %v", err)
	}
	if strings.Contains(string(src.Data), "int-pass") || strings.Contains(string(src.Data), "web") {
		t.Fatalf("plaintext in the item: %s", src.Data)
	}
}

func TestList(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for _, c := range [][2]string{{"003", "Гамма"}, {"001", "Альфа"}, {"002", "Бета"}, {"", "Альфа-2"}} {
		if _, err := s.Create(ctx, "hotel-a", "", legal.Changes{Code: ptr(c[0]), Description: ptr(c[1])}); err != nil {
			t.Fatal(err)
		}
	}
	s.Create(ctx, "hotel-b", "", legal.Changes{Code: ptr("001"), Description: ptr("Альфа")})
	list := func(q legal.ListQuery) string {
		t.Helper()
		var out []string
		for {
			p, err := s.List(ctx, "hotel-a", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entities {
				out = append(out, e.Description)
			}
			if p.Next == "" {
				return strings.Join(out, ",")
			}
			q.Cursor = p.Next
		}
	}
	for want, q := range map[string]legal.ListQuery{
		"Альфа,Бета,Гамма":         {By: legal.ByCode, Limit: 2},
		"Гамма,Бета,Альфа":         {By: legal.ByCode, Desc: true},
		"Бета":                     {By: legal.ByCode, Eq: ptr("002")},
		"Бета,Гамма":               {By: legal.ByCode, From: "002"},
		"Альфа,Бета":               {By: legal.ByCode, To: "002"},
		"Альфа,Альфа-2":            {By: legal.ByDescription, Prefix: "Альф"},
		"Альфа":                    {By: legal.ByDescription, Eq: ptr("Альфа")},
		"Альфа,Альфа-2,Бета,Гамма": {By: legal.ByDescription, Limit: 1},
		"": {By: legal.ByCode, From: "009", To: "001"},
	} {
		if got := list(q); got != want {
			t.Errorf("%+v: %q, want %q", q, got, want)
		}
	}
}
