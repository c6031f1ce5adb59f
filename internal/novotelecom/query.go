package novotelecom

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

// Page is one page of a list; Next is the cursor of the following page, empty on the last.
type Page[T any] struct {
	Items []T
	Next  string
}

// ListRequest pages through a list. Limit 0 means 100.
type ListRequest struct {
	Cursor string `validate:"max=2048"`
	Limit  int    `validate:"min=0,max=1000"`
}

// RegistriesRequest lists registries: of one folder (oldest first), or all of them (by id)
// when Folder is empty.
type RegistriesRequest struct {
	Folder Folder `validate:"omitempty,oneof=outgoing sent processed errors incoming awaiting accepting accepted rejected answers"`
	ListRequest
}

// LinesRequest lists the lines of a registry, in file order.
type LinesRequest struct {
	RegistryID string `validate:"required,max=128"`
	ListRequest
}

// Line is one line of a registry: a payment, a reading, a debt… (which fields a kind uses is
// in package registry). A document accepted from a payments registry has one payment per line.
type Line struct {
	RegistryID string
	Line       int64
	Account    string
	Address    string
	Service    string
	Name       string
	Meter      string
	Period     registry.Period
	Amount     money.Decimal
	Time       time.Time // civil: paid at, taken on
	PaymentID  string
	RefLine    int64
	Message    string
}

func badCursor() *apperr.Error {
	return invalid("NOVOTELECOM_CURSOR", "Неверный курсор списка")
}

// Registry returns one registry.
func (s *Service) Registry(ctx context.Context, tenant, id string) (Registry, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Registry{}, err
	}
	if !validID(id) {
		return Registry{}, errNoRegistry()
	}
	it, err := ts.Get(ctx, pkFile, id)
	if errors.Is(err, store.ErrNotFound) {
		return Registry{}, errNoRegistry()
	}
	if err != nil {
		return Registry{}, storeErr(err, "реестр")
	}
	r, folder, err := decodeFile(it)
	if err != nil {
		return Registry{}, err
	}
	return r.registry(id, folder, it.Version), nil
}

// Content returns a registry's file as stored (the seed's «показать файл»): its name and
// bytes, in the file's own charset.
func (s *Service) Content(ctx context.Context, tenant, id string) (string, []byte, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return "", nil, err
	}
	if !validID(id) {
		return "", nil, errNoRegistry()
	}
	it, err := ts.Get(ctx, pkFile, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, errNoRegistry()
	}
	if err != nil {
		return "", nil, storeErr(err, "реестр")
	}
	r, _, err := decodeFile(it)
	if err != nil {
		return "", nil, err
	}
	data, err := s.fileContent(ctx, r)
	if err != nil {
		return "", nil, err
	}
	return r.Name, data, nil
}

// Registries lists registries.
func (s *Service) Registries(ctx context.Context, tenant string, req RegistriesRequest) (Page[Registry], error) {
	if err := s.validate(req); err != nil {
		return Page[Registry]{}, err
	}
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Page[Registry]{}, err
	}
	q := store.Query{PK: pkFile, Limit: req.Limit, Cursor: req.Cursor}
	if req.Folder != "" {
		q = store.Query{Index: store.GSI1, PK: gsiFolder + string(req.Folder), Limit: req.Limit, Cursor: req.Cursor}
	}
	page, err := ts.Query(ctx, q)
	if errors.Is(err, store.ErrInvalid) {
		return Page[Registry]{}, badCursor()
	}
	if err != nil {
		return Page[Registry]{}, storeErr(err, "список реестров")
	}
	out := Page[Registry]{Next: page.Next, Items: make([]Registry, 0, len(page.Items))}
	for _, it := range page.Items {
		r, folder, err := decodeFile(it)
		if err != nil {
			return Page[Registry]{}, err
		}
		out.Items = append(out.Items, r.registry(it.SK, folder, it.Version))
	}
	return out, nil
}

// Pending lists the received registries waiting for acceptance, oldest first: the seed's list
// of file, date, number, count and sum.
func (s *Service) Pending(ctx context.Context, tenant string, req ListRequest) (Page[Registry], error) {
	return s.Registries(ctx, tenant, RegistriesRequest{Folder: FolderAwaiting, ListRequest: req})
}

// Errors lists the errors, newest first.
func (s *Service) Errors(ctx context.Context, tenant string, req ListRequest) (Page[ErrorEntry], error) {
	if err := s.validate(req); err != nil {
		return Page[ErrorEntry]{}, err
	}
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Page[ErrorEntry]{}, err
	}
	page, err := ts.Query(ctx, store.Query{Index: store.GSI1, PK: gsiErrors, Desc: true, Limit: req.Limit, Cursor: req.Cursor})
	if errors.Is(err, store.ErrInvalid) {
		return Page[ErrorEntry]{}, badCursor()
	}
	if err != nil {
		return Page[ErrorEntry]{}, storeErr(err, "список ошибок")
	}
	out := Page[ErrorEntry]{Next: page.Next, Items: make([]ErrorEntry, 0, len(page.Items))}
	for _, it := range page.Items {
		var e ErrorEntry
		if err := json.Unmarshal(it.Data, &e); err != nil {
			return Page[ErrorEntry]{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждена запись об ошибке")
		}
		out.Items = append(out.Items, e)
	}
	return out, nil
}

// Session returns one session.
func (s *Service) Session(ctx context.Context, tenant, id string) (Session, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Session{}, err
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", id); err != nil {
		return Session{}, errNoSession()
	}
	return getSession(ctx, ts, id)
}

func errNoSession() *apperr.Error {
	return apperr.New(apperr.NotFound, "NOVOTELECOM_NO_SESSION", "Сеанс обмена не найден")
}

func getSession(ctx context.Context, ts store.Store, id string) (Session, error) {
	it, err := ts.Get(ctx, pkSession, id)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, errNoSession()
	}
	if err != nil {
		return Session{}, storeErr(err, "сеанс обмена")
	}
	return decodeSession(it)
}

func decodeSession(it store.Item) (Session, error) {
	var r sessionRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return Session{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждена запись сеанса обмена")
	}
	return r.session(it.SK, it.Version), nil
}

// Sessions lists the exchange sessions, newest first.
func (s *Service) Sessions(ctx context.Context, tenant string, req ListRequest) (Page[Session], error) {
	if err := s.validate(req); err != nil {
		return Page[Session]{}, err
	}
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Page[Session]{}, err
	}
	page, err := ts.Query(ctx, store.Query{PK: pkSession, Desc: true, Limit: req.Limit, Cursor: req.Cursor})
	if errors.Is(err, store.ErrInvalid) {
		return Page[Session]{}, badCursor()
	}
	if err != nil {
		return Page[Session]{}, storeErr(err, "сеансы обмена")
	}
	out := Page[Session]{Next: page.Next, Items: make([]Session, 0, len(page.Items))}
	for _, it := range page.Items {
		sess, err := decodeSession(it)
		if err != nil {
			return Page[Session]{}, err
		}
		out.Items = append(out.Items, sess)
	}
	return out, nil
}

// lineCursor is where the next page of lines starts: after line Line, at byte Offset.
type lineCursor struct {
	Reg    string `json:"r"` // the registry's id, so a cursor cannot wander to another file
	Line   int64  `json:"l"`
	Offset int64  `json:"o"`
}

// Lines lists a registry's lines from its stored file, in order; the cursor remembers the
// byte offset, so every page costs the same whatever its position.
func (s *Service) Lines(ctx context.Context, tenant string, req LinesRequest) (Page[Line], error) {
	if err := s.validate(req); err != nil {
		return Page[Line]{}, err
	}
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Page[Line]{}, err
	}
	if !validID(req.RegistryID) {
		return Page[Line]{}, errNoRegistry()
	}
	it, err := ts.Get(ctx, pkFile, req.RegistryID)
	if errors.Is(err, store.ErrNotFound) {
		return Page[Line]{}, errNoRegistry()
	}
	if err != nil {
		return Page[Line]{}, storeErr(err, "реестр")
	}
	r, _, err := decodeFile(it)
	if err != nil {
		return Page[Line]{}, err
	}
	if r.Kind == "" || r.Count == 0 && r.Diagnostic != "" {
		return Page[Line]{}, nil // not checked yet, or broken before its first line
	}
	data, err := s.fileContent(ctx, r)
	if err != nil {
		return Page[Line]{}, err
	}
	limit := req.Limit
	if limit == 0 {
		limit = store.DefaultLimit
	}
	var rd *registry.Reader
	if req.Cursor == "" {
		if rd, err = registry.NewReader(bytes.NewReader(data), r.Name, registry.Options{Kind: r.Kind}); err != nil {
			return Page[Line]{}, nil // a file broken in its header has no lines to show
		}
	} else {
		var c lineCursor
		raw, derr := base64.RawURLEncoding.DecodeString(req.Cursor)
		if derr != nil || json.Unmarshal(raw, &c) != nil || c.Reg != req.RegistryID || c.Offset > int64(len(data)) || c.Offset < 0 {
			return Page[Line]{}, badCursor()
		}
		h := registry.Header{Kind: r.Kind, Number: r.Number, Date: r.Date, Period: r.Period, Count: r.Count,
			Sum: r.Sum, Charset: r.Charset, Ref: r.Ref}
		rd, err = registry.Resume(bytes.NewReader(data[c.Offset:]), r.Name, h, c.Line, c.Offset, registry.Options{})
	}
	if err != nil {
		return Page[Line]{}, badCursor()
	}
	var out Page[Line]
	for len(out.Items) < limit {
		err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			break // a broken file lists the lines before its first error
		}
		rec := rd.Record()
		out.Items = append(out.Items, Line{RegistryID: req.RegistryID, Line: rec.Line, Account: rec.Account,
			Address: rec.Address, Service: rec.Service, Name: rec.Name, Meter: rec.Meter, Period: rec.Period,
			Amount: rec.Amount, Time: rec.Time, PaymentID: rec.ID, RefLine: rec.RefLine, Message: rec.Message})
	}
	if len(out.Items) == limit && rd.Line() < r.Count {
		c, _ := json.Marshal(lineCursor{Reg: req.RegistryID, Line: rd.Line(), Offset: rd.Offset()})
		out.Next = base64.RawURLEncoding.EncodeToString(c)
	}
	return out, nil
}
