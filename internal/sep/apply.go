package sep

import (
	"context"
	"errors"
	"time"

	"github.com/stykovka/stykovka/internal/store"
)

// applyResult applies a completed answer. Every write is keyed by what SEP returned and
// replaces what the same answer wrote before, so applying it twice changes nothing.
func (s *Service) applyResult(ctx context.Context, tv store.Store, e entryRec, res Result, code string, now time.Time) error {
	st, err := settingsOf(ctx, tv)
	if err != nil {
		return err
	}
	for _, a := range res.Applications {
		rec, err := upsertApplication(ctx, tv, st, a, e.ID, now)
		if err != nil {
			return err
		}
		if err := s.applyAssetStatus(ctx, tv, st, rec, e.ID, now); err != nil {
			return err
		}
		if err := lettersDone(ctx, tv, a.Number); err != nil {
			return err
		}
		if e.LeaseID != "" {
			if err := updateLease(ctx, tv, e.LeaseID, func(l *LeaseApplication) {
				l.Number, l.Status, l.Errors, l.Updated = a.Number, a.Status, nil, now
				if p, ok := a.Party(RoleLessor); ok {
					l.LessorStatus = p.Status
				}
				if p, ok := a.Party(RoleLessee); ok {
					l.LesseeStatus = p.Status
				}
			}); err != nil {
				return err
			}
		}
	}
	if e.Type == ReqConfirm {
		if err := markCodeUsed(ctx, tv, e.ApplicationNumber, code); err != nil {
			return err
		}
	}
	if e.LetterID != "" {
		return updateLetter(ctx, tv, e.LetterID, func(l *Letter) {
			l.Status, l.Error = LetterDone, ""
			l.Applications = append([]string(nil), e.Applications...)
		})
	}
	return nil
}

// applyRejection records on the request's objects that SEP rejected it or that it failed.
func (s *Service) applyRejection(ctx context.Context, tv store.Store, e entryRec, now time.Time) error {
	if e.LeaseID != "" {
		if err := updateLease(ctx, tv, e.LeaseID, func(l *LeaseApplication) {
			l.Errors, l.Updated = e.Errors, now
			if e.Type == ReqLease {
				l.Status = LeaseRefused
			}
		}); err != nil {
			return err
		}
	}
	if e.LetterID != "" {
		return updateLetter(ctx, tv, e.LetterID, func(l *Letter) {
			// Back to the letters to process, with the reason.
			l.Status = LetterNew
			if len(e.Errors) > 0 {
				l.Error = e.Errors[0].Message
			}
		})
	}
	return nil
}

func settingsOf(ctx context.Context, tv store.Store) (Settings, error) {
	v, it, err := getJSON[Settings](ctx, tv, pkSettings, "settings", errNone)
	if errors.Is(err, errNone) {
		return Settings{}, nil
	}
	v.Version = it.Version
	return v, err
}

// upsertApplication stores SEP's data of an application, unless what is stored is newer (an
// older request answered late), and links it to fixed assets and responsible persons.
func upsertApplication(ctx context.Context, tv store.Store, st Settings, a Application, entryID string, now time.Time) (ApplicationRecord, error) {
	var out ApplicationRecord
	_, err := store.Mutate(ctx, tv, pkApp, a.Number, func(cur *store.Item) (store.Item, error) {
		rec := ApplicationRecord{Application: a, Received: now}
		if cur != nil {
			old, err := decodeJSON[ApplicationRecord](*cur)
			if err != nil {
				return store.Item{}, err
			}
			rec = old
			if !a.Updated.Before(old.Updated) {
				rec.Application = a
			}
		}
		rec.Refreshed = now
		if rec.LastEntryID == "" {
			rec.LastEntryID = entryID
		}
		for _, p := range rec.Parties {
			if st.ours(p.INN) {
				rec.OrganisationINN = p.INN
				break
			}
		}
		rec.AssetIDs, rec.ResponsibleIDs = nil, nil
		for _, v := range rec.Vehicles {
			assets, err := findAssets(ctx, tv, v.VIN, v.EPTS)
			if err != nil {
				return store.Item{}, err
			}
			for _, as := range assets {
				rec.AssetIDs = appendUnique(rec.AssetIDs, as.ID)
				if as.ResponsibleID != "" {
					rec.ResponsibleIDs = appendUnique(rec.ResponsibleIDs, as.ResponsibleID)
				}
			}
		}
		if len(rec.ResponsibleIDs) == 0 && st.SEPResponsibleID != "" {
			rec.ResponsibleIDs = []string{st.SEPResponsibleID}
		}
		out = rec
		return appItem(rec), nil
	})
	return out, storeErr(err)
}

// applyAssetStatus sets the status an executed application gives the tenant's assets:
// "В собственности" when one of its organisations became the owner, "В лизинге" when it
// leased them out.
func (s *Service) applyAssetStatus(ctx context.Context, tv store.Store, st Settings, rec ApplicationRecord, entryID string, now time.Time) error {
	if rec.Status != AppExecuted {
		return nil
	}
	var status string
	switch rec.Type {
	case OwnershipChange:
		if p, ok := rec.Party(RoleNewOwner); ok && st.ours(p.INN) {
			status = AssetOwned
		}
	case Lease:
		if p, ok := rec.Party(RoleLessor); ok && st.ours(p.INN) {
			status = AssetLeased
		}
	}
	if status == "" {
		return nil
	}
	period := rec.Executed
	if period.IsZero() {
		period = rec.Updated
	}
	for _, id := range rec.AssetIDs {
		if err := putAssetStatus(ctx, tv, AssetStatusRecord{Period: period.UTC().Truncate(time.Second), AssetID: id,
			Status: status, ApplicationNumber: rec.Number, EntryID: entryID, Recorded: now}); err != nil {
			return err
		}
	}
	return nil
}

func updateLease(ctx context.Context, tv store.Store, id string, fn func(*LeaseApplication)) error {
	_, err := store.Mutate(ctx, tv, pkLease, id, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, ErrLeaseNotFound
		}
		l, err := decodeJSON[LeaseApplication](*cur)
		if err != nil {
			return store.Item{}, err
		}
		fn(&l)
		return leaseItem(l), nil
	})
	if errors.Is(err, ErrLeaseNotFound) {
		return nil // deleted meanwhile: nothing to record on
	}
	return storeErr(err)
}

// lettersDone marks the code letters of an application processed: its data has arrived.
func lettersDone(ctx context.Context, tv store.Store, number string) error {
	p, err := tv.Query(ctx, store.Query{Index: store.GSI1, PK: gsiCodeApp, Prefix: number + "#", Limit: 100})
	if err != nil {
		return storeErr(err)
	}
	for _, it := range p.Items {
		c, err := decodeJSON[CodeRecord](it)
		if err != nil {
			return err
		}
		if c.Manual {
			continue
		}
		if err := updateLetter(ctx, tv, c.LetterID, func(l *Letter) {
			if l.Status == LetterNew || l.Status == LetterRequested {
				l.Status, l.Error = LetterDone, ""
				l.Applications = appendUnique(l.Applications, number)
			}
		}); err != nil {
			return err
		}
	}
	return nil
}
