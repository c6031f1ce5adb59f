package konturapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/wsdl/konturws"
)

// setUpTypes creates the hotel's payment types as its administrator would: points at 50 % over
// OData, bonus roubles at 30 % through SOAP SavePaymentType, and a disabled one. It returns
// their Refs.
func (s *stack) setUpTypes(h *hotel) (points, roubles, disabled string) {
	s.t.Helper()
	status, body, _ := s.odata(http.MethodPost, h.admin, h.pass, "Catalog_PaymentTypes?$format=json", map[string]any{
		"Description": "Бонусные баллы Контур (бонусы)", "Code": "КБ-1", "Kind": kontur.PaymentKind,
		"Currency": "BONUS", "MaxPercent": "50", "Enabled": true,
	})
	if status != http.StatusCreated {
		s.t.Fatalf("create points type: %d %s", status, body)
	}
	var pt struct {
		Ref_Key, Kind, CurrencyName, MaxPercent string
		Enabled                                 bool
	}
	if err := json.Unmarshal(body, &pt); err != nil || pt.Ref_Key == "" {
		s.t.Fatalf("points type: %v %s", err, body)
	}
	if pt.Kind != kontur.PaymentKind || pt.CurrencyName != "Бонусные баллы" || pt.MaxPercent != "50" || !pt.Enabled {
		s.t.Errorf("points type as stored: %s", body)
	}
	var saved konturws.SavePaymentTypeResponse
	s.soap(h.admin, h.pass, "SavePaymentType", el("Code", "КБ-2")+el("Description", "Бонусные баллы Контур (рубли)")+
		el("Currency", "RUB")+el("MaxPercent", "30")+el("Enabled", "true")).Decode(s.t, &saved)
	if r := saved.Return_; r.Ref == "" || r.Kind != kontur.PaymentKind || !r.MaxPercent.Equal(money.FromInt(30)) || r.DataVersion == "" {
		s.t.Errorf("SavePaymentType: %+v", r)
	}
	var off konturws.SavePaymentTypeResponse
	s.soap(h.admin, h.pass, "SavePaymentType", el("Description", "Баллы (выключен)")+
		el("Currency", "BONUS")+el("MaxPercent", "100")+el("Enabled", "false")).Decode(s.t, &off)
	return pt.Ref_Key, saved.Return_.Ref, off.Return_.Ref
}

func writeOffParams(rid, folio, card, pt, amount, saldo string) string {
	return el("RequestId", rid) + el("FolioId", folio) + el("CardNumber", card) + el("PaymentType", pt) +
		el("Amount", amount) + el("Saldo", saldo)
}

// TestFrontDeskFlow runs the seed's front-desk flow from a SOAP client against the whole local
// stack: balance → available → write-off → the payment shows for the folio → cancel returns
// the points; the journal over OData shows every state; a repeated RequestId returns the first
// result; an amount above what is available and a disabled type are refused with the reason.
func TestFrontDeskFlow(t *testing.T) {
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор", "Портье")
	points, roubles, disabled := s.setUpTypes(a)

	// The front desk is not an administrator: it may not change the catalog.
	s.soap(a.desk, a.pass, "SavePaymentType", el("Description", "x")+el("Currency", "RUB")+
		el("MaxPercent", "100")+el("Enabled", "true")).wantFault(t, "KONTUR_ADMIN_REQUIRED")
	if status, body, _ := s.odata(http.MethodPost, a.desk, a.pass, "Catalog_PaymentTypes?$format=json",
		map[string]any{"Description": "x", "Currency": "RUB", "Enabled": true}); status != http.StatusForbidden {
		t.Errorf("desk creates a type over OData: %d %s", status, body)
	}
	var types konturws.GetPaymentTypesResponse
	s.soap(a.desk, a.pass, "GetPaymentTypes", "").Decode(t, &types)
	if n := len(types.Return_.Item); n != 3 {
		t.Errorf("GetPaymentTypes: %d types, want 3", n)
	}

	// 1–2. "Бонусная карта клиента", "Запросить": the guest's balances.
	var bal konturws.GetCardBalanceResponse
	r := s.soap(a.desk, a.pass, "GetCardBalance", el("CardNumber", cardRich))
	r.Decode(t, &bal)
	got := map[string]string{}
	for _, b := range bal.Return_.Balances.Item {
		got[b.Currency] = b.Amount.String() + " " + b.CurrencyName
	}
	if bal.Return_.CardMasked != "****1234" || got["BONUS"] != "5000 Бонусные баллы" || got["RUB"] != "1500.00 Бонусные рубли" {
		t.Errorf("GetCardBalance: %s %v", bal.Return_.CardMasked, got)
	}
	if strings.Contains(r.Raw, cardRich) {
		t.Error("GetCardBalance answers with the full card number")
	}
	s.soap(a.desk, a.pass, "GetCardBalance", el("CardNumber", "7999999999999999")).wantFault(t, "KONTUR_CARD_NOT_FOUND")

	// Nothing is available while the guest owes nothing.
	var av konturws.GetAvailableResponse
	s.soap(a.desk, a.pass, "GetAvailable", el("FolioId", "Счёт-1001")+el("Saldo", "0")+el("PaymentType", points)+
		el("CardNumber", cardRich)).Decode(t, &av)
	if av.Return_.Amount.String() != "0" || av.Return_.ReasonCode != kontur.ReasonSaldoNotNegative ||
		!strings.Contains(av.Return_.Reason, "отрицательном сальдо") {
		t.Errorf("available at saldo 0: %+v", av.Return_)
	}

	// 3–4. Services are charged: saldo −3000.00; points pay at most 50 %: 1500.
	s.soap(a.desk, a.pass, "GetAvailable", el("FolioId", "Счёт-1001")+el("Saldo", "-3000.00")+el("PaymentType", points)+
		el("CardNumber", cardRich)).Decode(t, &av)
	if v := av.Return_; v.Amount.String() != "1500" || v.Currency != "BONUS" || v.Balance.String() != "5000" ||
		v.Limit.String() != "1500" || v.ReasonCode != "" || v.PaymentTypeName != "Бонусные баллы Контур (бонусы)" {
		t.Errorf("available: %+v", v)
	}
	// Bonus roubles: 30 % of 3000.00 = 900.00, with kopecks.
	s.soap(a.desk, a.pass, "GetAvailable", el("FolioId", "Счёт-1001")+el("Saldo", "-3000.00")+el("PaymentType", roubles)+
		el("CardNumber", cardRich)).Decode(t, &av)
	if v := av.Return_; v.Amount.String() != "900.00" || v.CurrencyName != "Бонусные рубли" {
		t.Errorf("available in roubles: %+v", v)
	}

	// 5–6. More than available is refused with the reason; nothing is debited.
	f := s.soap(a.desk, a.pass, "WriteOff", writeOffParams("rq-1", "Счёт-1001", cardRich, points, "2000", "-3000.00")).
		wantFault(t, "KONTUR_AMOUNT_EXCEEDS_AVAILABLE")
	if !strings.Contains(f.Detail.Message, "превышает доступную") || f.Code != "soap:Client" {
		t.Errorf("refusal: %+v", f)
	}
	s.clk.Advance(time.Minute)

	// The write-off within what is available: the payment record for the folio.
	var wo konturws.WriteOffResponse
	s.soap(a.desk, a.pass, "WriteOff", writeOffParams("rq-2", "Счёт-1001", cardRich, points, "1000", "-3000.00")).Decode(t, &wo)
	w := wo.Return_
	if w.State != "recorded" || w.StateName != "Проведено" || !w.Posted || w.Amount.String() != "1000" || w.Payment == nil {
		t.Fatalf("write-off: %+v", w)
	}
	p := w.Payment
	if p.Title != "Бонусные баллы Контур" || p.Amount.String() != "1000" || p.Currency != "BONUS" || p.OperationId == "" ||
		p.Cancelled || p.Time.Format(time.UTC) != "2025-07-01T12:01:00" {
		t.Errorf("payment: %+v", p)
	}
	if w.CardMasked != "****1234" {
		t.Errorf("CardMasked %q", w.CardMasked)
	}
	if b := s.balance(cardRich, "BONUS"); b.String() != "4000" {
		t.Errorf("card after the write-off: %s points, want 4000", b)
	}

	// A repeat (the front desk clicked twice, the answer was lost) returns the first result.
	var again konturws.WriteOffResponse
	s.soap(a.desk, a.pass, "WriteOff", writeOffParams("rq-2", "Счёт-1001", cardRich, points, "1000", "-3000.00")).Decode(t, &again)
	if again.Return_.OperationId != p.OperationId || again.Return_.State != "recorded" {
		t.Errorf("repeat: %+v", again.Return_)
	}
	if b := s.balance(cardRich, "BONUS"); b.String() != "4000" {
		t.Errorf("card after the repeat: %s points, want 4000", b)
	}
	if n := len(s.sim.Ledger().ByOperation()[p.OperationId]); n != 1 {
		t.Errorf("ledger entries of the operation: %d, want 1", n)
	}
	// The same RequestId for another write-off is refused.
	s.soap(a.desk, a.pass, "WriteOff", writeOffParams("rq-2", "Счёт-1001", cardRich, points, "999", "-3000.00")).
		wantFault(t, "KONTUR_REQUEST_ID_REUSED")

	// What is left of the folio's 50 %: 500.
	s.soap(a.desk, a.pass, "GetAvailable", el("FolioId", "Счёт-1001")+el("Saldo", "-2000.00")+el("PaymentType", points)+
		el("CardNumber", cardRich)).Decode(t, &av)
	if v := av.Return_; v.Amount.String() != "500" || v.Used.String() != "1000" {
		t.Errorf("available after the write-off: %+v", v)
	}

	// A disabled type pays nothing.
	s.clk.Advance(time.Minute)
	f = s.soap(a.desk, a.pass, "WriteOff", writeOffParams("rq-3", "Счёт-1001", cardRich, disabled, "10", "-2000.00")).
		wantFault(t, kontur.ReasonTypeDisabled)
	if !strings.Contains(f.Detail.Message, "выключен") {
		t.Errorf("disabled: %+v", f)
	}

	// GetWriteOff shows the payment for the folio, and the refusal with its reason.
	var got2 konturws.GetWriteOffResponse
	s.soap(a.desk, a.pass, "GetWriteOff", el("RequestId", "rq-2")).Decode(t, &got2)
	if g := got2.Return_; g.Payment == nil || g.Payment.OperationId != p.OperationId || g.FolioId != "Счёт-1001" {
		t.Errorf("GetWriteOff: %+v", g)
	}
	var got1 konturws.GetWriteOffResponse
	s.soap(a.desk, a.pass, "GetWriteOff", el("RequestId", "rq-1")).Decode(t, &got1)
	if g := got1.Return_; g.State != "failed" || g.StateName != "Отказ" || g.ReasonCode != "KONTUR_AMOUNT_EXCEEDS_AVAILABLE" || g.Payment != nil {
		t.Errorf("GetWriteOff of the refusal: %+v", g)
	}
	s.soap(a.desk, a.pass, "GetWriteOff", el("RequestId", "rq-none")).wantFault(t, "KONTUR_WRITEOFF_NOT_FOUND")

	// Cancel: storno, the points are back on the card; a repeat returns the cancelled one.
	s.clk.Advance(time.Minute)
	var c konturws.CancelResponse
	s.soap(a.desk, a.pass, "Cancel", el("RequestId", "rq-2")).Decode(t, &c)
	if g := c.Return_; g.State != "cancelled" || g.StateName != "Отменено (сторно)" || g.Posted || g.Payment == nil || !g.Payment.Cancelled {
		t.Errorf("Cancel: %+v", g)
	}
	if b := s.balance(cardRich, "BONUS"); b.String() != "5000" {
		t.Errorf("card after the cancel: %s points, want 5000", b)
	}
	s.soap(a.desk, a.pass, "Cancel", el("RequestId", "rq-2")).Decode(t, &c)
	if b := s.balance(cardRich, "BONUS"); c.Return_.State != "cancelled" || b.String() != "5000" {
		t.Errorf("second Cancel: %s, card %s", c.Return_.State, b)
	}
	s.soap(a.desk, a.pass, "Cancel", el("RequestId", "rq-1")).wantFault(t, "KONTUR_CANCEL_NOT_ALLOWED")

	// The journal over OData, newest first, with the Russian states.
	rows := s.list(a.desk, a.pass, "Document_BonusWriteOffs?$format=json&$orderby=Date%20desc")
	var seen []string
	for _, row := range rows {
		seen = append(seen, fmt.Sprintf("%v %v %v %v %v", row["Number"], row["State"], row["Posted"], row["Amount"], row["Date"]))
	}
	want := []string{
		"rq-3 Отказ false 10 2025-07-01T12:02:00",
		"rq-2 Отменено (сторно) false 1000 2025-07-01T12:01:00",
		"rq-1 Отказ false 2000 2025-07-01T12:00:00",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	row := rows[1]
	if row["CardMasked"] != "****1234" || row["PaymentType_Key"] != points || row["OperationId"] != p.OperationId ||
		row["Currency"] != "BONUS" || row["FolioId"] != "Счёт-1001" || row["PaymentTitle"] != kontur.PaymentTitle ||
		row["StateCode"] != "cancelled" || row["Saldo"] != "-3000" {
		t.Errorf("journal row: %v", row)
	}
	if rows[2]["Reason"] == "" || rows[2]["ReasonCode"] != "KONTUR_AMOUNT_EXCEEDS_AVAILABLE" {
		t.Errorf("refused row: %v", rows[2])
	}
	// Filters on Date run on its index; the reference leads to the payment type.
	rows = s.list(a.desk, a.pass, "Document_BonusWriteOffs?$format=json&$filter=Date%20ge%20datetime'2025-07-01T12:01:00'%20and%20Date%20lt%20datetime'2025-07-01T12:02:00'")
	if len(rows) != 1 || rows[0]["Number"] != "rq-2" {
		t.Errorf("filter on Date: %v", rows)
	}
	rows = s.list(a.desk, a.pass, "Document_BonusWriteOffs?$format=json&$filter=Posted%20eq%20false&$expand=PaymentType")
	if len(rows) != 3 {
		t.Errorf("expand: %d rows", len(rows))
	} else if pt, _ := rows[0]["PaymentType"].(map[string]any); pt == nil || pt["Description"] == nil {
		t.Errorf("expanded PaymentType: %v", rows[0]["PaymentType"])
	}
	status, body, _ := s.odata(http.MethodGet, a.desk, a.pass, "Document_BonusWriteOffs?$format=json", nil)
	if status != http.StatusOK || strings.Contains(string(body), cardRich) {
		t.Errorf("journal: %d, or it holds the card number", status)
	}
	// Read only: the hub writes the documents.
	if status, body, _ := s.odata(http.MethodPost, a.admin, a.pass, "Document_BonusWriteOffs?$format=json", map[string]any{"Number": "x"}); status < 400 {
		t.Errorf("POST to the journal: %d %s", status, body)
	}

	if strings.Contains(s.logs.String(), cardRich) {
		t.Error("the logs hold a full card number")
	}
}

// TestPaymentTypesOverOData: the catalog over OData with If-Match: a stale DataVersion is
// refused with 412, the current one is accepted; SOAP sees the change and saves with the
// DataVersion it read.
func TestPaymentTypesOverOData(t *testing.T) {
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор", "Портье")
	points, _, _ := s.setUpTypes(a)
	path := "Catalog_PaymentTypes(guid'" + points + "')?$format=json"

	status, body, hdr := s.odata(http.MethodGet, a.desk, a.pass, path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET: %d %s", status, body)
	}
	var pt struct{ DataVersion, MaxPercent string }
	_ = json.Unmarshal(body, &pt)
	if pt.DataVersion == "" {
		t.Fatalf("no DataVersion: %s", body)
	}
	_ = hdr
	// A change with the version read.
	status, body, _ = s.odata(http.MethodPatch, a.admin, a.pass, path, map[string]any{"MaxPercent": "25.5"}, "If-Match", pt.DataVersion)
	if status != http.StatusOK && status != http.StatusNoContent {
		t.Fatalf("PATCH: %d %s", status, body)
	}
	// The same version again is stale now.
	status, body, _ = s.odata(http.MethodPatch, a.admin, a.pass, path, map[string]any{"MaxPercent": "99"}, "If-Match", pt.DataVersion)
	if status != http.StatusPreconditionFailed {
		t.Errorf("stale PATCH: %d %s", status, body)
	}
	// The desk may read, not write.
	if status, _, _ := s.odata(http.MethodPatch, a.desk, a.pass, path, map[string]any{"MaxPercent": "99"}); status != http.StatusForbidden {
		t.Errorf("desk PATCH: %d", status)
	}
	// Invalid values are refused with the domain's Russian message.
	status, body, _ = s.odata(http.MethodPatch, a.admin, a.pass, path, map[string]any{"MaxPercent": "150"})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "от 0 до 100") {
		t.Errorf("MaxPercent 150: %d %s", status, body)
	}
	status, body, _ = s.odata(http.MethodPatch, a.admin, a.pass, path, map[string]any{"Currency": "USD"})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "валюта") {
		t.Errorf("Currency USD: %d %s", status, body)
	}

	var types konturws.GetPaymentTypesResponse
	s.soap(a.admin, a.pass, "GetPaymentTypes", "").Decode(t, &types)
	var cur *konturws.PaymentType
	for _, it := range types.Return_.Item {
		if it.Ref == points {
			cur = it
		}
	}
	if cur == nil || !cur.MaxPercent.Equal(money.MustParse("25.5")) {
		t.Fatalf("SOAP sees %+v", cur)
	}
	// SOAP save with the DataVersion read: accepted once, then stale.
	save := el("Ref", points) + el("DataVersion", cur.DataVersion) + el("Description", "Баллы Контур") +
		el("Currency", "BONUS") + el("MaxPercent", "40") + el("Enabled", "true")
	var saved konturws.SavePaymentTypeResponse
	s.soap(a.admin, a.pass, "SavePaymentType", save).Decode(t, &saved)
	if saved.Return_.Description != "Баллы Контур" || !saved.Return_.MaxPercent.Equal(money.FromInt(40)) || saved.Return_.Code != "КБ-1" {
		t.Errorf("saved: %+v", saved.Return_)
	}
	s.soap(a.admin, a.pass, "SavePaymentType", save).wantFault(t, "KONTUR_VERSION_CONFLICT")

	// GetCurrencies lists the pick list.
	var curs konturws.GetCurrenciesResponse
	s.soap(a.desk, a.pass, "GetCurrencies", "").Decode(t, &curs)
	codes := map[string]int32{}
	for _, c := range curs.Return_.Item {
		codes[c.Code] = c.Scale
	}
	if codes["BONUS"] != 0 || codes["RUB"] != 2 || len(codes) != len(kontur.Currencies()) {
		t.Errorf("currencies %v", codes)
	}

	// Delete with the current version.
	status, body, hdr = s.odata(http.MethodGet, a.desk, a.pass, path, nil)
	_ = json.Unmarshal(body, &pt)
	if status, body, _ := s.odata(http.MethodDelete, a.admin, a.pass, path, nil, "If-Match", pt.DataVersion); status != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", status, body)
	}
	if status, _, _ := s.odata(http.MethodGet, a.desk, a.pass, path, nil); status != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", status)
	}
}

// TestTenantIsolation: hotel B sees none of hotel A's write-offs or payment types, through
// SOAP or OData, even with A's RequestIds and Refs.
func TestTenantIsolation(t *testing.T) {
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор", "Портье")
	b := s.addHotel("hotel-b", "Админ Б", "Портье Б")
	points, _, _ := s.setUpTypes(a)
	var wo konturws.WriteOffResponse
	s.soap(a.desk, a.pass, "WriteOff", writeOffParams("rq-1", "F-1", cardRich, points, "100", "-1000")).Decode(t, &wo)

	s.soap(b.desk, b.pass, "GetWriteOff", el("RequestId", "rq-1")).wantFault(t, "KONTUR_WRITEOFF_NOT_FOUND")
	s.soap(b.desk, b.pass, "Cancel", el("RequestId", "rq-1")).wantFault(t, "KONTUR_WRITEOFF_NOT_FOUND")
	s.soap(b.desk, b.pass, "GetAvailable", el("FolioId", "F-1")+el("Saldo", "-1000")+el("PaymentType", points)+
		el("CardNumber", cardRich)).wantFault(t, "KONTUR_PAYMENT_TYPE_NOT_FOUND")
	s.soap(b.desk, b.pass, "WriteOff", writeOffParams("rq-1", "F-1", cardRich, points, "100", "-1000")).
		wantFault(t, "KONTUR_PAYMENT_TYPE_NOT_FOUND")
	// B saving under A's Ref creates B's own type; A's is untouched.
	var saved konturws.SavePaymentTypeResponse
	s.soap(b.admin, b.pass, "SavePaymentType", el("Ref", points)+el("Description", "Чужой")+el("Currency", "RUB")+
		el("MaxPercent", "100")+el("Enabled", "true")).Decode(t, &saved)
	var types konturws.GetPaymentTypesResponse
	s.soap(a.desk, a.pass, "GetPaymentTypes", "").Decode(t, &types)
	for _, it := range types.Return_.Item {
		if it.Description == "Чужой" {
			t.Error("hotel B changed hotel A's payment type")
		}
	}

	if rows := s.list(b.desk, b.pass, "Document_BonusWriteOffs?$format=json"); len(rows) != 0 {
		t.Errorf("B sees %d write-offs", len(rows))
	}
	if rows := s.list(b.desk, b.pass, "Document_BonusWriteOffs?$format=json&$orderby=Date%20desc"); len(rows) != 0 {
		t.Errorf("B sees %d write-offs by date", len(rows))
	}
	if status, _, _ := s.odata(http.MethodGet, b.desk, b.pass, "Document_BonusWriteOffs(guid'"+wo.Return_.Ref+"')?$format=json", nil); status != http.StatusNotFound {
		t.Errorf("B reads A's write-off by Ref: %d", status)
	}
	if rows := s.list(b.desk, b.pass, "Catalog_PaymentTypes?$format=json"); len(rows) != 1 || rows[0]["Description"] != "Чужой" {
		t.Errorf("B's catalog: %v", rows)
	}
	if rows := s.list(a.desk, a.pass, "Document_BonusWriteOffs?$format=json"); len(rows) != 1 {
		t.Errorf("A sees %d write-offs", len(rows))
	}
}

// TestPendingWriteOffIsFinishedByRecovery: Kontur applies the debit but its answers are lost;
// the front desk gets "not confirmed" and the write-off stays in progress; the hub's
// kontur-redeem job settles it by asking Kontur — recorded, debited once — and GetWriteOff
// then shows the payment.
func TestPendingWriteOffIsFinishedByRecovery(t *testing.T) {
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор", "Портье")
	points, _, _ := s.setUpTypes(a)
	if err := s.sim.SetFaults(faultsDropping()); err != nil {
		t.Fatal(err)
	}
	r := s.soap(a.desk, a.pass, "WriteOff", writeOffParams("rq-lost", "F-9", cardRich, points, "700", "-2000"))
	f := r.wantFault(t, "KONTUR_PENDING")
	if f.Code != "soap:Server" || !strings.Contains(f.Detail.Message, "тем же RequestId") {
		t.Errorf("pending fault: %+v", f)
	}
	var g konturws.GetWriteOffResponse
	s.soap(a.desk, a.pass, "GetWriteOff", el("RequestId", "rq-lost")).Decode(t, &g)
	if g.Return_.State != "debiting" || g.Return_.StateName != "Списание в Контуре" || g.Return_.Payment != nil {
		t.Fatalf("in progress: %+v", g.Return_)
	}
	if err := s.sim.SetFaults(noFaults()); err != nil {
		t.Fatal(err)
	}
	var job func() error
	for _, j := range s.hub.Jobs() {
		if j.Name == "kontur-redeem" {
			j := j
			job = func() error { return j.Run(s.ctx, schedTick(j.Name, s.clk.Now())) }
		}
	}
	if job == nil {
		t.Fatal("no kontur-redeem job")
	}
	if err := job(); err != nil {
		t.Fatal(err)
	}
	s.soap(a.desk, a.pass, "GetWriteOff", el("RequestId", "rq-lost")).Decode(t, &g)
	if g.Return_.State != "recorded" || g.Return_.Payment == nil {
		t.Fatalf("after recovery: %+v", g.Return_)
	}
	if b := s.balance(cardRich, "BONUS"); !b.Equal(money.FromInt(4300)) {
		t.Errorf("card: %s, want 4300 (one debit)", b)
	}
	if err := job(); err != nil { // idempotent
		t.Fatal(err)
	}
}
