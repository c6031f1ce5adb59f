package sep_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sep"
	"github.com/stykovka/stykovka/internal/store"
)

func TestUnreadableMailIsKeptAndReported(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, ad, sep.Options{})
			e.setup()
			raw := []byte("Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=\r\n\r\nНичего о паспортах.\r\n")
			l, err := e.svc.IngestMail(e.ctx, tenant, sep.MailInput{Raw: raw})
			if err != nil {
				t.Fatal(err)
			}
			if l.Status != sep.LetterMalformed || l.Error == "" || !l.ToSEPResponsible || l.NotifiedID != personSEP {
				t.Fatalf("letter: %+v", l)
			}
			kept, err := e.blobs.Get(e.ctx, l.BlobKey)
			if err != nil || !bytes.Equal(kept, raw) {
				t.Fatalf("raw mail not kept: %v", err)
			}
			if codes := errorCodes(t, e); len(codes) != 1 || codes[0] != "SEP_MAIL_UNREADABLE" {
				t.Fatalf("errors register: %v", codes)
			}
			notes, _ := e.svc.Notifications(e.ctx, tenant, sep.NotificationQuery{PersonID: personSEP})
			if len(notes.Items) != 1 || !notes.Items[0].Emailed || !strings.Contains(notes.Items[0].Text, l.BlobKey) {
				t.Fatalf("notification: %+v", notes.Items)
			}
			// The same letter delivered again (S3 events come at least once) changes nothing.
			again, err := e.svc.IngestMail(e.ctx, tenant, sep.MailInput{Raw: raw})
			if err != nil || again.ID != l.ID || again.Version != l.Version {
				t.Fatalf("again: %+v %v", again, err)
			}
			if codes := errorCodes(t, e); len(codes) != 1 {
				t.Fatalf("errors after repeat: %v", codes)
			}
			if c, _ := e.svc.Counts(e.ctx, tenant); c.Letters != 0 {
				t.Fatalf("an unreadable letter counted as to process: %+v", c)
			}
		})
	}
}

func TestLetterMatchingNoAssetGoesToTheSEPResponsible(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	raw := []byte("Subject: =?utf-8?B?0K3Qn9Ci0KEgOTk5OTk5OTk5OTk5OTk5?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Код подтверждения: 555123\r\n")
	l, err := e.svc.IngestMail(e.ctx, tenant, sep.MailInput{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	if l.EPTS != "999999999999999" || l.VIN != "" || l.Code != "555123" || len(l.AssetIDs) != 0 || !l.ToSEPResponsible || l.NotifiedID != personSEP {
		t.Fatalf("letter: %+v", l)
	}
	codes, _ := e.svc.Codes(e.ctx, tenant, sep.PageRequest{})
	if len(codes.Items) != 1 || codes.Items[0].EPTS != l.EPTS || codes.Items[0].Code != "555123" {
		t.Fatalf("codes: %+v", codes.Items)
	}
	// An asset whose responsible is missing also goes to the SEP responsible person.
	e.clk.Advance(time.Second)
	raw2 := []byte("Subject: x\r\n\r\nЭПТС 164301000000102\r\n")
	l2, err := e.svc.IngestMail(e.ctx, tenant, sep.MailInput{Raw: raw2})
	if err != nil || len(l2.AssetIDs) != 1 || l2.AssetIDs[0] != "asset-2" || l2.NotifiedID != personSEP {
		t.Fatalf("letter 2: %+v %v", l2, err)
	}
	if c, _ := e.svc.Counts(e.ctx, tenant); c.Letters != 2 {
		t.Fatalf("counts: %+v", c)
	}
	list, _ := e.svc.Letters(e.ctx, tenant, sep.LetterQuery{ToProcess: true})
	if len(list.Items) != 2 || list.Items[0].ID != l.ID {
		t.Fatalf("letters to process: %+v", list.Items)
	}
}

func TestMailFromTheBlobSESWrote(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{MaxMailSize: 200})
	e.setup()
	raw := []byte("Subject: x\r\n\r\nЭПТС 164301000000101, VIN YS2R4X20005399401\r\n")
	if err := e.blobs.Put(e.ctx, "mail/o3vv1en5j4g5pb4uph3ncs0d4msmrh7c", raw); err != nil {
		t.Fatal(err)
	}
	l, err := e.svc.IngestMail(e.ctx, tenant, sep.MailInput{BlobKey: "mail/o3vv1en5j4g5pb4uph3ncs0d4msmrh7c"})
	if err != nil || l.BlobKey != "mail/o3vv1en5j4g5pb4uph3ncs0d4msmrh7c" || l.NotifiedID != personIvanov || l.AssetIDs[0] != "asset-1" {
		t.Fatalf("letter: %+v %v", l, err)
	}
	// Larger than MaxMailSize: kept and reported, not parsed.
	big := append([]byte("Subject: x\r\n\r\nЭПТС 164301000000101\r\n"), bytes.Repeat([]byte("x"), 300)...)
	l, err = e.svc.IngestMail(e.ctx, tenant, sep.MailInput{Raw: big})
	if err != nil || l.Status != sep.LetterMalformed || !strings.Contains(l.Error, "больше") {
		t.Fatalf("big letter: %+v %v", l, err)
	}
}

// TestPersonalDataIsSealed: names and e-mails of people and lessees never reach the store
// file in the clear.
func TestPersonalDataIsSealed(t *testing.T) {
	dir := t.TempDir()
	ad := adapter{"bbolt", func(t testing.TB, clk clock.Clock) store.Store { return openBolt(t, dir, clk) }}
	e := newEnv(t, ad, sep.Options{})
	e.setup()
	must(t, func() error {
		_, err := e.svc.PutLeaseContract(e.ctx, tenant, sep.LeaseContract{ID: "c-1", OrganisationINN: "7701000001", DocNumber: "1",
			DocDate: t0, LeaseEnd: t0.AddDate(1, 0, 0), LesseeINN: "5031000024", LesseeEmail: "ip.sidorov@mail.example", AssetIDs: []string{"asset-3"}})
		return err
	})
	p, err := e.svc.Person(e.ctx, tenant, personIvanov)
	if err != nil || p.Email != ivanovEmail || p.Name != "Иванов Иван Иванович" {
		t.Fatalf("person: %+v %v", p, err)
	}
	c, err := e.svc.LeaseContract(e.ctx, tenant, "c-1")
	if err != nil || c.LesseeEmail != "ip.sidorov@mail.example" {
		t.Fatalf("contract: %+v %v", c, err)
	}
	e.st.Store.Close()
	db, err := os.ReadFile(filepath.Join(dir, "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ivanovEmail, "Иванов", "ip.sidorov@mail.example", sepEmail} {
		if bytes.Contains(db, []byte(s)) {
			t.Errorf("%q is in the store file in the clear", s)
		}
	}
}
