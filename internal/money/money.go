// Package money is the hub's exact decimal number: money and quantities as xs:decimal carries
// them between 1C and the hub (ONEC.md 10). It never goes through float64.
//
// The accepted text is the lexical space of xs:decimal (XML Schema 1.0 part 2, 3.2.3):
// an optional sign, decimal digits and at most one period — "1234.50", "-0.01", "+7", ".5",
// "5." — with surrounding XML whitespace collapsed. Exponents ("1e3"), NaN, infinities,
// thousands separators and decimal commas are not xs:decimal and are rejected, as are
// numbers of more than MaxDigits digits (no amount needs them; they only cost memory).
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// MaxDigits bounds the digits of a parsed number.
const MaxDigits = 40

// Decimal is an exact decimal number. The zero value is 0. Decimal keeps the scale it was
// parsed or built with, so "1234.50" is written back as "1234.50".
type Decimal struct {
	d decimal.Decimal
}

// ErrSyntax is returned (wrapped) for text that is not an xs:decimal.
var ErrSyntax = errors.New("money: not an xs:decimal")

// Parse parses an xs:decimal.
func Parse(s string) (Decimal, error) {
	t := strings.Trim(s, " \t\r\n")
	if t == "" {
		return Decimal{}, fmt.Errorf("%w: empty", ErrSyntax)
	}
	neg := false
	switch t[0] {
	case '+':
		t = t[1:]
	case '-':
		neg = true
		t = t[1:]
	}
	intPart, frac, _ := strings.Cut(t, ".")
	if !digitsOnly(intPart) || !digitsOnly(frac) {
		return Decimal{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
	}
	if intPart == "" && frac == "" {
		return Decimal{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
	}
	if len(intPart)+len(frac) > MaxDigits {
		return Decimal{}, fmt.Errorf("%w: more than %d digits", ErrSyntax, MaxDigits)
	}
	if intPart == "" {
		intPart = "0"
	}
	norm := intPart
	if frac != "" {
		norm += "." + frac
	}
	if neg {
		norm = "-" + norm
	}
	d, err := decimal.NewFromString(norm)
	if err != nil { // unreachable after the checks above; kept so a library change cannot slip by
		return Decimal{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
	}
	return Decimal{d}, nil
}

// MustParse is Parse for constants; it panics on bad input.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip keeps error messages short whatever the input.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// New returns unscaled × 10^-scale, e.g. New(12345, 2) is 123.45 (kopecks to roubles).
func New(unscaled int64, scale int32) Decimal {
	return Decimal{decimal.New(unscaled, -scale)}
}

// FromInt returns n.
func FromInt(n int64) Decimal { return Decimal{decimal.NewFromInt(n)} }

// Add returns d + e.
func (d Decimal) Add(e Decimal) Decimal { return Decimal{d.d.Add(e.d)} }

// Sub returns d - e.
func (d Decimal) Sub(e Decimal) Decimal { return Decimal{d.d.Sub(e.d)} }

// Mul returns d × e, exactly.
func (d Decimal) Mul(e Decimal) Decimal { return Decimal{d.d.Mul(e.d)} }

// Neg returns -d.
func (d Decimal) Neg() Decimal { return Decimal{d.d.Neg()} }

// Round rounds d to places digits after the point, half away from zero (as 1C's Окр does
// by default).
func (d Decimal) Round(places int32) Decimal { return Decimal{d.d.Round(places)} }

// Cmp returns -1, 0 or +1 as d is less than, equal to or greater than e.
func (d Decimal) Cmp(e Decimal) int { return d.d.Cmp(e.d) }

// Equal reports whether d and e are the same number, whatever their scales (1.5 = 1.50).
func (d Decimal) Equal(e Decimal) bool { return d.d.Equal(e.d) }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.d.Sign() }

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.d.IsZero() }

// Scale returns the number of digits after the point that String writes.
func (d Decimal) Scale() int32 {
	if e := d.d.Exponent(); e < 0 {
		return -e
	}
	return 0
}

// String returns the xs:decimal text: no exponent, the scale kept ("1234.50", "-0.01", "0").
func (d Decimal) String() string {
	if d.d.Exponent() < 0 {
		return d.d.StringFixed(-d.d.Exponent())
	}
	return d.d.String()
}

// MarshalText writes String; encoding/xml uses it for elements and attributes.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses an xs:decimal.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes a JSON string ("1234.50"), as OData v3 writes Edm.Decimal, so that no
// JSON reader turns it into a float.
func (d Decimal) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts a JSON string or number in the xs:decimal lexical space; null leaves
// d unchanged, as encoding/json does for other types.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	return d.UnmarshalText([]byte(s))
}
