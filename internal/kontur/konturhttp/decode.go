package konturhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
)

// The decoders take Kontur's answers apart. They are the parsers of outside input in this
// package and have fuzz targets.

type errorJSON struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type operationJSON struct {
	ID          string        `json:"id"`
	Status      string        `json:"status"`
	Currency    string        `json:"currency"`
	Amount      money.Decimal `json:"amount"`
	CreatedAt   time.Time     `json:"createdAt"`
	CancelledAt *time.Time    `json:"cancelledAt"`
	Refusal     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"refusal"`
}

// decodeOperation reads an answer that carries an operation (debit, get, cancel). A 2xx answer
// that cannot be read leaves the outcome unknown.
func decodeOperation(status int, body []byte) (kontur.Operation, error) {
	switch {
	case status == http.StatusOK || status == http.StatusCreated || status == http.StatusUnprocessableEntity:
		var env struct {
			Operation *operationJSON `json:"operation"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Operation == nil {
			if status == http.StatusUnprocessableEntity {
				return kontur.Operation{}, remoteError(status, body)
			}
			return kontur.Operation{}, &kontur.RemoteError{Status: status, Message: "unreadable answer", Err: kontur.ErrUncertain}
		}
		return operation(status, *env.Operation)
	}
	return kontur.Operation{}, remoteError(status, body)
}

func operation(status int, j operationJSON) (kontur.Operation, error) {
	op := kontur.Operation{
		ID: j.ID, Status: kontur.OpStatus(j.Status), Currency: j.Currency, Amount: j.Amount, Time: j.CreatedAt,
	}
	if j.CancelledAt != nil {
		op.CancelledAt = *j.CancelledAt
	}
	if j.Refusal != nil {
		op.RefusalCode, op.RefusalMessage = clip(j.Refusal.Code, 64), clip(j.Refusal.Message, 300)
	}
	switch op.Status {
	case kontur.OpApplied, kontur.OpRefused, kontur.OpCancelled, kontur.OpVoid:
	default:
		return kontur.Operation{}, &kontur.RemoteError{Status: status, Message: "unknown operation status", Err: kontur.ErrUncertain}
	}
	if op.ID == "" {
		return kontur.Operation{}, &kontur.RemoteError{Status: status, Message: "operation without id", Err: kontur.ErrUncertain}
	}
	return op, nil
}

// decodeBalance reads the answer to a balance request.
func decodeBalance(status int, body []byte) ([]kontur.Balance, error) {
	if status != http.StatusOK {
		return nil, remoteError(status, body)
	}
	var env struct {
		Balances []struct {
			Currency string         `json:"currency"`
			Amount   *money.Decimal `json:"amount"`
		} `json:"balances"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Balances == nil {
		return nil, &kontur.RemoteError{Status: status, Message: "unreadable answer", Err: kontur.ErrUncertain}
	}
	out := make([]kontur.Balance, 0, len(env.Balances))
	for _, b := range env.Balances {
		if b.Currency == "" || b.Amount == nil {
			return nil, &kontur.RemoteError{Status: status, Message: "balance without currency or amount", Err: kontur.ErrUncertain}
		}
		out = append(out, kontur.Balance{Currency: b.Currency, Amount: *b.Amount})
	}
	return out, nil
}

// remoteError classifies an error answer: a refusal (4xx) was certainly not applied; a 404
// that names a missing card or operation is also ErrNotFound (any other 404 — a wrong URL —
// must not pass for "no such operation"); 5xx and 408 leave the outcome unknown.
func remoteError(status int, body []byte) error {
	e := &kontur.RemoteError{Status: status}
	var ej errorJSON
	if json.Unmarshal(body, &ej) == nil && ej.Error != nil {
		e.Code, e.Message = clip(ej.Error.Code, 64), clip(ej.Error.Message, 300)
	}
	switch {
	case status == http.StatusNotFound && (e.Code == "CARD_NOT_FOUND" || e.Code == "OPERATION_NOT_FOUND"):
		e.Err = kontur.ErrNotFound
	case status == http.StatusRequestTimeout || status >= 500 || status < 400:
		e.Err = kontur.ErrUncertain
	default:
		e.Err = kontur.ErrNotApplied
	}
	return e
}

// clip keeps a remote string short and valid UTF-8 before it reaches logs and users.
func clip(s string, n int) string {
	s = string(bytes.ToValidUTF8([]byte(s), []byte("?")))
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…", s[:cut])
}
