package kontur

import (
	"sort"

	"github.com/stykovka/stykovka/internal/money"
)

// Currency is a Kontur currency: bonus points or money. Amounts in it are multiples of its
// unit, 10^-Scale (points are whole numbers, roubles have kopecks).
type Currency struct {
	Code  string // Kontur's code, e.g. "BONUS", "RUB"
	Name  string // Russian, for the front desk
	Scale int32  // digits after the point
}

var currencies = map[string]Currency{
	"BONUS":  {Code: "BONUS", Name: "Бонусные баллы", Scale: 0},
	"POINTS": {Code: "POINTS", Name: "Баллы", Scale: 0},
	"RUB":    {Code: "RUB", Name: "Бонусные рубли", Scale: 2},
	"BYN":    {Code: "BYN", Name: "Белорусские рубли", Scale: 2},
	"KZT":    {Code: "KZT", Name: "Тенге", Scale: 2},
}

// LookupCurrency returns the currency with the code.
func LookupCurrency(code string) (Currency, bool) {
	c, ok := currencies[code]
	return c, ok
}

// Currencies lists the currencies the hub knows, by code (for pick lists in 1C).
func Currencies() []Currency {
	out := make([]Currency, 0, len(currencies))
	for _, c := range currencies {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// currencyName is the currency's Russian name, or its code when the hub does not know it
// (Kontur may report balances in currencies no payment type uses).
func currencyName(code string) string {
	if c, ok := currencies[code]; ok {
		return c.Name
	}
	return code
}

// floorTo rounds d down to scale digits after the point (towards minus infinity): what is
// available must never be rounded up. money.Round rounds half away from zero, so step back a
// unit when it went up.
func floorTo(d money.Decimal, scale int32) money.Decimal {
	r := d.Round(scale)
	if r.Cmp(d) > 0 {
		r = r.Sub(money.New(1, scale))
	}
	return r
}

// fits reports whether d is a multiple of the unit 10^-scale ("10.50" fits kopecks, "10.505"
// does not; "10.0" fits whole points).
func fits(d money.Decimal, scale int32) bool { return d.Round(scale).Equal(d) }

// abs returns |d|.
func abs(d money.Decimal) money.Decimal {
	if d.Sign() < 0 {
		return d.Neg()
	}
	return d
}

// minDec returns the smaller of a and b.
func minDec(a, b money.Decimal) money.Decimal {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

// percentOf returns pct % of d, exactly (pct × d × 0.01 needs no division).
func percentOf(d, pct money.Decimal) money.Decimal {
	return d.Mul(pct).Mul(money.New(1, 2))
}
