package registry

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// One fuzz target per kind; `make test` runs their seed corpora, `make fuzz` fuzzes them.

func FuzzParseServices(f *testing.F) { fuzzKind(f, Services) }
func FuzzParseDebts(f *testing.F)    { fuzzKind(f, Debts) }
func FuzzParseMeters(f *testing.F)   { fuzzKind(f, Meters) }
func FuzzParsePayments(f *testing.F) { fuzzKind(f, Payments) }
func FuzzParseReadings(f *testing.F) { fuzzKind(f, Readings) }
func FuzzParseAnswer(f *testing.F)   { fuzzKind(f, Answer) }
func FuzzParseConfirm(f *testing.F)  { fuzzKind(f, Confirm) }
func FuzzParseReject(f *testing.F)   { fuzzKind(f, Reject) }

// fuzzKind checks that the reader never panics, that it only fails with an *Error or an I/O
// error, and that whatever it accepts the writer rebuilds into a file that reads back the same.
func fuzzKind(f *testing.F, k Kind) {
	for _, cs := range []Charset{CP1251, UTF8} {
		h := header(k)
		h.Charset = cs
		var buf bytes.Buffer
		if _, err := Build(&buf, h, slices.Values(sample(k))); err != nil {
			f.Fatal(err)
		}
		good := buf.Bytes()
		f.Add(good)
		lines := strings.SplitAfter(string(good), "\n")
		f.Add([]byte(strings.Join(lines[:len(lines)-2], "")))                     // a line lost
		f.Add([]byte(strings.ReplaceAll(string(good), "\r\n", "\n")))             // LF
		f.Add([]byte(strings.Replace(string(good), ";"+string(cs)+";", ";;", 1))) // undeclared
		f.Add(append(append([]byte{}, bom...), good...))
		f.Add([]byte(strings.Replace(string(good), ".", ",", 3)))
		f.Add(good[:len(good)/2])
	}
	f.Add([]byte{})
	f.Add([]byte("#MS1;" + string(k) + ";001;01.01.2020;;0;0.00;;\r\n"))
	f.Add([]byte("#MS1;" + string(k) + ";001;01.01.2020;012020;1;-0.00;;x.txt\r\n;;;;;\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, recs, err := readAll(t, data, "", Options{Kind: k})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error from an in-memory file: %v", err)
			}
			if e.Line < 0 || e.Line > int64(bytes.Count(data, []byte{'\n'}))+1 {
				t.Fatalf("line %d out of range", e.Line)
			}
			return
		}
		if h.Kind != k || int64(len(recs)) != h.Count {
			t.Fatalf("accepted %s with %d records, header %+v", h.Kind, len(recs), h)
		}
		if h.Charset == "" {
			h.Charset = CP1251
		}
		var out bytes.Buffer
		built, err := Build(&out, h, slices.Values(recs))
		if err != nil {
			t.Fatalf("rebuild of an accepted file: %v", err)
		}
		if built.Count != h.Count || !built.Sum.Equal(h.Sum) {
			t.Fatalf("rebuilt totals %d %s, read %d %s", built.Count, built.Sum, h.Count, h.Sum)
		}
		h2, recs2, err := readAll(t, out.Bytes(), "", Options{Kind: k})
		if err != nil {
			t.Fatalf("rebuilt file does not read: %v", err)
		}
		if h2.Charset != h.Charset || len(recs2) != len(recs) {
			t.Fatalf("rebuilt header %+v", h2)
		}
		for i := range recs {
			a, b := recs[i], recs2[i]
			if a.Account != b.Account || a.Address != b.Address || a.Service != b.Service || a.Name != b.Name ||
				a.Meter != b.Meter || a.Period != b.Period || !a.Amount.Equal(b.Amount) || !a.Time.Equal(b.Time) ||
				a.ID != b.ID || a.RefLine != b.RefLine || a.Message != b.Message {
				t.Fatalf("record %d: %+v became %+v", i+1, a, b)
			}
		}
	})
}
