package emisclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
)

var t0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

func start(t *testing.T) (*emissim.Server, *emisclient.Client, emis.Account) {
	t.Helper()
	sim, err := emissim.Start("127.0.0.1:0", emissim.Options{Clock: clock.NewFake(t0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	acct := emis.Account{Login: "int-1", Password: "secret-password"}
	sim.AddAccount(emissim.Account{Login: acct.Login, Password: acct.Password, HookSecret: strings.Repeat("k", 32)})
	c, err := emisclient.New(sim.URL()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c, acct
}

func TestClientAgainstSimulator(t *testing.T) {
	sim, c, acct := start(t)
	ctx := context.Background()
	s, err := c.OpenSession(ctx, acct, emis.SessionRequest{PersonID: "160848", BookingID: "473024", CallbackURL: "http://127.0.0.1:1/hooks/emis?tenant=a"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, sim.URL()+"/s/") || s.ID == "" || !s.ExpiresAt.After(t0) {
		t.Errorf("session %+v", s)
	}
	vs, err := c.Changes(ctx, acct, "160848", 0)
	if err != nil || len(vs) != 0 {
		t.Errorf("no changes yet: %v %v", vs, err)
	}

	_, err = c.OpenSession(ctx, emis.Account{Login: acct.Login, Password: "wrong"}, emis.SessionRequest{PersonID: "1", CallbackURL: "http://x"})
	if !errors.Is(err, emis.ErrUpstreamAuth) {
		t.Errorf("wrong password: %v", err)
	}
	sim.SetFaults(emissim.Faults{WrongCredentials: true})
	if _, err := c.Changes(ctx, acct, "160848", 0); !errors.Is(err, emis.ErrUpstreamAuth) {
		t.Errorf("wrong-credentials fault: %v", err)
	}
	sim.SetFaults(emissim.Faults{ServerErrors: 2})
	for i := 0; i < 2; i++ {
		if _, err := c.Changes(ctx, acct, "160848", 0); !errors.Is(err, emis.ErrUpstreamDown) {
			t.Errorf("5xx fault %d: %v", i, err)
		}
	}
	if _, err := c.Changes(ctx, acct, "160848", 0); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	addr := sim.URL()
	sim.Close()
	dead, _ := emisclient.New(addr, nil)
	if _, err := dead.Changes(ctx, acct, "160848", 0); !errors.Is(err, emis.ErrUpstreamDown) {
		t.Errorf("server gone: %v", err)
	}
}

func TestFaultSwitchesOverHTTP(t *testing.T) {
	sim, _, _ := start(t)
	resp, err := http.Post(sim.URL()+"/_sim/faults", "application/json",
		strings.NewReader(`{"server_errors":1,"callback_repeat":2,"callback_delay":1000000}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f := sim.Faults(); resp.StatusCode != 200 || f.ServerErrors != 1 || f.CallbackRepeat != 2 || f.CallbackDelay != time.Millisecond {
		t.Errorf("%d %+v", resp.StatusCode, f)
	}
	for _, bad := range []string{`{"callback_repeat":99}`, `{"nope":1}`, `[`} {
		resp, err := http.Post(sim.URL()+"/_sim/faults", "application/json", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, resp.StatusCode)
		}
	}
}

func TestParseCallback(t *testing.T) {
	doc := emis.Documents{
		Identity: emis.Identity{TypeCode: "10", Number: "C01X00T47", IssuedOn: "2020-01-10", ExpiresOn: "2030-01-09",
			Nationality: "DEU", Latin: emis.Name{Surname: "MUSTERMANN", Given: "ERIKA"}, Sex: "F", BirthDate: "1964-08-12"},
		Stay: []emis.Stay{{Kind: emis.Visa, Number: "1234567", ValidFrom: "2025-06-01", ValidTo: "2025-08-31", Entries: "multiple", Selected: true},
			{Kind: emis.VNZh, Number: "82"}},
		MigrationCard: &emis.MigrationCard{Series: "4617", Number: "0012345", EntryDate: "2025-06-30"},
		Visit:         emis.Visit{Purpose: "tourism", From: "2025-07-01", To: "2025-07-05"},
	}
	body, _ := json.Marshal(emisclient.Callback{Event: emisclient.EventSaved, PersonID: "160848",
		VersionWire: emisclient.VersionWire{Version: 3, SavedAt: t0, SessionID: "s1", BookingID: "b1", Document: emisclient.WireDocument(doc)}})
	cb, err := emisclient.ParseCallback(body)
	if err != nil {
		t.Fatal(err)
	}
	if cb.PersonID != "160848" || cb.SessionID != "s1" || cb.Version.Number != 3 || cb.Version.BookingID != "b1" || !cb.Version.SavedAt.Equal(t0) {
		t.Errorf("callback %+v", cb)
	}
	got, _ := json.Marshal(cb.Version.Documents)
	want, _ := json.Marshal(doc)
	if string(got) != string(want) {
		t.Errorf("round trip:\n%s\n%s", got, want)
	}
	if !strings.Contains(string(body), `"birthDate":"12.08.1964"`) || !strings.Contains(string(body), `"type":"VISA"`) {
		t.Errorf("wire format: %s", body)
	}
	for _, bad := range []string{
		`{"event":"documents.deleted","personId":"1","version":1}`,
		`{"event":"documents.saved","personId":"1","version":1,"document":{"identityDocument":{"birthDate":"1964-08-12"}}}`,
		`{"event":"documents.saved","personId":"1","version":1,"document":{"identityDocument":{"gender":"X"}}}`,
		`{"event":"documents.saved","personId":"1","version":1,"document":{"stayDocuments":[{"type":"PERMIT"}]}}`,
		`{"event":"documents.saved","personId":"1","version":1,"document":{"visitPurpose":"SPYING"}}`,
		`{"event":"documents.saved"} trailing`,
		`{"event":"documents.saved","version":"one"}`,
	} {
		if _, err := emisclient.ParseCallback([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzParseCallback(f *testing.F) {
	base := emisclient.Callback{Event: emisclient.EventSaved, PersonID: "160848", VersionWire: emisclient.VersionWire{
		Version: 1, SavedAt: t0, SessionID: "s1",
		Document: emisclient.Document{
			Identity:      emisclient.Identity{DocType: "10", Number: "C01X00T47", BirthDate: "12.08.1964", Gender: "FEMALE", Citizenship: "deu"},
			StayDocuments: []emisclient.StayDocument{{Type: "visa", ValidTo: "31.08.2025", Entries: "MULTIPLE", Selected: true}},
			MigrationCard: &emisclient.MigrationCard{Number: "1", EntryDate: "30.06.2025"},
			VisitPurpose:  "TOURISM", StayFrom: "01.07.2025",
		}}}
	seed, _ := json.Marshal(base)
	f.Add(seed)
	f.Add([]byte(`{"event":"documents.saved","document":{"identityDocument":{"birthDate":"31.02.1990"}}}`))
	f.Add([]byte(`{"event":"documents.saved","document":{"stayDocuments":[` + strings.Repeat(`{"type":"VISA"},`, 10) + `{"type":"VISA"}]}}`))
	f.Add([]byte(`{"event":"documents.saved","version":-1,"savedAt":"not a time"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := emisclient.ParseCallback(body)
		if err != nil {
			return
		}
		// What is accepted maps to the domain's vocabulary only.
		d := cb.Version.Documents
		for _, date := range []string{d.Identity.BirthDate, d.Identity.IssuedOn, d.Identity.ExpiresOn, d.Visit.From, d.Visit.To} {
			if date != "" {
				if _, err := time.Parse(emis.DateLayout, date); err != nil {
					t.Fatalf("date %q passed", date)
				}
			}
		}
		if len(d.Stay) > 10 {
			t.Fatalf("%d stay documents", len(d.Stay))
		}
		for _, s := range d.Stay {
			if s.Kind != emis.Visa && s.Kind != emis.RVP && s.Kind != emis.VNZh {
				t.Fatalf("stay kind %q", s.Kind)
			}
		}
		if sx := d.Identity.Sex; sx != "" && sx != "M" && sx != "F" {
			t.Fatalf("sex %q", sx)
		}
		if _, ok := emis.Purposes[d.Visit.Purpose]; !ok && d.Visit.Purpose != "" {
			t.Fatalf("purpose %q", d.Visit.Purpose)
		}
	})
}
