package regula

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func samples(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob("testdata/*.json")
	if err != nil || len(names) < 7 {
		t.Fatalf("samples: %v %v", names, err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		out[filepath.Base(n)] = sample(t, filepath.Base(n))
	}
	return out
}

func mustParse(t *testing.T, name string) *Result {
	t.Helper()
	r, err := Parse(sample(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func pick(t *testing.T, r *Result, typ int, cyrillic bool) Pick {
	t.Helper()
	f, ok := r.Text(typ, cyrillic)
	if !ok {
		t.Fatalf("no field %d (cyrillic %v)", typ, cyrillic)
	}
	p, ok := f.Pick()
	if !ok {
		t.Fatalf("field %d has no value", typ)
	}
	return p
}

func TestParsePassportWithChip(t *testing.T) {
	r := mustParse(t, "passport_chip.json")
	if r.TransactionID != "9f6e2d4a-1c3b-4e8f-a5d7-2b0c9e1f3a01" || r.Finished != Finished || r.ChipPage != 1 {
		t.Errorf("header: %q %d %d", r.TransactionID, r.Finished, r.ChipPage)
	}
	s := r.Status
	if s == nil || s.Overall != CheckOK || s.RFID != CheckOK || s.RFIDDetails.PA != CheckOK || s.RFIDDetails.CA != CheckOK ||
		s.RFIDDetails.AA != CheckNotDone || s.OpticalDetails.Expiry != CheckOK || s.OpticalDetails.PagesCount != 1 {
		t.Errorf("status %+v", s)
	}
	d := r.DocType
	if d == nil || d.Type != DocTypePassport || d.ICAOCode != "DEU" || !d.HasMRZ || d.Name != "Germany - ePassport (2017)" || d.Format != 2 {
		t.Errorf("doc type %+v", d)
	}
	p := pick(t, r, FieldDocumentNumber, false)
	if p.Value != "C3T9K1L45" || p.Source != SourceRFID || len(p.Disagree) != 0 {
		t.Errorf("number %+v", p)
	}
	if p := pick(t, r, FieldSurname, false); p.Value != "SCHNEIDER" || p.Source != SourceRFID {
		t.Errorf("surname %+v", p)
	}
	if p := pick(t, r, FieldPlaceOfBirth, false); p.Value != "KÖLN" || p.Source != SourceVisual {
		t.Errorf("place of birth %+v", p)
	}
	if len(r.MRZ) != 2 || !strings.HasPrefix(r.MRZ[0], "P<D<<SCHNEIDER<<ANNA<LENA") || len(r.MRZ[1]) != 44 {
		t.Errorf("MRZ %q", r.MRZ)
	}
	if r.Portrait == nil || r.Portrait.Source != SourceRFID || !bytes.HasPrefix(r.Portrait.Data, []byte{0xff, 0xd8}) {
		t.Errorf("portrait %+v", r.Portrait)
	}
	if _, ok := r.Text(FieldSurname, true); ok {
		t.Error("a German passport has no Cyrillic surname")
	}
}

// TestRFIDWinsAndDisagreementIsRecorded: the visual zone misread the number and the expiry;
// the chip's values win and the visual zone's are the disagreement.
func TestRFIDWinsAndDisagreementIsRecorded(t *testing.T) {
	r := mustParse(t, "passport_rfid_disagrees.json")
	for _, c := range []struct {
		typ  int
		want string
	}{{FieldDocumentNumber, "U2345678"}, {FieldDateOfExpiry, "2030-01-15"}} {
		p := pick(t, r, c.typ, false)
		if p.Value != c.want || p.Source != SourceRFID {
			t.Errorf("field %d: %+v, want %s from RFID", c.typ, p, c.want)
		}
		if len(p.Disagree) != 1 || p.Disagree[0].Source != SourceVisual || p.Disagree[0].Value == c.want {
			t.Errorf("field %d: disagreement %+v, want VISUAL only", c.typ, p.Disagree)
		}
	}
	if p := pick(t, r, FieldSurname, false); len(p.Disagree) != 0 {
		t.Errorf("surname agrees, got %+v", p.Disagree)
	}
	if r.Status.RFIDDetails.AA != CheckOK || r.Status.RFIDDetails.CA != CheckNotDone {
		t.Errorf("rfid details %+v", r.Status.RFIDDetails)
	}
}

func TestPickWithoutChip(t *testing.T) {
	f := Field{Type: FieldDocumentNumber, Values: []Value{
		{Source: SourceVisual, Value: "AB123", Probability: 90},
		{Source: SourceMRZ, Value: "AB128", Probability: 95},
	}}
	if p, _ := f.Pick(); p.Source != SourceMRZ || len(p.Disagree) != 1 {
		t.Errorf("MRZ over VISUAL: %+v", p)
	}
	// The reader found the MRZ value invalid (check digit) and the visual one valid.
	f.Validities = []SourceCheck{{SourceMRZ, CheckError}, {SourceVisual, CheckOK}}
	if p, _ := f.Pick(); p.Source != SourceVisual || p.Value != "AB123" {
		t.Errorf("valid VISUAL over invalid MRZ: %+v", p)
	}
	// The reader's comparison decides over the normalized values: LEFÈVRE and LEFEVRE agree.
	g := Field{Values: []Value{{Source: SourceVisual, Value: "LEFÈVRE"}, {Source: SourceMRZ, Value: "LEFEVRE"}}}
	if p, _ := g.Pick(); p.Value != "LEFEVRE" || len(p.Disagree) != 0 {
		t.Errorf("diacritics: %+v", p)
	}
	g.Comparisons = []Comparison{{SourceVisual, SourceMRZ, CheckError}}
	if p, _ := g.Pick(); len(p.Disagree) != 1 {
		t.Errorf("the reader's comparison says they differ: %+v", p)
	}
	if _, ok := (Field{Values: []Value{{Source: SourceMRZ, Value: "  "}}}).Pick(); ok {
		t.Error("an empty value was picked")
	}
	// An RFID value wins even when the reader marked it invalid: the issuer signed it.
	h := Field{Values: []Value{{Source: SourceMRZ, Value: "X1"}, {Source: SourceRFID, Value: "X2"}},
		Validities: []SourceCheck{{SourceRFID, CheckError}, {SourceMRZ, CheckOK}}}
	if p, _ := h.Pick(); p.Source != SourceRFID {
		t.Errorf("RFID: %+v", p)
	}
}

func TestParseVisaAndIDCardAndCyrillic(t *testing.T) {
	v := mustParse(t, "visa.json")
	if v.DocType.Type != DocTypeVisaID3 || v.DocType.ICAOCode != "RUS" || v.ChipPage != 0 || v.Status.RFID != CheckNotDone {
		t.Errorf("visa %+v %+v", v.DocType, v.Status)
	}
	if p := pick(t, v, FieldSurname, true); p.Value != "ШНАЙДЕР" {
		t.Errorf("Cyrillic surname %+v", p)
	}
	if p := pick(t, v, FieldSurname, false); p.Value != "SCHNEIDER" || p.Source != SourceMRZ {
		t.Errorf("Latin surname %+v", p)
	}
	if p := pick(t, v, FieldVisaValidFrom, false); p.Value != "06/01/2025" {
		t.Errorf("valid from %+v", p)
	}
	if v.Portrait != nil {
		t.Error("the visa sample carries no portrait")
	}

	id := mustParse(t, "id_card.json")
	if id.DocType == nil || id.DocType.Type != DocTypeIdentityCard || id.DocType.Name != "Kazakhstan - Id Card (2021) #2" {
		t.Errorf("ID card type from the candidates list: %+v", id.DocType)
	}
	if len(id.MRZ) != 3 || len(id.MRZ[0]) != 30 {
		t.Errorf("TD1 MRZ %q", id.MRZ)
	}
	if id.Status.RFIDDetails.PA != CheckNotDone {
		t.Errorf("PA %v", id.Status.RFIDDetails.PA)
	}
	if f, ok := id.Text(FieldPlaceOfBirth, true); !ok || f.LCID != 1087 {
		t.Errorf("a Kazakh (Cyrillic) place of birth: %+v", f)
	}
	ru := mustParse(t, "passport_rus_internal.json")
	if p := pick(t, ru, FieldFathersName, true); p.Value != "АЛЕКСАНДРОВНА" {
		t.Errorf("patronymic %+v", p)
	}
	if p := pick(t, ru, FieldDocumentClassCode, false); p.Value != "PN" {
		t.Errorf("class %+v", p)
	}
}

func TestParseRefusals(t *testing.T) {
	nf := mustParse(t, "processing_not_finished.json")
	if nf.Finished != NotFinished || nf.Status.Overall != CheckNotDone {
		t.Errorf("not finished: %d %v", nf.Finished, nf.Status.Overall)
	}
	se := mustParse(t, "status_error.json")
	if se.Status.Overall != CheckError || se.Status.OpticalDetails.Security != CheckError || se.Status.OpticalDetails.MRZ != CheckOK {
		t.Errorf("status error %+v", se.Status)
	}
	cf := mustParse(t, "passport_chip_failed.json")
	if cf.ChipPage != 1 || cf.Status.RFID != CheckNotDone || cf.Status.Overall != CheckOK {
		t.Errorf("chip failed %+v", cf.Status)
	}
	if p := pick(t, cf, FieldSurname, false); p.Source != SourceMRZ || len(p.Disagree) != 0 {
		t.Errorf("LEFÈVRE vs LEFEVRE: %+v", p)
	}
}

func TestParseRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":          `{"ContainerList":`,
		"array":             `[]`,
		"two objects":       `{"List":[]}{}`,
		"no containers":     `{"TransactionInfo":{"TransactionID":"x"}}`,
		"no result_type":    `{"List":[{"Status":{}}]}`,
		"bad check":         `{"List":[{"result_type":33,"Status":{"overallStatus":7}}]}`,
		"check as string":   `{"List":[{"result_type":33,"Status":{"overallStatus":"1"}}]}`,
		"bad finished":      `{"ProcessingFinished":5,"List":[]}`,
		"bad chip page":     `{"ChipPage":-1,"List":[]}`,
		"id with space":     `{"TransactionInfo":{"TransactionID":"a b"},"List":[]}`,
		"long id":           `{"TransactionInfo":{"TransactionID":"` + strings.Repeat("a", 129) + `"},"List":[]}`,
		"field no type":     `{"List":[{"result_type":36,"Text":{"fieldList":[{"value":"x"}]}}]}`,
		"control in value":  `{"List":[{"result_type":36,"Text":{"fieldList":[{"fieldType":2,"value":"a\u0000b"}]}}]}`,
		"lower-case source": `{"List":[{"result_type":36,"Text":{"fieldList":[{"fieldType":2,"valueList":[{"source":"mrz","value":"x"}]}]}}]}`,
		"long value":        `{"List":[{"result_type":36,"Text":{"fieldList":[{"fieldType":2,"value":"` + strings.Repeat("x", MaxValueLen+1) + `"}]}}]}`,
		"bad base64 image":  `{"List":[{"result_type":37,"Images":{"fieldList":[{"fieldType":201,"valueList":[{"source":"VISUAL","value":"%%%"}]}]}}]}`,
		"invalid UTF-8":     "{\"List\":[],\"x\":\"\xff\"}",
	} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	big := append([]byte(`{"List":[],"pad":"`), bytes.Repeat([]byte("x"), MaxResultSize)...)
	if _, err := Parse(append(big, `"}`...)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("2 MiB: %v", err)
	}
	// A bare container list (no ProcessResponse wrapper) is a result without a transaction id.
	r, err := Parse([]byte(`{"List":[{"result_type":33,"Status":{"overallStatus":1}}]}`))
	if err != nil || r.TransactionID != "" || r.Status.Overall != CheckOK || r.Status.RFID != CheckAbsent || r.Finished != -1 {
		t.Errorf("bare list: %+v %v", r, err)
	}
}

// TestMinimizeKeepsOnlyWhatIsNeeded: images, the log, the PC's user and computer names,
// authenticity details and character rectangles stay on the PC; what remains parses to the
// same result, without the portrait unless asked.
func TestMinimizeKeepsOnlyWhatIsNeeded(t *testing.T) {
	for name, raw := range samples(t) {
		full, err := Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := Minimize(bytes.NewReader(raw), MinimizeOptions{})
		if err != nil {
			t.Fatalf("%s: minimize: %v", name, err)
		}
		for _, gone := range []string{"FRONTDESK-01", "reception", `"log"`, "RawImageContainer", "originalSymbols", "fieldRect",
			"AuthenticityCheckList", "DocumentPosition", `"Images"`, "passBackObject", base64.StdEncoding.EncodeToString([]byte{0xff, 0xd8, 0xff})[:4]} {
			if bytes.Contains(m.Data, []byte(gone)) {
				t.Errorf("%s: minimized result still holds %s", name, gone)
			}
		}
		if len(m.Data) >= len(raw) {
			t.Errorf("%s: minimized %d bytes from %d", name, len(m.Data), len(raw))
		}
		got, err := Parse(m.Data)
		if err != nil {
			t.Fatalf("%s: parse minimized: %v", name, err)
		}
		want := *full
		want.Portrait = nil
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: minimized result parses differently:\n%+v\n%+v", name, *got, want)
		}
		if len(m.PassBack) == 0 {
			t.Errorf("%s: passBackObject not handed back", name)
		}
	}
	raw := sample(t, "passport_chip.json")
	m, err := Minimize(bytes.NewReader(raw), MinimizeOptions{Portrait: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := Parse(raw)
	if r.Portrait == nil || r.Portrait.Source != SourceRFID || !bytes.Equal(r.Portrait.Data, full.Portrait.Data) {
		t.Errorf("portrait kept: %+v", r.Portrait)
	}
	if bytes.Count(m.Data, []byte(`"fieldType":201`)) != 1 || bytes.Contains(m.Data, []byte(`"fieldType":207`)) {
		t.Error("only the portrait passes, once")
	}
}

// TestMinimizeStreamsLargeResults: a result with 40 MiB of page images is minimized to a few
// kilobytes; input over the limit is refused.
func TestMinimizeStreamsLargeResults(t *testing.T) {
	img := strings.Repeat("QUJD", 2<<20) // 8 MiB of base64 per image
	var b strings.Builder
	b.WriteString(`{"ProcessingFinished":1,"TransactionInfo":{"TransactionID":"big-1"},"ContainerList":{"List":[`)
	for i := 0; i < 5; i++ {
		b.WriteString(`{"RawImageContainer":{"image":"` + img + `","format":".jpg"},"result_type":1},`)
	}
	b.WriteString(`{"result_type":33,"Status":{"overallStatus":1,"optical":1,"rfid":2}}]}}`)
	in := b.String()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Minimize(strings.NewReader(in), MinimizeOptions{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// The images are skipped, not held: the allocations are a small fraction of one image.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("minimizing 40 MiB allocated %d bytes", alloc)
	}
	if len(m.Data) > 1024 || m.Dropped != 5 {
		t.Errorf("minimized to %d bytes, dropped %d", len(m.Data), m.Dropped)
	}
	if _, err := Minimize(strings.NewReader(b.String()), MinimizeOptions{MaxInput: 10 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the input limit: %v", err)
	}
	if _, err := Minimize(strings.NewReader(`{"List":[{"result_type":36,"Text":{"fieldList":[`), MinimizeOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("truncated: %v", err)
	}
}

func TestParseDate(t *testing.T) {
	now := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		kind int
		want string
	}{
		{"2031-08-20", FutureDate, "2031-08-20"},
		{"2031-08-20T00:00:00", FutureDate, "2031-08-20"},
		{"20.08.2031", FutureDate, "2031-08-20"},
		{"08/20/2031", FutureDate, "2031-08-20"},
		{"20310820", FutureDate, "2031-08-20"},
		{"310820", FutureDate, "2031-08-20"},
		{"850312", PastDate, "1985-03-12"},
		{"250312", PastDate, "2025-03-12"},
		{"991231", FutureDate, "1999-12-31"},
		{"701231", FutureDate, "2070-12-31"},
		{"761231", FutureDate, "1976-12-31"},
	} {
		got, ok := ParseDate(c.in, c.kind, now)
		if !ok || got.Format("2006-01-02") != c.want {
			t.Errorf("%s: %v %v, want %s", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "31.02.2020", "2020-13-01", "abcdef", "1/2/3"} {
		if _, ok := ParseDate(bad, PastDate, now); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzParse: Parse never panics; what it accepts, Minimize accepts too, and the minimized
// result parses to the same result without the portrait.
func FuzzParse(f *testing.F) {
	// The seeds are the samples as the hub receives them (minimized: the raw samples, with
	// their images, make the fuzzing engine crawl), plus small raw shapes with what Minimize
	// drops.
	for _, raw := range samples(f) {
		m, err := Minimize(bytes.NewReader(raw), MinimizeOptions{})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.Data)
	}
	f.Add([]byte(`{"ChipPage":1,"ProcessingFinished":1,"log":"AAAA","TransactionInfo":{"TransactionID":"t-1","UserName":"u"},` +
		`"ContainerList":{"Count":3,"List":[{"result_type":1,"RawImageContainer":{"image":"/9j/","format":".jpg"}},` +
		`{"result_type":37,"Images":{"fieldList":[{"fieldType":201,"valueList":[{"source":"RFID","value":"/9j/"}]}]}},` +
		`{"result_type":33,"Status":{"overallStatus":1,"detailsRFID":{"PA":1}}}]},"passBackObject":{"personId":"1"}}`))
	f.Add([]byte(`{"List":[{"result_type":36,"Text":{"fieldList":[{"fieldType":2,"valueList":[{"source":"RFID","value":"1"},{"source":"MRZ","value":"2"}],"comparisonList":[{"sourceLeft":"RFID","sourceRight":"MRZ","status":0}]}]}}]}`))
	f.Add([]byte(`{"ContainerList":{"List":[]},"ProcessingFinished":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, fl := range r.Fields {
			if p, ok := fl.Pick(); ok && p.Value == "" {
				t.Fatal("picked an empty value")
			}
		}
		m, err := Minimize(bytes.NewReader(data), MinimizeOptions{})
		if err != nil {
			t.Fatalf("Parse accepted what Minimize refuses: %v", err)
		}
		got, err := Parse(m.Data)
		if err != nil {
			t.Fatalf("minimized result does not parse: %v", err)
		}
		want := *r
		want.Portrait = nil
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("minimized result differs:\n%+v\n%+v", *got, want)
		}
	})
}
