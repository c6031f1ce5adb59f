package kontur

import (
	"context"
	"errors"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// GetWriteOff returns the write-off stored under the RequestId (SOAP GetWriteOff). It reads
// only: a write-off in progress is returned as it stands.
func (s *Service) GetWriteOff(ctx context.Context, tenant, requestID string) (WriteOff, error) {
	if err := check(CancelRequest{RequestID: requestID}); err != nil {
		return WriteOff{}, err
	}
	st, err := s.tenantStore(tenant)
	if err != nil {
		return WriteOff{}, err
	}
	rec, err := s.loadByRequest(ctx, tenant, st, requestID)
	if err != nil {
		return WriteOff{}, err
	}
	return rec.public(), nil
}

// GetWriteOffByRef returns a write-off by its document reference (OData Ref_Key).
func (s *Service) GetWriteOffByRef(ctx context.Context, tenant, ref string) (WriteOff, error) {
	st, err := s.tenantStore(tenant)
	if err != nil {
		return WriteOff{}, err
	}
	ref, ok := normGUID(ref)
	if !ok {
		return WriteOff{}, ErrWriteOffNotFound
	}
	rec, err := s.load(ctx, st, ref)
	if err != nil {
		return WriteOff{}, err
	}
	return rec.public(), nil
}

// WriteOffOrder is the order of a list of write-offs.
type WriteOffOrder int

// Orders.
const (
	NewestFirst WriteOffOrder = iota // by creation time, newest first (the journal's order)
	OldestFirst                      // by creation time
	ByRef                            // by Ref (OData's key order)
	ByRefDesc
)

// WriteOffQuery selects a page of write-offs.
type WriteOffQuery struct {
	Order WriteOffOrder
	// From and To bound the creation time, inclusive (NewestFirst and OldestFirst only);
	// zero is open.
	From, To time.Time
	Limit    int    // 0: the store's default page
	Cursor   string // Next of the previous page of the same query
}

// WriteOffPage is one page; Next is "" on the last one.
type WriteOffPage struct {
	Items []WriteOff
	Next  string
}

// ListWriteOffs returns one page of the tenant's write-offs (Document_BonusWriteOffs). Pages
// by creation time read an index, which may lag a write by a moment on DynamoDB.
func (s *Service) ListWriteOffs(ctx context.Context, tenant string, q WriteOffQuery) (WriteOffPage, error) {
	st, err := s.tenantStore(tenant)
	if err != nil {
		return WriteOffPage{}, err
	}
	sq := store.Query{Limit: q.Limit, Cursor: q.Cursor}
	switch q.Order {
	case NewestFirst, OldestFirst:
		sq.Index, sq.PK, sq.Desc = store.GSI1, gsiByDate, q.Order == NewestFirst
		if !q.From.IsZero() {
			sq.From = q.From.UTC().Format(sortTime) + "#"
		}
		if !q.To.IsZero() {
			sq.To = q.To.UTC().Format(sortTime) + "#~" // after every Ref of that instant
		}
	case ByRef, ByRefDesc:
		sq.PK, sq.Desc = pkWriteOff, q.Order == ByRefDesc
	default:
		return WriteOffPage{}, apperr.New(apperr.Invalid, "KONTUR_INVALID_REQUEST", "Неизвестный порядок списка")
	}
	p, err := st.Query(ctx, sq)
	if errors.Is(err, store.ErrInvalid) {
		return WriteOffPage{}, apperr.Wrap(err, apperr.Invalid, "KONTUR_INVALID_CURSOR", "Неверная позиция страницы или границы отбора")
	}
	if err != nil {
		return WriteOffPage{}, unavailable(err)
	}
	out := WriteOffPage{Items: make([]WriteOff, 0, len(p.Items)), Next: p.Next}
	for _, it := range p.Items {
		rec, err := decodeWriteOff(it)
		if err != nil {
			return WriteOffPage{}, err
		}
		out.Items = append(out.Items, rec.public())
	}
	return out, nil
}

// Resume carries on one write-off left in progress (the kontur-redeem function's message
// names it). A settled write-off is returned as it is.
func (s *Service) Resume(ctx context.Context, tenant, requestID string) (WriteOff, error) {
	if err := check(CancelRequest{RequestID: requestID}); err != nil {
		return WriteOff{}, err
	}
	st, err := s.tenantStore(tenant)
	if err != nil {
		return WriteOff{}, err
	}
	rec, err := s.loadByRequest(ctx, tenant, st, requestID)
	if err != nil {
		return WriteOff{}, err
	}
	if !rec.data.State.pending() {
		return rec.public(), nil
	}
	return s.run(ctx, tenant, st, rec)
}

// RecoverReport counts what Recover did.
type RecoverReport struct {
	Seen      int // write-offs found in progress
	Recorded  int
	Failed    int
	Cancelled int
	Pending   int // still in progress (Kontur did not answer); the next Recover goes on
}

// Recover finishes the tenant's write-offs left in progress by a crash or a lost answer: a
// debit is looked up at Kontur by its operation id and settled by what Kontur says, never sent
// as a new one. It is safe to run at any time, from several processes at once, next to live
// calls. Run it at startup and from the kontur-redeem function.
func (s *Service) Recover(ctx context.Context, tenant string) (RecoverReport, error) {
	var rep RecoverReport
	st, err := s.tenantStore(tenant)
	if err != nil {
		return rep, err
	}
	q := store.Query{Index: store.GSI2, PK: gsiPending, Limit: 100}
	for {
		p, err := st.Query(ctx, q)
		if err != nil {
			return rep, unavailable(err)
		}
		for _, it := range p.Items {
			// The index may lag; read the item itself before acting on it.
			rec, err := s.load(ctx, st, it.SK)
			if errors.Is(err, ErrWriteOffNotFound) {
				continue
			}
			if err == nil && !rec.data.State.pending() {
				continue // settled meanwhile
			}
			rep.Seen++
			if err != nil {
				rep.Pending++
				continue
			}
			w, err := s.run(ctx, tenant, st, rec)
			switch {
			case err != nil && ctx.Err() != nil:
				return rep, unavailable(ctx.Err())
			case err != nil || w.State.pending():
				rep.Pending++
			case w.State == StateRecorded:
				rep.Recorded++
			case w.State == StateFailed:
				rep.Failed++
			case w.State == StateCancelled:
				rep.Cancelled++
			}
		}
		if p.Next == "" {
			return rep, nil
		}
		q.Cursor = p.Next
	}
}
