package konturhttp

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/kontur"
)

// FuzzDecodeOperation: any answer decodes to an operation of a known status or to a
// classified error; nothing panics, remote text is clipped valid UTF-8.
func FuzzDecodeOperation(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{201, `{"operation":{"id":"stk-1","status":"applied","card":"****1234","currency":"BONUS","amount":"10","createdAt":"2025-07-01T12:00:00Z"}}`},
		{200, `{"operation":{"id":"stk-1","status":"cancelled","currency":"RUB","amount":"10.50","createdAt":"2025-07-01T12:00:00Z","cancelledAt":"2025-07-01T12:05:00Z"}}`},
		{422, `{"operation":{"id":"stk-1","status":"refused","amount":"5","createdAt":"2025-07-01T12:00:00Z","refusal":{"code":"INSUFFICIENT_FUNDS","message":"Недостаточно средств"}}}`},
		{422, `{"operation":{"id":"stk-1","status":"void","amount":"0","createdAt":"2025-07-01T12:00:00Z"}}`},
		{404, `{"error":{"code":"OPERATION_NOT_FOUND","message":"no such operation"}}`},
		{409, `{"error":{"code":"OPERATION_CONFLICT"}}`},
		{503, `{"error":{"code":"UNAVAILABLE"}}`},
		{200, `{"operation":{"id":"stk-1","status":"applied","amount":1e3}}`},
		{200, `{"operation":null}`},
		{200, `not json`},
		{302, ``},
	} {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		op, err := decodeOperation(status, body)
		if err != nil {
			if !errors.Is(err, kontur.ErrNotApplied) && !errors.Is(err, kontur.ErrUncertain) {
				t.Fatalf("unclassified error %v", err)
			}
			var re *kontur.RemoteError
			if errors.As(err, &re) && (!utf8.ValidString(re.Message) || len(re.Message) > 310 || len(re.Code) > 70) {
				t.Fatalf("remote text not clipped: %q %q", re.Code, re.Message)
			}
			if status >= 500 && errors.Is(err, kontur.ErrNotApplied) {
				t.Fatalf("5xx reported as not applied")
			}
			return
		}
		switch op.Status {
		case kontur.OpApplied, kontur.OpRefused, kontur.OpCancelled, kontur.OpVoid:
		default:
			t.Fatalf("status %q", op.Status)
		}
		if op.ID == "" {
			t.Fatal("operation without id")
		}
		if status != 200 && status != 201 && status != 422 {
			t.Fatalf("operation from status %d", status)
		}
	})
}

// FuzzDecodeBalance: any answer decodes to balances with a currency and an amount each, or to
// a classified error.
func FuzzDecodeBalance(f *testing.F) {
	f.Add(200, []byte(`{"card":"****1234","balances":[{"currency":"BONUS","amount":"1500"},{"currency":"RUB","amount":"10.50"}]}`))
	f.Add(200, []byte(`{"balances":[]}`))
	f.Add(200, []byte(`{"balances":[{"currency":"RUB"}]}`))
	f.Add(200, []byte(`{"balances":[{"currency":"RUB","amount":"NaN"}]}`))
	f.Add(404, []byte(`{"error":{"code":"CARD_NOT_FOUND","message":"Карта не найдена"}}`))
	f.Add(200, []byte(`{}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		bals, err := decodeBalance(status, body)
		if err != nil {
			if !errors.Is(err, kontur.ErrNotApplied) && !errors.Is(err, kontur.ErrUncertain) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		for _, b := range bals {
			if b.Currency == "" {
				t.Fatalf("balance without currency: %+v", bals)
			}
			if b.Amount.String() == "" {
				t.Fatalf("balance without amount")
			}
		}
	})
}
