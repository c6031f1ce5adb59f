package kontur_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
)

func TestGetCardBalance(t *testing.T) {
	e := newEnv(t, adapters()[0], kontur.Options{})
	ctx := context.Background()
	b, err := e.svc.GetCardBalance(ctx, tenant, kontur.BalanceRequest{CardNumber: card1})
	if err != nil {
		t.Fatal(err)
	}
	if b.CardMasked != "****1234" || len(b.Balances) != 2 || b.Balances[0].Currency != "BONUS" ||
		b.Balances[0].Amount.String() != "5000" || b.Balances[1].Amount.String() != "1500.00" || b.Balances[1].CurrencyName == "" {
		t.Fatalf("%+v", b)
	}
	if _, err := e.svc.GetCardBalance(ctx, tenant, kontur.BalanceRequest{CardNumber: "7000000000009999"}); !errors.Is(err, kontur.ErrCardNotFound) {
		t.Fatalf("unknown card: %v", err)
	}
	if _, err := e.svc.GetCardBalance(ctx, tenant, kontur.BalanceRequest{CardNumber: "70-00"}); code(err) != "KONTUR_INVALID_REQUEST" {
		t.Fatalf("bad card: %v", err)
	}
	e.faults(kontursim.Faults{FailBefore: 1})
	if _, err := e.svc.GetCardBalance(ctx, tenant, kontur.BalanceRequest{CardNumber: card1}); code(err) != "KONTUR_UNAVAILABLE" {
		t.Fatalf("kontur down: %v", err)
	}
}

func TestGetAvailable(t *testing.T) {
	e := newEnv(t, adapters()[0], kontur.Options{})
	ctx := context.Background()
	pct := func(p string) kontur.PaymentType {
		pt, err := e.svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{Name: "p" + p, Currency: "RUB", MaxPercent: dec(p), Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return pt
	}
	rub33 := pct("33.33")
	off, err := e.svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{Name: "off", Currency: "BONUS", MaxPercent: dec("100")})
	if err != nil {
		t.Fatal(err)
	}
	zero := pct("0")
	cases := []struct {
		name         string
		pt           kontur.PaymentType
		card, saldo  string
		amount, why  string
		limit, using string
	}{
		{"saldo positive", e.bonus, card1, "100.00", "0", kontur.ReasonSaldoNotNegative, "0", "0"},
		{"saldo zero", e.bonus, card1, "0", "0", kontur.ReasonSaldoNotNegative, "0", "0"},
		{"type disabled", off, card1, "-100", "0", kontur.ReasonTypeDisabled, "0", "0"},
		{"zero percent", zero, card1, "-100", "0.00", kontur.ReasonZeroPercent, "0.00", "0.00"},
		// 50 % of 1001.50 is 500.75: points are whole, rounded down.
		{"points round down", e.bonus, card1, "-1001.50", "500", "", "500", "0"},
		{"balance is less", e.bonus, card2, "-1000", "120", "", "500", "0"},
		// 33.33 % of 1000.01 is 333.303333: kopecks, rounded down.
		{"roubles round down", rub33, card1, "-1000.01", "333.30", "", "333.30", "0.00"},
		{"no roubles on card", e.rub, card2, "-1000", "0.00", kontur.ReasonNoBalance, "300.00", "0.00"},
	}
	for _, c := range cases {
		got, err := e.svc.GetAvailable(ctx, tenant, kontur.AvailableRequest{FolioID: "F-" + c.name, Saldo: dec(c.saldo), PaymentType: c.pt.Ref, CardNumber: c.card})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Amount.String() != c.amount || got.ReasonCode != c.why || got.Limit.String() != c.limit || got.Used.String() != c.using ||
			(c.why != "" && got.Reason == "") || got.Currency != c.pt.Currency {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
	if _, err := e.svc.GetAvailable(ctx, tenant, kontur.AvailableRequest{FolioID: "F", Saldo: dec("-1"), PaymentType: "11111111-2222-4333-8444-555555555555", CardNumber: card1}); !errors.Is(err, kontur.ErrPaymentTypeNotFound) {
		t.Fatalf("unknown type: %v", err)
	}

	// After a write-off the PMS sends the smaller saldo; the limit stays a share of the whole
	// debt, less what was written off.
	w, err := e.svc.WriteOff(ctx, tenant, kontur.WriteOffRequest{RequestID: "a-1", FolioID: "F-1", CardNumber: card1, PaymentType: e.bonus.Ref, Amount: dec("300"), Saldo: dec("-1000")})
	if err != nil || w.State != kontur.StateRecorded {
		t.Fatalf("write-off: %v %+v", err, w)
	}
	got, err := e.svc.GetAvailable(ctx, tenant, kontur.AvailableRequest{FolioID: "F-1", Saldo: dec("-700"), PaymentType: e.bonus.Ref, CardNumber: card1})
	if err != nil || got.Amount.String() != "200" || got.Limit.String() != "500" || got.Used.String() != "300" {
		t.Fatalf("after a write-off: %v %+v", err, got)
	}
}

func wreq(rid, folio, card string, pt kontur.PaymentType, amount, saldo string) kontur.WriteOffRequest {
	return kontur.WriteOffRequest{RequestID: rid, FolioID: folio, CardNumber: card, PaymentType: pt.Ref, Amount: dec(amount), Saldo: dec(saldo)}
}

func TestWriteOffAndCancel(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		req := wreq("req-1", "Ф-101", card1, e.rub, "150.50", "-1000.00")
		w, err := e.svc.WriteOff(ctx, tenant, req)
		if err != nil {
			t.Fatal(err)
		}
		p := w.Payment
		if w.State != kontur.StateRecorded || !w.Posted() || p == nil || p.Title != "Бонусные баллы Контур" ||
			p.Amount.String() != "150.50" || p.Currency != "RUB" || p.OperationID == "" || p.OperationID != w.OperationID ||
			p.Time.IsZero() || w.CardMasked != "****1234" || w.Ref == "" {
			t.Fatalf("recorded: %+v %+v", w, p)
		}
		if l := e.sim.Ledger(); len(l) != 1 || l[0].OperationID != w.OperationID || l[0].Amount.String() != "150.50" {
			t.Fatalf("ledger %+v", l)
		}
		again, err := e.svc.WriteOff(ctx, tenant, req)
		if err != nil || again.State != kontur.StateRecorded || again.OperationID != w.OperationID || again.DataVersion != w.DataVersion {
			t.Fatalf("repeat: %v %+v", err, again)
		}
		other := req
		other.Amount = dec("150.51")
		if _, err := e.svc.WriteOff(ctx, tenant, other); code(err) != "KONTUR_REQUEST_ID_REUSED" ||
			!strings.Contains(err.Error(), "req-1") {
			t.Fatalf("reused: %v", err)
		}
		if len(e.sim.Ledger()) != 1 {
			t.Fatal("repeat debited again")
		}
		got, err := e.svc.GetWriteOff(ctx, tenant, "req-1")
		if err != nil || got.State != kontur.StateRecorded || got.Amount.String() != "150.50" {
			t.Fatalf("get: %v %+v", err, got)
		}
		if byRef, err := e.svc.GetWriteOffByRef(ctx, tenant, strings.ToUpper(w.Ref)); err != nil || byRef.RequestID != "req-1" {
			t.Fatalf("by ref: %v %+v", err, byRef)
		}
		if _, err := e.svc.GetWriteOff(ctx, tenant, "req-2"); !errors.Is(err, kontur.ErrWriteOffNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		if _, err := e.svc.GetWriteOff(ctx, "hotel-2", "req-1"); !errors.Is(err, kontur.ErrWriteOffNotFound) {
			t.Fatalf("another tenant: %v", err)
		}

		c, err := e.svc.Cancel(ctx, tenant, kontur.CancelRequest{RequestID: "req-1"})
		if err != nil || c.State != kontur.StateCancelled || c.Payment == nil || !c.Payment.Cancelled || c.Payment.CancelledAt.IsZero() || c.Posted() {
			t.Fatalf("cancel: %v %+v", err, c)
		}
		if c2, err := e.svc.Cancel(ctx, tenant, kontur.CancelRequest{RequestID: "req-1"}); err != nil || c2.State != kontur.StateCancelled {
			t.Fatalf("cancel again: %v %+v", err, c2)
		}
		if l := e.sim.Ledger(); len(l) != 2 || l[1].Kind != kontursim.KindStorno || !l.Net()["RUB"].IsZero() {
			t.Fatalf("ledger after storno: %+v", l)
		}
		if bal := e.sim.Balances(card1)["RUB"]; bal.String() != "1500.00" {
			t.Fatalf("points not returned: %s", bal)
		}
		// The folio's cap is free again.
		av, err := e.svc.GetAvailable(ctx, tenant, kontur.AvailableRequest{FolioID: "Ф-101", Saldo: dec("-1000.00"), PaymentType: e.rub.Ref, CardNumber: card1})
		if err != nil || av.Amount.String() != "300.00" || !av.Used.IsZero() {
			t.Fatalf("available after cancel: %v %+v", err, av)
		}
		// A repeat of the original request now answers with the cancelled write-off.
		if w, err := e.svc.WriteOff(ctx, tenant, req); err != nil || w.State != kontur.StateCancelled {
			t.Fatalf("repeat after cancel: %v %+v", err, w)
		}
		if _, err := e.svc.Cancel(ctx, tenant, kontur.CancelRequest{RequestID: "nope"}); !errors.Is(err, kontur.ErrWriteOffNotFound) {
			t.Fatalf("cancel unknown: %v", err)
		}
	})
}

func TestWriteOffRefusals(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		disabled, err := e.svc.CreatePaymentType(ctx, tenant, kontur.PaymentTypeInput{Name: "Выкл", Currency: "BONUS", MaxPercent: dec("50")})
		if err != nil {
			t.Fatal(err)
		}

		// Refusals that follow from the request alone: an error, nothing stored.
		for name, c := range map[string]struct {
			req  kontur.WriteOffRequest
			code string
		}{
			"zero amount":      {wreq("e-1", "F", card1, e.bonus, "0", "-100"), "KONTUR_AMOUNT_NOT_POSITIVE"},
			"negative amount":  {wreq("e-2", "F", card1, e.bonus, "-5", "-100"), "KONTUR_AMOUNT_NOT_POSITIVE"},
			"saldo positive":   {wreq("e-3", "F", card1, e.bonus, "5", "100"), "KONTUR_SALDO_NOT_NEGATIVE"},
			"points fraction":  {wreq("e-4", "F", card1, e.bonus, "5.5", "-100"), "KONTUR_AMOUNT_PRECISION"},
			"kopeck fraction":  {wreq("e-5", "F", card1, e.rub, "5.505", "-100"), "KONTUR_AMOUNT_PRECISION"},
			"no request id":    {wreq("", "F", card1, e.bonus, "5", "-100"), "KONTUR_INVALID_REQUEST"},
			"bad request id":   {wreq("a b", "F", card1, e.bonus, "5", "-100"), "KONTUR_INVALID_REQUEST"},
			"no folio":         {wreq("e-6", "", card1, e.bonus, "5", "-100"), "KONTUR_INVALID_REQUEST"},
			"unknown type":     {kontur.WriteOffRequest{RequestID: "e-7", FolioID: "F", CardNumber: card1, PaymentType: "11111111-2222-4333-8444-555555555555", Amount: dec("1"), Saldo: dec("-10")}, "KONTUR_PAYMENT_TYPE_NOT_FOUND"},
			"saldo fraction":   {wreq("e-8", "F", card1, e.bonus, "5", "-100.001"), "KONTUR_INVALID_REQUEST"},
			"folio with a tab": {wreq("e-9", "F\t1", card1, e.bonus, "5", "-100"), "KONTUR_INVALID_REQUEST"},
		} {
			_, err := e.svc.WriteOff(ctx, tenant, c.req)
			if code(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
			if c.req.RequestID != "" && c.req.RequestID != "a b" {
				if _, err := e.svc.GetWriteOff(ctx, tenant, c.req.RequestID); !errors.Is(err, kontur.ErrWriteOffNotFound) {
					t.Errorf("%s: stored (%v)", name, err)
				}
			}
		}

		// Refusals that depend on the moment: stored as the outcome, a repeat returns them.
		for name, c := range map[string]struct {
			req  kontur.WriteOffRequest
			code string
		}{
			"type disabled":       {wreq("f-1", "F", card1, disabled, "5", "-100"), kontur.ReasonTypeDisabled},
			"above folio cap":     {wreq("f-2", "F", card1, e.bonus, "51", "-100"), "KONTUR_AMOUNT_EXCEEDS_AVAILABLE"},
			"above card balance":  {wreq("f-3", "F", card2, e.bonus, "121", "-1000"), "KONTUR_AMOUNT_EXCEEDS_AVAILABLE"},
			"card not in Kontur":  {wreq("f-4", "F", "7000000000009999", e.bonus, "1", "-1000"), "KONTUR_CARD_NOT_FOUND"},
			"no roubles on card2": {wreq("f-5", "F", card2, e.rub, "1.00", "-1000"), "KONTUR_AMOUNT_EXCEEDS_AVAILABLE"},
		} {
			w, err := e.svc.WriteOff(ctx, tenant, c.req)
			if err != nil || w.State != kontur.StateFailed || w.ReasonCode != c.code || w.Reason == "" || w.Payment != nil {
				t.Errorf("%s: %v %+v", name, err, w)
				continue
			}
			again, err := e.svc.WriteOff(ctx, tenant, c.req)
			if err != nil || again.State != kontur.StateFailed || again.Reason != w.Reason {
				t.Errorf("%s repeated: %v %+v", name, err, again)
			}
			if _, err := e.svc.Cancel(ctx, tenant, kontur.CancelRequest{RequestID: c.req.RequestID}); code(err) != "KONTUR_CANCEL_NOT_ALLOWED" {
				t.Errorf("%s cancelled: %v", name, err)
			}
		}
		if l := e.sim.Ledger(); len(l) != 0 {
			t.Fatalf("refusals debited: %+v", l)
		}
		// The refusals did not hold any of the folio's cap.
		av, err := e.svc.GetAvailable(ctx, tenant, kontur.AvailableRequest{FolioID: "F", Saldo: dec("-100"), PaymentType: e.bonus.Ref, CardNumber: card1})
		if err != nil || av.Amount.String() != "50" || !av.Used.IsZero() {
			t.Fatalf("available: %v %+v", err, av)
		}
	})
}

// TestKonturRefusal: a debit Kontur refuses ends the write-off failed with Kontur's reason.
func TestKonturRefusal(t *testing.T) {
	e := newEnv(t, adapters()[0], kontur.Options{})
	ctx := context.Background()
	// The balance check passes, then the card is emptied before the debit arrives: simulate
	// with a client that empties it on the way.
	cl := &drainClient{Client: e.client(time.Second), sim: e.sim}
	svc := kontur.New(e.ts, e.clk, kontur.Single(cl), kontur.Options{RetryDelay: time.Millisecond})
	w, err := svc.WriteOff(ctx, tenant, wreq("k-1", "F", card2, e.bonus, "100", "-1000"))
	if err != nil || w.State != kontur.StateFailed || w.ReasonCode != "KONTUR_REFUSED" || !strings.Contains(w.Reason, "Недостаточно") {
		t.Fatalf("%v %+v", err, w)
	}
	if len(e.sim.Ledger()) != 0 {
		t.Fatal("debited")
	}
}

type drainClient struct {
	kontur.Client
	sim *kontursim.Sim
}

func (c *drainClient) Debit(ctx context.Context, req kontur.DebitRequest) (kontur.Operation, error) {
	c.sim.SetBalance(req.Card, req.Currency, money.FromInt(1))
	return c.Client.Debit(ctx, req)
}

func TestListWriteOffs(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			e.clk.Advance(time.Minute)
			if _, err := e.svc.WriteOff(ctx, tenant, wreq(fmt.Sprintf("l-%d", i), fmt.Sprintf("F%d", i), card1, e.bonus, "10", "-100")); err != nil {
				t.Fatal(err)
			}
		}
		collect := func(q kontur.WriteOffQuery) []string {
			var out []string
			for {
				p, err := e.svc.ListWriteOffs(ctx, tenant, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range p.Items {
					out = append(out, w.RequestID)
				}
				if p.Next == "" {
					return out
				}
				q.Cursor = p.Next
			}
		}
		if got := strings.Join(collect(kontur.WriteOffQuery{Limit: 2}), ","); got != "l-4,l-3,l-2,l-1,l-0" {
			t.Fatalf("newest first: %s", got)
		}
		if got := strings.Join(collect(kontur.WriteOffQuery{Order: kontur.OldestFirst, Limit: 3,
			From: t0.Add(2 * time.Minute), To: t0.Add(4 * time.Minute)}), ","); got != "l-1,l-2,l-3" {
			t.Fatalf("range: %s", got)
		}
		byRef := collect(kontur.WriteOffQuery{Order: kontur.ByRef, Limit: 2})
		if len(byRef) != 5 {
			t.Fatalf("by ref: %v", byRef)
		}
		if _, err := e.svc.ListWriteOffs(ctx, tenant, kontur.WriteOffQuery{Order: 9}); code(err) != "KONTUR_INVALID_REQUEST" {
			t.Fatalf("bad order: %v", err)
		}
	})
}

// TestStoreWrites measures the store cost of a write-off with a counting store.
func TestStoreWrites(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		measure := func(name string, fn func()) int64 {
			before := e.ts.writes.Load()
			fn()
			n := e.ts.writes.Load() - before
			t.Logf("%s: %d store writes", name, n)
			return n
		}
		ok := measure("successful write-off", func() {
			if w, err := e.svc.WriteOff(ctx, tenant, wreq("s-1", "F-1", card1, e.bonus, "100", "-1000")); err != nil || w.State != kontur.StateRecorded {
				t.Fatalf("%v %+v", err, w)
			}
		})
		if ok > 4 {
			t.Errorf("a successful write-off took %d store writes, budget 4", ok)
		}
		// A second one on the same folio costs the same.
		if n := measure("second write-off on the folio", func() {
			if _, err := e.svc.WriteOff(ctx, tenant, wreq("s-2", "F-1", card1, e.bonus, "100", "-900")); err != nil {
				t.Fatal(err)
			}
		}); n > 4 {
			t.Errorf("second write-off: %d writes", n)
		}
		if n := measure("repeat of a recorded write-off", func() {
			if _, err := e.svc.WriteOff(ctx, tenant, wreq("s-1", "F-1", card1, e.bonus, "100", "-1000")); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("a repeat wrote %d times", n)
		}
		measure("refused write-off (above the cap)", func() {
			e.svc.WriteOff(ctx, tenant, wreq("s-3", "F-1", card1, e.bonus, "400", "-800"))
		})
		measure("cancel", func() {
			if _, err := e.svc.Cancel(ctx, tenant, kontur.CancelRequest{RequestID: "s-1"}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// TestUncertainDebit: the debit's answer is lost after Kontur applied it; the next call asks
// Kontur for the operation and records it without sending the debit again.
func TestUncertainDebit(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		for _, f := range []kontursim.Faults{
			{TimeoutAfter: 1, Hold: kontursim.Duration(10 * time.Second), Endpoints: []string{"debit"}},
			{DropAfter: 1, Endpoints: []string{"debit"}},
		} {
			e := newEnv(t, a, kontur.Options{})
			// FollowWait -1: the repeat comes after the answer, nobody else carries it on.
			e.svc = kontur.New(e.ts, e.clk, kontur.Single(e.client(300*time.Millisecond)), kontur.Options{Attempts: 1, RetryDelay: time.Millisecond, FollowWait: -1})
			ctx := context.Background()
			req := wreq("u-1", "F", card1, e.bonus, "100", "-1000")
			e.faults(f)
			w, err := e.svc.WriteOff(ctx, tenant, req)
			if code(err) != "KONTUR_PENDING" || w.State != kontur.StateDebiting {
				t.Fatalf("%+v: %v %+v", f, err, w)
			}
			if len(e.sim.Ledger()) != 1 {
				t.Fatalf("Kontur did not apply it: %+v", e.sim.Ledger())
			}
			if _, err := e.svc.Cancel(ctx, tenant, kontur.CancelRequest{RequestID: "u-1"}); code(err) != "KONTUR_IN_PROGRESS" {
				t.Fatalf("cancel while debiting: %v", err)
			}
			// Still failing: the next call asks Kontur first and finds the operation.
			debits := e.sim.Stats().Debits
			w, err = e.svc.WriteOff(ctx, tenant, req)
			if err != nil || w.State != kontur.StateRecorded {
				t.Fatalf("repeat: %v %+v", err, w)
			}
			if st := e.sim.Stats(); st.Debits != debits || len(e.sim.Ledger()) != 1 {
				t.Fatalf("debit sent again (%d → %d) or applied twice %+v", debits, st.Debits, e.sim.Ledger())
			}
		}
	})
}

// Test5xxBeforeDebit: Kontur failed before applying; the next call finds no operation and
// sends the debit again, under the same id.
func Test5xxBeforeDebit(t *testing.T) {
	// The repeat below comes from the same front desk after the answer: nothing to wait for.
	e := newEnv(t, adapters()[0], kontur.Options{FollowWait: -1})
	ctx := context.Background()
	req := wreq("x-1", "F", card1, e.rub, "10.00", "-100")
	e.faults(kontursim.Faults{FailBefore: 1, Endpoints: []string{"debit", "get"}})
	w, err := e.svc.WriteOff(ctx, tenant, req)
	if code(err) != "KONTUR_PENDING" || w.State != kontur.StateDebiting || len(e.sim.Ledger()) != 0 {
		t.Fatalf("%v %+v %+v", err, w, e.sim.Ledger())
	}
	if st := e.sim.Stats(); st.Debits != 0 || st.FailedBefore < 3 {
		t.Fatalf("stats %+v", st)
	}
	e.faults(kontursim.Faults{})
	w, err = e.svc.WriteOff(ctx, tenant, req)
	if err != nil || w.State != kontur.StateRecorded || len(e.sim.Ledger()) != 1 || e.sim.Ledger()[0].OperationID != w.OperationID {
		t.Fatalf("repeat: %v %+v %+v", err, w, e.sim.Ledger())
	}
}

// TestCrashAfterDebit: the process dies right after Kontur debited; a fresh process over the
// same store finishes the write-off with Recover, without a second debit.
func TestCrashAfterDebit(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		dead := new(atomic.Bool)
		crashing := &crashClient{Client: e.client(time.Second), dead: dead, p: 1, rng: newRand(1)}
		ts := newTestStore(e.base, 2)
		ts.dead = dead
		doomed := kontur.New(ts, e.clk, kontur.Single(crashing), kontur.Options{RetryDelay: time.Millisecond})
		req := wreq("c-1", "F", card1, e.bonus, "100", "-1000")
		if _, err := doomed.WriteOff(ctx, tenant, req); err == nil {
			t.Fatal("the dying process answered")
		}
		if w, err := e.svc.GetWriteOff(ctx, tenant, "c-1"); err != nil || w.State != kontur.StateDebiting {
			t.Fatalf("left as: %v %+v", err, w)
		}
		fresh := kontur.New(newTestStore(e.base, 3), e.clk, kontur.Single(e.client(time.Second)), kontur.Options{})
		rep, err := fresh.Recover(ctx, tenant)
		if err != nil || rep.Seen != 1 || rep.Recorded != 1 || rep.Pending != 0 {
			t.Fatalf("recover: %v %+v", err, rep)
		}
		w, err := fresh.WriteOff(ctx, tenant, req)
		if err != nil || w.State != kontur.StateRecorded {
			t.Fatalf("%v %+v", err, w)
		}
		if l := e.sim.Ledger(); len(l) != 1 || l[0].OperationID != w.OperationID {
			t.Fatalf("ledger %+v", l)
		}
		if rep, err := fresh.Recover(ctx, tenant); err != nil || rep.Seen != 0 {
			t.Fatalf("second recover: %v %+v", err, rep)
		}
	})
}

// TestRecoverExpiresRequested: a write-off that never got to send its debit, found long
// after, is failed rather than debited behind the front desk's back.
func TestRecoverExpiresRequested(t *testing.T) {
	e := newEnv(t, adapters()[0], kontur.Options{})
	ctx := context.Background()
	e.faults(kontursim.Faults{FailBefore: 1})
	w, err := e.svc.WriteOff(ctx, tenant, wreq("t-1", "F", card1, e.bonus, "10", "-100"))
	if code(err) != "KONTUR_UNAVAILABLE" || w.State != kontur.StateRequested {
		t.Fatalf("%v %+v", err, w)
	}
	e.faults(kontursim.Faults{})
	e.clk.Advance(16 * time.Minute)
	rep, err := e.svc.Recover(ctx, tenant)
	if err != nil || rep.Failed != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	w, err = e.svc.Resume(ctx, tenant, "t-1")
	if err != nil || w.State != kontur.StateFailed || w.ReasonCode != "KONTUR_EXPIRED" || len(e.sim.Ledger()) != 0 {
		t.Fatalf("%v %+v", err, w)
	}
}

// TestConcurrentDuplicates: eight callers in four processes send the same request at once;
// one debit, one outcome. Callers with other parameters under the same RequestId are refused.
func TestConcurrentDuplicates(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		var procs []*kontur.Service
		for i := 0; i < 4; i++ {
			procs = append(procs, kontur.New(newTestStore(e.base, uint64(i)), e.clk, kontur.Single(e.client(time.Second)), kontur.Options{RetryDelay: time.Millisecond}))
		}
		for round := 0; round < 5; round++ {
			rid := fmt.Sprintf("d-%d", round)
			good := wreq(rid, "F", card1, e.bonus, "10", "-1000")
			odd := wreq(rid, "F", card1, e.bonus, "11", "-1000")
			type result struct {
				w   kontur.WriteOff
				err error
				odd bool
			}
			results := make([]result, 8)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					req := good
					if round%2 == 1 && i == 7 {
						req, results[i].odd = odd, true
					}
					var w kontur.WriteOff
					var err error
					for try := 0; try < 50; try++ {
						w, err = procs[i%4].WriteOff(ctx, tenant, req)
						if code(err) != "KONTUR_IN_PROGRESS" && code(err) != "KONTUR_PENDING" {
							break
						}
						time.Sleep(5 * time.Millisecond)
					}
					results[i].w, results[i].err = w, err
				}()
			}
			close(start)
			wg.Wait()
			stored, err := e.svc.GetWriteOff(ctx, tenant, rid)
			if err != nil || stored.State != kontur.StateRecorded {
				t.Fatalf("%s: %v %+v", rid, err, stored)
			}
			for i, r := range results {
				sameAsStored := stored.Amount.Equal(dec("10")) != r.odd
				switch {
				case sameAsStored && (r.err != nil || r.w.State != kontur.StateRecorded || r.w.OperationID != stored.OperationID):
					t.Errorf("%s caller %d: %v %+v", rid, i, r.err, r.w)
				case !sameAsStored && code(r.err) != "KONTUR_REQUEST_ID_REUSED":
					t.Errorf("%s odd caller %d: %v", rid, i, r.err)
				}
			}
		}
		if l := e.sim.Ledger(); len(l) != 5 {
			t.Fatalf("ledger has %d debits, want 5", len(l))
		}
	})
}

// TestFolioCapRace: RequestIds for one folio race; together they stay within the cap.
func TestFolioCapRace(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, a adapter) {
		e := newEnv(t, a, kontur.Options{})
		ctx := context.Background()
		var procs []*kontur.Service
		for i := 0; i < 3; i++ {
			procs = append(procs, kontur.New(newTestStore(e.base, uint64(i)), e.clk, kontur.Single(e.client(time.Second)), kontur.Options{RetryDelay: time.Millisecond}))
		}
		// 50 % of 1000 is 500: five of twelve 100-point write-offs fit.
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req := wreq(fmt.Sprintf("cap-%d", i), "F-CAP", card1, e.bonus, "100", "-1000")
				for try := 0; try < 50; try++ {
					_, err := procs[i%3].WriteOff(ctx, tenant, req)
					if err == nil {
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
				t.Errorf("cap-%d never settled", i)
			}()
		}
		close(start)
		wg.Wait()
		recorded, failed := 0, 0
		for i := 0; i < 12; i++ {
			w, err := e.svc.GetWriteOff(ctx, tenant, fmt.Sprintf("cap-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			switch w.State {
			case kontur.StateRecorded:
				recorded++
			case kontur.StateFailed:
				failed++
				if w.ReasonCode != "KONTUR_AMOUNT_EXCEEDS_AVAILABLE" {
					t.Errorf("reason %s", w.ReasonCode)
				}
			default:
				t.Errorf("state %s", w.State)
			}
		}
		if recorded != 5 || failed != 7 || !e.sim.Ledger().Net()["BONUS"].Equal(dec("500")) {
			t.Fatalf("recorded %d, failed %d, debited %s", recorded, failed, e.sim.Ledger().Net()["BONUS"])
		}
	})
}

// TestTenantsApart: the same RequestId in two tenants is two write-offs with two operations.
func TestTenantsApart(t *testing.T) {
	e := newEnv(t, adapters()[0], kontur.Options{})
	ctx := context.Background()
	pt2, err := e.svc.CreatePaymentType(ctx, "hotel-2", kontur.PaymentTypeInput{Name: "Бонусы", Currency: "BONUS", MaxPercent: dec("50"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	w1, err := e.svc.WriteOff(ctx, tenant, wreq("same", "F", card1, e.bonus, "10", "-100"))
	if err != nil {
		t.Fatal(err)
	}
	w2, err := e.svc.WriteOff(ctx, "hotel-2", wreq("same", "F", card1, pt2, "20", "-100"))
	if err != nil {
		t.Fatal(err)
	}
	if w1.OperationID == w2.OperationID || w1.Ref == w2.Ref || w2.State != kontur.StateRecorded || len(e.sim.Ledger()) != 2 {
		t.Fatalf("%+v %+v", w1, w2)
	}
	if _, err := e.svc.WriteOff(ctx, "Bad Tenant", wreq("same", "F", card1, pt2, "20", "-100")); code(err) != "KONTUR_TENANT_INVALID" {
		t.Fatalf("bad tenant: %v", err)
	}
}
