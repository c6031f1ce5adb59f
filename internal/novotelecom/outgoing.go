package novotelecom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

// ServiceCodes are one service's codes in the tenant's ЖКУ catalogue; the tenant's Coding
// picks the one that goes into registries.
type ServiceCodes struct {
	Code string `validate:"omitempty,max=20"` // the catalogue's own code (coding zhku)
	City string `validate:"omitempty,max=20"` // column «Город» (coding city)
	Sber string `validate:"omitempty,max=20"` // column «Сбер» (coding sber)
}

func (c ServiceCodes) pick(coding Coding) (string, string) {
	switch coding {
	case CodingCity:
		return c.City, "«Города»"
	case CodingSber:
		return c.Sber, "Сбербанка"
	case CodingZhku:
		return c.Code, "ЖКУ"
	}
	return "", ""
}

// ServiceItem is one service of the catalogue.
type ServiceItem struct {
	Codes ServiceCodes
	Name  string `validate:"required,max=150,nocontrol"`
}

// ServicesRequest builds a services registry (first exchange, and when services change).
// RequestID is the caller's idempotency key: a repeat returns the file built the first time.
type ServicesRequest struct {
	RequestID string        `validate:"required,max=64,printascii"`
	Services  []ServiceItem `validate:"required,min=1,max=10000,dive"`
}

// DebtLine is one account's debt for one service.
type DebtLine struct {
	Account string `validate:"required,max=20"`
	Address string `validate:"max=250,nocontrol"`
	Service ServiceCodes
	Amount  money.Decimal // may be negative: an advance
}

// DebtsRequest builds a debts registry after a billing run for Period (the billed month).
type DebtsRequest struct {
	RequestID string          `validate:"required,max=64,printascii"`
	Period    registry.Period // the billed month
	Lines     []DebtLine      `validate:"required,min=1,max=200000,dive"`
}

// MeterLine is one meter's reading.
type MeterLine struct {
	Account string `validate:"required,max=20"`
	Address string `validate:"max=250,nocontrol"`
	Meter   string `validate:"required,max=30"`
	Service ServiceCodes
	Value   money.Decimal // the reading as of the 1st of the month after Period
}

// MetersRequest builds a meter readings registry for Period (the billed month).
type MetersRequest struct {
	RequestID string          `validate:"required,max=64,printascii"`
	Period    registry.Period // the billed month
	Lines     []MeterLine     `validate:"required,min=1,max=200000,dive"`
}

// SubmitServices builds the services registry into Outgoing, coded as the settings say.
func (s *Service) SubmitServices(ctx context.Context, tenant string, req ServicesRequest) (Registry, error) {
	if err := s.validate(req); err != nil {
		return Registry{}, err
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return Registry{}, err
	}
	if st.Coding == CodingAccount {
		return Registry{}, invalid("NOVOTELECOM_NO_SERVICES", "При кодировании «в целом по л/с» реестр услуг не нужен: задолженность передаётся по лицевым счетам")
	}
	recs := make([]registry.Record, 0, len(req.Services))
	seen := make(map[string]bool, len(req.Services))
	for i, sv := range req.Services {
		code, what := sv.Codes.pick(st.Coding)
		if code == "" {
			return Registry{}, lineErr(i+1, "не указан код услуги "+what)
		}
		if seen[code] {
			return Registry{}, lineErr(i+1, "код услуги "+code+" повторяется")
		}
		seen[code] = true
		recs = append(recs, registry.Record{Service: code, Name: sv.Name})
	}
	return s.submit(ctx, tenant, st, req.RequestID, req, registry.Services, registry.Period{}, recs, nil)
}

// SubmitDebts builds a debts registry into Outgoing, dated the later of the tenant's today
// and the last day of the billed month; with coding "account" the lines are summed per
// account.
func (s *Service) SubmitDebts(ctx context.Context, tenant string, req DebtsRequest) (Registry, error) {
	if err := s.validate(req); err != nil {
		return Registry{}, err
	}
	if !req.Period.Valid() {
		return Registry{}, invalid("NOVOTELECOM_PERIOD", "Не указан месяц начисления")
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return Registry{}, err
	}
	var recs []registry.Record
	if st.Coding == CodingAccount {
		// Check the request's own lines first, so that errors name them, then sum per account.
		lines := make([]registry.Record, len(req.Lines))
		for i, l := range req.Lines {
			lines[i] = registry.Record{Account: l.Account, Address: l.Address, Amount: l.Amount}
		}
		if _, err := registry.Build(discard{}, plan{Kind: registry.Debts, Number: 1, Date: req.Period.Last(), Period: req.Period}.header(st.Charset), slices.Values(lines)); err != nil {
			return Registry{}, buildErr(err)
		}
		at := map[string]int{}
		for _, l := range req.Lines {
			i, ok := at[l.Account]
			if !ok {
				at[l.Account] = len(recs)
				recs = append(recs, registry.Record{Account: l.Account, Address: l.Address, Amount: l.Amount})
				continue
			}
			recs[i].Amount = recs[i].Amount.Add(l.Amount)
			if recs[i].Address == "" {
				recs[i].Address = l.Address
			}
		}
	} else {
		for i, l := range req.Lines {
			code, what := l.Service.pick(st.Coding)
			if code == "" {
				return Registry{}, lineErr(i+1, "не указан код услуги "+what)
			}
			recs = append(recs, registry.Record{Account: l.Account, Address: l.Address, Service: code, Amount: l.Amount})
		}
	}
	return s.submit(ctx, tenant, st, req.RequestID, req, registry.Debts, req.Period, recs, accountsOf(recs))
}

// SubmitMeters builds a meter readings registry into Outgoing, as of the 1st of the month
// after the billed one (so that meters installed during the month start from their new,
// smaller readings).
func (s *Service) SubmitMeters(ctx context.Context, tenant string, req MetersRequest) (Registry, error) {
	if err := s.validate(req); err != nil {
		return Registry{}, err
	}
	if !req.Period.Valid() {
		return Registry{}, invalid("NOVOTELECOM_PERIOD", "Не указан месяц начисления")
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return Registry{}, err
	}
	recs := make([]registry.Record, 0, len(req.Lines))
	for i, l := range req.Lines {
		code, what := l.Service.pick(st.Coding)
		if st.Coding != CodingAccount && code == "" {
			return Registry{}, lineErr(i+1, "не указан код услуги "+what)
		}
		recs = append(recs, registry.Record{Account: l.Account, Address: l.Address, Meter: l.Meter, Service: code, Amount: l.Value})
	}
	return s.submit(ctx, tenant, st, req.RequestID, req, registry.Meters, req.Period, recs, accountsOf(recs))
}

func accountsOf(recs []registry.Record) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Account)
	}
	return out
}

func lineErr(line int, msg string) *apperr.Error {
	return invalid("NOVOTELECOM_BAD_LINE", fmt.Sprintf("Строка %d: %s", line, msg))
}

// requestRecord remembers a submitted request: its digest (a reused id with other data is
// refused) and the file planned for it.
type requestRecord struct {
	Digest string `json:"digest"`
	Plan   plan   `json:"plan"`
}

// submit plans (once per request id) and builds an outgoing file.
func (s *Service) submit(ctx context.Context, tenant string, st Settings, requestID string, req any,
	kind registry.Kind, period registry.Period, recs []registry.Record, accounts []string) (Registry, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Registry{}, err
	}
	body, _ := json.Marshal(req)
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])

	// Check the lines before a number is spent on them.
	if _, err := registry.Build(discard{}, plan{Kind: kind, Number: 1, Date: registry.Date(2000, 1, 1), Period: period}.header(st.Charset), slices.Values(recs)); err != nil {
		return Registry{}, buildErr(err)
	}
	rr, err := s.planRequest(ctx, ts, tenant, requestID, digest, kind, period)
	if err != nil {
		return Registry{}, err
	}
	if len(accounts) > 0 {
		if err := s.addAccounts(ctx, ts, tenant, accounts); err != nil {
			return Registry{}, storeErr(err, "лицевые счета")
		}
	}
	return s.ensureOutgoing(ctx, ts, tenant, rr.Plan, st.Charset, slices.Values(recs))
}

func (s *Service) planRequest(ctx context.Context, ts store.Store, tenant, requestID, digest string, kind registry.Kind, period registry.Period) (requestRecord, error) {
	read := func() (requestRecord, bool, error) {
		it, err := ts.Get(ctx, pkRequest, requestID)
		if errors.Is(err, store.ErrNotFound) {
			return requestRecord{}, false, nil
		}
		if err != nil {
			return requestRecord{}, false, storeErr(err, "запрос")
		}
		var rr requestRecord
		if err := json.Unmarshal(it.Data, &rr); err != nil {
			return requestRecord{}, false, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждена запись запроса")
		}
		if rr.Digest != digest {
			return requestRecord{}, false, apperr.New(apperr.Conflict, "NOVOTELECOM_REQUEST_REUSED",
				"Идентификатор запроса уже использован для других данных")
		}
		return rr, true, nil
	}
	if rr, ok, err := read(); ok || err != nil {
		return rr, err
	}
	today, err := s.today(ctx, tenant)
	if err != nil {
		return requestRecord{}, err
	}
	date := today
	switch kind {
	case registry.Debts:
		// The later of today and the billed month's last day: billed on the 29th, the file
		// can go out at once, dated the 31st.
		if last := period.Last(); last.After(date) {
			date = last
		}
	case registry.Meters:
		date = period.Next().First()
	}
	n, err := nextNumber(ctx, ts, kind, date)
	if err != nil {
		return requestRecord{}, storeErr(err, "номер реестра")
	}
	rr := requestRecord{Digest: digest, Plan: plan{Kind: kind, Number: n, Date: date, Period: period}}
	data, _ := json.Marshal(rr)
	_, err = ts.Put(ctx, store.Item{PK: pkRequest, SK: requestID, Data: data}, store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		// A concurrent repeat of the same request won; use its plan.
		rr, _, err := read()
		return rr, err
	}
	if err != nil {
		return requestRecord{}, storeErr(err, "запрос")
	}
	return rr, nil
}

// ensureOutgoing builds the planned file into Outgoing unless it is there already: the blob
// first, then its record (NotExists), so a crash in between only leaves a blob the retry
// overwrites.
func (s *Service) ensureOutgoing(ctx context.Context, ts store.Store, tenant string, p plan, cs registry.Charset, recs iter.Seq[registry.Record]) (Registry, error) {
	name := p.name()
	if it, err := ts.Get(ctx, pkFile, name); err == nil {
		r, folder, err := decodeFile(it)
		if err != nil {
			return Registry{}, err
		}
		return r.registry(name, folder, it.Version), nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return Registry{}, storeErr(err, "реестр")
	}
	var buf bytes.Buffer
	h, err := registry.Build(&buf, p.header(cs), recs)
	if err != nil {
		return Registry{}, buildErr(err)
	}
	if buf.Len() > blobs.MaxSize {
		return Registry{}, apperr.New(apperr.TooLarge, "NOVOTELECOM_TOO_LARGE", "Реестр больше допустимого размера: разделите данные")
	}
	key := blobKey(tenant, "out", name)
	if err := s.d.Blobs.Put(ctx, key, buf.Bytes()); err != nil {
		return Registry{}, storeErr(err, "файл реестра")
	}
	sum := sha256.Sum256(buf.Bytes())
	rec := &fileRecord{Name: name, Dir: Out, Kind: h.Kind, Number: h.Number, Date: h.Date, Period: h.Period,
		Count: h.Count, Sum: h.Sum, Charset: h.Charset, Ref: h.Ref, Size: int64(buf.Len()),
		SHA256: hex.EncodeToString(sum[:]), Blob: key, Created: s.now()}
	stored, err := ts.Put(ctx, rec.toItem(name, FolderOutgoing), store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		it, err := ts.Get(ctx, pkFile, name)
		if err != nil {
			return Registry{}, storeErr(err, "реестр")
		}
		r, folder, err := decodeFile(it)
		if err != nil {
			return Registry{}, err
		}
		return r.registry(name, folder, it.Version), nil
	}
	if err != nil {
		return Registry{}, storeErr(err, "реестр")
	}
	s.log.InfoContext(ctx, "novotelecom: file built", "tenant", tenant, "file", name, "count", h.Count)
	return rec.registry(name, FolderOutgoing, stored.Version), nil
}

// buildErr turns the codec's diagnostic about a request line into a user error. The value
// (an account, an address) is left out: error messages reach logs, personal data must not.
func buildErr(err error) error {
	var re *registry.Error
	if errors.As(err, &re) {
		what, _, _ := strings.Cut(re.Msg, ":")
		if re.Line == 0 {
			return apperr.New(apperr.Invalid, "NOVOTELECOM_BAD_HEADER", "Реестр не сформирован: "+what)
		}
		return lineErr(int(re.Line), "неверное значение поля «"+what+"»")
	}
	return storeErr(err, "реестр")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
