package bridge_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/bridgetest"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/regula"
)

// now is the front desk's "today" in the tests: 1 July 2025, 12:00 Moscow time.
var now = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

func parse(t *testing.T, raw []byte) *regula.Result {
	t.Helper()
	r, err := regula.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mapSample(t *testing.T, name string) bridge.Read {
	t.Helper()
	read, err := bridge.MapRead(parse(t, bridgetest.Sample(t, name)), now)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return read
}

func codes(ws []emis.Warning) string {
	var c []string
	for _, w := range ws {
		c = append(c, w.Code)
	}
	return strings.Join(c, ",")
}

func TestMapPassportWithChip(t *testing.T) {
	r := mapSample(t, "passport_chip.json")
	id := r.Documents.Identity
	want := emis.Identity{TypeCode: "10", Number: "C3T9K1L45", IssuedOn: "2021-08-21", ExpiresOn: "2031-08-20", Issuer: "STADT KÖLN",
		Nationality: "DEU", Latin: emis.Name{Surname: "SCHNEIDER", Given: "ANNA LENA"}, Sex: "F", BirthDate: "1985-03-12", BirthPlace: "KÖLN"}
	if id != want {
		t.Errorf("identity\n%+v\nwant\n%+v", id, want)
	}
	if r.Kind != bridge.KindIdentity || r.DocumentName != "Germany - ePassport (2017)" || len(r.Documents.Stay) != 0 {
		t.Errorf("read %+v", r)
	}
	if len(r.Warnings) != 0 || len(r.Disagreements) != 0 {
		t.Errorf("a clean chip read: warnings %s, disagreements %+v", codes(r.Warnings), r.Disagreements)
	}
	if r.Portrait == nil {
		t.Error("the raw sample's portrait is mapped (the hub decides whether to keep it)")
	}
}

// TestMapRFIDWins: the chip's number and expiry are taken over the visual zone's misreads; the
// disagreements are recorded with both values, and the operator is told which field.
func TestMapRFIDWins(t *testing.T) {
	r := mapSample(t, "passport_rfid_disagrees.json")
	if r.Documents.Identity.Number != "U2345678" || r.Documents.Identity.ExpiresOn != "2030-01-15" {
		t.Errorf("identity %+v", r.Documents.Identity)
	}
	if len(r.Disagreements) != 2 {
		t.Fatalf("disagreements %+v", r.Disagreements)
	}
	for _, d := range r.Disagreements {
		if d.Source != regula.SourceRFID || d.OtherSource != regula.SourceVisual || d.Value == d.OtherValue || !d.ReaderMarked {
			t.Errorf("disagreement %+v", d)
		}
	}
	if d := r.Disagreements[0]; d.Field != "identity.number" || d.OtherValue != "U2845678" {
		t.Errorf("number disagreement %+v", d)
	}
	if codes(r.Warnings) != "READ_SOURCES_DISAGREE,READ_SOURCES_DISAGREE" {
		t.Errorf("warnings %s", codes(r.Warnings))
	}
	for _, w := range r.Warnings {
		if strings.Contains(w.Message, "U2845678") || strings.Contains(w.Message, "U2345678") {
			t.Errorf("a warning quotes a value: %s", w.Message)
		}
		if !strings.Contains(w.Message, "чип (RFID)") {
			t.Errorf("warning does not say the chip won: %s", w.Message)
		}
	}
}

func TestMapVisaIDCardRussianPassport(t *testing.T) {
	v := mapSample(t, "visa.json")
	if v.Kind != bridge.KindVisa || len(v.Documents.Stay) != 1 || v.VisaPassport != "C3T9K1L45" {
		t.Fatalf("visa %+v", v)
	}
	st := v.Documents.Stay[0]
	if st != (emis.Stay{Kind: emis.Visa, Number: "251234567", ValidFrom: "2025-06-01", ValidTo: "2025-09-30", Entries: "single", Selected: true}) {
		t.Errorf("stay %+v", st)
	}
	if v.Documents.Visit.Purpose != "tourism" || v.Documents.Identity.Number != "" {
		t.Errorf("purpose %q, identity %+v", v.Documents.Visit.Purpose, v.Documents.Identity)
	}
	if codes(v.Warnings) != "" {
		t.Errorf("visa warnings %s", codes(v.Warnings))
	}

	id := mapSample(t, "id_card.json")
	i := id.Documents.Identity
	if i.TypeCode != "91" || i.Nationality != "KAZ" || i.Number != "041234567" ||
		i.Cyrillic != (emis.Name{Surname: "ЖУМАБАЕВА", Given: "АЙГЕРИМ", Patronymic: "СЕРИКОВНА"}) ||
		i.Latin != (emis.Name{Surname: "ZHUMABAYEVA", Given: "AIGERIM"}) || i.BirthPlace != "ҚАРАҒАНДЫ ОБЛЫСЫ" {
		t.Errorf("ID card %+v", i)
	}
	if codes(id.Warnings) != "CHIP_PA_NOT_DONE" {
		t.Errorf("ID card warnings %s", codes(id.Warnings))
	}

	ru := mapSample(t, "passport_rus_internal.json")
	r := ru.Documents.Identity
	if r.TypeCode != "21" || r.Series != "4510" || r.Number != "123456" || r.Latin != (emis.Name{}) ||
		r.Cyrillic != (emis.Name{Surname: "КУЗНЕЦОВА", Given: "МАРИЯ", Patronymic: "АЛЕКСАНДРОВНА"}) || r.Sex != "F" ||
		r.Issuer != "ОТДЕЛЕНИЕМ УФМС РОССИИ ПО ГОР. МОСКВЕ" || r.Nationality != "RUS" || r.ExpiresOn != "" {
		t.Errorf("Russian passport %+v", r)
	}
	if codes(ru.Warnings) != "" {
		t.Errorf("Russian passport warnings %s", codes(ru.Warnings))
	}
}

func TestMapChipFailedIsAcceptedWithWarning(t *testing.T) {
	r := mapSample(t, "passport_chip_failed.json")
	if codes(r.Warnings) != "CHIP_NOT_READ" || r.Documents.Identity.Latin.Surname != "LEFEVRE" || r.Documents.Identity.TypeCode != "10" {
		t.Errorf("%s %+v", codes(r.Warnings), r.Documents.Identity)
	}
}

func refusal(t *testing.T, raw []byte) *apperr.Error {
	t.Helper()
	_, err := bridge.MapRead(parse(t, raw), now)
	if err == nil {
		t.Fatal("read accepted")
	}
	return apperr.As(err)
}

func TestMapRefusals(t *testing.T) {
	if e := refusal(t, bridgetest.Sample(t, "processing_not_finished.json")); e.Code != "READ_NOT_FINISHED" || !strings.Contains(e.Message, "ещё раз") {
		t.Errorf("not finished: %+v", e)
	}
	if e := refusal(t, bridgetest.Sample(t, "status_error.json")); e.Code != "READ_STATUS_ERROR" || !strings.Contains(e.Message, "защитные элементы") {
		t.Errorf("status error: %+v", e)
	}
	timeout := edit(t, bridgetest.Sample(t, "passport_chip.json"), func(m map[string]any) { m["ProcessingFinished"] = 2 })
	if e := refusal(t, timeout); e.Code != "READ_TIMEOUT" {
		t.Errorf("timeout: %+v", e)
	}
	// A Schengen visa is of no use for the Russian arrival notice.
	foreign := edit(t, bridgetest.Sample(t, "visa.json"), func(m map[string]any) {
		container(m, 9)["OneCandidate"].(map[string]any)["FDSIDList"].(map[string]any)["ICAOCode"] = "FRA"
	})
	if e := refusal(t, foreign); e.Code != "READ_VISA_NOT_RUSSIAN" {
		t.Errorf("foreign visa: %+v", e)
	}
}

// TestMapExpiryAndChipAuthenticationAreWarnings: an overall error caused only by the
// document's expiry or by the chip's authentication is not a refusal: it is a warning.
func TestMapExpiryAndChipAuthenticationAreWarnings(t *testing.T) {
	expired := edit(t, bridgetest.Sample(t, "passport_chip.json"), func(m map[string]any) {
		st := container(m, 33)["Status"].(map[string]any)
		st["overallStatus"], st["optical"] = 0, 0
		st["detailsOptical"].(map[string]any)["expiry"] = 0
		st["detailsOptical"].(map[string]any)["overallStatus"] = 0
		setValues(container(m, 36), regula.FieldDateOfExpiry, "20.08.2024")
	})
	read, err := bridge.MapRead(parse(t, expired), now)
	if err != nil {
		t.Fatalf("expired passport refused: %v", err)
	}
	if read.Documents.Identity.ExpiresOn != "2024-08-20" {
		t.Errorf("expiry %q", read.Documents.Identity.ExpiresOn)
	}
	if _, ws := emis.Review(read.Documents, emis.Latin, now); !strings.Contains(codes(ws), emis.WarnDocExpired) {
		t.Errorf("review of an expired passport: %s", codes(ws))
	}

	pa := edit(t, bridgetest.Sample(t, "passport_chip.json"), func(m map[string]any) {
		st := container(m, 33)["Status"].(map[string]any)
		st["overallStatus"], st["rfid"] = 0, 0
		d := st["detailsRFID"].(map[string]any)
		d["overallStatus"], d["PA"], d["CA"], d["AA"] = 0, 0, 0, 2
	})
	read, err = bridge.MapRead(parse(t, pa), now)
	if err != nil {
		t.Fatalf("PA failure refused: %v", err)
	}
	if codes(read.Warnings) != "CHIP_PA_FAILED,CHIP_CA_FAILED" {
		t.Errorf("chip warnings %s", codes(read.Warnings))
	}
	// BAC failing is not about the data: the read is refused.
	bac := edit(t, pa, func(m map[string]any) {
		container(m, 33)["Status"].(map[string]any)["detailsRFID"].(map[string]any)["BAC"] = 0
	})
	if e := refusal(t, bac); e.Code != "READ_STATUS_ERROR" || !strings.Contains(e.Message, "BAC") {
		t.Errorf("BAC: %+v", e)
	}
	// The overall status is an error and the details say nothing: refused.
	bare := []byte(`{"ProcessingFinished":1,"List":[{"result_type":33,"Status":{"overallStatus":0}},` +
		`{"result_type":36,"Text":{"fieldList":[{"fieldType":2,"valueList":[{"source":"MRZ","value":"X1"}]}]}}]}`)
	if e := refusal(t, bare); e.Code != "READ_STATUS_ERROR" {
		t.Errorf("no details: %+v", e)
	}
	if e := refusal(t, []byte(`{"ProcessingFinished":1,"List":[]}`)); e.Code != "READ_NO_DATA" {
		t.Errorf("no data: %+v", e)
	}
}

// edit decodes a sample, lets fn change it and encodes it again.
func edit(t *testing.T, raw []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func container(m map[string]any, typ int) map[string]any {
	for _, c := range m["ContainerList"].(map[string]any)["List"].([]any) {
		if c := c.(map[string]any); int(c["result_type"].(float64)) == typ {
			return c
		}
	}
	panic("no container")
}

func setValues(text map[string]any, fieldType int, v string) {
	for _, f := range text["Text"].(map[string]any)["fieldList"].([]any) {
		f := f.(map[string]any)
		if int(f["fieldType"].(float64)) != fieldType {
			continue
		}
		f["value"] = v
		for _, val := range f["valueList"].([]any) {
			val.(map[string]any)["value"] = v
		}
	}
}
