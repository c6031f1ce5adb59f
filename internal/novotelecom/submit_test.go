package novotelecom_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

func TestSettings(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, "bolt")
	svc := b.service(t, nil)
	if _, err := svc.Settings(ctx, tenant); code(err) != "NOVOTELECOM_NOT_CONFIGURED" {
		t.Fatalf("before saving: %v", err)
	}
	if _, err := svc.RunExchange(ctx, tenant, time.Time{}); code(err) != "NOVOTELECOM_NOT_CONFIGURED" {
		t.Fatalf("exchange before saving: %v", err)
	}
	if _, err := svc.SaveSettings(ctx, tenant, novotelecom.SettingsRequest{Coding: novotelecom.CodingSber, Login: login}); code(err) != "NOVOTELECOM_CREDENTIALS" {
		t.Fatalf("first save without a password: %v", err)
	}
	for _, bad := range []novotelecom.SettingsRequest{
		{Coding: "whatever", Login: login, Password: password},
		{Coding: novotelecom.CodingCity, Login: login, Password: password, ExchangeEvery: -1},
		{Coding: novotelecom.CodingCity, Login: "a\nb", Password: password},
		{Coding: novotelecom.CodingCity, Login: login, Password: password, Charset: "KOI8-R"},
	} {
		if _, err := svc.SaveSettings(ctx, tenant, bad); code(err) != "NOVOTELECOM_VALIDATION" {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	st := must[novotelecom.Settings](t)(svc.SaveSettings(ctx, tenant, novotelecom.SettingsRequest{
		Coding: novotelecom.CodingSber, Login: login, Password: password, ExchangeEvery: 15, Charset: "UTF-8"}))
	if !st.LoginSet || !st.PasswordSet || st.Coding != novotelecom.CodingSber || st.Charset != registry.UTF8 || st.ExchangeEvery != 15 {
		t.Fatalf("saved: %+v", st)
	}
	// Write-only: sealed at rest, never in a read.
	ts, _ := store.ForTenant(b.st, tenant)
	raw, err := ts.Get(ctx, "NT#SET", "settings")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw.Data, []byte(login)) || bytes.Contains(raw.Data, []byte("s3cret")) {
		t.Fatal("credentials stored in clear")
	}
	// An empty password keeps the stored one: the exchange still logs in.
	if _, err := svc.SaveSettings(ctx, tenant, novotelecom.SettingsRequest{Coding: novotelecom.CodingCity}); err != nil {
		t.Fatal(err)
	}
	if s, err := svc.RunExchange(ctx, tenant, time.Time{}); err != nil || s.State != novotelecom.SessionDone {
		t.Fatalf("exchange with kept credentials: %+v %v", s, err)
	}
	if _, err := svc.SaveSettings(ctx, tenant, novotelecom.SettingsRequest{Coding: novotelecom.CodingCity, Password: "wrong"}); err != nil {
		t.Fatal(err)
	}
	b.clk.Advance(time.Minute)
	if s, err := svc.RunExchange(ctx, tenant, time.Time{}); code(err) != novotelecom.CodeServerAuth || s.State != novotelecom.SessionFailed {
		t.Fatalf("exchange with a wrong password: %+v %v", s, err)
	}
	// Another tenant's view has no settings: tenants are apart.
	if _, err := svc.Settings(ctx, "other-tenant"); code(err) != "NOVOTELECOM_NOT_CONFIGURED" {
		t.Fatalf("other tenant: %v", err)
	}
	if _, err := svc.Settings(ctx, "Bad Tenant"); code(err) != "NOVOTELECOM_TENANT" {
		t.Fatalf("bad tenant id: %v", err)
	}
}

func TestDue(t *testing.T) {
	st := novotelecom.Settings{ExchangeEvery: 60}
	for slot, want := range map[time.Time]bool{
		time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC):  true,
		time.Date(2018, 6, 21, 9, 15, 0, 0, time.UTC): false,
		time.Date(2018, 6, 21, 9, 0, 30, 0, time.UTC): false,
	} {
		if st.Due(slot) != want {
			t.Errorf("Due(%v) = %v", slot, !want)
		}
	}
	if (novotelecom.Settings{}).Due(time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC)) {
		t.Error("on-demand only is never due")
	}
}

func TestDebtsDateAndCoding(t *testing.T) {
	ctx := context.Background()
	may := registry.Period{Year: 2018, Month: time.May}
	june := registry.Period{Year: 2018, Month: time.June}
	cases := []struct {
		name    string
		coding  novotelecom.Coding
		now     time.Time
		period  registry.Period
		file    string
		content []string // lines after the header
	}{
		{"billed month over: today", novotelecom.CodingCity, t0, may, "Debts_20180621_001.txt",
			[]string{"8032001;г. Новосибирск, ул. Ленина, 1-1;101;1200.00", "8032001;г. Новосибирск, ул. Ленина, 1-1;102;510.40"}},
		// Billed on the 29th for June: the file can go at once, dated the 30th.
		{"billed early: the month's last day", novotelecom.CodingSber, time.Date(2018, 6, 29, 9, 0, 0, 0, time.UTC), june, "Debts_20180630_001.txt",
			[]string{"8032001;г. Новосибирск, ул. Ленина, 1-1;S1;1200.00"}},
		// The tenant's calendar decides: 22:30 UTC is the next day in Moscow.
		{"tenant's day", novotelecom.CodingZhku, time.Date(2018, 6, 30, 22, 30, 0, 0, time.UTC), june, "Debts_20180701_001.txt",
			[]string{"8032001;г. Новосибирск, ул. Ленина, 1-1;1;1200.00"}},
		{"whole account", novotelecom.CodingAccount, t0, may, "Debts_20180621_001.txt",
			[]string{"8032001;г. Новосибирск, ул. Ленина, 1-1;;1710.40", "8032002;г. Новосибирск, ул. Ленина, 1-2;;55.00", "8032003;г. Новосибирск, ул. Ленина, 1-3;;-20.00"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBackend(t, "bolt")
			b.clk.Set(c.now)
			svc := b.service(t, nil)
			configure(t, svc, c.coding)
			req := demoDebts("r1")
			req.Period = c.period
			reg := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, req))
			if reg.File != c.file {
				t.Fatalf("file %s, want %s", reg.File, c.file)
			}
			data, err := b.bl.Get(ctx, "t/"+tenant+"/novotelecom/out/"+reg.File)
			if err != nil {
				t.Fatal(err)
			}
			h, recs := readFile(t, data, reg.File)
			if h.Period != c.period || h.Charset != registry.CP1251 {
				t.Errorf("header %+v", h)
			}
			for i, want := range c.content {
				got := strings.Join([]string{recs[i].Account, recs[i].Address, recs[i].Service, recs[i].Amount.String()}, ";")
				if got != want {
					t.Errorf("line %d: %q, want %q", i+1, got, want)
				}
			}
		})
	}
}

func readFile(t *testing.T, data []byte, name string) (registry.Header, []registry.Record) {
	t.Helper()
	rd, err := registry.NewReader(bytes.NewReader(data), name, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []registry.Record
	for rd.Next() == nil {
		recs = append(recs, rd.Record())
	}
	if _, err := registry.Validate(bytes.NewReader(data), name, registry.Options{}); err != nil {
		t.Fatal(err)
	}
	return rd.Header(), recs
}

func TestMetersAndServices(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, "bolt")
	b.clk.Set(time.Date(2018, 12, 28, 9, 0, 0, 0, time.UTC))
	svc := b.service(t, nil)
	configure(t, svc, novotelecom.CodingZhku)
	// Readings as of the 1st of the month after the billed one: December → 1 January.
	reg := must[novotelecom.Registry](t)(svc.SubmitMeters(ctx, tenant, novotelecom.MetersRequest{RequestID: "m1",
		Period: registry.Period{Year: 2018, Month: time.December}, Lines: []novotelecom.MeterLine{
			{Account: "8032001", Meter: "118843", Service: novotelecom.ServiceCodes{Code: "201"}, Value: d("345.12")},
		}}))
	if reg.File != "Meters_20190101_001.txt" || !reg.Date.Equal(registry.Date(2019, 1, 1)) || reg.Sum.String() != "345.120" {
		t.Fatalf("meters: %+v", reg)
	}
	svcs := must[novotelecom.Registry](t)(svc.SubmitServices(ctx, tenant, novotelecom.ServicesRequest{RequestID: "s1", Services: []novotelecom.ServiceItem{
		{Codes: novotelecom.ServiceCodes{Code: "1", City: "101"}, Name: "Содержание жилья"},
		{Codes: novotelecom.ServiceCodes{Code: "2", City: "102"}, Name: "Холодная вода"},
	}}))
	if svcs.File != "Services_20181228_001.txt" || svcs.Count != 2 {
		t.Fatalf("services: %+v", svcs)
	}
	// Coding city: a service without a «Город» code is named by its line.
	configure(t, svc, novotelecom.CodingCity)
	_, err := svc.SubmitServices(ctx, tenant, novotelecom.ServicesRequest{RequestID: "s2", Services: []novotelecom.ServiceItem{
		{Codes: novotelecom.ServiceCodes{Code: "1", City: "101"}, Name: "Содержание жилья"},
		{Codes: novotelecom.ServiceCodes{Code: "2"}, Name: "Холодная вода"},
	}})
	if code(err) != "NOVOTELECOM_BAD_LINE" || !strings.Contains(err.Error(), "Строка 2: не указан код услуги «Города»") {
		t.Fatalf("missing code: %v", err)
	}
	_, err = svc.SubmitServices(ctx, tenant, novotelecom.ServicesRequest{RequestID: "s3", Services: []novotelecom.ServiceItem{
		{Codes: novotelecom.ServiceCodes{City: "101"}, Name: "a"}, {Codes: novotelecom.ServiceCodes{City: "101"}, Name: "b"},
	}})
	if code(err) != "NOVOTELECOM_BAD_LINE" || !strings.Contains(err.Error(), "Строка 2: код услуги 101 повторяется") {
		t.Fatalf("repeated code: %v", err)
	}
	configure(t, svc, novotelecom.CodingAccount)
	if _, err := svc.SubmitServices(ctx, tenant, novotelecom.ServicesRequest{RequestID: "s4", Services: []novotelecom.ServiceItem{{Name: "a"}}}); code(err) != "NOVOTELECOM_NO_SERVICES" {
		t.Fatalf("services with whole-account coding: %v", err)
	}
}

func TestSubmitIsIdempotentAndChecked(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, "bolt")
	svc := b.service(t, nil)
	configure(t, svc, novotelecom.CodingCity)
	first := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-1")))
	again := must[novotelecom.Registry](t)(b.service(t, nil).SubmitDebts(ctx, tenant, demoDebts("req-1")))
	if again.ID != first.ID || again.SHA256 != first.SHA256 {
		t.Fatalf("repeat built another file: %+v", again)
	}
	other := demoDebts("req-1")
	other.Lines[0].Amount = d("1.00")
	if _, err := svc.SubmitDebts(ctx, tenant, other); code(err) != "NOVOTELECOM_REQUEST_REUSED" {
		t.Fatalf("reused id: %v", err)
	}
	second := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-2")))
	if second.File != "Debts_20180621_002.txt" {
		t.Fatalf("second file %s", second.File)
	}
	if got := names(inFolder(t, svc, novotelecom.FolderOutgoing)); len(got) != 2 {
		t.Fatalf("outgoing: %v", got)
	}

	bad := []struct {
		mutate func(*novotelecom.DebtsRequest)
		code   string
		msg    string
	}{
		{func(r *novotelecom.DebtsRequest) { r.Lines[2].Account = "80 32" }, "NOVOTELECOM_BAD_LINE", "Строка 3: неверное значение поля «лиц.счёт»"},
		{func(r *novotelecom.DebtsRequest) { r.Lines[1].Amount = d("1.005") }, "NOVOTELECOM_BAD_LINE", "Строка 2: неверное значение поля «сумма»"},
		{func(r *novotelecom.DebtsRequest) { r.Lines[0].Address = "ул. 日本" }, "NOVOTELECOM_BAD_LINE", "Строка 1: неверное значение поля «адрес»"},
		{func(r *novotelecom.DebtsRequest) { r.Lines[0].Service.City = "" }, "NOVOTELECOM_BAD_LINE", "Строка 1: не указан код услуги «Города»"},
		{func(r *novotelecom.DebtsRequest) { r.Period = registry.Period{} }, "NOVOTELECOM_PERIOD", ""},
		{func(r *novotelecom.DebtsRequest) { r.Lines = nil }, "NOVOTELECOM_VALIDATION", "«Lines» (required)"},
		{func(r *novotelecom.DebtsRequest) { r.RequestID = "" }, "NOVOTELECOM_VALIDATION", "«RequestID» (required)"},
		{func(r *novotelecom.DebtsRequest) { r.Lines[1].Account = "" }, "NOVOTELECOM_VALIDATION", "«Lines[1].Account» (required)"},
	}
	for i, c := range bad {
		req := demoDebts("bad-" + string(rune('a'+i)))
		c.mutate(&req)
		_, err := svc.SubmitDebts(ctx, tenant, req)
		if code(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("case %d: %v", i, err)
		}
		// The account never reaches the message: messages go to logs.
		if err != nil && strings.Contains(err.Error(), "80 32") {
			t.Errorf("case %d: personal data in the error: %v", i, err)
		}
	}
	// Refused requests spent no numbers.
	if third := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-3"))); third.File != "Debts_20180621_003.txt" {
		t.Fatalf("third file %s", third.File)
	}
}
