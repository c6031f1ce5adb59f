package kontur

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/internal/money"
)

func TestFloorTo(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale int32
		want  string
	}{
		{"500.75", 0, "500"},
		{"500", 0, "500"},
		{"333.303333", 2, "333.30"},
		{"333.309", 2, "333.30"},
		{"0.009", 2, "0.00"},
		{"-0.001", 2, "-0.01"}, // towards minus infinity
		{"12", 2, "12.00"},
	} {
		if got := floorTo(money.MustParse(c.in), c.scale).String(); got != c.want {
			t.Errorf("floorTo(%s, %d) = %s, want %s", c.in, c.scale, got, c.want)
		}
	}
}

// FuzzFloorTo: what is available is never rounded up, and never loses a whole unit.
func FuzzFloorTo(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-1.5", "99.999", "0.004", "123456789.123456789", "-0.0000001"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, sc uint8) {
		d, err := money.Parse(s)
		if err != nil {
			return
		}
		scale := int32(sc % 5)
		r := floorTo(d, scale)
		unit := money.New(1, scale)
		if r.Cmp(d) > 0 || d.Sub(r).Cmp(unit) >= 0 || !fits(r, scale) || r.Scale() != scale {
			t.Fatalf("floorTo(%s, %d) = %s", d, scale, r)
		}
		if fits(d, scale) && !r.Equal(d) {
			t.Fatalf("floorTo(%s, %d) changed a fitting amount to %s", d, scale, r)
		}
	})
}

var opIDRe = regexp.MustCompile(`^[0-9A-Za-z._:\-]{1,64}$`) // what the simulator accepts

// FuzzWriteOffRequest: request validation never panics, and what it accepts gives ids Kontur
// accepts and cards the logs can mask.
func FuzzWriteOffRequest(f *testing.F) {
	f.Add("req-1", "Ф-101", "7000000000001234", "6f1c2a3e-0b1d-4c5e-9a7b-1c2d3e4f5a01")
	f.Add("{6F1C2A3E-0B1D-4C5E-9A7B-1C2D3E4F5A01}", "F\x00", "12", "x")
	f.Add("", "", "", "")
	f.Add(strings.Repeat("r", 65), strings.Repeat("ф", 65), strings.Repeat("1", 33), "6F1C2A3E-0B1D-4C5E-9A7B-1C2D3E4F5A01")
	f.Fuzz(func(t *testing.T, rid, folio, card, pt string) {
		req := WriteOffRequest{RequestID: rid, FolioID: folio, CardNumber: card, PaymentType: pt,
			Amount: money.FromInt(1), Saldo: money.FromInt(-1)}
		if err := check(req); err != nil {
			return
		}
		if !opIDRe.MatchString(operationID("t", rid)) {
			t.Fatalf("operation id %q", operationID("t", rid))
		}
		if _, ok := normGUID(writeOffRef("t", rid)); !ok {
			t.Fatalf("ref %q", writeOffRef("t", rid))
		}
		if m := maskCard(card); !strings.HasPrefix(m, "****") || len(m) != 8 || !strings.HasSuffix(card, m[4:]) {
			t.Fatalf("mask %q of %q", m, card)
		}
		if _, ok := normGUID(pt); !ok {
			t.Fatalf("payment type %q accepted", pt)
		}
	})
}

func TestIDs(t *testing.T) {
	a, b := writeOffRef("hotel-1", "r"), writeOffRef("hotel-2", "r")
	if a == b || a != writeOffRef("hotel-1", "r") || a[14] != '5' {
		t.Fatalf("refs %s %s", a, b)
	}
	if operationID("hotel-1", "r") == operationID("hotel-2", "r") || operationID("hotel-1", "r") != operationID("hotel-1", "r") {
		t.Fatal("operation ids")
	}
	if g := newGUID(); g[14] != '4' || g == newGUID() {
		t.Fatalf("guid %s", g)
	}
	if maskCard("123") != "****" || maskCard("7000000000001234") != "****1234" {
		t.Fatal("mask")
	}
}
