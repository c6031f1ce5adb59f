package sep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/store"
)

// Entry is a request in the exchange queue (register «Очередь обмена СЭП»).
type Entry struct {
	ID              string      `json:"id"` // also the client request id sent to SEP
	Type            RequestType `json:"type"`
	OrganisationINN string      `json:"organisation"`
	// Subject says what the request is about, for lists ("Заявление OC-…", "ЭПТС …").
	Subject           string `json:"subject"`
	ApplicationNumber string `json:"application,omitempty"`
	EPTS              string `json:"epts,omitempty"`
	LeaseID           string `json:"lease,omitempty"`
	LetterID          string `json:"letter,omitempty"`

	Stage   Stage   `json:"stage"`
	Status  Status  `json:"status"`
	Outcome Outcome `json:"outcome,omitempty"`
	QueueID string  `json:"queueId,omitempty"`
	// Attempts counts the consecutive failed calls of the current stage.
	Attempts int `json:"attempts"`
	Polls    int `json:"polls"`
	Calls    int `json:"calls"`
	// Due is when the entry is next worked on (zero when done or failed).
	Due      time.Time `json:"due,omitzero"`
	Created  time.Time `json:"created"`
	Queued   time.Time `json:"queued,omitzero"`   // when the queue number was received
	Answered time.Time `json:"answered,omitzero"` // when the answer was received
	// Errors of the last failure or rejection.
	Errors []RemoteError `json:"errors,omitempty"`
	// Applications lists the numbers of the applications in the answer.
	Applications []string `json:"applications,omitempty"`
	Version      int64    `json:"-"`
}

// Waiting reports whether the entry still expects work (sending or polling).
func (e Entry) Waiting() bool { return e.Stage == StageSend || e.Stage == StagePoll }

// entryRec is the stored entry with the sealed request.
type entryRec struct {
	Entry
	Sealed []byte `json:"sealed"`
}

// sealedRequest is the part of a request kept sealed: the signed payload (which may carry
// e-mails) and the confirmation code.
type sealedRequest struct {
	Payload    []byte `json:"p"`
	Signature  []byte `json:"s"`
	SenderOGRN string `json:"o"`
	Code       string `json:"c,omitempty"`
}

func entryItem(e entryRec) store.Item {
	return store.Item{PK: pkEntry, SK: e.ID, Data: putJSON(e),
		GSI2PK: gsiEntries, GSI2SK: tkey(e.Created) + "#" + e.ID,
		Attrs: map[string]string{"stage": string(e.Stage)}}
}

func decodeEntry(it store.Item) (entryRec, error) {
	e, err := decodeJSON[entryRec](it)
	e.Version = it.Version
	return e, err
}

// pointer is a due pointer as read from the store.
type pointer struct {
	tenant, id string
	due        time.Time
	version    int64
}

func dueKey(due time.Time, tenant, id string) string { return tkey(due) + "#" + tenant + "#" + id }

func pointerFrom(it store.Item) (pointer, error) {
	p := pointer{tenant: it.Attrs["tenant"], id: it.SK, version: it.Version}
	ts, _, ok := strings.Cut(it.GSI1SK, "#")
	due, err := parseTKey(ts)
	if !ok || err != nil || p.tenant == "" {
		return p, fmt.Errorf("sep: malformed due pointer %s/%s", it.PK, it.SK)
	}
	p.due = due
	return p, nil
}

// putPointer writes an entry's due pointer; conds guard a claimed one.
func (s *Service) putPointer(ctx context.Context, tenant, id string, due time.Time, conds ...store.Cond) (store.Item, error) {
	return s.st.Put(ctx, store.Item{
		PK: pkDuePrefix + tenant, SK: id,
		GSI1PK: gsiDue, GSI1SK: dueKey(due, tenant, id),
		Attrs: map[string]string{"tenant": tenant},
	}, conds...)
}

// newEntry describes a request to queue.
type newEntry struct {
	requestID string // the client's id, for idempotent repeats; "" for none
	org       string
	body      Body
	code      string
	entry     Entry // descriptive fields
}

// enqueue creates an entry (or finds the one a repeated request created), then sends it at
// once so that 1C sees its queue number in the same call. A failed send is left to the
// poller, backed off.
func (s *Service) enqueue(ctx context.Context, tenant string, st Settings, n newEntry) (Entry, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Entry{}, err
	}
	org, ok := st.Organisation(n.org)
	if !ok {
		return Entry{}, ErrNotConfigured
	}
	now := s.now()
	e := n.entry
	e.ID = newID(now)
	if n.requestID != "" {
		e.ID = derivedID(tenant, "entry", n.requestID)
		if cur, err := tv.Get(ctx, pkEntry, e.ID); err == nil {
			old, err := decodeEntry(cur)
			if err != nil {
				return Entry{}, err
			}
			if old.Type != n.body.RequestType() {
				return Entry{}, ErrRequestBusy
			}
			return old.Entry, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return Entry{}, storeErr(err)
		}
	}
	payload, err := s.gw.Encode(n.body)
	if err != nil {
		return Entry{}, apperr.Wrap(err, apperr.Invalid, "SEP_ENCODE", "Не удалось сформировать запрос в СЭП")
	}
	sig, err := s.sig.Sign(ctx, tenant, org.INN, payload)
	if err != nil {
		return Entry{}, apperr.Wrap(err, apperr.Internal, "SEP_SIGN", "Не удалось подписать запрос в СЭП")
	}
	sealed, err := s.seal(ctx, tenant, purposeRequest, sealedRequest{Payload: payload, Signature: sig, SenderOGRN: org.OGRN, Code: n.code})
	if err != nil {
		return Entry{}, err
	}
	e.Type, e.OrganisationINN = n.body.RequestType(), org.INN
	e.Stage, e.Status, e.Created = StageSend, StatusPending, now
	e.Due = now.Add(s.opts.ClaimTTL)
	rec := entryRec{Entry: e, Sealed: sealed}

	p, rec, err := s.createEntry(ctx, tv, tenant, rec)
	if errors.Is(err, store.ErrConditionFailed) {
		// A concurrent repeat of the same request won: answer with its entry.
		cur, gerr := tv.Get(ctx, pkEntry, e.ID)
		if gerr != nil {
			return Entry{}, storeErr(gerr)
		}
		old, derr := decodeEntry(cur)
		return old.Entry, derr
	}
	if err != nil {
		return Entry{}, storeErr(err)
	}
	out, err := s.work(ctx, tv, p, rec)
	if err != nil {
		// Recorded as it was; the poller takes it from here.
		s.log.Warn("sep: first send not recorded", "tenant", tenant, "entry", e.ID, "err", err)
		return rec.Entry, nil
	}
	return out.Entry, nil
}

// createEntry writes a new entry and its due pointer. The pointer goes first: a crash after
// it leaves a pointer without an entry (dropped when it comes due), never an entry that
// nobody polls. The pointer is due at rec.Due, which for a new entry is ClaimTTL ahead: the
// creator owns it while it sends.
func (s *Service) createEntry(ctx context.Context, tv store.Store, tenant string, rec entryRec) (pointer, entryRec, error) {
	ptr, err := s.putPointer(ctx, tenant, rec.ID, rec.Due)
	if err != nil {
		return pointer{}, rec, err
	}
	stored, err := tv.Put(ctx, entryItem(rec), store.NotExists())
	if err != nil {
		return pointer{}, rec, err
	}
	rec.Version = stored.Version
	return pointer{tenant: tenant, id: rec.ID, due: rec.Due, version: ptr.Version}, rec, nil
}

// errLost means another processor changed the entry meanwhile: its write won.
var errLost = errors.New("sep: entry changed by another processor")

// work performs the entry's next step (one call to SEP), records it, and moves the claimed
// pointer. It returns the entry as stored.
func (s *Service) work(ctx context.Context, tv store.Store, p pointer, cur entryRec) (entryRec, error) {
	now := s.now()
	next, effects, err := s.step(ctx, p.tenant, cur, now)
	if err != nil {
		return cur, err
	}
	if effects != nil {
		// Idempotent writes keyed by what SEP answered, before the entry's own transition,
		// so a crash in between repeats them harmlessly.
		if err := effects(ctx, tv); err != nil {
			return cur, err
		}
	}
	stored, err := tv.Put(ctx, entryItem(next), store.VersionIs(cur.Version))
	if errors.Is(err, store.ErrConditionFailed) {
		return cur, errLost
	}
	if err != nil {
		return cur, storeErr(err)
	}
	next.Version = stored.Version
	if next.Status != cur.Status {
		metrics.Event("sep", "request", statusMetric(next.Status))
	}
	if next.Waiting() {
		_, err = s.putPointer(ctx, p.tenant, next.ID, next.Due, store.VersionIs(p.version))
	} else {
		err = s.st.Delete(ctx, pkDuePrefix+p.tenant, next.ID, store.VersionIs(p.version))
	}
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		// The entry is right; a stale pointer is corrected when it comes due.
		s.log.Warn("sep: due pointer not moved", "tenant", p.tenant, "entry", next.ID, "err", err)
	}
	return next, nil
}

// statusMetric names a status for metrics (ASCII label values).
func statusMetric(s Status) string {
	switch s {
	case StatusXMLError:
		return "xml_error"
	case StatusRequestError:
		return "request_error"
	case StatusQueued:
		return "queued"
	case StatusAnswered:
		return "answered"
	}
	return "pending"
}

// step makes one call for the entry and computes its next state; effects, when not nil,
// applies the answer. Calls are recorded in the exchange history, failures in the errors
// register.
func (s *Service) step(ctx context.Context, tenant string, cur entryRec, now time.Time) (entryRec, func(context.Context, store.Store) error, error) {
	next := cur
	next.Errors = nil
	switch cur.Stage {
	case StageSend:
		var sr sealedRequest
		if err := s.open(ctx, tenant, purposeRequest, cur.Sealed, &sr); err != nil {
			return cur, nil, err
		}
		qid, err := s.gw.SendRequest(ctx, Request{Type: cur.Type, ClientRequestID: cur.ID,
			SenderINN: cur.OrganisationINN, SenderOGRN: sr.SenderOGRN, Payload: sr.Payload, Signature: sr.Signature})
		next.Calls++
		hist := s.history(cur, now, "SendRequest", next.Calls)
		if err != nil {
			var f *FaultError
			// A client fault comes back the same for the same bytes: no point resending.
			permanent := errors.As(err, &f) && !f.Server
			return s.failed(next, err, permanent, now, hist)
		}
		next.QueueID, next.Stage, next.Status, next.Queued = qid, StagePoll, StatusQueued, now
		next.Attempts, next.Due = 0, now.Add(s.opts.MinDelay)
		hist.QueueID, hist.Answer = qid, "QueueId"
		return next, func(ctx context.Context, tv store.Store) error { return putHistory(ctx, tv, hist) }, nil

	case StagePoll:
		// The SEP rule, checked here too and not only by the index: never early.
		if earliest := cur.Queued.Add(s.opts.MinDelay); now.Before(earliest) {
			next.Due = earliest
			return next, nil, nil
		}
		res, err := s.gw.GetResult(ctx, cur.QueueID)
		next.Calls++
		hist := s.history(cur, now, "GetResult", next.Calls)
		if err != nil {
			return s.failed(next, err, false, now, hist)
		}
		hist.Answer = string(res.State)
		next.Attempts = 0
		switch res.State {
		case ResultCompleted:
			var sr sealedRequest
			if cur.Type == ReqConfirm {
				// The code it confirmed with is marked used in the codes register.
				if err := s.open(ctx, tenant, purposeRequest, cur.Sealed, &sr); err != nil {
					return cur, nil, err
				}
			}
			next.Stage, next.Status, next.Outcome, next.Answered, next.Due = StageDone, StatusAnswered, OutcomeCompleted, now, time.Time{}
			for _, a := range res.Applications {
				next.Applications = appendUnique(next.Applications, a.Number)
			}
			return next, func(ctx context.Context, tv store.Store) error {
				if err := putHistory(ctx, tv, hist); err != nil {
					return err
				}
				return s.applyResult(ctx, tv, next, res, sr.Code, now)
			}, nil
		case ResultRejected:
			next.Stage, next.Status, next.Outcome, next.Answered, next.Due = StageDone, StatusAnswered, OutcomeRejected, now, time.Time{}
			next.Errors = res.Errors
			return next, func(ctx context.Context, tv store.Store) error {
				if err := putHistory(ctx, tv, hist); err != nil {
					return err
				}
				for i, re := range res.Errors {
					if err := putError(ctx, tv, errorRecord(next.Entry, now, "GetResult", next.Calls*100+i, re)); err != nil {
						return err
					}
				}
				return s.applyRejection(ctx, tv, next, now)
			}, nil
		default: // TooEarly, InProcess
			next.Polls++
			next.Due = now.Add(s.opts.PollEvery)
			if next.Polls >= s.opts.MaxPolls {
				return s.giveUp(next, now, hist, RemoteError{Code: "SEP_NO_ANSWER",
					Message: fmt.Sprintf("СЭП не ответил после %d запросов результата", next.Polls)})
			}
			return next, func(ctx context.Context, tv store.Store) error { return putHistory(ctx, tv, hist) }, nil
		}
	}
	// Done or failed: nothing to do (a stale pointer is dropped by the caller's write).
	next.Due = time.Time{}
	return next, nil, nil
}

// failed records a failed call: the status shows what went wrong, the entry backs off, and
// after MaxAttempts (or at once for a permanent refusal) it is given up.
func (s *Service) failed(next entryRec, err error, permanent bool, now time.Time, hist HistoryRecord) (entryRec, func(context.Context, store.Store) error, error) {
	re := remoteErrorOf(err)
	next.Status = StatusRequestError
	if re.Code == "XML_READ_ERROR" || errors.Is(err, ErrMalformed) {
		next.Status = StatusXMLError
	}
	hist.Answer = re.Code
	next.Attempts++
	next.Errors = []RemoteError{re}
	if permanent {
		next.Stage, next.Outcome, next.Due = StageFailed, OutcomeRefused, time.Time{}
		return next, s.failEffects(next, now, hist, re), nil
	}
	if next.Attempts >= s.opts.MaxAttempts {
		return s.giveUp(next, now, hist, re)
	}
	next.Due = now.Add(s.backoff(next.Attempts))
	rec := errorRecord(next.Entry, now, hist.Operation, next.Calls, re)
	return next, func(ctx context.Context, tv store.Store) error {
		if err := putHistory(ctx, tv, hist); err != nil {
			return err
		}
		return putError(ctx, tv, rec)
	}, nil
}

func (s *Service) giveUp(next entryRec, now time.Time, hist HistoryRecord, last RemoteError) (entryRec, func(context.Context, store.Store) error, error) {
	next.Stage, next.Outcome, next.Due = StageFailed, OutcomeGaveUp, time.Time{}
	if next.Status == StatusQueued || next.Status == StatusPending {
		next.Status = StatusRequestError
	}
	gave := RemoteError{Code: "SEP_GAVE_UP", Message: fmt.Sprintf("Запрос прекращён после %d попыток: %s", next.Calls, last.Message)}
	next.Errors = []RemoteError{last, gave}
	return next, s.failEffects(next, now, hist, last, gave), nil
}

func (s *Service) failEffects(next entryRec, now time.Time, hist HistoryRecord, errs ...RemoteError) func(context.Context, store.Store) error {
	return func(ctx context.Context, tv store.Store) error {
		if err := putHistory(ctx, tv, hist); err != nil {
			return err
		}
		for i, re := range errs {
			if err := putError(ctx, tv, errorRecord(next.Entry, now, hist.Operation, next.Calls*100+i, re)); err != nil {
				return err
			}
		}
		return s.applyRejection(ctx, tv, next, now)
	}
}

func remoteErrorOf(err error) RemoteError {
	var f *FaultError
	switch {
	case errors.As(err, &f):
		return RemoteError{Code: f.Code, Message: f.Message}
	case errors.Is(err, ErrMalformed):
		return RemoteError{Code: "XML_READ_ERROR", Message: "Не удалось прочитать ответ СЭП"}
	case errors.Is(err, context.DeadlineExceeded):
		return RemoteError{Code: "SEP_TIMEOUT", Message: "СЭП не ответил вовремя"}
	}
	return RemoteError{Code: "SEP_UNAVAILABLE", Message: "СЭП недоступен"}
}

func (s *Service) backoff(attempts int) time.Duration {
	d := s.opts.MinDelay
	for i := 1; i < attempts && d < s.opts.BackoffCap; i++ {
		d *= 2
	}
	return min(d, s.opts.BackoffCap)
}

func appendUnique(xs []string, x string) []string {
	if containsStr(xs, x) {
		return xs
	}
	return append(xs, x)
}

// TickReport says what a tick did.
type TickReport struct {
	Slot     time.Time
	Due      int // due pointers seen
	Worked   int // entries worked on (a call made or a stale pointer fixed)
	Skipped  int // claimed by another processor, or changed under us
	Failures int // store or decoding errors (left for a later tick)
}

// Tick is the poller's scheduled run (EventBridge every 60 s; the local scheduler): it works
// on the due entries of every tenant. slot is the schedule's time, recorded as the claim, not
// used for idempotency: claims and conditional writes make a repeated or overlapping tick
// apply nothing twice.
func (s *Service) Tick(ctx context.Context, slot time.Time) (TickReport, error) {
	rep := TickReport{Slot: slot}
	now := s.now()
	q := store.Query{Index: store.GSI1, PK: gsiDue, To: tkey(now) + "#" + maxSuffix, Limit: min(s.opts.TickLimit, store.MaxQueryLimit)}
	var mu sync.Mutex
	sem := make(chan struct{}, s.opts.TickWorkers)
	var wg sync.WaitGroup
	var firstErr error
	for rep.Due < s.opts.TickLimit {
		if s.outOfTime(ctx) {
			break
		}
		page, err := s.st.Query(ctx, q)
		if err != nil {
			firstErr = storeErr(err)
			break
		}
		for _, it := range page.Items {
			if rep.Due >= s.opts.TickLimit || s.outOfTime(ctx) {
				break
			}
			rep.Due++
			sem <- struct{}{}
			wg.Add(1)
			go func(it store.Item) {
				defer wg.Done()
				defer func() { <-sem }()
				r := s.workPointer(ctx, it, slot)
				mu.Lock()
				switch r {
				case workDone:
					rep.Worked++
				case workSkipped:
					rep.Skipped++
				default:
					rep.Failures++
				}
				mu.Unlock()
			}(it)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	wg.Wait()
	if rep.Due > 0 {
		s.log.Info("sep: tick", "slot", slot, "due", rep.Due, "worked", rep.Worked, "skipped", rep.Skipped, "failures", rep.Failures)
	}
	return rep, firstErr
}

// PollTenant works on one tenant's due entries now (the console's "Получить результат"),
// with the same rules as Tick: nothing sooner than 60 s after a queue number.
func (s *Service) PollTenant(ctx context.Context, tenant string) (TickReport, error) {
	if _, err := s.view(tenant); err != nil {
		return TickReport{}, err
	}
	now := s.now()
	rep := TickReport{Slot: now}
	q := store.Query{PK: pkDuePrefix + tenant, Limit: store.MaxQueryLimit}
	for {
		page, err := s.st.Query(ctx, q)
		if err != nil {
			return rep, storeErr(err)
		}
		for _, it := range page.Items {
			p, err := pointerFrom(it)
			if err != nil || p.due.After(now) {
				continue
			}
			rep.Due++
			switch s.workPointer(ctx, it, now) {
			case workDone:
				rep.Worked++
			case workSkipped:
				rep.Skipped++
			default:
				rep.Failures++
			}
		}
		if page.Next == "" {
			return rep, nil
		}
		q.Cursor = page.Next
	}
}

func (s *Service) outOfTime(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	// No deadline (a local run) is not "already expired".
	return ok && time.Until(dl) < s.opts.TickReserve
}

type workResult int

const (
	workDone workResult = iota
	workSkipped
	workFailed
)

// workPointer claims a due pointer and works on its entry.
func (s *Service) workPointer(ctx context.Context, it store.Item, slot time.Time) workResult {
	p, err := pointerFrom(it)
	if err != nil {
		s.log.Error("sep: bad due pointer", "err", err)
		return workFailed
	}
	now := s.now()
	claimed, err := s.st.Update(ctx, it.PK, it.SK, store.Update{
		GSI1:     &store.IndexKey{PK: gsiDue, SK: dueKey(now.Add(s.opts.ClaimTTL), p.tenant, p.id)},
		SetAttrs: map[string]string{"claim": "tick " + slot.UTC().Format(time.RFC3339)},
	}, store.VersionIs(p.version))
	if errors.Is(err, store.ErrConditionFailed) || errors.Is(err, store.ErrNotFound) {
		return workSkipped
	}
	if err != nil {
		s.log.Error("sep: claim failed", "tenant", p.tenant, "entry", p.id, "err", err)
		return workFailed
	}
	p.version = claimed.Version
	tv, err := s.view(p.tenant)
	if err != nil {
		return workFailed
	}
	cur, err := tv.Get(ctx, pkEntry, p.id)
	if errors.Is(err, store.ErrNotFound) {
		// Its creator died between pointer and entry: nothing to poll.
		_ = s.st.Delete(ctx, it.PK, it.SK, store.VersionIs(p.version))
		return workDone
	}
	if err != nil {
		return workFailed
	}
	rec, err := decodeEntry(cur)
	if err != nil {
		return workFailed
	}
	if !rec.Waiting() {
		_ = s.st.Delete(ctx, it.PK, it.SK, store.VersionIs(p.version))
		return workDone
	}
	if rec.Due.After(now) {
		// The pointer was behind the entry (a crash between their writes): re-point.
		_, _ = s.putPointer(ctx, p.tenant, p.id, rec.Due, store.VersionIs(p.version))
		return workDone
	}
	if _, err := s.work(ctx, tv, p, rec); err != nil {
		if errors.Is(err, errLost) {
			return workSkipped
		}
		s.log.Error("sep: entry step failed", "tenant", p.tenant, "entry", p.id, "err", err)
		return workFailed
	}
	return workDone
}

// QueueQuery selects queue entries.
type QueueQuery struct {
	PageRequest
	// Waiting lists only entries still sending or polling (from the due pointers, in id order).
	Waiting bool `json:"waiting"`
}

// Queue lists the exchange queue by creation time.
func (s *Service) Queue(ctx context.Context, tenant string, q QueueQuery) (Page[Entry], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[Entry]{}, err
	}
	if !q.Waiting {
		return listPage(ctx, tv, store.Query{Index: store.GSI2, PK: gsiEntries}, q.PageRequest, func(it store.Item) (Entry, error) {
			e, err := decodeEntry(it)
			return e.Entry, err
		})
	}
	return listPage(ctx, s.st, store.Query{PK: pkDuePrefix + tenant}, q.PageRequest, func(it store.Item) (Entry, error) {
		e, err := s.Entry(ctx, tenant, it.SK)
		if errors.Is(err, ErrEntryNotFound) {
			return Entry{ID: it.SK, Stage: StageSend, Status: StatusPending}, nil
		}
		return e, err
	})
}

// Entry returns one queue entry: its state and result.
func (s *Service) Entry(ctx context.Context, tenant, id string) (Entry, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Entry{}, err
	}
	return getEntry(ctx, tv, id)
}

func getEntry(ctx context.Context, tv store.Store, id string) (Entry, error) {
	it, err := tv.Get(ctx, pkEntry, id)
	if errors.Is(err, store.ErrNotFound) {
		return Entry{}, ErrEntryNotFound
	}
	if err != nil {
		return Entry{}, storeErr(err)
	}
	e, err := decodeEntry(it)
	return e.Entry, err
}
