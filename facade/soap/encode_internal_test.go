package soap

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/money"
)

func TestAppendEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"a<b>&c":          "a&lt;b&gt;&amp;c",
		"line\nnext\tx":   "line\nnext\tx",
		"cr\r":            "cr&#xD;",
		"nul\x00bell\x07": "nul\uFFFDbell\uFFFD",
		"bad\xffutf8":     "bad\uFFFDutf8",
		"ёлка «ель»":      "ёлка «ель»",
	} {
		got := string(appendEscaped(nil, in, false))
		if got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
		// Whatever the input, the result is well-formed XML text that reads back.
		var v string
		if err := xml.Unmarshal([]byte("<a>"+got+"</a>"), &v); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	if got := string(escapeAttr("a\"b\nc\td")); got != "a&quot;b&#xA;c&#x9;d" {
		t.Errorf("attribute: %q", got)
	}
}

// TestEncoderRefusesFloatMoney: a Go float cannot carry xs:decimal, so an operation that
// answers with one (for example an unprocessed gowsdl type) gets an error, not a rounded sum.
func TestEncoderRefusesFloatMoney(t *testing.T) {
	ct := &complexType{Elems: []*elemDecl{{Name: "Sum", Kind: kDecimal, Min: 1}}}
	type floaty struct {
		Sum float64 `xml:"Sum,omitempty"`
	}
	if _, err := planFor(reflect.TypeFor[floaty](), ct); err == nil || !strings.Contains(err.Error(), "money.Decimal") {
		t.Fatalf("float64 for xs:decimal: %v", err)
	}
	type exact struct {
		Sum money.Decimal `xml:"Sum,omitempty"`
	}
	e := encoder{loc: time.UTC}
	if err := e.children(ct, reflect.ValueOf(exact{money.MustParse("0.30")}), false); err != nil {
		t.Fatal(err)
	}
	if string(e.buf) != "<m:Sum>0.30</m:Sum>" {
		t.Fatalf("got %s", e.buf)
	}
	// A required element the Go type does not have at all is a mismatch with the WSDL.
	type missing struct{ Other string }
	if _, err := planFor(reflect.TypeFor[missing](), ct); err == nil {
		t.Fatal("missing required field accepted")
	}
	// xs:int is 32 bits.
	ci := &complexType{Elems: []*elemDecl{{Name: "N", Kind: kInt, Min: 1}}}
	type big struct{ N int64 }
	e = encoder{loc: time.UTC}
	if err := e.children(ci, reflect.ValueOf(big{1 << 40}), false); err == nil {
		t.Fatal("2^40 written as xs:int")
	}
}
