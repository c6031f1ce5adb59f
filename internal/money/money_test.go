package money

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	for in, want := range map[string]string{
		"1234.50":   "1234.50",
		"-0.01":     "-0.01",
		"+7":        "7",
		"0":         "0",
		".5":        "0.5",
		"5.":        "5",
		"007.100":   "7.100",
		" \n12.3\t": "12.3",
		"-0.00":     "0.00",
		"123456789012345678901234567890.1234567890": "123456789012345678901234567890.1234567890",
	} {
		d, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := d.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", " ", "1e3", "1E3", "1.5e-2", "NaN", "Inf", "-Infinity", "1,5", "1 000", "0x10",
		".", "-", "+", "+-1", "--1", "1.2.3", "１２", "1_000",
		strings.Repeat("9", MaxDigits+1),
	} {
		if d, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, d)
		} else if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error %v is not ErrSyntax", in, err)
		}
	}
}

func TestExactArithmetic(t *testing.T) {
	sum := MustParse("0.1").Add(MustParse("0.2"))
	if !sum.Equal(MustParse("0.3")) || sum.String() != "0.3" {
		t.Fatalf("0.1+0.2 = %s", sum)
	}
	// A thousand kopecks added one by one are exactly ten roubles.
	var total Decimal
	for range 1000 {
		total = total.Add(MustParse("0.01"))
	}
	if total.String() != "10.00" {
		t.Fatalf("sum of 1000×0.01 = %s", total)
	}
	if got := New(12345, 2).String(); got != "123.45" {
		t.Fatalf("New(12345, 2) = %s", got)
	}
	if got := MustParse("2.5").Mul(MustParse("1.10")).String(); got != "2.750" {
		t.Fatalf("2.5×1.10 = %s", got)
	}
	if got := MustParse("100").Sub(MustParse("0.01")).String(); got != "99.99" {
		t.Fatalf("100-0.01 = %s", got)
	}
	if got := MustParse("2.345").Round(2).String(); got != "2.35" {
		t.Fatalf("Round(2.345, 2) = %s", got)
	}
	if got := MustParse("-2.345").Round(2).String(); got != "-2.35" {
		t.Fatalf("Round(-2.345, 2) = %s", got)
	}
	if !MustParse("1.5").Equal(MustParse("1.50")) || MustParse("1.5").Cmp(MustParse("1.49")) != 1 {
		t.Fatal("comparison ignores scale wrongly")
	}
	var zero Decimal
	if !zero.IsZero() || zero.String() != "0" || zero.Sign() != 0 {
		t.Fatalf("zero value = %q", zero)
	}
	if MustParse("-3").Neg().String() != "3" || FromInt(-4).Sign() != -1 {
		t.Fatal("Neg/FromInt/Sign")
	}
}

func TestXMLRoundTrip(t *testing.T) {
	type line struct {
		XMLName xml.Name `xml:"Line"`
		Sum     Decimal  `xml:"Sum"`
		Qty     *Decimal `xml:"Qty,attr"`
	}
	var l line
	if err := xml.Unmarshal([]byte(`<Line Qty="3.000"><Sum> 1234.50 </Sum></Line>`), &l); err != nil {
		t.Fatal(err)
	}
	out, err := xml.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<Line Qty="3.000"><Sum>1234.50</Sum></Line>`; string(out) != want {
		t.Fatalf("got %s, want %s", out, want)
	}
	if err := xml.Unmarshal([]byte(`<Line><Sum>1e3</Sum></Line>`), &l); err == nil {
		t.Fatal("1e3 accepted in XML")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var v struct{ A, B, C Decimal }
	v.C = MustParse("9")
	if err := json.Unmarshal([]byte(`{"A":"1234.50","B":-0.01,"C":null}`), &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	if want := `{"A":"1234.50","B":"-0.01","C":"9"}`; string(out) != want {
		t.Fatalf("got %s, want %s", out, want)
	}
	for _, bad := range []string{`{"A":1e3}`, `{"A":"1e3"}`, `{"A":true}`, `{"A":"x"}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// FuzzParse checks that whatever Parse accepts is written back as text that parses to the
// same number, and that it never accepts an exponent.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1234.50", "-0.01", "1e3", ".5", "5.", "+0", " 7 ", "1,5", "", "-", strings.Repeat("1", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(s, "eE") {
			t.Fatalf("accepted exponent %q", s)
		}
		back, err := Parse(d.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", s, d.String(), err)
		}
		if !back.Equal(d) || back.String() != d.String() {
			t.Fatalf("round trip %q → %q → %q", s, d.String(), back.String())
		}
	})
}
