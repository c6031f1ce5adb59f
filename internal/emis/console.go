package emis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// ActivityRow is one person's stored documents as the operator console lists them: ids, the
// EMIS session that saved the version, its delivery to the PMS and the checks' warnings. The
// personal data in it is masked here, in the domain: the surname's first letter and the
// document number's last two characters are all that leave it.
type ActivityRow struct {
	PersonID    string
	LegalEntity string
	BookingID   string
	SessionID   string // the EMIS session whose callback saved this version ("" when pulled)
	Version     int64
	SavedAt     time.Time
	Queued      bool // a delivery of this version to the PMS is queued
	Delivered   bool // this version was delivered to the PMS
	// NameMasked is "W***" (the surname's first letter), "" without a name.
	NameMasked string
	// DocumentMasked is the document's kind and "…12" (its number's last two characters).
	DocumentMasked string
	Warnings       []Warning
}

// ActivityPage is one page of Activity.
type ActivityPage struct {
	Items []ActivityRow
	Next  string
}

// Activity lists a tenant's stored documents for the operator console, in person order,
// masked (see ActivityRow). It pulls nothing from EMIS. Read-only.
func (s *Service) Activity(ctx context.Context, tenant string, limit int, cursor string) (ActivityPage, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return ActivityPage{}, err
	}
	page, err := ts.Query(ctx, store.Query{Index: store.GSI2, PK: gsiDocs, Limit: limit, Cursor: cursor})
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return ActivityPage{}, apperr.Wrap(err, apperr.Invalid, "EMIS_QUERY", "Неверные параметры выборки")
		}
		return ActivityPage{}, storeError(err)
	}
	entities := map[string]LegalEntity{}
	out := ActivityPage{Next: page.Next, Items: make([]ActivityRow, 0, len(page.Items))}
	for _, it := range page.Items {
		person, legal, _ := strings.Cut(it.GSI2SK, "#")
		le, ok := entities[legal]
		if !ok {
			le, err = s.legal.EmisEntity(ctx, tenant, legal)
			if err != nil {
				le = LegalEntity{Ref: legal, Script: Cyrillic}
			}
			entities[legal] = le
		}
		var rec docRecord
		if err := json.Unmarshal(it.Data, &rec); err != nil {
			return ActivityPage{}, storeError(err)
		}
		res, err := s.result(ctx, tenant, le, person, rec)
		if err != nil {
			return ActivityPage{}, err
		}
		v := strconv.FormatInt(rec.Version, 10)
		out.Items = append(out.Items, ActivityRow{
			PersonID: person, LegalEntity: legal, BookingID: rec.BookingID, SessionID: rec.SessionID,
			Version: rec.Version, SavedAt: rec.SavedAt,
			Queued: it.Attrs[attrQueued] == v, Delivered: it.Attrs[attrDelivered] == v,
			NameMasked:     maskName(res.Name.Surname),
			DocumentMasked: maskDocument(res.Documents.Identity),
			Warnings:       res.Warnings,
		})
	}
	return out, nil
}

// PendingDeliveries counts the deliveries to the PMS waiting in the outbox (up to 1000).
func (s *Service) PendingDeliveries(ctx context.Context, tenant string) (int, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return 0, err
	}
	page, err := ts.Query(ctx, store.Query{PK: pkOutbox, Limit: store.MaxQueryLimit})
	if err != nil {
		return 0, storeError(err)
	}
	return len(page.Items), nil
}

// maskName keeps a surname's first letter: "WAGNER" → "W***".
func maskName(surname string) string {
	surname = strings.TrimSpace(surname)
	if surname == "" {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(surname)
	return string(r) + "***"
}

// maskDocument names the document's kind and its number's last two characters.
func maskDocument(id Identity) string {
	kind := DocumentTypes[id.TypeCode]
	if kind == "" {
		kind = "Документ"
	}
	n := []rune(strings.TrimSpace(id.Number))
	if len(n) == 0 {
		return kind
	}
	if len(n) > 2 {
		n = n[len(n)-2:]
	}
	return kind + " №…" + string(n)
}
