package emis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// pkRead + read id; SK "R": a scanned read taken (the idempotency record, ids only).
const pkRead = "EMIS#R#"

// Kinds of scanned reads.
const (
	ReadIdentity  = "identity"  // a passport or identity card: Documents.Identity
	ReadVisa      = "visa"      // a visa: Documents.Stay[0]
	ReadResidence = "residence" // a residence permit: Documents.Identity and Documents.Stay[0]
)

// ScannedRead is a document read by a scanner at the front desk (the scanner bridge, package
// bridge), already mapped to the document model.
type ScannedRead struct {
	LegalEntity, PersonID, BookingID string
	ReadID                           string    // the reader's TransactionID: the idempotency key
	Source                           string    // "bridge:<device id>"
	ReadAt                           time.Time //
	Kind                             string    // ReadIdentity, ReadVisa or ReadResidence
	Documents                        Documents // Identity for identity/residence reads, Stay[0] for visa/residence reads
	// Warnings are the read's own findings (chip checks, source disagreements, …). Fields
	// starting with "visa." concern the stay document (they show as "stay[i]. …").
	Warnings []Warning
}

// scanRecord says which parts of the stored documents came from scanned reads, with the
// reads' own warnings (no personal data: codes, field names, opaque ids).
type scanRecord struct {
	Identity *scanPart  `json:"i,omitempty"`
	Stay     []scanPart `json:"st,omitempty"` // parallel to Docs.Stay; a zero part: not scanned
}

type scanPart struct {
	ReadID   string    `json:"r,omitempty"`
	Source   string    `json:"src,omitempty"`
	ReadAt   time.Time `json:"at,omitzero"`
	Warnings []Warning `json:"w,omitempty"`
}

// warnings are the reads' warnings of the stored parts, stay ones named by their index.
func (r *scanRecord) warnings() []Warning {
	if r == nil {
		return nil
	}
	var out []Warning
	if r.Identity != nil {
		out = append(out, r.Identity.Warnings...)
	}
	for i, p := range r.Stay {
		for _, w := range p.Warnings {
			if rest, ok := strings.CutPrefix(w.Field, "visa."); ok {
				w.Field = "stay[" + strconv.Itoa(i) + "]." + rest
			}
			out = append(out, w)
		}
	}
	return out
}

type readRecord struct {
	Legal    string    `json:"le"`
	PersonID string    `json:"p"`
	At       time.Time `json:"at"`
}

var errReadConflict = apperr.New(apperr.Conflict, "EMIS_READ_CONFLICT",
	"Этот результат сканера уже прикреплён к другому гостю или организации")

// AttachRead merges a scanned read into the person's documents for the legal entity as a new
// local version: an identity read replaces Identity; a stay read replaces the stay document
// of the same kind and number, or adds one (at most 10, the oldest goes), and becomes the
// selected one. The version is sealed and stored like an EMIS version, reviewed like one (the
// read's warnings follow Review's in every Result until an EMIS version replaces the
// documents) and queued for delivery to the PMS like a callback.
//
// It is idempotent by ReadID (a conditional write per tenant and read): a read attached
// before changes nothing and returns the current result. The person must have been saved
// (SaveGuest), else ErrPersonNotSaved; the legal entity must exist and have EMIS.
//
// Versions: a local version takes the stored version + 1 and keeps the highest EMIS version
// applied; EMIS versions (callbacks, pulls) are compared with that EMIS version only, so a
// later EMIS version still replaces the scan (taking the next free number when a scan took
// its own), and an older EMIS version is ignored as before.
func (s *Service) AttachRead(ctx context.Context, tenant string, r ScannedRead) (Result, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Result{}, err
	}
	if !refRe.MatchString(r.PersonID) {
		return Result{}, ErrPersonNotSaved
	}
	if err := checkRead(r); err != nil {
		return Result{}, err
	}
	if err := s.valid.Struct(r.Documents); err != nil {
		return Result{}, invalidInput("EMIS_INVALID_INPUT", err)
	}
	le, err := s.entity(ctx, tenant, r.LegalEntity)
	if err != nil {
		return Result{}, err
	}
	g, err := s.guest(ctx, ts, tenant, r.PersonID)
	if err != nil {
		return Result{}, err
	}
	conf, err := s.conf(ctx, tenant)
	if err != nil {
		return Result{}, err
	}
	keep, err := s.keep(ctx, tenant, conf)
	if err != nil {
		return Result{}, err
	}
	now := s.clk.Now()

	readKey := pkRead + r.ReadID
	mark, _ := json.Marshal(readRecord{Legal: le.Ref, PersonID: r.PersonID, At: now.UTC()})
	_, err = ts.Put(ctx, store.Item{PK: readKey, SK: "R", Data: mark, ExpiresAt: now.Add(keep)}, store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return s.attachedBefore(ctx, tenant, ts, conf, le, r)
	}
	if err != nil {
		return Result{}, storeError(err)
	}

	booking := r.BookingID
	if booking == "" {
		booking = g.BookingID
	}
	a, err := s.write(ctx, ts, tenant, le.Ref, r.PersonID, keep, func(old *docRecord) (docRecord, Documents, error) {
		return s.merge(ctx, tenant, le.Ref, r, booking, old, now)
	})
	if err != nil {
		// Not taken: the bridge's retry must be able to attach it.
		_ = ts.Delete(context.WithoutCancel(ctx), readKey, "R")
		return Result{}, err
	}
	s.log.InfoContext(ctx, "scanned read attached", "tenant", tenant, "legal", le.Ref, "read", r.ReadID,
		"source", r.Source, "kind", r.Kind, "version", a.rec.Version)
	// A failure here leaves the read taken and the version stored: the retry finds it
	// attached and queues again (queue is idempotent).
	if _, err := s.queueAndPush(ctx, tenant, ts, conf, le.Ref, r.PersonID, a); err != nil {
		return Result{}, err
	}
	return s.result(ctx, tenant, le, r.PersonID, a.rec)
}

// attachedBefore answers a read taken before: the current documents, its delivery queued.
func (s *Service) attachedBefore(ctx context.Context, tenant string, ts store.Store, conf tenantConf, le LegalEntity, r ScannedRead) (Result, error) {
	it, err := ts.Get(ctx, pkRead+r.ReadID, "R")
	if err != nil {
		return Result{}, storeError(err)
	}
	var mark readRecord
	if err := json.Unmarshal(it.Data, &mark); err != nil {
		return Result{}, storeError(err)
	}
	if mark.Legal != le.Ref || mark.PersonID != r.PersonID {
		return Result{}, errReadConflict
	}
	item, rec, err := s.load(ctx, ts, le.Ref, r.PersonID)
	if err != nil {
		return Result{}, err
	}
	if err := s.queue(ctx, ts, conf, le.Ref, r.PersonID, applied{item: item, rec: rec}); err != nil {
		return Result{}, err
	}
	return s.result(ctx, tenant, le, r.PersonID, rec)
}

func checkRead(r ScannedRead) error {
	bad := func(msg string) error { return apperr.New(apperr.Invalid, "EMIS_INVALID_INPUT", msg) }
	switch {
	case !refRe.MatchString(r.ReadID):
		return bad("Идентификатор результата сканера: от 1 до 64 латинских букв, цифр и знаков . _ : -")
	case r.BookingID != "" && !refRe.MatchString(r.BookingID):
		return bad("Номер бронирования: от 1 до 64 латинских букв, цифр и знаков . _ : -")
	case len(r.Source) > 100 || strings.ContainsFunc(r.Source, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		return bad("Источник результата сканера: до 100 символов")
	case len(r.Warnings) > 100:
		return bad("Слишком много предупреждений в результате сканера")
	}
	switch r.Kind {
	case ReadIdentity:
		if len(r.Documents.Stay) != 0 {
			return bad("Результат сканера паспорта не содержит визы или вида на жительство")
		}
	case ReadVisa, ReadResidence:
		if len(r.Documents.Stay) != 1 {
			return bad("Результат сканера визы или вида на жительство содержит один документ на пребывание")
		}
	default:
		return bad("Вид результата сканера: identity, visa или residence")
	}
	return nil
}

// merge makes the local version of a read over the stored record (nil: none).
func (s *Service) merge(ctx context.Context, tenant, legal string, r ScannedRead, booking string, old *docRecord, now time.Time) (docRecord, Documents, error) {
	var (
		docs Documents
		scan scanRecord
		ev   int64
		ver  int64 = 1
	)
	if old != nil {
		var err error
		if docs, err = s.openDocs(ctx, tenant, legal, r.PersonID, old.Docs); err != nil {
			return docRecord{}, Documents{}, err
		}
		if old.Scan != nil {
			scan.Identity = old.Scan.Identity
			scan.Stay = append([]scanPart(nil), old.Scan.Stay...)
		}
		ev, ver = old.emisVersion(), old.Version+1
		if booking == "" {
			booking = old.BookingID
		}
	}
	part := scanPart{ReadID: r.ReadID, Source: r.Source, ReadAt: r.ReadAt.UTC()}
	var idWarn, stayWarn []Warning
	for _, w := range r.Warnings {
		if r.Kind == ReadVisa || strings.HasPrefix(w.Field, "visa.") {
			stayWarn = append(stayWarn, w)
		} else {
			idWarn = append(idWarn, w)
		}
	}
	if r.Kind == ReadIdentity || r.Kind == ReadResidence {
		docs.Identity = r.Documents.Identity
		p := part
		p.Warnings = idWarn
		scan.Identity = &p
	}
	if r.Kind == ReadVisa || r.Kind == ReadResidence {
		st := r.Documents.Stay[0]
		for len(scan.Stay) < len(docs.Stay) {
			scan.Stay = append(scan.Stay, scanPart{})
		}
		scan.Stay = scan.Stay[:len(docs.Stay)]
		p := part
		p.Warnings = stayWarn
		idx := -1
		for i, have := range docs.Stay {
			if have.Kind == st.Kind && have.Number != "" && have.Number == st.Number {
				idx = i
			}
		}
		if idx >= 0 {
			docs.Stay[idx], scan.Stay[idx] = st, p
		} else {
			docs.Stay, scan.Stay = append(docs.Stay, st), append(scan.Stay, p)
			if len(docs.Stay) > maxStay {
				docs.Stay, scan.Stay = docs.Stay[1:], scan.Stay[1:]
			}
			idx = len(docs.Stay) - 1
		}
		// The document scanned last is the one chosen for this stay.
		for i := range docs.Stay {
			docs.Stay[i].Selected = i == idx
		}
	}
	if p := r.Documents.Visit.Purpose; p != "" && docs.Visit.Purpose == "" {
		docs.Visit.Purpose = p
	}
	return docRecord{Version: ver, Emis: &ev, SavedAt: now.UTC(), BookingID: booking, Scan: &scan}, docs, nil
}

// maxStay is the most stay documents a person's documents hold (Documents.Stay).
const maxStay = 10
