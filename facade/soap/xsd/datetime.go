// Package xsd holds the XML Schema scalar types of the 1C SOAP contract that encoding/xml and
// gowsdl do not get right: xs:dateTime as 1C writes it (ONEC.md 10). Money is
// internal/money.Decimal.
package xsd

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// EmptyDate is 1C's empty date (Дата(1, 1, 1)) on the wire.
const EmptyDate = "0001-01-01T00:00:00"

// layout is xs:dateTime without an offset, second precision, as 1C writes it.
const layout = "2006-01-02T15:04:05"

// DateTime is an xs:dateTime of the 1C contract. 1C sends and expects wall-clock time in the
// tenant's time zone without an offset; other clients may send an offset or Z. DateTime keeps
// which of the two it holds, so that In can place either on the time line correctly.
//
// The zero value is 1C's empty date.
type DateTime struct {
	t     time.Time // the instant when zoned; otherwise the wall clock, carried in UTC
	zoned bool
}

// ErrSyntax is returned (wrapped) for text that is not an xs:dateTime.
var ErrSyntax = errors.New("xsd: not an xs:dateTime")

// At returns the DateTime of instant t; it is written in the tenant's time zone. A zero t is
// the empty date.
func At(t time.Time) DateTime {
	if t.IsZero() {
		return DateTime{}
	}
	return DateTime{t: t, zoned: true}
}

// Wall returns the DateTime of t's wall clock, ignoring t's location: for dates that must
// not move between time zones, such as a birth date or a document's issue date.
func Wall(t time.Time) DateTime {
	w := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if isEmpty(w) {
		return DateTime{}
	}
	return DateTime{t: w}
}

func isEmpty(w time.Time) bool {
	return w.Year() == 1 && w.YearDay() == 1 && w.Hour() == 0 && w.Minute() == 0 && w.Second() == 0
}

// ParseDateTime parses xs:dateTime: "YYYY-MM-DDThh:mm:ss" with optional fractional seconds
// and an optional "Z" or "±hh:mm" offset, surrounding XML whitespace collapsed. Years are
// 0001–9999 (1C's range). "0001-01-01T00:00:00", with or without an offset, is the empty date.
func ParseDateTime(s string) (DateTime, error) {
	t := strings.Trim(s, " \t\r\n")
	if len(t) < len(layout) || len(t) > 40 || t[4] != '-' || t[10] != 'T' {
		return DateTime{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
	}
	main, rest := t[:len(layout)], t[len(layout):]
	// Go's parser accepts some forms XML Schema does not (e.g. a single-digit hour in other
	// layouts); the fixed layout plus this digit check keeps to the lexical space.
	for i := 0; i < len(main); i++ {
		if c := main[i]; (c < '0' || c > '9') && i != 4 && i != 7 && i != 10 && i != 13 && i != 16 {
			return DateTime{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
		}
	}
	if main[7] != '-' || main[13] != ':' || main[16] != ':' || main[:4] == "0000" {
		return DateTime{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
	}
	var frac string
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return DateTime{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
		}
		frac, rest = rest[:min(n, 10)], rest[n:] // nanoseconds at most; finer digits dropped
	}
	zoned := rest != ""
	if zoned && rest != "Z" && !validOffset(rest) {
		return DateTime{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
	}
	var (
		v   time.Time
		err error
	)
	if zoned {
		v, err = time.Parse(layout+frac0(frac)+"Z07:00", main+frac+rest)
	} else {
		v, err = time.ParseInLocation(layout+frac0(frac), main+frac, time.UTC)
	}
	if err != nil {
		return DateTime{}, fmt.Errorf("%w: %q", ErrSyntax, clip(s))
	}
	if isEmpty(v) {
		return DateTime{}, nil
	}
	return DateTime{t: v, zoned: zoned}, nil
}

func frac0(frac string) string {
	if frac == "" {
		return ""
	}
	return "." + strings.Repeat("0", len(frac)-1)
}

func validOffset(s string) bool {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	h := int(s[1]-'0')*10 + int(s[2]-'0')
	m := int(s[4]-'0')*10 + int(s[5]-'0')
	for _, c := range []byte{s[1], s[2], s[4], s[5]} {
		if c < '0' || c > '9' {
			return false
		}
	}
	return h < 14 && m < 60 || h == 14 && m == 0
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// IsZero reports whether d is the empty date.
func (d DateTime) IsZero() bool { return d.t.IsZero() }

// Zoned reports whether d is an instant (sent with an offset, or made by At) rather than a
// wall-clock time.
func (d DateTime) Zoned() bool { return d.zoned }

// In returns d on the time line, taking a wall-clock d as time in loc (the tenant's zone).
// The empty date is the zero time.Time.
func (d DateTime) In(loc *time.Location) time.Time {
	switch {
	case d.t.IsZero():
		return time.Time{}
	case d.zoned:
		return d.t.In(loc)
	default:
		return time.Date(d.t.Year(), d.t.Month(), d.t.Day(), d.t.Hour(), d.t.Minute(), d.t.Second(), d.t.Nanosecond(), loc)
	}
}

// Format returns d as 1C writes it: wall-clock time in loc without an offset, whole seconds
// (1C dates have no fractions), and EmptyDate for the empty date.
func (d DateTime) Format(loc *time.Location) string {
	switch {
	case d.t.IsZero():
		return EmptyDate
	case d.zoned:
		return d.t.In(loc).Format(layout)
	default:
		return d.t.Format(layout)
	}
}

// String returns the text MarshalText writes.
func (d DateTime) String() string {
	b, _ := d.MarshalText()
	return string(b)
}

// MarshalText writes a wall-clock DateTime without an offset and an instant with its offset,
// so that the text means the same wherever it is read. The SOAP facade does not use it for
// responses: it writes Format in the tenant's zone.
func (d DateTime) MarshalText() ([]byte, error) {
	switch {
	case d.t.IsZero():
		return []byte(EmptyDate), nil
	case d.zoned:
		return []byte(d.t.Format(time.RFC3339)), nil
	default:
		return []byte(d.t.Format(layout)), nil
	}
}

// UnmarshalText parses an xs:dateTime.
func (d *DateTime) UnmarshalText(b []byte) error {
	v, err := ParseDateTime(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// FormatTime writes t as 1C does in the tenant's zone loc; the zero time is EmptyDate.
func FormatTime(t time.Time, loc *time.Location) string { return At(t).Format(loc) }
