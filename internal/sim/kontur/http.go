package kontursim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/money"
)

// maxBody bounds a request body; every valid request is far smaller.
const maxBody = 16 << 10

var (
	cardRe = regexp.MustCompile(`^[0-9A-Za-z]{4,32}$`)
	opIDRe = regexp.MustCompile(`^[0-9A-Za-z._:\-]{1,64}$`)
	curRe  = regexp.MustCompile(`^[A-Z]{2,10}$`)
)

type balanceJSON struct {
	Currency string        `json:"currency"`
	Amount   money.Decimal `json:"amount"`
}

type refusalJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type operationJSON struct {
	ID          string        `json:"id"`
	Status      string        `json:"status"`
	Card        string        `json:"card,omitempty"` // masked
	Currency    string        `json:"currency,omitempty"`
	Amount      money.Decimal `json:"amount"`
	CreatedAt   time.Time     `json:"createdAt"`
	CancelledAt *time.Time    `json:"cancelledAt,omitempty"`
	Refusal     *refusalJSON  `json:"refusal,omitempty"`
}

func opJSON(o Operation) operationJSON {
	j := operationJSON{ID: o.ID, Status: o.Status, Currency: o.Currency, Amount: o.Amount, CreatedAt: o.CreatedAt}
	if o.Card != "" {
		j.Card = mask(o.Card)
	}
	if !o.CancelledAt.IsZero() {
		t := o.CancelledAt
		j.CancelledAt = &t
	}
	if o.RefusalCode != "" {
		j.Refusal = &refusalJSON{Code: o.RefusalCode, Message: o.RefusalMessage}
	}
	return j
}

type debitRequest struct {
	OperationID string        `json:"operationId"`
	Card        string        `json:"card"`
	Currency    string        `json:"currency"`
	Amount      money.Decimal `json:"amount"`
}

// decodeDebit reads and checks a debit request body.
func decodeDebit(body []byte) (debitRequest, error) {
	var req debitRequest
	if err := strictJSON(body, &req); err != nil {
		return debitRequest{}, err
	}
	switch {
	case !opIDRe.MatchString(req.OperationID):
		return debitRequest{}, errors.New("operationId: 1 to 64 of A-Z a-z 0-9 . _ : -")
	case !cardRe.MatchString(req.Card):
		return debitRequest{}, errors.New("card: 4 to 32 letters and digits")
	case !curRe.MatchString(req.Currency):
		return debitRequest{}, errors.New("currency: 2 to 10 capital letters")
	case req.Amount.Sign() <= 0:
		return debitRequest{}, errors.New("amount: a positive decimal")
	}
	return req, nil
}

type balanceRequest struct {
	Card string `json:"card"`
}

func decodeBalance(body []byte) (balanceRequest, error) {
	var req balanceRequest
	if err := strictJSON(body, &req); err != nil {
		return balanceRequest{}, err
	}
	if !cardRe.MatchString(req.Card) {
		return balanceRequest{}, errors.New("card: 4 to 32 letters and digits")
	}
	return req, nil
}

// strictJSON decodes exactly one JSON object with known fields.
func strictJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	if dec.More() {
		return errors.New("malformed JSON: data after the object")
	}
	return nil
}

// Handler returns the simulator's HTTP handler (API and admin).
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/balance", s.api("balance", s.handleBalance))
	mux.HandleFunc("POST /api/v1/debits", s.api("debit", s.handleDebit))
	mux.HandleFunc("GET /api/v1/operations/{id}", s.api("get", s.handleGet))
	mux.HandleFunc("POST /api/v1/operations/{id}/cancel", s.api("cancel", s.handleCancel))
	mux.HandleFunc("GET /admin/faults", s.admin(s.getFaults))
	mux.HandleFunc("PUT /admin/faults", s.admin(s.putFaults))
	mux.HandleFunc("GET /admin/ledger", s.admin(s.getLedger))
	mux.HandleFunc("PUT /admin/cards", s.admin(s.putCard))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such endpoint")
	})
	return mux
}

// answer is what a handler decided: status and body.
type answer struct {
	status int
	body   any
}

func errAnswer(status int, code, msg string) answer {
	return answer{status, map[string]any{"error": map[string]string{"code": code, "message": msg}}}
}

func (s *Sim) authorized(r *http.Request) bool {
	return s.opts.APIKey == "" || subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Api-Key")), []byte(s.opts.APIKey)) == 1
}

// api wraps an API handler with authentication, body reading and the faults.
func (s *Sim) api(endpoint string, h func(r *http.Request, body []byte) answer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()
		if !s.authorized(r) {
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "wrong or missing X-Api-Key")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return // the client went away
		}
		if len(body) > maxBody {
			writeError(w, http.StatusRequestEntityTooLarge, "TOO_LARGE", "request body too large")
			return
		}
		p := s.draw(endpoint)
		if p.slow {
			s.count(func(st *Stats) { st.Slowed++ })
			// Not cut short when the client leaves: a slow request is still applied, later.
			select {
			case <-time.After(p.slowDelay):
			case <-s.closed:
				return
			}
		}
		if p.failBefore {
			s.count(func(st *Stats) { st.FailedBefore++ })
			writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "processing is temporarily unavailable")
			return
		}
		a := h(r, body)
		if p.duplicate {
			s.count(func(st *Stats) { st.Duplicated++ })
			a = h(r, body) // delivered twice: the second answer is the one sent
		}
		switch {
		case p.timeoutAfter:
			s.count(func(st *Stats) { st.TimedOut++ })
			select {
			case <-time.After(p.hold):
			case <-r.Context().Done():
				return
			case <-s.closed:
				return
			}
		case p.dropAfter:
			s.count(func(st *Stats) { st.Dropped++ })
			panic(http.ErrAbortHandler) // net/http closes the connection without an answer
		}
		writeJSON(w, a.status, a.body)
	}
}

func (s *Sim) count(fn func(*Stats)) {
	s.mu.Lock()
	fn(&s.stats)
	s.mu.Unlock()
}

func (s *Sim) handleBalance(r *http.Request, body []byte) answer {
	req, err := decodeBalance(body)
	if err != nil {
		return errAnswer(http.StatusBadRequest, "BAD_REQUEST", err.Error())
	}
	bals, ok := s.balances(req.Card)
	if !ok {
		return errAnswer(http.StatusNotFound, "CARD_NOT_FOUND", refusals["CARD_NOT_FOUND"])
	}
	return answer{http.StatusOK, map[string]any{"card": mask(req.Card), "balances": bals}}
}

func (s *Sim) handleDebit(r *http.Request, body []byte) answer {
	req, err := decodeDebit(body)
	if err != nil {
		return errAnswer(http.StatusBadRequest, "BAD_REQUEST", err.Error())
	}
	op, created, conflict := s.debit(req)
	switch {
	case conflict:
		return errAnswer(http.StatusConflict, "OPERATION_CONFLICT", "operation id already used with other fields")
	case op.Status != "applied":
		return answer{http.StatusUnprocessableEntity, map[string]any{"operation": opJSON(op)}}
	case created:
		return answer{http.StatusCreated, map[string]any{"operation": opJSON(op)}}
	}
	return answer{http.StatusOK, map[string]any{"operation": opJSON(op)}}
}

func (s *Sim) handleGet(r *http.Request, _ []byte) answer {
	id := r.PathValue("id")
	if !opIDRe.MatchString(id) {
		return errAnswer(http.StatusBadRequest, "BAD_REQUEST", "bad operation id")
	}
	op, ok := s.operation(id)
	if !ok {
		return errAnswer(http.StatusNotFound, "OPERATION_NOT_FOUND", "no such operation")
	}
	return answer{http.StatusOK, map[string]any{"operation": opJSON(op)}}
}

func (s *Sim) handleCancel(r *http.Request, _ []byte) answer {
	id := r.PathValue("id")
	if !opIDRe.MatchString(id) {
		return errAnswer(http.StatusBadRequest, "BAD_REQUEST", "bad operation id")
	}
	return answer{http.StatusOK, map[string]any{"operation": opJSON(s.cancel(id))}}
}

// admin wraps an admin handler with authentication.
func (s *Sim) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "wrong or missing X-Api-Key")
			return
		}
		h(w, r)
	}
}

func (s *Sim) getFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Sim) putFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	var f Faults
	if err := strictJSON(body, &f); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	if err := s.SetFaults(f); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Sim) getLedger(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Seq         int           `json:"seq"`
		Time        time.Time     `json:"time"`
		Kind        string        `json:"kind"`
		OperationID string        `json:"operationId"`
		Card        string        `json:"card"`
		Currency    string        `json:"currency"`
		Amount      money.Decimal `json:"amount"`
	}
	l := s.Ledger()
	out := make([]entry, 0, len(l))
	for _, e := range l {
		out = append(out, entry{e.Seq, e.Time, e.Kind, e.OperationID, mask(e.Card), e.Currency, e.Amount})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out, "net": l.Net()})
}

func (s *Sim) putCard(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	var c struct {
		Number   string                   `json:"number"`
		Balances map[string]money.Decimal `json:"balances"`
	}
	if err := strictJSON(body, &c); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	if !cardRe.MatchString(c.Number) {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "number: 4 to 32 letters and digits")
		return
	}
	for cur, amt := range c.Balances {
		if !curRe.MatchString(cur) || amt.Sign() < 0 {
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "balances: currency codes and amounts ≥ 0")
			return
		}
	}
	for cur, amt := range c.Balances {
		s.SetBalance(c.Number, cur, amt)
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": strings.TrimSpace(msg)}})
}
