package emis_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/legal"
)

// A scanned German passport and a Russian visa, as the scanner bridge maps them.
func passportRead(tf *tenantFix, person, readID string) emis.ScannedRead {
	return emis.ScannedRead{LegalEntity: tf.legal, PersonID: person, ReadID: readID, Source: "bridge:dev-test",
		ReadAt: t0, Kind: emis.ReadIdentity,
		Documents: emis.Documents{Identity: emis.Identity{TypeCode: "10", Number: "C3T9K1L45", ExpiresOn: "2031-01-14",
			Nationality: "DEU", Latin: emis.Name{Surname: "SCHNEIDERIN", Given: "ANNELIESE"}, Sex: "F", BirthDate: "1987-11-23"}},
		Warnings: []emis.Warning{{Code: "CHIP_PA_FAILED", Field: "chip", Message: "Подпись данных чипа не подтверждена"}}}
}

func visaRead(tf *tenantFix, person, readID, number string) emis.ScannedRead {
	return emis.ScannedRead{LegalEntity: tf.legal, PersonID: person, ReadID: readID, Source: "bridge:dev-test",
		ReadAt: t0, Kind: emis.ReadVisa,
		Documents: emis.Documents{Stay: []emis.Stay{{Kind: emis.Visa, Series: "33", Number: number, ValidFrom: "2025-06-01",
			ValidTo: "2026-06-01", Entries: "multiple"}}, Visit: emis.Visit{Purpose: "tourism"}},
		Warnings: []emis.Warning{{Code: "READ_SOURCES_DISAGREE", Field: "visa.valid_to", Message: "Источники расходятся"}}}
}

// TestAttachRead: a read attaches to a saved guest as a local version, sealed, reviewed with
// the read's warnings, delivered to the PMS; a repeated read changes nothing; a visa read
// adds a stay document and selects it; an unsaved person and an unknown entity are refused.
func TestAttachRead(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	e.saveGuest(tf, "160848", "473024", "SCHNEIDERIN")
	docItem := func() int64 { return e.itemVersion(tf.id, "EMIS#P#160848", "DOCS#"+tf.legal) }

	res, err := e.svc.AttachRead(e.ctx, tf.id, passportRead(tf, "160848", "tx-1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || res.BookingID != "473024" || res.Documents.Identity.Number != "C3T9K1L45" || res.Name.Surname != "SCHNEIDERIN" ||
		!hasWarning(res.Warnings, "CHIP_PA_FAILED", "chip") || !hasWarning(res.Warnings, "MIGRATION_CARD_REQUIRED", "migration_card") {
		t.Fatalf("attached %+v", res)
	}
	got, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Documents.Identity.Number != "C3T9K1L45" || !hasWarning(got.Warnings, "CHIP_PA_FAILED", "chip") {
		t.Fatalf("GetDocuments %+v", got)
	}
	if r := tf.pms.received(); len(r) != 1 || r[0].msg.Version != 1 || r[0].msg.Documents.Identity.Number != "C3T9K1L45" ||
		!hasWarning(r[0].msg.Warnings, "CHIP_PA_FAILED", "chip") {
		t.Fatalf("PMS got %+v", r)
	}

	// The same read again (another value, as a tampered retry would carry): nothing changes.
	before := docItem()
	again := passportRead(tf, "160848", "tx-1")
	again.Documents.Identity.Number = "X0000000"
	res, err = e.svc.AttachRead(e.ctx, tf.id, again)
	if err != nil || res.Version != 1 || res.Documents.Identity.Number != "C3T9K1L45" {
		t.Fatalf("repeated read: %+v %v", res, err)
	}
	if docItem() != before || len(tf.pms.received()) != 1 {
		t.Fatalf("a repeated read changed something: item %d→%d, PMS got %d", before, docItem(), len(tf.pms.received()))
	}
	// …also when it names another guest.
	e.saveGuest(tf, "160849", "", "")
	if _, err := e.svc.AttachRead(e.ctx, tf.id, passportRead(tf, "160849", "tx-1")); apperr.As(err).Code != "EMIS_READ_CONFLICT" {
		t.Errorf("read for another guest: %v", err)
	}

	// A visa: added and selected, its warning named by its index; a second visa too; the
	// first visa scanned again replaces itself and is selected again.
	for i, c := range []struct {
		read, number string
		stays, sel   int
	}{{"tx-2", "7734521", 1, 0}, {"tx-3", "7734522", 2, 1}, {"tx-4", "7734521", 2, 0}} {
		res, err = e.svc.AttachRead(e.ctx, tf.id, visaRead(tf, "160848", c.read, c.number))
		if err != nil {
			t.Fatal(err)
		}
		if res.Version != int64(i+2) || len(res.Documents.Stay) != c.stays || !res.Documents.Stay[c.sel].Selected ||
			res.Documents.Stay[c.sel].Number != c.number || res.Documents.Identity.Number != "C3T9K1L45" || res.Documents.Visit.Purpose != "tourism" {
			t.Fatalf("%s: %+v", c.read, res)
		}
		if !hasWarning(res.Warnings, "CHIP_PA_FAILED", "chip") || !hasWarning(res.Warnings, "READ_SOURCES_DISAGREE", "stay[0].valid_to") ||
			!hasWarning(res.Warnings, "MIGRATION_CARD_REQUIRED", "migration_card") {
			t.Errorf("%s: warnings %v", c.read, codes(res.Warnings))
		}
	}
	if n := len(tf.pms.received()); n != 4 {
		t.Errorf("PMS got %d deliveries, want 4", n)
	}

	// Refusals: nothing stored.
	_, err = e.svc.AttachRead(e.ctx, tf.id, passportRead(tf, "170001", "tx-5"))
	if apperr.As(err).Code != "EMIS_PERSON_NOT_SAVED" {
		t.Errorf("unsaved person: %v", err)
	}
	if _, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "170001"); apperr.As(err).Code != "EMIS_NO_DOCUMENTS" {
		t.Errorf("unsaved person's documents: %v", err)
	}
	bad := passportRead(tf, "160848", "tx-6")
	bad.LegalEntity = "no-such-entity"
	if _, err := e.svc.AttachRead(e.ctx, tf.id, bad); err == nil {
		t.Error("unknown legal entity accepted")
	}
	bad = passportRead(tf, "160848", "tx-7")
	bad.Kind = "selfie"
	if _, err := e.svc.AttachRead(e.ctx, tf.id, bad); apperr.As(err).Code != "EMIS_INVALID_INPUT" {
		t.Errorf("bad kind: %v", err)
	}
	// A refused read was not taken: once the guest is saved, the same read attaches.
	e.saveGuest(tf, "170001", "", "")
	if res, err := e.svc.AttachRead(e.ctx, tf.id, passportRead(tf, "170001", "tx-5")); err != nil || res.Version != 1 {
		t.Errorf("after saving: %+v %v", res, err)
	}
}

// TestAttachReadAndEmisVersions: scans and EMIS versions interleave without colliding: an
// EMIS version after a scan replaces the documents under the next number, a scan after it
// takes the next one, and the pulls still ask EMIS from its own version.
func TestAttachReadAndEmisVersions(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	e.saveGuest(tf, "160848", "473024", huber.surnameLat)

	if _, err := e.svc.AttachRead(e.ctx, tf.id, passportRead(tf, "160848", "tx-1")); err != nil {
		t.Fatal(err)
	}
	// The operator then saves in EMIS: EMIS's version 1 replaces the scan as version 2.
	u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "473024")
	if err != nil {
		t.Fatal(err)
	}
	e.operatorSaves(u, huber)
	e.sim.Flush()
	res, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848")
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 2 || res.Documents.Identity.Number != huber.number || hasWarning(res.Warnings, "CHIP_PA_FAILED", "chip") {
		t.Fatalf("after the EMIS save: %+v", res)
	}
	// A scan after it: version 3, the identity replaced, EMIS's visas kept.
	res, err = e.svc.AttachRead(e.ctx, tf.id, passportRead(tf, "160848", "tx-2"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 3 || res.Documents.Identity.Number != "C3T9K1L45" || len(res.Documents.Stay) != 2 || res.Documents.MigrationCard == nil {
		t.Fatalf("scan after EMIS: %+v", res)
	}
	// A pull finds nothing newer in EMIS (it asks since EMIS's version 1, not 3).
	if res, err = e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848"); err != nil || res.Version != 3 || res.Documents.Identity.Number != "C3T9K1L45" {
		t.Fatalf("pull after the scan: %+v %v", res, err)
	}
	// EMIS's version 2 (a second save) still replaces the scan, as version 4.
	u, err = e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "473024")
	if err != nil {
		t.Fatal(err)
	}
	e.operatorSaves(u, huber)
	e.sim.Flush()
	if res, err = e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848"); err != nil || res.Version != 4 || res.Documents.Identity.Number != huber.number {
		t.Fatalf("second EMIS save: %+v %v", res, err)
	}
	if cs := e.mustChanges(tf, "160848"); len(cs) != 2 {
		t.Fatalf("EMIS holds %d versions, want 2", len(cs))
	}
	// Every stored version went to the PMS once, each with its own delivery id.
	ids := map[string]int64{}
	for _, r := range tf.pms.received() {
		ids[r.msg.DeliveryID] = r.msg.Version
	}
	if len(ids) != 4 {
		t.Errorf("deliveries %v", ids)
	}
}

// TestAttachReadSealed: the personal data of a scanned read is sealed at rest.
func TestAttachReadSealed(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	e.saveGuest(tf, "160848", "473024", "")
	if _, err := e.svc.AttachRead(e.ctx, tf.id, passportRead(tf, "160848", "tx-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AttachRead(e.ctx, tf.id, visaRead(tf, "160848", "tx-2", "7734521")); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("160848")) || !bytes.Contains(raw, []byte("tx-2")) {
		t.Fatal("the store file does not hold the flow's ids: wrong file?")
	}
	for _, s := range []string{"C3T9K1L45", "SCHNEIDERIN", "ANNELIESE", "1987-11-23", "2031-01-14", "7734521", "2026-06-01"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("store file contains %q", s)
		}
	}
}
