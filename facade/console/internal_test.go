package console

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/internal/app/apptest"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/money"
)

func TestFmtMoney(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0,00", "100": "100,00", "1055.5": "1\u00a0055,50", "1234567.891": "1\u00a0234\u00a0567,89", "-3165": "−3\u00a0165,00",
	} {
		if got := fmtMoney(money.MustParse(in)); got != want {
			t.Errorf("fmtMoney(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestTokenExpires(t *testing.T) {
	c := &Console{key: make([]byte, 32)}
	p := auth.Principal{Tenant: "a", User: "u", Admin: true}
	now := time.Unix(1_800_000_000, 0)
	tok, err := c.token(t.Context(), p, now)
	if err != nil {
		t.Fatal(err)
	}
	if !c.validToken(t.Context(), p, tok, now.Add(time.Hour)) {
		t.Error("a fresh token refused")
	}
	if c.validToken(t.Context(), p, tok, now.Add(tokenTTL+time.Minute)) {
		t.Error("an expired token accepted")
	}
	if c.validToken(t.Context(), p, tok, now.Add(-2*time.Minute)) {
		t.Error("a token from the future accepted")
	}
	if c.validToken(t.Context(), auth.Principal{Tenant: "a", User: "other", Admin: true}, tok, now) {
		t.Error("another user's token accepted")
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, site string
		want         bool
	}{
		{"", "", true}, // an old browser sends neither
		{"http://hub.example:8080", "same-origin", true},
		{"https://evil.example", "", false},
		{"", "cross-site", false},
		{"null", "", false},
	} {
		r := httptest.NewRequest("POST", "http://hub.example:8080/console/sep/poll", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.site != "" {
			r.Header.Set("Sec-Fetch-Site", tc.site)
		}
		if got := sameOrigin(r); got != tc.want {
			t.Errorf("%+v: %v", tc, got)
		}
	}
}

// TestFormKeyIsSealedAtRest: the key signing the console's forms is stored sealed, and a
// second process (a fresh Console over the same store) signs with the same key.
func TestFormKeyIsSealedAtRest(t *testing.T) {
	deps, _, _ := apptest.Local(t, clock.Real{})
	h, err := hub.New(deps, hub.Config{})
	if err != nil {
		t.Fatal(err)
	}
	first := &Console{h: h}
	key, err := first.secret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	it, err := deps.Store.Get(t.Context(), keyPK, keySK)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(it.Data, key) {
		t.Fatal("the form key is stored in the clear")
	}
	again, err := (&Console{h: h}).secret(t.Context())
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("a second console got another key: %v", err)
	}
}
