package kontur

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stykovka/stykovka/internal/money"
)

// Client is the hub's view of Kontur's processing. The real wire format is not public, so
// exactly one adapter implements it (package konturhttp), against the simulator's protocol.
//
// Errors are classified for exactly-once decisions: an error that wraps ErrNotApplied means
// Kontur certainly did not act on the request (refused it, or it never left the hub); any
// other error — ErrUncertain in particular — means the hub cannot know, and the domain asks
// Kontur for the operation before it sends anything again.
type Client interface {
	// Balance returns the card's balances, one per currency. An unknown card wraps ErrNotFound.
	Balance(ctx context.Context, card string) ([]Balance, error)
	// Debit writes amount off the card under the operation id. Kontur applies an id once:
	// a repeat returns the first result (applied or refused), never debits again.
	Debit(ctx context.Context, req DebitRequest) (Operation, error)
	// GetOperation returns the operation, or an error wrapping ErrNotFound when Kontur has
	// never seen the id.
	GetOperation(ctx context.Context, id string) (Operation, error)
	// Cancel reverses an applied operation (storno: the amount goes back to the card). It is
	// idempotent; an id Kontur has not seen becomes void, so that a late debit under it is
	// refused.
	Cancel(ctx context.Context, id string) (Operation, error)
}

// ClientFunc gives the Kontur client of a tenant (each hotel company has its own Kontur
// account); Single serves one client to every tenant.
type ClientFunc func(ctx context.Context, tenant string) (Client, error)

// Single returns a ClientFunc that always gives c.
func Single(c Client) ClientFunc {
	return func(context.Context, string) (Client, error) { return c, nil }
}

// DebitRequest is one debit.
type DebitRequest struct {
	OperationID string
	Card        string
	Currency    string
	Amount      money.Decimal
}

// OpStatus is the state of an operation at Kontur.
type OpStatus string

// Operation states.
const (
	OpApplied   OpStatus = "applied"   // the amount was written off
	OpRefused   OpStatus = "refused"   // Kontur refused the debit (final: a repeat is refused too)
	OpCancelled OpStatus = "cancelled" // applied, then reversed by Cancel
	OpVoid      OpStatus = "void"      // cancelled before any debit arrived; a debit is refused
)

// Operation is Kontur's record of one debit.
type Operation struct {
	ID          string
	Status      OpStatus
	Currency    string
	Amount      money.Decimal
	Time        time.Time // when Kontur applied (or refused) it
	CancelledAt time.Time // zero unless cancelled or void
	// RefusalCode and RefusalMessage explain a refused operation.
	RefusalCode    string
	RefusalMessage string
}

// Balance is an amount in one Kontur currency.
type Balance struct {
	Currency string
	Amount   money.Decimal
}

// Errors a Client wraps; compare with errors.Is.
var (
	// ErrNotApplied: Kontur certainly did not act on the request.
	ErrNotApplied = errors.New("kontur: request not applied")
	// ErrUncertain: the request may or may not have been applied (timeout, 5xx, connection
	// lost after sending, unreadable answer).
	ErrUncertain = errors.New("kontur: outcome unknown")
	// ErrNotFound: no such card or operation. It is also a NotApplied error.
	ErrNotFound = fmt.Errorf("%w: not found", ErrNotApplied)
)

// RemoteError is an error answer of Kontur, or a transport failure, with its class in Err.
// Message comes from Kontur and may be shown to users; it never holds a card number.
type RemoteError struct {
	Status  int    // HTTP status, 0 when there was no answer
	Code    string // Kontur's error code, if any
	Message string
	Err     error // ErrNotApplied, ErrNotFound or ErrUncertain
}

func (e *RemoteError) Error() string {
	s := e.Err.Error()
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the class.
func (e *RemoteError) Unwrap() error { return e.Err }
