package xsd

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

var moscow = time.FixedZone("MSK", 3*3600)

func TestParseWallClock(t *testing.T) {
	d, err := ParseDateTime(" 2025-03-01T10:20:30 ")
	if err != nil {
		t.Fatal(err)
	}
	if d.Zoned() || d.IsZero() {
		t.Fatalf("zoned=%v zero=%v", d.Zoned(), d.IsZero())
	}
	// A wall-clock time means the tenant's local time.
	want := time.Date(2025, 3, 1, 10, 20, 30, 0, moscow)
	if got := d.In(moscow); !got.Equal(want) {
		t.Fatalf("In = %v, want %v", got, want)
	}
	if got := d.Format(time.UTC); got != "2025-03-01T10:20:30" {
		t.Fatalf("wall clock moved: %s", got)
	}
}

func TestParseZoned(t *testing.T) {
	for in, wantUTC := range map[string]string{
		"2025-03-01T07:20:30Z":          "2025-03-01T07:20:30",
		"2025-03-01T10:20:30+03:00":     "2025-03-01T07:20:30",
		"2025-03-01T10:20:30.123+03:00": "2025-03-01T07:20:30",
		"2025-03-01T00:00:00-05:30":     "2025-03-01T05:30:00",
	} {
		d, err := ParseDateTime(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !d.Zoned() {
			t.Errorf("%s: not zoned", in)
		}
		if got := d.Format(time.UTC); got != wantUTC {
			t.Errorf("%s in UTC = %s, want %s", in, got, wantUTC)
		}
	}
	d, _ := ParseDateTime("2025-03-01T07:20:30Z")
	if got := d.Format(moscow); got != "2025-03-01T10:20:30" {
		t.Fatalf("in Moscow = %s", got)
	}
}

func TestEmptyDate(t *testing.T) {
	for _, in := range []string{"0001-01-01T00:00:00", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+03:00"} {
		d, err := ParseDateTime(in)
		if err != nil || !d.IsZero() {
			t.Errorf("%s: zero=%v err=%v", in, d.IsZero(), err)
		}
	}
	var d DateTime
	if d.Format(moscow) != EmptyDate || d.String() != EmptyDate || !d.In(moscow).IsZero() {
		t.Fatal("zero DateTime is not the empty date")
	}
	if !At(time.Time{}).IsZero() || !Wall(time.Time{}).IsZero() {
		t.Fatal("zero time is not the empty date")
	}
	if FormatTime(time.Time{}, moscow) != EmptyDate {
		t.Fatal("FormatTime(zero)")
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", "2025-03-01", "2025-03-01 10:20:30", "2025-3-1T10:20:30", "2025-03-01T10:20",
		"2025-13-01T10:20:30", "2025-02-30T10:20:30", "2025-03-01T24:00:00", "2025-03-01T10:20:30+3",
		"2025-03-01T10:20:30+15:00", "2025-03-01T10:20:30.", "2025-03-01T10:20:30x", "-2025-03-01T10:20:30",
		"0000-01-01T00:00:00", "２０２５-03-01T10:20:30", "2025-03-01T10:20:30+03:60", strings.Repeat("9", 100),
	} {
		if d, err := ParseDateTime(in); err == nil {
			t.Errorf("ParseDateTime(%q) = %v, want an error", in, d)
		}
	}
}

func TestAtAndWall(t *testing.T) {
	instant := time.Date(2025, 1, 2, 21, 30, 0, 0, time.UTC)
	if got := At(instant).Format(moscow); got != "2025-01-03T00:30:00" {
		t.Fatalf("At in Moscow = %s", got)
	}
	birth := time.Date(1990, 5, 1, 0, 0, 0, 0, time.FixedZone("X", -10*3600))
	if got := Wall(birth).Format(moscow); got != "1990-05-01T00:00:00" {
		t.Fatalf("Wall moved a birth date: %s", got)
	}
	if got := FormatTime(instant, moscow); got != "2025-01-03T00:30:00" {
		t.Fatalf("FormatTime = %s", got)
	}
}

func TestXMLText(t *testing.T) {
	type x struct {
		A, B DateTime
		C    *DateTime
	}
	var v x
	if err := xml.Unmarshal([]byte(`<x><A>2025-03-01T10:20:30</A><B>2025-03-01T10:20:30+03:00</B><C>0001-01-01T00:00:00</C></x>`), &v); err != nil {
		t.Fatal(err)
	}
	out, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<x><A>2025-03-01T10:20:30</A><B>2025-03-01T10:20:30+03:00</B><C>0001-01-01T00:00:00</C></x>`; string(out) != want {
		t.Fatalf("got %s", out)
	}
	if err := xml.Unmarshal([]byte(`<x><A>01.03.2025</A></x>`), &v); err == nil {
		t.Fatal("invalid date accepted")
	}
}

// FuzzParseDateTime checks that an accepted date is written back as text that parses to the
// same instant or wall clock.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2025-03-01T10:20:30", "0001-01-01T00:00:00", "2025-03-01T10:20:30.5Z",
		"2025-03-01T10:20:30+03:00", "2025-03-01", "9999-12-31T23:59:59-14:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDateTime(s)
		if err != nil {
			return
		}
		back, err := ParseDateTime(d.String())
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, d.String(), err)
		}
		if back.Zoned() != d.Zoned() || back.Format(time.UTC) != d.Format(time.UTC) {
			t.Fatalf("%q → %q → %q", s, d.String(), back.String())
		}
	})
}

func TestBase64Binary(t *testing.T) {
	type x struct {
		D Base64Binary
		E Base64Binary
	}
	var v x
	if err := xml.Unmarshal([]byte("<x><D>AAEC\n/w==</D><E></E></x>"), &v); err != nil {
		t.Fatal(err)
	}
	if string(v.D) != "\x00\x01\x02\xff" || len(v.E) != 0 {
		t.Fatalf("decoded %q %q", v.D, v.E)
	}
	out, _ := xml.Marshal(v)
	if string(out) != "<x><D>AAEC/w==</D><E></E></x>" {
		t.Fatalf("encoded %s", out)
	}
	if err := xml.Unmarshal([]byte("<x><D>***</D></x>"), &v); err == nil {
		t.Fatal("invalid base64 accepted")
	}
}
