package sep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// The seven SEP registers of the seed, as information registers for 1C:
//
//	История обмена СЭП         History            (one record per call to SEP)
//	Очередь обмена СЭП         Queue              (queue entries, queue.go)
//	Коды подтверждений СЭП     Codes              (codes from letters, or typed by hand)
//	Статусы основных средств   AssetStatuses      (periodic; SliceLast)
//	Данные заявлений (СЭП)     Applications       (what SEP reported of each application)
//	Ошибки обмена СЭП          Errors             (every error, by the id of its source)
//	Заявления о лизинге        LeaseApplications  (every lease application sent)
//
// Each lists in key order with a cursor; times are UTC.

// HistoryRecord is one call to SEP.
type HistoryRecord struct {
	Time            time.Time   `json:"time"`
	EntryID         string      `json:"entry"`
	Call            int         `json:"call"`
	Operation       string      `json:"operation"` // SendRequest or GetResult
	RequestType     RequestType `json:"type"`
	OrganisationINN string      `json:"organisation"`
	Subject         string      `json:"subject"`
	QueueID         string      `json:"queueId,omitempty"`
	// Answer: QueueId, a result state, or an error code.
	Answer string `json:"answer"`
}

func (s *Service) history(e entryRec, now time.Time, op string, call int) HistoryRecord {
	return HistoryRecord{Time: now, EntryID: e.ID, Call: call, Operation: op, RequestType: e.Type,
		OrganisationINN: e.OrganisationINN, Subject: e.Subject, QueueID: e.QueueID}
}

func putHistory(ctx context.Context, tv store.Store, h HistoryRecord) error {
	_, err := tv.Put(ctx, store.Item{PK: pkHistory, SK: fmt.Sprintf("%s#%s#%04d", tkey(h.Time), h.EntryID, h.Call), Data: putJSON(h)})
	return storeErr(err)
}

// History lists the exchange history by time.
func (s *Service) History(ctx context.Context, tenant string, pr PageRequest) (Page[HistoryRecord], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[HistoryRecord]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkHistory}, pr, decodeJSON[HistoryRecord])
}

// ErrorRecord is an error of the exchange, by the id of its source: a queue entry (the
// client request id SEP knows) or a letter ("mail:<id>").
type ErrorRecord struct {
	Time        time.Time   `json:"time"`
	Source      string      `json:"source"`
	Seq         int         `json:"seq"`
	Operation   string      `json:"operation"`
	RequestType RequestType `json:"type,omitempty"`
	QueueID     string      `json:"queueId,omitempty"`
	Code        string      `json:"code"`
	Message     string      `json:"message"`
}

func errorRecord(e Entry, now time.Time, op string, seq int, re RemoteError) ErrorRecord {
	return ErrorRecord{Time: now, Source: e.ID, Seq: seq, Operation: op, RequestType: e.Type, QueueID: e.QueueID,
		Code: re.Code, Message: re.Message}
}

func putError(ctx context.Context, tv store.Store, r ErrorRecord) error {
	_, err := tv.Put(ctx, store.Item{PK: pkError, SK: fmt.Sprintf("%s#%s#%06d", tkey(r.Time), r.Source, r.Seq), Data: putJSON(r)})
	return storeErr(err)
}

// Errors lists the exchange errors by time.
func (s *Service) Errors(ctx context.Context, tenant string, pr PageRequest) (Page[ErrorRecord], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[ErrorRecord]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkError}, pr, decodeJSON[ErrorRecord])
}

// CodeRecord is a confirmation code from a letter, or typed by hand.
type CodeRecord struct {
	Received          time.Time `json:"received"`
	LetterID          string    `json:"letter"`
	EPTS              string    `json:"epts"`
	VIN               string    `json:"vin,omitempty"`
	ApplicationNumber string    `json:"application,omitempty"`
	Code              string    `json:"code"`
	AssetID           string    `json:"asset,omitempty"`
	Manual            bool      `json:"manual,omitempty"`
	Used              bool      `json:"used,omitempty"`
}

func codeItem(c CodeRecord) store.Item {
	it := store.Item{PK: pkCode, SK: tkey(c.Received) + "#" + c.LetterID, Data: putJSON(c)}
	if c.ApplicationNumber != "" {
		it.GSI1PK, it.GSI1SK = gsiCodeApp, c.ApplicationNumber+"#"+tkey(c.Received)
	}
	if c.EPTS != "" {
		it.GSI2PK, it.GSI2SK = gsiCodeEPT, c.EPTS+"#"+tkey(c.Received)
	}
	return it
}

// Codes lists the confirmation codes by time.
func (s *Service) Codes(ctx context.Context, tenant string, pr PageRequest) (Page[CodeRecord], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[CodeRecord]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkCode}, pr, decodeJSON[CodeRecord])
}

// latestCode returns the newest unused code for an application (by number, else by any of
// its passports), or "".
func latestCode(ctx context.Context, tv store.Store, number string, epts []string) (CodeRecord, error) {
	look := func(ix store.Index, pk, prefix string) (CodeRecord, bool, error) {
		p, err := tv.Query(ctx, store.Query{Index: ix, PK: pk, Prefix: prefix + "#", Desc: true, Limit: 20})
		if err != nil {
			return CodeRecord{}, false, storeErr(err)
		}
		for _, it := range p.Items {
			c, err := decodeJSON[CodeRecord](it)
			if err != nil {
				return CodeRecord{}, false, err
			}
			// A code letter without a number is for whichever application of its EPTS is
			// open; one with a number only for that one.
			if !c.Used && c.Code != "" && (c.ApplicationNumber == "" || c.ApplicationNumber == number) {
				return c, true, nil
			}
		}
		return CodeRecord{}, false, nil
	}
	if number != "" {
		if c, ok, err := look(store.GSI1, gsiCodeApp, number); err != nil || ok {
			return c, err
		}
	}
	for _, e := range epts {
		if c, ok, err := look(store.GSI2, gsiCodeEPT, e); err != nil || ok {
			return c, err
		}
	}
	return CodeRecord{}, nil
}

// markCodeUsed marks the code records of an application with this code as used.
func markCodeUsed(ctx context.Context, tv store.Store, number, code string) error {
	if code == "" {
		return nil
	}
	p, err := tv.Query(ctx, store.Query{Index: store.GSI1, PK: gsiCodeApp, Prefix: number + "#", Limit: 100})
	if err != nil {
		return storeErr(err)
	}
	for _, it := range p.Items {
		c, err := decodeJSON[CodeRecord](it)
		if err != nil || c.Code != code || c.Used {
			continue
		}
		c.Used = true
		if _, err := tv.Put(ctx, codeItem(c)); err != nil {
			return storeErr(err)
		}
	}
	return nil
}

// AssetStatusRecord is a record of the periodic register of asset statuses: the status holds
// from Period until the asset's next record.
type AssetStatusRecord struct {
	Period            time.Time `json:"period"`
	AssetID           string    `json:"asset"`
	Status            string    `json:"status"`
	ApplicationNumber string    `json:"application"`
	EntryID           string    `json:"entry,omitempty"`
	Recorded          time.Time `json:"recorded"`
}

func statusSK(r AssetStatusRecord) string { return tkey(r.Period) + "#" + r.ApplicationNumber }

// putAssetStatus records a status; keyed by asset, period and application, so that applying
// the same answer again rewrites the same record.
func putAssetStatus(ctx context.Context, tv store.Store, r AssetStatusRecord) error {
	sk := statusSK(r)
	if _, err := tv.Put(ctx, store.Item{PK: pkStatus + r.AssetID, SK: sk, Data: putJSON(r),
		GSI1PK: gsiStatus, GSI1SK: tkey(r.Period) + "#" + r.AssetID + "#" + r.ApplicationNumber}); err != nil {
		return storeErr(err)
	}
	// The asset's latest record, so SliceLast at "now" reads one item per asset.
	_, err := store.Mutate(ctx, tv, pkStatCur, r.AssetID, func(cur *store.Item) (store.Item, error) {
		if cur != nil && cur.Attrs["sk"] > sk {
			return store.Item{}, errNone
		}
		return store.Item{Data: putJSON(r), Attrs: map[string]string{"sk": sk}}, nil
	})
	if errors.Is(err, errNone) {
		return nil
	}
	return storeErr(err)
}

// AssetStatusQuery selects records of the asset-status register.
type AssetStatusQuery struct {
	PageRequest
	AssetID string `json:"asset" validate:"omitempty,sepid"` // "" for every asset, by period
}

// AssetStatuses lists the asset-status register: one asset's records by period, or every
// record by period.
func (s *Service) AssetStatuses(ctx context.Context, tenant string, q AssetStatusQuery) (Page[AssetStatusRecord], error) {
	if err := check(q); err != nil {
		return Page[AssetStatusRecord]{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Page[AssetStatusRecord]{}, err
	}
	sq := store.Query{Index: store.GSI1, PK: gsiStatus}
	if q.AssetID != "" {
		sq = store.Query{PK: pkStatus + q.AssetID}
	}
	return listPage(ctx, tv, sq, q.PageRequest, decodeJSON[AssetStatusRecord])
}

// SliceLastQuery asks for the last status of each asset at a moment (1C's
// InformationRegister_X/SliceLast(Period=…)).
type SliceLastQuery struct {
	PageRequest
	At      time.Time `json:"at"`                               // zero: now
	AssetID string    `json:"asset" validate:"omitempty,sepid"` // "" for every asset
}

// SliceLast returns, per asset, the status record in force at q.At. Every asset with a status
// is one item of a partition of latest records; only assets whose latest record is after At
// cost one more query, into their own history.
func (s *Service) SliceLast(ctx context.Context, tenant string, q SliceLastQuery) (Page[AssetStatusRecord], error) {
	if err := check(q); err != nil {
		return Page[AssetStatusRecord]{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Page[AssetStatusRecord]{}, err
	}
	at := q.At
	if at.IsZero() {
		at = s.now()
	}
	if q.AssetID != "" {
		r, ok, err := statusAt(ctx, tv, q.AssetID, at)
		if err != nil || !ok {
			return Page[AssetStatusRecord]{Items: []AssetStatusRecord{}}, err
		}
		return Page[AssetStatusRecord]{Items: []AssetStatusRecord{r}}, nil
	}
	page, err := listPage(ctx, tv, store.Query{PK: pkStatCur}, q.PageRequest, decodeJSON[AssetStatusRecord])
	if err != nil {
		return page, err
	}
	out := page.Items[:0]
	for _, r := range page.Items {
		if r.Period.After(at) {
			var ok bool
			if r, ok, err = statusAt(ctx, tv, r.AssetID, at); err != nil {
				return Page[AssetStatusRecord]{}, err
			} else if !ok {
				continue
			}
		}
		out = append(out, r)
	}
	page.Items = out
	return page, nil
}

func statusAt(ctx context.Context, tv store.Store, assetID string, at time.Time) (AssetStatusRecord, bool, error) {
	p, err := tv.Query(ctx, store.Query{PK: pkStatus + assetID, To: tkey(at) + "#" + maxSuffix, Desc: true, Limit: 1})
	if err != nil {
		return AssetStatusRecord{}, false, storeErr(err)
	}
	if len(p.Items) == 0 {
		return AssetStatusRecord{}, false, nil
	}
	r, err := decodeJSON[AssetStatusRecord](p.Items[0])
	return r, err == nil, err
}

// currentStatus is the asset's status now ("" when none).
func currentStatus(ctx context.Context, tv store.Store, assetID string, now time.Time) (string, error) {
	r, ok, err := statusAt(ctx, tv, assetID, now)
	if err != nil || !ok {
		return "", err
	}
	return r.Status, nil
}

// ApplicationRecord is what SEP reported of an application, with the fixed assets and
// responsible persons it concerns (register «Данные заявлений (СЭП)»).
type ApplicationRecord struct {
	Application
	// OrganisationINN is the tenant's organisation among the parties.
	OrganisationINN string    `json:"organisation,omitempty"`
	AssetIDs        []string  `json:"assets,omitempty"`
	ResponsibleIDs  []string  `json:"responsibles,omitempty"`
	Received        time.Time `json:"received"`
	Refreshed       time.Time `json:"refreshed"`
	// LastEntryID is the latest request about this application; RequestStatus its status.
	LastEntryID   string `json:"lastEntry,omitempty"`
	RequestStatus Status `json:"requestStatus,omitempty"`
	Version       int64  `json:"-"`
}

func appItem(r ApplicationRecord) store.Item {
	it := store.Item{PK: pkApp, SK: r.Number, Data: putJSON(r)}
	if !r.Final() {
		it.GSI1PK, it.GSI1SK = gsiAppOpen, string(r.Type)+"#"+r.Number
	}
	return it
}

// Applications lists the application data by number.
func (s *Service) Applications(ctx context.Context, tenant string, pr PageRequest) (Page[ApplicationRecord], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[ApplicationRecord]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkApp}, pr, func(it store.Item) (ApplicationRecord, error) {
		return decodeApp(ctx, tv, it)
	})
}

// ApplicationData returns one application's data.
func (s *Service) ApplicationData(ctx context.Context, tenant, number string) (ApplicationRecord, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return ApplicationRecord{}, err
	}
	it, err := tv.Get(ctx, pkApp, number)
	if errors.Is(err, store.ErrNotFound) {
		return ApplicationRecord{}, ErrAppNotFound
	}
	if err != nil {
		return ApplicationRecord{}, storeErr(err)
	}
	return decodeApp(ctx, tv, it)
}

func decodeApp(ctx context.Context, tv store.Store, it store.Item) (ApplicationRecord, error) {
	r, err := decodeJSON[ApplicationRecord](it)
	if err != nil {
		return r, err
	}
	r.Version = it.Version
	r.RequestStatus, err = requestStatus(ctx, tv, r.LastEntryID)
	return r, err
}

// requestStatus reads the status of a queue entry ("" for none), for rows that show the
// status of their latest request.
func requestStatus(ctx context.Context, tv store.Store, entryID string) (Status, error) {
	if entryID == "" {
		return "", nil
	}
	e, err := getEntry(ctx, tv, entryID)
	if errors.Is(err, ErrEntryNotFound) {
		return "", nil
	}
	return e.Status, err
}

// Lease application states before and beside SEP's own statuses.
const (
	LeaseSending = "Отправляется"
	LeaseRefused = "Не принято СЭП"
)

// LeaseApplication is a lease application the hub sent (register «Заявления о лизинге»).
type LeaseApplication struct {
	ID              string    `json:"id"`
	ContractID      string    `json:"contract"`
	OrganisationINN string    `json:"organisation"`
	LesseeINN       string    `json:"lesseeInn"`
	LesseeName      string    `json:"lesseeName,omitempty"`
	DocNumber       string    `json:"docNumber"`
	DocDate         time.Time `json:"docDate"`
	AssetIDs        []string  `json:"assets"`
	Vehicles        []Vehicle `json:"vehicles"`
	// Number is SEP's application number, once SEP registered it.
	Number         string        `json:"number,omitempty"`
	Status         string        `json:"status"`
	LessorStatus   PartyStatus   `json:"lessorStatus"`
	LesseeStatus   PartyStatus   `json:"lesseeStatus"`
	Deadline       time.Time     `json:"deadline"`
	UseTechMailbox bool          `json:"useTechMailbox"`
	Created        time.Time     `json:"created"`
	Updated        time.Time     `json:"updated"`
	LastEntryID    string        `json:"lastEntry,omitempty"`
	RequestStatus  Status        `json:"requestStatus,omitempty"`
	Errors         []RemoteError `json:"errors,omitempty"`
	Version        int64         `json:"-"`
}

// Open reports whether the application still waits for SEP or for a party.
func (l LeaseApplication) Open() bool {
	return l.Status != AppExecuted && l.Status != AppRejected && l.Status != LeaseRefused
}

func leaseItem(l LeaseApplication) store.Item {
	it := store.Item{PK: pkLease, SK: l.ID, Data: putJSON(l), GSI2PK: gsiLeaseCt, GSI2SK: l.ContractID + "#" + l.ID}
	if l.Open() {
		it.GSI1PK, it.GSI1SK = gsiLeaseOp, tkey(l.Created)+"#"+l.ID
	}
	return it
}

func decodeLease(ctx context.Context, tv store.Store, it store.Item) (LeaseApplication, error) {
	l, err := decodeJSON[LeaseApplication](it)
	if err != nil {
		return l, err
	}
	l.Version = it.Version
	l.RequestStatus, err = requestStatus(ctx, tv, l.LastEntryID)
	return l, err
}

// LeaseApplications lists the lease applications by id.
func (s *Service) LeaseApplications(ctx context.Context, tenant string, pr PageRequest) (Page[LeaseApplication], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[LeaseApplication]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkLease}, pr, func(it store.Item) (LeaseApplication, error) {
		return decodeLease(ctx, tv, it)
	})
}

// LeaseApplication returns one lease application.
func (s *Service) LeaseApplication(ctx context.Context, tenant, id string) (LeaseApplication, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return LeaseApplication{}, err
	}
	it, err := tv.Get(ctx, pkLease, id)
	if errors.Is(err, store.ErrNotFound) {
		return LeaseApplication{}, ErrLeaseNotFound
	}
	if err != nil {
		return LeaseApplication{}, storeErr(err)
	}
	return decodeLease(ctx, tv, it)
}

// Point reads by a register's key, for OData's InformationRegister_X(key) addressing. 1C
// sends times to the second while records carry microseconds, so each finds the record
// within the second of its time.

func errNoRecord(register string) error {
	return apperr.New(apperr.NotFound, "SEP_RECORD_NOT_FOUND", "Запись регистра «"+register+"» не найдена")
}

// findInSecond returns the first record of q's partition whose time key falls in the second
// of at and that match accepts.
func findInSecond[T any](ctx context.Context, tv store.Store, q store.Query, at time.Time, match func(T) bool) (T, bool, error) {
	var zero T
	sec := at.UTC().Truncate(time.Second)
	q.From, q.To, q.Limit = tkey(sec), tkey(sec.Add(time.Second-time.Microsecond))+"#"+maxSuffix, store.MaxQueryLimit
	for {
		p, err := tv.Query(ctx, q)
		if err != nil {
			return zero, false, storeErr(err)
		}
		for _, it := range p.Items {
			v, err := decodeJSON[T](it)
			if err != nil {
				return zero, false, err
			}
			if match(v) {
				return v, true, nil
			}
		}
		if p.Next == "" {
			return zero, false, nil
		}
		q.Cursor = p.Next
	}
}

// HistoryAt returns the exchange-history record of a call.
func (s *Service) HistoryAt(ctx context.Context, tenant string, at time.Time, entryID string, call int) (HistoryRecord, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return HistoryRecord{}, err
	}
	r, ok, err := findInSecond(ctx, tv, store.Query{PK: pkHistory}, at, func(r HistoryRecord) bool {
		return r.EntryID == entryID && r.Call == call
	})
	if err == nil && !ok {
		err = errNoRecord("История обмена СЭП")
	}
	return r, err
}

// ErrorAt returns an exchange-error record.
func (s *Service) ErrorAt(ctx context.Context, tenant string, at time.Time, source string, seq int) (ErrorRecord, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return ErrorRecord{}, err
	}
	r, ok, err := findInSecond(ctx, tv, store.Query{PK: pkError}, at, func(r ErrorRecord) bool {
		return r.Source == source && r.Seq == seq
	})
	if err == nil && !ok {
		err = errNoRecord("Ошибки обмена СЭП")
	}
	return r, err
}

// CodeAt returns a confirmation-code record.
func (s *Service) CodeAt(ctx context.Context, tenant string, received time.Time, letterID string) (CodeRecord, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return CodeRecord{}, err
	}
	r, ok, err := findInSecond(ctx, tv, store.Query{PK: pkCode}, received, func(r CodeRecord) bool { return r.LetterID == letterID })
	if err == nil && !ok {
		err = errNoRecord("Коды подтверждений СЭП")
	}
	return r, err
}

// AssetStatusAt returns the asset-status record of an asset at a period (number "" takes
// the first of that second).
func (s *Service) AssetStatusAt(ctx context.Context, tenant string, period time.Time, assetID, number string) (AssetStatusRecord, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return AssetStatusRecord{}, err
	}
	r, ok, err := findInSecond(ctx, tv, store.Query{PK: pkStatus + assetID}, period, func(r AssetStatusRecord) bool {
		return number == "" || r.ApplicationNumber == number
	})
	if err == nil && !ok {
		err = errNoRecord("Статусы основных средств (СЭП)")
	}
	return r, err
}
