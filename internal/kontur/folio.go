package kontur

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/store"
)

// A folio item holds what the hub has written off (or is writing off) a folio, so that
// concurrent write-offs with different RequestIds cannot together pass the folio's cap. It is
// advanced by versioned writes; entries are keyed by RequestId, so reserving and releasing are
// idempotent and any process may repeat them.

// folioTTL: a folio item is refreshed on every write and forgotten a year after the last.
const folioTTL = 400 * 24 * time.Hour

type folioData struct {
	// Base is the largest |saldo| seen for the folio: the debt the cap is a share of.
	Base    money.Decimal         `json:"base"`
	Entries map[string]folioEntry `json:"entries"` // by RequestId
}

type folioEntry struct {
	Ref    string        `json:"ref"` // the write-off
	Type   string        `json:"pt"`  // payment type Ref
	Amount money.Decimal `json:"amount"`
}

// held is what the folio has written off, or is writing off, with the payment type.
func (f folioData) held(pt string) money.Decimal {
	var sum money.Decimal
	for _, e := range f.Entries {
		if e.Type == pt {
			sum = sum.Add(e.Amount)
		}
	}
	return sum
}

// folio reads the folio item; version 0 means it does not exist yet.
func (s *Service) folio(ctx context.Context, st store.Store, id string) (folioData, int64, error) {
	it, err := st.Get(ctx, pkFolio, id)
	if errors.Is(err, store.ErrNotFound) {
		return folioData{Entries: map[string]folioEntry{}}, 0, nil
	}
	if err != nil {
		return folioData{}, 0, err
	}
	var f folioData
	if err := json.Unmarshal(it.Data, &f); err != nil {
		return folioData{}, 0, fmt.Errorf("kontur: folio item: %w", err)
	}
	if f.Entries == nil {
		f.Entries = map[string]folioEntry{}
	}
	return f, it.Version, nil
}

func (s *Service) putFolio(ctx context.Context, st store.Store, id string, f folioData, version int64) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	cond := store.NotExists()
	if version != 0 {
		cond = store.VersionIs(version)
	}
	_, err = st.Put(ctx, store.Item{PK: pkFolio, SK: id, Data: data, ExpiresAt: s.clk.Now().Add(folioTTL)}, cond)
	return err
}

// reservation is the answer of reserve.
type reservation struct {
	ok    bool
	full  bool          // the folio has too many write-offs
	limit money.Decimal // the cap
	held  money.Decimal // what others hold of it
}

// reserve takes the write-off's amount out of the folio's cap, or reports that it does not
// fit. A write-off that already holds its reservation gets ok without a write.
func (s *Service) reserve(ctx context.Context, st store.Store, d woData) (reservation, error) {
	healed := false
	for attempt := 0; attempt < 20; attempt++ {
		f, version, err := s.folio(ctx, st, d.FolioID)
		if err != nil {
			return reservation{}, err
		}
		if _, ok := f.Entries[d.RequestID]; ok {
			return reservation{ok: true}, nil
		}
		limit := folioLimit(f.Base, d.Saldo, d.MaxPercent, d.Scale)
		held := f.held(d.PaymentType)
		if held.Add(d.Amount).Cmp(limit) > 0 || len(f.Entries) >= s.opts.MaxFolioWriteOffs {
			// Entries of write-offs that failed or were cancelled are released right after;
			// one left by a crash in between would block the folio, so look before refusing.
			if !healed {
				healed = true
				stale, err := s.staleEntries(ctx, st, f, d.RequestID)
				if err != nil {
					return reservation{}, err
				}
				if len(stale) > 0 {
					for _, rid := range stale {
						delete(f.Entries, rid)
					}
					if err := s.putFolio(ctx, st, d.FolioID, f, version); err != nil && !errors.Is(err, store.ErrConditionFailed) {
						return reservation{}, err
					}
					continue
				}
			}
			return reservation{limit: limit, held: held, full: len(f.Entries) >= s.opts.MaxFolioWriteOffs}, nil
		}
		if debt := abs(d.Saldo); debt.Cmp(f.Base) > 0 {
			f.Base = debt
		}
		f.Entries[d.RequestID] = folioEntry{Ref: d.Ref, Type: d.PaymentType, Amount: d.Amount}
		err = s.putFolio(ctx, st, d.FolioID, f, version)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return reservation{}, err
		}
		return reservation{ok: true}, nil
	}
	return reservation{}, fmt.Errorf("%w: folio contention", store.ErrConditionFailed)
}

// staleEntries lists the entries (other than self's) whose write-off has failed or was
// cancelled, or does not exist.
func (s *Service) staleEntries(ctx context.Context, st store.Store, f folioData, self string) ([]string, error) {
	var stale []string
	for rid, e := range f.Entries {
		if rid == self {
			continue
		}
		rec, err := s.load(ctx, st, e.Ref)
		if errors.Is(err, ErrWriteOffNotFound) {
			stale = append(stale, rid)
			continue
		}
		if err != nil {
			return nil, err
		}
		if state := rec.data.State; state == StateFailed || state == StateCancelled {
			stale = append(stale, rid)
		}
	}
	return stale, nil
}

// release gives the write-off's reservation back to the folio; it is idempotent.
func (s *Service) release(ctx context.Context, st store.Store, d woData) error {
	for attempt := 0; attempt < 20; attempt++ {
		f, version, err := s.folio(ctx, st, d.FolioID)
		if err != nil {
			return err
		}
		if _, ok := f.Entries[d.RequestID]; !ok {
			return nil
		}
		delete(f.Entries, d.RequestID)
		err = s.putFolio(ctx, st, d.FolioID, f, version)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		return err
	}
	return fmt.Errorf("%w: folio contention", store.ErrConditionFailed)
}
