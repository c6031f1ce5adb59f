package kontursim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/internal/money"
)

// FuzzDebitRequest feeds request bodies to the debit endpoint: nothing panics, a malformed
// body changes nothing, and whatever is applied is a valid positive amount.
func FuzzDebitRequest(f *testing.F) {
	for _, s := range []string{
		`{"operationId":"op-1","card":"1234567890","currency":"BONUS","amount":"10"}`,
		`{"operationId":"op-1","card":"1234567890","currency":"RUB","amount":10.5}`,
		`{"operationId":"op-1","card":"1234567890","currency":"RUB","amount":"-1"}`,
		`{"operationId":"","card":"","currency":"","amount":""}`,
		`{"operationId":"op-1","card":"1234567890","currency":"BONUS","amount":"1e9"}`,
		`{"operationId":"op-1","card":"1234567890","currency":"BONUS","amount":"10","x":1}`,
		`{"operationId":"op-1"} {"card":"1"}`,
		`[]`, `null`, ``, `{`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s := New(Options{Cards: []Card{{Number: "1234567890", Balances: map[string]money.Decimal{
			"BONUS": money.FromInt(100), "RUB": money.MustParse("100.00")}}}})
		h := s.Handler()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/debits", strings.NewReader(body)))
		req, err := decodeDebit([]byte(body))
		if err != nil {
			if rec.Code != http.StatusBadRequest || len(s.Ledger()) != 0 {
				t.Fatalf("malformed body answered %d, ledger %v", rec.Code, s.Ledger())
			}
			return
		}
		if req.Amount.Sign() <= 0 {
			t.Fatalf("decoded a non-positive amount %s", req.Amount)
		}
		for _, e := range s.Ledger() {
			if e.Amount.Sign() <= 0 || e.Amount.Cmp(money.FromInt(100)) > 0 {
				t.Fatalf("ledger entry %+v", e)
			}
		}
	})
}

// FuzzBalanceRequest does the same for the balance endpoint.
func FuzzBalanceRequest(f *testing.F) {
	for _, s := range []string{`{"card":"1234567890"}`, `{"card":"12"}`, `{"card":1}`, `{}`, `x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s := New(Options{Cards: []Card{{Number: "1234567890", Balances: map[string]money.Decimal{"BONUS": money.FromInt(1)}}}})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/balance", strings.NewReader(body)))
		if _, err := decodeBalance([]byte(body)); err != nil && rec.Code != http.StatusBadRequest {
			t.Fatalf("malformed body answered %d", rec.Code)
		}
	})
}
