package kontur

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/store"
)

// State is the state of a write-off.
type State string

// States of a write-off; see the package comment for the machine.
const (
	StateRequested  State = "requested"  // stored, folio cap not yet reserved, nothing sent
	StateDebiting   State = "debiting"   // cap reserved; the debit may have been sent
	StateRecorded   State = "recorded"   // Kontur debited; the payment is on the folio
	StateFailed     State = "failed"     // refused (Reason says why); nothing was debited
	StateCancelling State = "cancelling" // storno asked of Kontur
	StateCancelled  State = "cancelled"  // storno done; the points are back on the card
)

// pending states are those a call (or Recover) still has to carry on.
func (s State) pending() bool {
	return s == StateRequested || s == StateDebiting || s == StateCancelling
}

// Pending reports whether the write-off is still in progress.
func (s State) Pending() bool { return s.pending() }

// Name is the state's Russian name for 1C users.
func (s State) Name() string {
	switch s {
	case StateRequested:
		return "Создано"
	case StateDebiting:
		return "Списание в Контуре"
	case StateRecorded:
		return "Проведено"
	case StateFailed:
		return "Отказ"
	case StateCancelling:
		return "Отмена в Контуре"
	case StateCancelled:
		return "Отменено (сторно)"
	}
	return string(s)
}

// WriteOffRequest writes points off a card against a folio (SOAP WriteOff). RequestId is the
// client's idempotency key: a repeat returns the first outcome.
type WriteOffRequest struct {
	RequestID   string        `json:"RequestId" validate:"required,requestid"`
	FolioID     string        `json:"FolioId" validate:"required,folio"`
	CardNumber  string        `json:"CardNumber" validate:"required,card"`
	PaymentType string        `json:"PaymentType" validate:"required,guid"`
	Amount      money.Decimal `json:"Amount"`
	Saldo       money.Decimal `json:"Saldo"`
}

// CancelRequest reverses a recorded write-off (SOAP Cancel).
type CancelRequest struct {
	RequestID string `json:"RequestId" validate:"required,requestid"`
}

// WriteOff is a write-off as the PMS and 1C see it (SOAP WriteOff/GetWriteOff answers,
// Document_BonusWriteOffs entities).
type WriteOff struct {
	Ref         string // document reference (Ref_Key), derived from tenant and RequestId
	DataVersion int64  // the store version
	RequestID   string
	FolioID     string
	CardMasked  string // ****1234; the card number itself never leaves the hub's store
	PaymentType string // Ref of the payment type
	PaymentName string
	Currency    string
	Amount      money.Decimal
	Saldo       money.Decimal
	State       State
	// ReasonCode and Reason (Russian) explain a failed write-off.
	ReasonCode  string
	Reason      string
	OperationID string // Kontur's operation id
	Created     time.Time
	Updated     time.Time
	// Payment is the record to show in the folio, set once the write-off is recorded (and
	// kept, marked Cancelled, after a storno).
	Payment *Payment
}

// Posted reports whether the write-off is in force (1C's "Проведен").
func (w WriteOff) Posted() bool { return w.State == StateRecorded }

// Payment is the payment record in the folio.
type Payment struct {
	Title         string // PaymentTitle
	PaymentName   string
	Amount        money.Decimal
	Currency      string
	OperationID   string
	Time          time.Time // when the hub recorded it
	OperationTime time.Time // when Kontur applied the debit
	Cancelled     bool
	CancelledAt   time.Time
}

// woData is the stored write-off. It keeps a copy of the payment type's settings, so that
// every process carrying the write-off on uses the same currency and cap.
type woData struct {
	Ref           string        `json:"ref"`
	RequestID     string        `json:"rid"`
	FolioID       string        `json:"folio"`
	Card          string        `json:"card"`
	PaymentType   string        `json:"pt"`
	PaymentName   string        `json:"ptName"`
	Currency      string        `json:"cur"`
	Scale         int32         `json:"scale"`
	MaxPercent    money.Decimal `json:"pct"`
	Amount        money.Decimal `json:"amount"`
	Saldo         money.Decimal `json:"saldo"`
	State         State         `json:"state"`
	ReasonCode    string        `json:"reasonCode,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	OperationID   string        `json:"op"`
	Created       time.Time     `json:"created"`
	Updated       time.Time     `json:"updated"`
	RecordedAt    time.Time     `json:"recordedAt,omitzero"`
	OperationTime time.Time     `json:"opTime,omitzero"`
	CancelledAt   time.Time     `json:"cancelledAt,omitzero"`
}

// record is a stored write-off with its version.
type record struct {
	data    woData
	version int64
}

func (r record) public() WriteOff {
	d := r.data
	w := WriteOff{
		Ref: d.Ref, DataVersion: r.version, RequestID: d.RequestID, FolioID: d.FolioID,
		CardMasked: maskCard(d.Card), PaymentType: d.PaymentType, PaymentName: d.PaymentName,
		Currency: d.Currency, Amount: d.Amount, Saldo: d.Saldo, State: d.State,
		ReasonCode: d.ReasonCode, Reason: d.Reason, OperationID: d.OperationID,
		Created: d.Created, Updated: d.Updated,
	}
	if !d.RecordedAt.IsZero() {
		w.Payment = &Payment{
			Title: PaymentTitle, PaymentName: d.PaymentName, Amount: d.Amount, Currency: d.Currency,
			OperationID: d.OperationID, Time: d.RecordedAt, OperationTime: d.OperationTime,
			Cancelled: d.State == StateCancelled, CancelledAt: d.CancelledAt,
		}
	}
	return w
}

func (d woData) sameRequest(r WriteOffRequest) bool {
	pt, _ := normGUID(r.PaymentType)
	return d.RequestID == r.RequestID && d.FolioID == r.FolioID && d.Card == r.CardNumber &&
		d.PaymentType == pt && d.Amount.Equal(r.Amount) && d.Saldo.Equal(r.Saldo)
}

func reusedError(d woData) error {
	return apperr.New(apperr.Conflict, "KONTUR_REQUEST_ID_REUSED", fmt.Sprintf(
		"Идентификатор запроса RequestId «%s» уже использован для другого списания (счёт %s, сумма %s %s): "+
			"для нового списания нужен новый RequestId", d.RequestID, d.FolioID, d.Amount, d.Currency))
}

// sortTime orders index keys by creation time; fixed width so that strings sort as times.
const sortTime = "2006-01-02T15:04:05.000000000Z"

func dateKey(d woData) string { return d.Created.UTC().Format(sortTime) + "#" + d.Ref }

func woItem(d woData) (store.Item, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return store.Item{}, err
	}
	it := store.Item{
		PK: pkWriteOff, SK: d.Ref, GSI1PK: gsiByDate, GSI1SK: dateKey(d),
		Attrs: map[string]string{attrState: string(d.State)}, Data: data,
	}
	if d.State.pending() {
		it.GSI2PK, it.GSI2SK = gsiPending, dateKey(d)
	}
	return it, nil
}

func decodeWriteOff(it store.Item) (record, error) {
	var d woData
	if err := json.Unmarshal(it.Data, &d); err != nil {
		return record{}, fmt.Errorf("kontur: write-off %s: %w", it.SK, err)
	}
	return record{data: d, version: it.Version}, nil
}

func (s *Service) load(ctx context.Context, st store.Store, ref string) (record, error) {
	it, err := st.Get(ctx, pkWriteOff, ref)
	if errors.Is(err, store.ErrNotFound) {
		return record{}, ErrWriteOffNotFound
	}
	if err != nil {
		return record{}, unavailable(err)
	}
	return decodeWriteOff(it)
}

// errLost: another process advanced the write-off first; the caller goes on from the state
// it found.
var errLost = errors.New("kontur: write-off advanced by another process")

// advance moves a write-off to its next state with one conditional write: the state and the
// version must be those the caller read. On a lost race it returns the current record and
// errLost.
func (s *Service) advance(ctx context.Context, st store.Store, cur record, change func(*woData)) (record, error) {
	next := cur.data
	change(&next)
	next.Updated = s.clk.Now().UTC()
	data, err := json.Marshal(next)
	if err != nil {
		return cur, err
	}
	u := store.Update{SetAttrs: map[string]string{attrState: string(next.State)}, Data: &data}
	switch {
	case cur.data.State.pending() && !next.State.pending():
		u.GSI2 = &store.IndexKey{} // off the list Recover reads
	case !cur.data.State.pending() && next.State.pending():
		u.GSI2 = &store.IndexKey{PK: gsiPending, SK: dateKey(next)}
	}
	it, err := st.Update(ctx, pkWriteOff, cur.data.Ref, u,
		store.AttrEquals(attrState, string(cur.data.State)), store.VersionIs(cur.version))
	if errors.Is(err, store.ErrConditionFailed) {
		fresh, lerr := s.load(ctx, st, cur.data.Ref)
		if lerr != nil {
			return cur, lerr
		}
		return fresh, errLost
	}
	if err != nil {
		return cur, err
	}
	s.log.DebugContext(ctx, "kontur write-off", "request", next.RequestID, "from", cur.data.State, "to", next.State)
	metrics.Event("kontur", "writeoff", string(next.State))
	return record{data: next, version: it.Version}, nil
}

// WriteOff writes points off the card against the folio, exactly once per RequestId.
//
// Requests that cannot be valid (malformed fields, amount not positive, saldo not negative,
// amount finer than the currency's unit) are answered with an error and stored nowhere.
// Otherwise the write-off is stored under its RequestId and its outcome is the answer of this
// and every later call with the same RequestId: State recorded with the Payment, or State
// failed with the reason (type disabled, amount above what is available, Kontur's refusal).
// A RequestId already used with other parameters gives KONTUR_REQUEST_ID_REUSED. A repeat
// that finds the write-off in progress waits a moment for the call carrying it (FollowWait),
// then carries it on itself. When Kontur does not confirm in time the answer is the
// write-off as it stands (requested or debiting) with an Unavailable error (KONTUR_PENDING,
// KONTUR_UNAVAILABLE, …); a repeat, Resume or Recover finishes it.
func (s *Service) WriteOff(ctx context.Context, tenant string, req WriteOffRequest) (WriteOff, error) {
	if err := check(req); err != nil {
		return WriteOff{}, err
	}
	if req.Amount.Sign() <= 0 {
		return WriteOff{}, ErrAmountNotPositive
	}
	if req.Saldo.Sign() >= 0 {
		return WriteOff{}, ErrSaldoNotNegative
	}
	if !fits(req.Saldo, 2) {
		return WriteOff{}, apperr.New(apperr.Invalid, "KONTUR_INVALID_REQUEST", "Сальдо: не более двух знаков после запятой")
	}
	st, err := s.tenantStore(tenant)
	if err != nil {
		return WriteOff{}, err
	}
	// Duplicates in this process share one call; one with other parameters goes its own way
	// (and is refused by the stored write-off).
	tag := strings.Join([]string{req.FolioID, req.CardNumber, strings.ToLower(req.PaymentType), req.Amount.String(), req.Saldo.String()}, "\x00")
	return s.calls.do(ctx, tenant+"\x00"+req.RequestID, tag, func() (WriteOff, error) {
		return s.writeOff(ctx, tenant, st, req)
	})
}

func (s *Service) writeOff(ctx context.Context, tenant string, st store.Store, req WriteOffRequest) (WriteOff, error) {
	ref := writeOffRef(tenant, req.RequestID)
	rec, err := s.load(ctx, st, ref)
	switch {
	case err == nil:
		return s.repeat(ctx, tenant, st, rec, req)
	case !errors.Is(err, ErrWriteOffNotFound):
		return WriteOff{}, err
	}

	pt, err := s.paymentType(ctx, st, req.PaymentType)
	if err != nil {
		return WriteOff{}, err
	}
	cur, ok := LookupCurrency(pt.Currency)
	if !ok {
		return WriteOff{}, apperr.New(apperr.Internal, "KONTUR_CURRENCY_UNKNOWN", "Неизвестная валюта вида оплаты: "+pt.Currency)
	}
	if !fits(req.Amount, cur.Scale) {
		msg := fmt.Sprintf("Сумма в валюте «%s» — не более %d знаков после запятой", cur.Name, cur.Scale)
		if cur.Scale == 0 {
			msg = fmt.Sprintf("Сумма в валюте «%s» — целое число", cur.Name)
		}
		return WriteOff{}, apperr.New(apperr.Invalid, "KONTUR_AMOUNT_PRECISION", msg)
	}
	now := s.clk.Now().UTC()
	d := woData{
		Ref: ref, RequestID: req.RequestID, FolioID: req.FolioID, Card: req.CardNumber,
		PaymentType: pt.Ref, PaymentName: pt.Name, Currency: cur.Code, Scale: cur.Scale,
		MaxPercent: pt.MaxPercent, Amount: req.Amount.Round(cur.Scale), Saldo: req.Saldo,
		State: StateRequested, OperationID: operationID(tenant, req.RequestID), Created: now, Updated: now,
	}
	if !pt.Enabled || pt.DeletionMark {
		d.State, d.ReasonCode, d.Reason = StateFailed, ReasonTypeDisabled, disabledReason(pt.Name)
	}
	it, err := woItem(d)
	if err != nil {
		return WriteOff{}, err
	}
	stored, err := st.Put(ctx, it, store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		// A concurrent duplicate stored it first.
		if rec, err = s.load(ctx, st, ref); err != nil {
			return WriteOff{}, err
		}
		return s.repeat(ctx, tenant, st, rec, req)
	}
	if err != nil {
		return WriteOff{}, unavailable(err)
	}
	rec = record{data: d, version: stored.Version}
	metrics.Event("kontur", "writeoff", string(d.State))
	if !d.State.pending() {
		return rec.public(), nil
	}
	return s.run(ctx, tenant, st, rec)
}

// repeat answers a RequestId that is already stored.
func (s *Service) repeat(ctx context.Context, tenant string, st store.Store, rec record, req WriteOffRequest) (WriteOff, error) {
	if !rec.data.sameRequest(req) {
		return WriteOff{}, reusedError(rec.data)
	}
	if !rec.data.State.pending() {
		return rec.public(), nil
	}
	rec, err := s.follow(ctx, st, rec)
	if err != nil || !rec.data.State.pending() {
		return rec.public(), err
	}
	return s.run(ctx, tenant, st, rec)
}

// follow waits a little for another call (likely in another process) that is carrying the
// write-off on, rather than racing it to Kontur: taking over would be safe, but costs store
// writes and Kontur calls for nothing. A write-off nobody has touched for FollowWait is taken
// over at once.
func (s *Service) follow(ctx context.Context, st store.Store, rec record) (record, error) {
	wait := s.opts.FollowWait
	if wait <= 0 || s.clk.Now().Sub(rec.data.Updated) > wait {
		return rec, nil
	}
	delay := 100 * time.Millisecond
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
		if err := sleep(ctx, delay); err != nil {
			return rec, unavailable(err)
		}
		cur, err := s.load(ctx, st, rec.data.Ref)
		if err != nil {
			return rec, nil // the run meets the store's trouble itself
		}
		if !cur.data.State.pending() {
			return cur, nil
		}
		rec = cur
		delay = min(delay*3/2, 500*time.Millisecond)
	}
	return rec, nil
}

// run carries a write-off on; concurrent calls for the same write-off in this process share
// one run (duplicates in other processes are kept apart by the conditional writes).
func (s *Service) run(ctx context.Context, tenant string, st store.Store, rec record) (WriteOff, error) {
	got, err := s.runs.do(ctx, tenant+"\x00"+rec.data.Ref, "", func() (record, error) {
		return s.drive(ctx, tenant, st, rec)
	})
	if got.data.Ref == "" {
		got = rec
	}
	return got.public(), err
}

// drive advances the write-off until it is settled or a step cannot go on now.
func (s *Service) drive(ctx context.Context, tenant string, st store.Store, rec record) (record, error) {
	cl, err := s.client(ctx, tenant)
	if err != nil {
		return rec, err
	}
	fresh := false // this call just moved it to debiting: send before asking
	for step := 0; step < 16; step++ {
		switch rec.data.State {
		case StateRequested:
			rec, fresh, err = s.stepRequested(ctx, cl, st, rec)
		case StateDebiting:
			rec, err = s.stepDebiting(ctx, cl, st, rec, fresh)
			fresh = false
		case StateCancelling:
			rec, err = s.stepCancelling(ctx, cl, st, rec)
		default:
			if rec.data.State == StateFailed || rec.data.State == StateCancelled {
				// Best effort: a reservation a crash leaves behind is healed by reserve.
				if err := s.release(ctx, st, rec.data); err != nil {
					s.log.WarnContext(ctx, "kontur: folio release failed", "request", rec.data.RequestID, "err", err)
				}
			}
			return rec, nil
		}
		if err != nil {
			return rec, err
		}
	}
	return rec, ErrInProgress
}

// stepRequested checks the card's balance, reserves the folio's cap and moves the write-off
// to debiting; or fails it with the reason.
func (s *Service) stepRequested(ctx context.Context, cl Client, st store.Store, rec record) (record, bool, error) {
	d := rec.data
	if s.clk.Now().Sub(d.Created) > s.opts.RequestTTL {
		return s.fail(ctx, st, rec, "KONTUR_EXPIRED", "Списание не было выполнено вовремя и отменено: повторите его с новым RequestId")
	}
	bals, err := cl.Balance(ctx, d.Card)
	if errors.Is(err, ErrNotFound) {
		return s.fail(ctx, st, rec, ErrCardNotFound.Code, ErrCardNotFound.Message)
	}
	if err != nil {
		return rec, false, unavailable(err)
	}
	if bal := balanceIn(bals, d.Currency); d.Amount.Cmp(bal) > 0 {
		return s.fail(ctx, st, rec, "KONTUR_AMOUNT_EXCEEDS_AVAILABLE", fmt.Sprintf(
			"Сумма списания %s превышает остаток на карте: %s (%s)", d.Amount, floorTo(bal, d.Scale), currencyName(d.Currency)))
	}
	res, err := s.reserve(ctx, st, d)
	if err != nil {
		return rec, false, unavailable(err)
	}
	if !res.ok {
		if res.full {
			return s.fail(ctx, st, rec, "KONTUR_FOLIO_FULL", "По счёту слишком много списаний баллами")
		}
		room := res.limit.Sub(res.held)
		if room.Sign() < 0 {
			room = money.New(0, d.Scale)
		}
		return s.fail(ctx, st, rec, "KONTUR_AMOUNT_EXCEEDS_AVAILABLE", fmt.Sprintf(
			"Сумма списания %s превышает доступную по счёту: %s (не более %s %% долга по счёту, уже списано %s)",
			d.Amount, room, d.MaxPercent, res.held))
	}
	next, err := s.advance(ctx, st, rec, func(d *woData) { d.State = StateDebiting })
	if errors.Is(err, errLost) {
		return next, false, nil
	}
	if err != nil {
		return rec, false, unavailable(err)
	}
	return next, true, nil
}

// fail settles the write-off as failed; the folio's reservation is released by drive.
func (s *Service) fail(ctx context.Context, st store.Store, rec record, code, reason string) (record, bool, error) {
	next, err := s.advance(ctx, st, rec, func(d *woData) {
		d.State, d.ReasonCode, d.Reason = StateFailed, code, reason
	})
	if errors.Is(err, errLost) {
		return next, false, nil
	}
	if err != nil {
		return rec, false, unavailable(err)
	}
	s.log.InfoContext(ctx, "kontur write-off refused", "request", rec.data.RequestID, "code", code)
	return next, false, nil
}

// stepDebiting learns the debit's outcome from Kontur and settles the write-off by it.
func (s *Service) stepDebiting(ctx context.Context, cl Client, st store.Store, rec record, fresh bool) (record, error) {
	d := rec.data
	op, err := s.settleDebit(ctx, cl, d, fresh)
	if err != nil {
		s.log.WarnContext(ctx, "kontur debit not confirmed", "request", d.RequestID, "op", d.OperationID, "err", err)
		return rec, apperr.Wrap(err, ErrPending.Kind, ErrPending.Code, ErrPending.Message)
	}
	var next record
	switch op.Status {
	case OpApplied:
		if op.Currency != d.Currency || !op.Amount.Equal(d.Amount) {
			// Never record what Kontur did not do; someone has to look.
			s.log.ErrorContext(ctx, "kontur operation does not match the write-off", "request", d.RequestID, "op", d.OperationID)
			return rec, apperr.New(apperr.Internal, "KONTUR_OPERATION_MISMATCH",
				"Операция в Контуре не совпадает со списанием: обратитесь в поддержку")
		}
		now := s.clk.Now().UTC()
		next, err = s.advance(ctx, st, rec, func(d *woData) {
			d.State, d.RecordedAt, d.OperationTime = StateRecorded, now, op.Time
		})
	case OpRefused:
		msg := op.RefusalMessage
		if msg == "" {
			msg = op.RefusalCode
		}
		next, _, err = s.fail(ctx, st, rec, "KONTUR_REFUSED", "Контур отказал в списании: "+msg)
	case OpCancelled, OpVoid:
		next, _, err = s.fail(ctx, st, rec, "KONTUR_OPERATION_CANCELLED", "Операция в Контуре отменена")
	default:
		return rec, apperr.New(apperr.Internal, "KONTUR_OPERATION_UNKNOWN", "Контур вернул неизвестное состояние операции")
	}
	if errors.Is(err, errLost) {
		return next, nil
	}
	if err != nil {
		return rec, unavailable(err)
	}
	return next, nil
}

// settleDebit gets the outcome of the write-off's debit. Unless the write-off was just moved
// to debiting by this call, a debit may already be out there, so Kontur is asked for the
// operation first; and after every answer that leaves the outcome unknown it is asked again
// before the debit is re-sent. The debit always carries the same operation id, so Kontur
// applies it at most once.
func (s *Service) settleDebit(ctx context.Context, cl Client, d woData, fresh bool) (Operation, error) {
	ask := !fresh
	delay := s.opts.RetryDelay
	var last error
	for attempt := 0; attempt < s.opts.Attempts; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, delay); err != nil {
				return Operation{}, errors.Join(last, err)
			}
			delay *= 2
		}
		if ask {
			op, err := cl.GetOperation(ctx, d.OperationID)
			if err == nil {
				return op, nil
			}
			if !errors.Is(err, ErrNotFound) {
				last = err
				continue
			}
		}
		op, err := cl.Debit(ctx, DebitRequest{OperationID: d.OperationID, Card: d.Card, Currency: d.Currency, Amount: d.Amount})
		if err == nil {
			return op, nil
		}
		last = err
		ask = !errors.Is(err, ErrNotApplied)
	}
	return Operation{}, last
}

// Cancel reverses a recorded write-off: Kontur returns the points to the card (storno), the
// folio's cap is released. Cancelling a cancelled write-off returns it as it is.
func (s *Service) Cancel(ctx context.Context, tenant string, req CancelRequest) (WriteOff, error) {
	if err := check(req); err != nil {
		return WriteOff{}, err
	}
	st, err := s.tenantStore(tenant)
	if err != nil {
		return WriteOff{}, err
	}
	rec, err := s.loadByRequest(ctx, tenant, st, req.RequestID)
	if err != nil {
		return WriteOff{}, err
	}
	for i := 0; i < 16; i++ {
		switch rec.data.State {
		case StateCancelled:
			return rec.public(), nil
		case StateCancelling:
			return s.run(ctx, tenant, st, rec)
		case StateFailed:
			return rec.public(), apperr.New(ErrCancelNotAllowed.Kind, ErrCancelNotAllowed.Code,
				"Списание не было выполнено ("+rec.data.Reason+"): отменять нечего")
		case StateRequested, StateDebiting:
			return rec.public(), ErrInProgress
		case StateRecorded:
			next, err := s.advance(ctx, st, rec, func(d *woData) { d.State = StateCancelling })
			if err != nil && !errors.Is(err, errLost) {
				return rec.public(), unavailable(err)
			}
			rec = next
		default:
			return rec.public(), ErrCancelNotAllowed
		}
	}
	return rec.public(), ErrInProgress
}

// stepCancelling asks Kontur for the storno (idempotent) and settles the write-off as
// cancelled.
func (s *Service) stepCancelling(ctx context.Context, cl Client, st store.Store, rec record) (record, error) {
	d := rec.data
	var op Operation
	var err error
	delay := s.opts.RetryDelay
	for attempt := 0; attempt < s.opts.Attempts; attempt++ {
		if attempt > 0 {
			if serr := sleep(ctx, delay); serr != nil {
				err = errors.Join(err, serr)
				break
			}
			delay *= 2
		}
		if op, err = cl.Cancel(ctx, d.OperationID); err == nil {
			break
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "kontur cancel not confirmed", "request", d.RequestID, "op", d.OperationID, "err", err)
		return rec, apperr.Wrap(err, apperr.Unavailable, "KONTUR_CANCEL_PENDING",
			"Контур не подтвердил отмену: она будет завершена автоматически, повторите запрос позже")
	}
	if op.Status != OpCancelled && op.Status != OpVoid {
		s.log.ErrorContext(ctx, "kontur did not cancel", "request", d.RequestID, "op", d.OperationID, "status", op.Status)
		return rec, apperr.New(apperr.Internal, "KONTUR_CANCEL_REFUSED", "Контур не отменил операцию: обратитесь в поддержку")
	}
	at := op.CancelledAt
	if at.IsZero() {
		at = s.clk.Now().UTC()
	}
	next, err := s.advance(ctx, st, rec, func(d *woData) { d.State, d.CancelledAt = StateCancelled, at })
	if errors.Is(err, errLost) {
		return next, nil
	}
	if err != nil {
		return rec, unavailable(err)
	}
	return next, nil
}

func (s *Service) loadByRequest(ctx context.Context, tenant string, st store.Store, requestID string) (record, error) {
	rec, err := s.load(ctx, st, writeOffRef(tenant, requestID))
	if err != nil {
		return record{}, err
	}
	if rec.data.RequestID != requestID { // a hash collision: never answer with another's write-off
		return record{}, ErrWriteOffNotFound
	}
	return rec, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
