// Package kontursim simulates Kontur's loyalty processing ("ППС Контур") over HTTP, speaking
// the protocol the hub's client (internal/kontur/konturhttp) uses; the real wire format is not
// public (INTEGRATIONS.md §2).
//
// The protocol: JSON over HTTP(S), every request carries the API key in X-Api-Key, amounts
// are decimal strings ("150", "99.90").
//
//	POST /api/v1/balance                  {"card"}                                  → 200 {"card","balances":[{"currency","amount"}]}
//	POST /api/v1/debits                   {"operationId","card","currency","amount"} → 201 {"operation"} applied now
//	                                                                                   200 {"operation"} a repeat of an applied id
//	                                                                                   422 {"operation"} refused (now or before), or void
//	                                                                                   409 {"error"} the id was used with other fields
//	GET  /api/v1/operations/{id}                                                    → 200 {"operation"} | 404 {"error"}
//	POST /api/v1/operations/{id}/cancel                                             → 200 {"operation"} (idempotent)
//
// An operation is {"id","status","card","currency","amount","createdAt","cancelledAt","refusal":{"code","message"}},
// status one of applied, refused, cancelled (storno of an applied debit), void (cancelled
// before any debit: a later debit under the id is refused). Errors are {"error":{"code","message"}};
// a malformed request is 400 and changes nothing. An operation id is applied at most once:
// a repeat returns the first result, whatever happened in between.
//
// Faults (Faults, settable at runtime and over PUT /admin/faults) break every step: 5xx before
// applying, an answer held past the client's timeout or a dropped connection after applying,
// slow answers, duplicate deliveries; each is a probability drawn from a seeded source.
// Ledger gives every debit and storno, so tests can compare the hub's records to the kopeck.
package kontursim

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/money"
)

// Options configure a simulator.
type Options struct {
	// APIKey is the key every request must carry in X-Api-Key; empty accepts any.
	APIKey string
	// Cards are the cards and their balances at start.
	Cards []Card
	Clock clock.Clock  // default: the wall clock
	Log   *slog.Logger // default: discard
}

// Card is a loyalty card with its balance per currency.
type Card struct {
	Number   string
	Balances map[string]money.Decimal
}

// DemoCards are the cards `stykovka serve --demo` starts the simulator with.
func DemoCards() []Card {
	return []Card{
		{Number: "7000000000001234", Balances: map[string]money.Decimal{
			"BONUS": money.FromInt(5000), "RUB": money.MustParse("1500.00")}},
		{Number: "7000000000005678", Balances: map[string]money.Decimal{
			"BONUS": money.FromInt(120), "RUB": money.MustParse("0.00")}},
		{Number: "7000000000009012", Balances: map[string]money.Decimal{
			"BONUS": money.FromInt(100000), "RUB": money.MustParse("25000.50"), "BYN": money.MustParse("250.75")}},
		{Number: "7000000000000000", Balances: map[string]money.Decimal{
			"BONUS": money.FromInt(0)}},
	}
}

// Sim is a running (or startable) simulator. It is safe for concurrent use.
type Sim struct {
	opts Options
	clk  clock.Clock
	log  *slog.Logger

	mu     sync.Mutex
	cards  map[string]map[string]money.Decimal
	ops    map[string]*operation
	ledger []Entry
	stats  Stats

	fmu    sync.Mutex
	faults Faults
	rng    *rand.Rand

	srv    *http.Server
	url    string
	closed chan struct{}
	once   sync.Once
}

// New returns a simulator with the given cards; Start or Handler serve it.
func New(opts Options) *Sim {
	s := &Sim{
		opts:   opts,
		clk:    opts.Clock,
		log:    opts.Log,
		cards:  map[string]map[string]money.Decimal{},
		ops:    map[string]*operation{},
		rng:    rand.New(rand.NewPCG(0, 0)),
		closed: make(chan struct{}),
	}
	if s.clk == nil {
		s.clk = clock.Real{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range opts.Cards {
		for cur, amt := range c.Balances {
			s.SetBalance(c.Number, cur, amt)
		}
	}
	return s
}

// Start serves the simulator on addr (e.g. "127.0.0.1:0") and returns its base URL.
func (s *Sim) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("kontur simulator stopped", "err", err)
		}
	}()
	return s.url, nil
}

// URL is the base URL Start returned.
func (s *Sim) URL() string { return s.url }

// Close stops the server; held and slow answers end at once.
func (s *Sim) Close() error {
	s.once.Do(func() { close(s.closed) })
	if s.srv != nil {
		return s.srv.Close()
	}
	return nil
}

// Shutdown stops the server gracefully (for the local binary).
func (s *Sim) Shutdown(ctx context.Context) error {
	s.once.Do(func() { close(s.closed) })
	if s.srv != nil {
		return s.srv.Shutdown(ctx)
	}
	return nil
}

// SetBalance sets a card's balance in a currency, creating the card if needed.
func (s *Sim) SetBalance(card, currency string, amount money.Decimal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cards[card] == nil {
		s.cards[card] = map[string]money.Decimal{}
	}
	s.cards[card][currency] = amount
}

// Balances returns a copy of a card's balances; nil for an unknown card.
func (s *Sim) Balances(card string) map[string]money.Decimal {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cards[card]
	if !ok {
		return nil
	}
	out := make(map[string]money.Decimal, len(b))
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Operation is an operation as Kontur keeps it.
type Operation struct {
	ID             string
	Status         string // applied, refused, cancelled, void
	Card           string
	Currency       string
	Amount         money.Decimal
	CreatedAt      time.Time
	CancelledAt    time.Time
	RefusalCode    string
	RefusalMessage string
}

type operation = Operation

// Operations returns every operation, by id.
func (s *Sim) Operations() map[string]Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Operation, len(s.ops))
	for id, op := range s.ops {
		out[id] = *op
	}
	return out
}

// Entry is one movement of the ledger.
type Entry struct {
	Seq         int
	Time        time.Time
	Kind        string // "debit" or "storno"
	OperationID string
	Card        string
	Currency    string
	Amount      money.Decimal // positive
}

// Ledger is the list of movements, in order.
type Ledger []Entry

// Ledger returns a copy of the ledger.
func (s *Sim) Ledger() Ledger {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(Ledger(nil), s.ledger...)
}

// Net returns, per currency, debits less stornos.
func (l Ledger) Net() map[string]money.Decimal {
	out := map[string]money.Decimal{}
	for _, e := range l {
		switch e.Kind {
		case KindDebit:
			out[e.Currency] = out[e.Currency].Add(e.Amount)
		case KindStorno:
			out[e.Currency] = out[e.Currency].Sub(e.Amount)
		}
	}
	return out
}

// ByOperation groups the entries by operation id.
func (l Ledger) ByOperation() map[string][]Entry {
	out := map[string][]Entry{}
	for _, e := range l {
		out[e.OperationID] = append(out[e.OperationID], e)
	}
	return out
}

// Ledger entry kinds.
const (
	KindDebit  = "debit"
	KindStorno = "storno"
)

// Stats counts requests and the faults injected into them.
type Stats struct {
	Requests     int
	Debits       int // debit requests processed (duplicates included)
	Applied      int // debits applied
	Replays      int // debit requests answered with an earlier result
	FailedBefore int
	TimedOut     int
	Dropped      int
	Slowed       int
	Duplicated   int
}

// Stats returns the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// scaleOf is the currency's unit: points are whole, money has kopecks.
func scaleOf(currency string) int32 {
	switch currency {
	case "BONUS", "POINTS":
		return 0
	}
	return 2
}

// refusal messages are Russian: the hub shows them to the front desk.
var refusals = map[string]string{
	"CARD_NOT_FOUND":       "Карта не найдена",
	"CURRENCY_NOT_ON_CARD": "На карте нет счёта в этой валюте",
	"AMOUNT_PRECISION":     "Сумма не кратна единице валюты",
	"INSUFFICIENT_FUNDS":   "Недостаточно средств на карте",
	"OPERATION_VOID":       "Операция отменена до списания",
}

// debit applies a debit under the operation id once; a repeat gets the stored operation.
// conflict is true when the id was used with other fields.
func (s *Sim) debit(req debitRequest) (op Operation, created, conflict bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Debits++
	if cur, ok := s.ops[req.OperationID]; ok {
		if cur.Status != "void" && (cur.Card != req.Card || cur.Currency != req.Currency || !cur.Amount.Equal(req.Amount)) {
			return *cur, false, true
		}
		s.stats.Replays++
		return *cur, false, false
	}
	now := s.clk.Now().UTC()
	o := &operation{ID: req.OperationID, Card: req.Card, Currency: req.Currency, Amount: req.Amount, CreatedAt: now}
	refuse := func(code string) (Operation, bool, bool) {
		o.Status, o.RefusalCode, o.RefusalMessage = "refused", code, refusals[code]
		s.ops[o.ID] = o
		return *o, true, false
	}
	bal, ok := s.cards[req.Card]
	switch {
	case !ok:
		return refuse("CARD_NOT_FOUND")
	case !hasKey(bal, req.Currency):
		return refuse("CURRENCY_NOT_ON_CARD")
	case !req.Amount.Round(scaleOf(req.Currency)).Equal(req.Amount):
		return refuse("AMOUNT_PRECISION")
	case bal[req.Currency].Cmp(req.Amount) < 0:
		return refuse("INSUFFICIENT_FUNDS")
	}
	bal[req.Currency] = bal[req.Currency].Sub(req.Amount)
	o.Status = "applied"
	s.ops[o.ID] = o
	s.stats.Applied++
	s.ledger = append(s.ledger, Entry{Seq: len(s.ledger) + 1, Time: now, Kind: KindDebit, OperationID: o.ID,
		Card: o.Card, Currency: o.Currency, Amount: o.Amount})
	return *o, true, false
}

// cancel reverses an applied operation once; an unknown id becomes void.
func (s *Sim) cancel(id string) Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now().UTC()
	o, ok := s.ops[id]
	if !ok {
		o = &operation{ID: id, Status: "void", CreatedAt: now, CancelledAt: now,
			RefusalCode: "OPERATION_VOID", RefusalMessage: refusals["OPERATION_VOID"]}
		s.ops[id] = o
		return *o
	}
	if o.Status != "applied" {
		return *o
	}
	o.Status, o.CancelledAt = "cancelled", now
	s.cards[o.Card][o.Currency] = s.cards[o.Card][o.Currency].Add(o.Amount)
	s.ledger = append(s.ledger, Entry{Seq: len(s.ledger) + 1, Time: now, Kind: KindStorno, OperationID: o.ID,
		Card: o.Card, Currency: o.Currency, Amount: o.Amount})
	return *o
}

func (s *Sim) operation(id string) (Operation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ops[id]
	if !ok {
		return Operation{}, false
	}
	return *o, true
}

func (s *Sim) balances(card string) ([]balanceJSON, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cards[card]
	if !ok {
		return nil, false
	}
	out := make([]balanceJSON, 0, len(b))
	for cur, amt := range b {
		out = append(out, balanceJSON{Currency: cur, Amount: amt})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, true
}

func hasKey(m map[string]money.Decimal, k string) bool {
	_, ok := m[k]
	return ok
}

// mask keeps the last four characters of a card number.
func mask(card string) string {
	if len(card) <= 4 {
		return "****"
	}
	return "****" + card[len(card)-4:]
}
