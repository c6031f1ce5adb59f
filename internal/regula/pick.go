package regula

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Pick is the value chosen for a field, with the sources that disagree with it.
type Pick struct {
	Value  string
	Source string
	// Disagree are the other sources' values that differ from the chosen one (by the reader's
	// own comparison when it made one, else by comparing normalized values).
	Disagree []Value
}

// sourceRank orders sources for Pick: the chip first, then the MRZ (check digits), the visual
// zone, barcodes, the rest.
func sourceRank(s string) int {
	switch s {
	case SourceRFID:
		return 0
	case SourceMRZ:
		return 1
	case SourceVisual:
		return 2
	case SourceBarcode:
		return 3
	}
	return 4
}

// Pick chooses the field's value. The chip's value (RFID) wins whenever there is one: it is
// the data the issuer signed. Without a chip value, the MRZ wins over the visual zone unless
// the reader found the MRZ value invalid and the visual one valid. Within one source the most
// probable value is taken. Empty values never win.
func (f Field) Pick() (Pick, bool) {
	best := -1
	for i, v := range f.Values {
		if strings.TrimSpace(v.Value) == "" {
			continue
		}
		if best < 0 || f.better(v, f.Values[best]) {
			best = i
		}
	}
	if best < 0 {
		if v := strings.TrimSpace(f.Value); v != "" {
			return Pick{Value: v}, true
		}
		return Pick{}, false
	}
	chosen := f.Values[best]
	p := Pick{Value: strings.TrimSpace(chosen.Value), Source: chosen.Source}
	seen := map[string]bool{chosen.Source: true}
	for _, v := range f.Values {
		if seen[v.Source] || strings.TrimSpace(v.Value) == "" {
			continue
		}
		seen[v.Source] = true
		if f.disagree(chosen, v) {
			p.Disagree = append(p.Disagree, Value{Source: v.Source, Value: strings.TrimSpace(v.Value), PageIndex: v.PageIndex, Probability: v.Probability})
		}
	}
	return p, true
}

// better reports whether a should be chosen over b.
func (f Field) better(a, b Value) bool {
	if a.Source == b.Source {
		return a.Probability > b.Probability
	}
	ra, rb := sourceRank(a.Source), sourceRank(b.Source)
	if a.Source == SourceRFID || b.Source == SourceRFID {
		return ra < rb
	}
	va, vb := f.validity(a.Source), f.validity(b.Source)
	if va == CheckError && vb == CheckOK {
		return false
	}
	if vb == CheckError && va == CheckOK {
		return true
	}
	return ra < rb
}

func (f Field) validity(source string) Check {
	for _, v := range f.Validities {
		if v.Source == source {
			return v.Status
		}
	}
	return CheckAbsent
}

// disagree compares two sources' values: by the reader's comparison list when it holds a
// decided result for the pair, else by the normalized values.
func (f Field) disagree(a, b Value) bool {
	for _, c := range f.Comparisons {
		if (c.Left == a.Source && c.Right == b.Source) || (c.Left == b.Source && c.Right == a.Source) {
			switch c.Status {
			case CheckError:
				return true
			case CheckOK:
				return false
			}
		}
	}
	return Normalize(a.Value) != Normalize(b.Value)
}

// Normalize folds a value for comparison: upper case, Latin diacritics removed, the MRZ
// filler '<', spaces and hyphens dropped.
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == '<' || r == '-' || r == '\'' || unicode.IsSpace(r):
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// Date kinds for ParseDate's two-digit years: a past date (birth, issue) is at most this
// year; a future one (expiry) at most 50 years ahead.
const (
	PastDate   = iota // birth, issue: a two-digit year is in the past
	FutureDate        // expiry: a two-digit year is in this century
)

// ParseDate reads a date as Regula writes it: yyyy-MM-dd (with an optional time), dd.MM.yyyy,
// MM/dd/yyyy (the web API's documented example format), yyyyMMdd, or the MRZ's yyMMdd. Two-
// digit years are resolved as kind says, relative to now. It returns the civil date at UTC
// midnight.
func ParseDate(s string, kind int, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if len(s) > 10 && s[4] == '-' && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	for _, layout := range []string{"2006-01-02", "02.01.2006", "01/02/2006", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if len(s) == 6 {
		if _, err := strconv.Atoi(s); err != nil {
			return time.Time{}, false
		}
		yy, _ := strconv.Atoi(s[:2])
		cur := now.Year() % 100
		century := now.Year() - cur
		year := century + yy
		switch kind {
		case PastDate:
			if yy > cur {
				year -= 100
			}
		case FutureDate:
			if year > now.Year()+50 {
				year -= 100
			}
		}
		if t, err := time.Parse("2006-01-02", strconv.Itoa(year)+"-"+s[2:4]+"-"+s[4:6]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
