package konturhttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
)

const key = "secret-key"

func setup(t *testing.T, timeout time.Duration) (*kontursim.Sim, *Client) {
	t.Helper()
	sim := kontursim.New(kontursim.Options{APIKey: key, Cards: []kontursim.Card{
		{Number: "7000000000001234", Balances: map[string]money.Decimal{"BONUS": money.FromInt(500), "RUB": money.MustParse("100.50")}},
	}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	c, err := New(Config{BaseURL: url, APIKey: key, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func TestAgainstSimulator(t *testing.T) {
	sim, c := setup(t, 5*time.Second)
	ctx := context.Background()
	bals, err := c.Balance(ctx, "7000000000001234")
	if err != nil || len(bals) != 2 || bals[0].Currency != "BONUS" || bals[1].Amount.String() != "100.50" {
		t.Fatalf("balance: %v %+v", err, bals)
	}
	if _, err := c.Balance(ctx, "7000000000009999"); !errors.Is(err, kontur.ErrNotFound) || !errors.Is(err, kontur.ErrNotApplied) {
		t.Fatalf("unknown card: %v", err)
	}
	req := kontur.DebitRequest{OperationID: "stk-1", Card: "7000000000001234", Currency: "RUB", Amount: money.MustParse("10.25")}
	op, err := c.Debit(ctx, req)
	if err != nil || op.Status != kontur.OpApplied || op.Amount.String() != "10.25" || op.ID != "stk-1" || op.Time.IsZero() {
		t.Fatalf("debit: %v %+v", err, op)
	}
	again, err := c.Debit(ctx, req)
	if err != nil || !same(again, op) {
		t.Fatalf("repeat: %v %+v", err, again)
	}
	got, err := c.GetOperation(ctx, "stk-1")
	if err != nil || !same(got, op) {
		t.Fatalf("get: %v %+v", err, got)
	}
	if _, err := c.GetOperation(ctx, "stk-2"); !errors.Is(err, kontur.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	other := req
	other.Amount = money.MustParse("10.26")
	if _, err := c.Debit(ctx, other); !errors.Is(err, kontur.ErrNotApplied) {
		t.Fatalf("id reused: %v", err)
	}
	refused, err := c.Debit(ctx, kontur.DebitRequest{OperationID: "stk-3", Card: "7000000000001234", Currency: "BONUS", Amount: money.FromInt(501)})
	if err != nil || refused.Status != kontur.OpRefused || refused.RefusalCode != "INSUFFICIENT_FUNDS" || refused.RefusalMessage == "" {
		t.Fatalf("refused: %v %+v", err, refused)
	}
	cancelled, err := c.Cancel(ctx, "stk-1")
	if err != nil || cancelled.Status != kontur.OpCancelled || cancelled.CancelledAt.IsZero() {
		t.Fatalf("cancel: %v %+v", err, cancelled)
	}
	if again, err := c.Cancel(ctx, "stk-1"); err != nil || !same(again, cancelled) {
		t.Fatalf("cancel again: %v %+v", err, again)
	}
	if void, err := c.Cancel(ctx, "stk-4"); err != nil || void.Status != kontur.OpVoid {
		t.Fatalf("cancel unknown: %v %+v", err, void)
	}
	if got := sim.Balances("7000000000001234")["RUB"]; got.String() != "100.50" {
		t.Fatalf("balance after storno: %s", got)
	}
}

// TestClassification: what the client reports when things break is what the exactly-once
// logic needs: not applied only when Kontur certainly did nothing.
func TestClassification(t *testing.T) {
	ctx := context.Background()
	debit := func(c *Client, op string) error {
		_, err := c.Debit(ctx, kontur.DebitRequest{OperationID: op, Card: "7000000000001234", Currency: "BONUS", Amount: money.FromInt(1)})
		return err
	}
	cases := []struct {
		name    string
		faults  kontursim.Faults
		class   error
		applied bool
	}{
		{"5xx before applying", kontursim.Faults{FailBefore: 1}, kontur.ErrUncertain, false},
		{"timeout after applying", kontursim.Faults{TimeoutAfter: 1, Hold: kontursim.Duration(10 * time.Second)}, kontur.ErrUncertain, true},
		{"connection dropped after applying", kontursim.Faults{DropAfter: 1}, kontur.ErrUncertain, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, c := setup(t, 300*time.Millisecond)
			if err := sim.SetFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			err := debit(c, "op")
			if !errors.Is(err, tc.class) || errors.Is(err, kontur.ErrNotApplied) {
				t.Fatalf("error %v, want %v", err, tc.class)
			}
			if got := len(sim.Ledger()) == 1; got != tc.applied {
				t.Fatalf("applied %v, want %v", got, tc.applied)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c, _ := New(Config{BaseURL: "http://" + addr, APIKey: key, Timeout: time.Second})
		if err := debit(c, "op"); !errors.Is(err, kontur.ErrNotApplied) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		sim, _ := setup(t, time.Second)
		c, _ := New(Config{BaseURL: sim.URL(), APIKey: "bad-key-XYZ", Timeout: time.Second})
		err := debit(c, "op")
		var re *kontur.RemoteError
		if !errors.Is(err, kontur.ErrNotApplied) || !errors.As(err, &re) || re.Status != 401 || strings.Contains(err.Error(), "XYZ") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("huge and broken answers", func(t *testing.T) {
		for _, body := range []string{strings.Repeat("x", MaxResponse+10), `{"operation":`, `{"operation":{"id":"op","status":"weird"}}`} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(body))
			}))
			c, _ := New(Config{BaseURL: srv.URL, Timeout: time.Second})
			if err := debit(c, "op"); !errors.Is(err, kontur.ErrUncertain) {
				t.Errorf("body %.20q: error %v", body, err)
			}
			srv.Close()
		}
	})
	t.Run("context ended before sending", func(t *testing.T) {
		_, c := setup(t, time.Second)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Debit(cctx, kontur.DebitRequest{OperationID: "op", Card: "7000000000001234", Currency: "BONUS", Amount: money.FromInt(1)})
		if !errors.Is(err, kontur.ErrNotApplied) {
			t.Fatalf("error %v", err)
		}
	})
}

func same(a, b kontur.Operation) bool {
	return a.ID == b.ID && a.Status == b.Status && a.Currency == b.Currency && a.Amount.Equal(b.Amount) &&
		a.Time.Equal(b.Time) && a.CancelledAt.Equal(b.CancelledAt) && a.RefusalCode == b.RefusalCode
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "::"} {
		if _, err := New(Config{BaseURL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// TestWrongURL: a 404 from a wrong base URL is not "no such operation" (which would make the
// hub send the debit) nor "no such card" (which would fail the write-off for good).
func TestWrongURL(t *testing.T) {
	sim, _ := setup(t, time.Second)
	c, _ := New(Config{BaseURL: sim.URL() + "/wrong", APIKey: key, Timeout: time.Second})
	if _, err := c.GetOperation(context.Background(), "op"); errors.Is(err, kontur.ErrNotFound) || !errors.Is(err, kontur.ErrNotApplied) {
		t.Fatalf("get: %v", err)
	}
	if _, err := c.Balance(context.Background(), "7000000000001234"); errors.Is(err, kontur.ErrNotFound) {
		t.Fatalf("balance: %v", err)
	}
}
