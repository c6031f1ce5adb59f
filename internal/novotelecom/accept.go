package novotelecom

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

// DocumentType is the 1C document an accepted registry becomes.
type DocumentType string

// Document types.
const (
	// DocPayments is «Реестр "Мои счета"» in the receipts journal, with one «Платежи из БС»
	// per payment (the registry's Lines).
	DocPayments DocumentType = "PaymentsRegistry"
	// DocReadings is «Показания новые» in the accruals journal, one reading per line.
	DocReadings DocumentType = "NewReadings"
)

// Comment is what the seed's module writes into the documents it makes.
const Comment = "Принято из 'Мои Счета'"

// AcceptRequest accepts a received registry (one of Pending).
type AcceptRequest struct {
	RegistryID string `validate:"required,max=128"`
}

// Document is what acceptance made: the header of the 1C document; its lines (one payment or
// reading per registry line) are the registry's Lines.
type Document struct {
	ID           string // GUID, the same for every read of the same registry's document
	Type         DocumentType
	Title        string // the 1C document's name
	RegistryID   string
	File         string
	Number       int
	Date         time.Time // the registry's date (civil)
	Period       registry.Period
	Count        int64
	Sum          money.Decimal
	Comment      string
	Confirmation string    // the confirmation file queued in Outgoing
	Accepted     time.Time // UTC
}

// Accept accepts a received payments or readings registry, once: it records the document and
// queues a confirmation for Novotelecom in Outgoing (sent by the next exchange). A registry
// accepted already is refused with NOVOTELECOM_ALREADY_ACCEPTED; its document is still
// readable with Document. An acceptance interrupted by a crash is finished by the next call.
func (s *Service) Accept(ctx context.Context, tenant string, req AcceptRequest) (Document, error) {
	if err := s.validate(req); err != nil {
		return Document{}, err
	}
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Document{}, err
	}
	id := req.RegistryID
	if !validID(id) {
		return Document{}, errNoRegistry()
	}
	_, st, err := loadSettings(ctx, ts)
	if err != nil {
		return Document{}, err
	}
	// Claim: Awaiting → Accepting. Accepting stays claimable, so an interrupted acceptance can
	// be finished.
	claimed, err := moveFile(ctx, ts, id, nil, func(r *fileRecord, f Folder) (Folder, bool, error) {
		switch f {
		case FolderAwaiting:
			return FolderAccepting, true, nil
		case FolderAccepting:
			return f, false, nil
		case FolderAccepted:
			return f, false, alreadyAccepted(r)
		}
		return f, false, apperr.New(apperr.Conflict, "NOVOTELECOM_NOT_ACCEPTABLE", "Реестр "+r.Name+" не ожидает приёма")
	})
	if err != nil {
		return Document{}, storeErr(err, "реестр")
	}
	s.crash(StepAcceptClaimed)
	r := claimed.rec
	scale := int32(2)
	if r.Kind == registry.Readings {
		scale = 3
	}
	p, cur, err := s.replyPlan(ctx, ts, tenant, id, &claimed.item, registry.Confirm, scale)
	if err != nil {
		return Document{}, err
	}
	data, err := s.d.Blobs.Get(ctx, r.Blob)
	if err != nil {
		return Document{}, storeErr(err, "файл реестра")
	}
	if _, err := s.ensureOutgoing(ctx, ts, tenant, p, st.Charset, confirmations(records(data, r.Name, r.Kind))); err != nil {
		return Document{}, err
	}
	s.crash(StepAcceptQueued)
	now := s.now()
	doc := documentID(tenant, id)
	done, err := moveFile(ctx, ts, id, &cur, func(r *fileRecord, f Folder) (Folder, bool, error) {
		switch f {
		case FolderAccepting:
			r.Accepted, r.Document = now, doc
			return FolderAccepted, true, nil
		case FolderAccepted:
			return f, false, alreadyAccepted(r) // a concurrent call finished first
		}
		return f, false, apperr.New(apperr.Conflict, "NOVOTELECOM_NOT_ACCEPTABLE", "Реестр "+r.Name+" не ожидает приёма")
	})
	if err != nil {
		return Document{}, storeErr(err, "реестр")
	}
	// Accepted: its personal data is delivered, Accept never reads the file again.
	if err := s.keep(ctx, tenant, done.rec); err != nil {
		return Document{}, err
	}
	s.log.InfoContext(ctx, "novotelecom: registry accepted", "tenant", tenant, "file", done.rec.Name, "count", done.rec.Count)
	return document(id, done.rec), nil
}

func alreadyAccepted(r *fileRecord) *apperr.Error {
	return apperr.New(apperr.Conflict, "NOVOTELECOM_ALREADY_ACCEPTED",
		"Реестр "+r.Name+" уже принят; принятые реестры повторно не принимаются")
}

// Document returns the document of an accepted registry.
func (s *Service) Document(ctx context.Context, tenant, registryID string) (Document, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Document{}, err
	}
	if !validID(registryID) {
		return Document{}, errNoRegistry()
	}
	it, err := ts.Get(ctx, pkFile, registryID)
	if errors.Is(err, store.ErrNotFound) {
		return Document{}, errNoRegistry()
	}
	if err != nil {
		return Document{}, storeErr(err, "реестр")
	}
	r, folder, err := decodeFile(it)
	if err != nil {
		return Document{}, err
	}
	if folder != FolderAccepted {
		return Document{}, apperr.New(apperr.NotFound, "NOVOTELECOM_NO_DOCUMENT", "Реестр "+r.Name+" ещё не принят")
	}
	return document(registryID, r), nil
}

func document(id string, r *fileRecord) Document {
	d := Document{ID: r.Document, Type: DocPayments, Title: `Реестр "Мои счета"`, RegistryID: id, File: r.Name,
		Number: r.Number, Date: r.Date, Period: r.Period, Count: r.Count, Sum: r.Sum, Comment: Comment, Accepted: r.Accepted}
	if r.Kind == registry.Readings {
		d.Type, d.Title = DocReadings, "Показания новые"
	}
	if r.Reply != nil {
		d.Confirmation = r.Reply.name()
	}
	return d
}

// confirmations echoes each line of the accepted registry: line, account, amount or value.
func confirmations(recs iter.Seq[registry.Record]) iter.Seq[registry.Record] {
	return func(yield func(registry.Record) bool) {
		for rec := range recs {
			if !yield(registry.Record{RefLine: rec.Line, Account: rec.Account, Amount: rec.Amount}) {
				return
			}
		}
	}
}
