// Package kontur is the hub's Kontur loyalty integration (INTEGRATIONS.md §2): the catalog of
// payment types, card balances, the amount available to pay a folio with points, and the
// write-off of points against a folio — exactly once, whatever fails.
//
// A write-off is a state machine in the store, keyed by tenant and the client's RequestId:
//
//	requested ──▶ debiting ──▶ recorded ──▶ cancelling ──▶ cancelled
//	    │             │
//	    └─────────────┴──▶ failed (with the reason)
//
// Each step is a conditional write (the expected state and the item's version). The folio's
// cap is reserved before a debit is sent, on a folio item advanced the same way. The Kontur
// operation id is derived from tenant and RequestId, so every retry, duplicate or recovery
// re-sends the same id and Kontur applies it once; a debit whose outcome is unknown is looked
// up at Kontur before anything is sent again. "debited" is not a state of its own: the write
// that stores Kontur's confirmation also records the payment (debiting → recorded), which keeps
// a successful write-off at four store writes.
//
// The package knows nothing of SOAP, OData or HTTP: request structs carry validator tags,
// results carry what a SOAP answer or an OData entity shows.
package kontur

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store"
)

// PaymentKind is the only payment type kind of this catalog (the PMS's "Тип платежа").
const PaymentKind = "Бонусы Контура"

// PaymentTitle is the title of the payment record shown in the folio.
const PaymentTitle = "Бонусные баллы Контур"

// Store layout, inside the tenant's view of the store.
const (
	pkPaymentType = "KONTUR#PT"         // SK: Ref
	pkWriteOff    = "KONTUR#WO"         // SK: Ref (derived from RequestId)
	pkFolio       = "KONTUR#FOLIO"      // SK: FolioId
	gsiByDate     = "KONTUR#WO#BYDATE"  // GSI1: every write-off; SK: created time + Ref
	gsiPending    = "KONTUR#WO#PENDING" // GSI2: write-offs not final yet; SK as GSI1
	attrState     = "state"
)

// Options tune a Service; zero values take the defaults.
type Options struct {
	Log *slog.Logger
	// Attempts bounds the debit (or cancel) requests one call sends before it leaves the
	// write-off pending for a later call or Recover. Default 3.
	Attempts int
	// RetryDelay is the pause before the second attempt; it doubles each time. Default 100 ms.
	RetryDelay time.Duration
	// RequestTTL: a write-off still "requested" (no debit ever sent) after this long is failed
	// by Recover instead of being debited long after the front desk gave up. Default 15 min.
	RequestTTL time.Duration
	// FollowWait: a call that finds the write-off in progress waits up to this long for the
	// call carrying it (in this or another process) before it takes over. Default 2 s;
	// negative: take over at once.
	FollowWait time.Duration
	// MaxFolioWriteOffs bounds the write-offs of one folio (the folio item lists them).
	// Default 200.
	MaxFolioWriteOffs int
}

// Service is the Kontur domain. It is safe for concurrent use; several Services (processes)
// may work on the same store at once.
type Service struct {
	st      store.Store
	clk     clock.Clock
	clients ClientFunc
	log     *slog.Logger
	opts    Options
	calls   flight[WriteOff] // WriteOff calls, by tenant and RequestId
	runs    flight[record]   // runs of the state machine, by tenant and Ref
}

// New returns a Service over the unscoped store; it confines every call to the tenant's view.
func New(st store.Store, clk clock.Clock, clients ClientFunc, opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 100 * time.Millisecond
	}
	if opts.RequestTTL <= 0 {
		opts.RequestTTL = 15 * time.Minute
	}
	if opts.FollowWait == 0 {
		opts.FollowWait = 2 * time.Second
	}
	if opts.MaxFolioWriteOffs <= 0 {
		opts.MaxFolioWriteOffs = 200
	}
	return &Service{st: st, clk: clk, clients: clients, log: opts.Log, opts: opts}
}

// Errors with stable codes. Refusals of a write-off (amount above what is available, type
// disabled, Kontur's refusal) are not errors: they are the write-off's outcome, State failed.
var (
	ErrPaymentTypeNotFound = apperr.New(apperr.NotFound, "KONTUR_PAYMENT_TYPE_NOT_FOUND", "Вид оплаты не найден")
	ErrPaymentTypeExists   = apperr.New(apperr.Conflict, "KONTUR_PAYMENT_TYPE_EXISTS", "Вид оплаты с такой ссылкой уже существует")
	ErrVersionConflict     = apperr.New(apperr.Conflict, "KONTUR_VERSION_CONFLICT",
		"Вид оплаты изменён другим пользователем: перечитайте его и повторите изменение")
	ErrWriteOffNotFound = apperr.New(apperr.NotFound, "KONTUR_WRITEOFF_NOT_FOUND", "Списание с таким идентификатором запроса не найдено")
	ErrInProgress       = apperr.New(apperr.Conflict, "KONTUR_IN_PROGRESS",
		"Списание ещё выполняется: повторите запрос с тем же RequestId через несколько секунд")
	ErrPending = apperr.New(apperr.Unavailable, "KONTUR_PENDING",
		"Контур не подтвердил операцию: результат будет уточнён автоматически, повторите запрос с тем же RequestId позже")
	ErrCancelNotAllowed = apperr.New(apperr.Conflict, "KONTUR_CANCEL_NOT_ALLOWED",
		"Отменить можно только проведённое списание")
	ErrSaldoNotNegative = apperr.New(apperr.Invalid, "KONTUR_SALDO_NOT_NEGATIVE",
		"Оплата баллами возможна только при отрицательном сальдо счёта")
	ErrAmountNotPositive = apperr.New(apperr.Invalid, "KONTUR_AMOUNT_NOT_POSITIVE", "Сумма списания должна быть больше нуля")
	ErrCardNotFound      = apperr.New(apperr.NotFound, "KONTUR_CARD_NOT_FOUND", "Карта не найдена в Контуре")
)

// unavailable wraps a failure of Kontur (or of the store) that a retry may cure.
func unavailable(err error) error {
	if e := (*apperr.Error)(nil); errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return apperr.Wrap(err, apperr.Unavailable, "KONTUR_TIMEOUT", "Время ожидания истекло: повторите запрос")
	}
	var re *RemoteError
	if errors.As(err, &re) {
		return apperr.Wrap(err, apperr.Unavailable, "KONTUR_UNAVAILABLE", "Контур не ответил: повторите запрос позже")
	}
	return apperr.Wrap(err, apperr.Unavailable, "KONTUR_STORE_UNAVAILABLE", "Временная ошибка хранилища: повторите запрос")
}

// tenantStore returns the tenant's view of the store.
func (s *Service) tenantStore(tenant string) (store.Store, error) {
	st, err := store.ForTenant(s.st, tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "KONTUR_TENANT_INVALID", "Неверный идентификатор абонента")
	}
	return st, nil
}

func (s *Service) client(ctx context.Context, tenant string) (Client, error) {
	c, err := s.clients(ctx, tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Unavailable, "KONTUR_NOT_CONFIGURED", "Стыковка с Контуром не настроена")
	}
	return c, nil
}
