package konturapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
)

// OData set names.
const (
	PaymentTypesSet = "Catalog_PaymentTypes"
	WriteOffsSet    = "Document_BonusWriteOffs"
)

// indexDate orders Document_BonusWriteOffs by Date (the write-off's creation, in the tenant's
// zone): $filter=Date ge/gt/le/lt … and $orderby=Date [desc] run on it, so the journal's
// "newest first" is $orderby=Date desc.
const indexDate = "date"

// PaymentTypes registers the tenant's catalog of payment types "Бонусы Контура", read and
// write (writes need a tenant administrator; If-Match with the DataVersion read, 412 when it
// is stale). Properties besides 1C's standard ones (Description is the type's name as the PMS
// shows it):
//
//	Kind        "Бонусы Контура", the only kind ("Тип платежа"); may be left out in writes
//	Currency    the Kontur currency code (GetCurrencies / kontur.Currencies): BONUS, RUB, BYN, …
//	CurrencyName  its Russian name (read only)
//	MaxPercent  "Оплачивать баллами не более, %": 0 to 100, two decimals, default 0
//	Enabled     "Включен": a disabled type pays nothing
func PaymentTypes(svc *kontur.Service) *odata.EntitySet {
	return &odata.EntitySet{
		Name: PaymentTypesSet,
		Kind: odata.Catalog,
		Properties: []odata.Property{
			{Name: "Kind", Type: odata.EdmString, MaxLength: 50},
			{Name: "Currency", Type: odata.EdmString, MaxLength: 16},
			{Name: "CurrencyName", Type: odata.EdmString, ReadOnly: true},
			{Name: "MaxPercent", Type: odata.EdmDecimal},
			{Name: "Enabled", Type: odata.EdmBoolean},
		},
		Source: typeSource{svc},
	}
}

type typeSource struct{ svc *kontur.Service }

func typeEntity(pt kontur.PaymentType) odata.Entity {
	ref, _ := odata.ParseGUID(pt.Ref)
	return odata.Entity{
		"Ref_Key":      ref,
		"DataVersion":  odata.DataVersion(pt.DataVersion),
		"DeletionMark": pt.DeletionMark,
		"Code":         pt.Code,
		"Description":  pt.Name,
		"Kind":         pt.Kind,
		"Currency":     pt.Currency,
		"CurrencyName": CurrencyName(pt.Currency),
		"MaxPercent":   dec(pt.MaxPercent),
		"Enabled":      pt.Enabled,
	}
}

func (s typeSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	pt, err := s.svc.GetPaymentType(ctx, tenant, key.Ref().String())
	if err != nil {
		return nil, err
	}
	return typeEntity(pt), nil
}

// List pages the catalog in Ref order (its only order; the handler checks every $filter on
// what it returns, and the catalog is small).
func (s typeSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Desc {
		return odata.ListPage{}, apperr.New(apperr.Invalid, "KONTUR_ORDER", "Справочник видов оплаты упорядочивается только по ссылке по возрастанию")
	}
	p, err := s.svc.ListPaymentTypes(ctx, tenant, req.Cursor, req.Limit)
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, len(p.Items))}
	for i, pt := range p.Items {
		out.Entities[i] = typeEntity(pt)
	}
	return out, nil
}

// admin refuses catalog writes to users who are not tenant administrators.
func admin(ctx context.Context) error {
	if p, ok := auth.FromContext(ctx); ok && p.Admin {
		return nil
	}
	return ErrAdminRequired
}

// patchOf reads the writable properties present in an OData body; a null string clears it, a
// null flag is false, a null MaxPercent is 0.
func patchOf(e odata.Entity) (kontur.PaymentTypePatch, error) {
	var p kontur.PaymentTypePatch
	str := func(name string) *string {
		v, ok := e[name]
		if !ok {
			return nil
		}
		s, _ := v.(string)
		return &s
	}
	flag := func(name string) *bool {
		v, ok := e[name]
		if !ok {
			return nil
		}
		b, _ := v.(bool)
		return &b
	}
	p.Code, p.Name, p.Kind, p.Currency = str("Code"), str("Description"), str("Kind"), str("Currency")
	p.Enabled, p.DeletionMark = flag("Enabled"), flag("DeletionMark")
	if v, ok := e["MaxPercent"]; ok {
		m := money.Decimal{}
		if d, isDec := v.(decimal.Decimal); isDec {
			var err error
			if m, err = money.Parse(d.String()); err != nil {
				return p, apperr.Wrap(err, apperr.Invalid, "KONTUR_INVALID_REQUEST", "Процент оплаты баллами: неверное число")
			}
		}
		p.MaxPercent = &m
	}
	return p, nil
}

func (s typeSource) Create(ctx context.Context, tenant string, e odata.Entity) (odata.Entity, error) {
	if err := admin(ctx); err != nil {
		return nil, err
	}
	p, err := patchOf(e)
	if err != nil {
		return nil, err
	}
	in := kontur.PaymentTypeInput{Kind: kontur.PaymentKind}
	if g, ok := e["Ref_Key"].(odata.GUID); ok && !g.IsZero() {
		in.Ref = g.String()
	}
	in.Code, in.Name, in.Currency = deref(p.Code), deref(p.Name), deref(p.Currency)
	if p.Kind != nil {
		in.Kind = *p.Kind
	}
	in.MaxPercent, in.Enabled, in.DeletionMark = deref(p.MaxPercent), deref(p.Enabled), deref(p.DeletionMark)
	pt, err := s.svc.CreatePaymentType(ctx, tenant, in)
	if err != nil {
		return nil, err
	}
	return typeEntity(pt), nil
}

// precondition maps the domain's version conflict to the 412 of If-Match.
func precondition(err error) error {
	if errors.Is(err, kontur.ErrVersionConflict) {
		return fmt.Errorf("%w: %w", odata.ErrPreconditionFailed, err)
	}
	return err
}

func (s typeSource) Update(ctx context.Context, tenant string, key odata.Key, patch odata.Entity, ifMatch string) (odata.Entity, error) {
	if err := admin(ctx); err != nil {
		return nil, err
	}
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return nil, err
	}
	p, err := patchOf(patch)
	if err != nil {
		return nil, err
	}
	pt, err := s.svc.UpdatePaymentType(ctx, tenant, key.Ref().String(), p, expect)
	if err != nil {
		return nil, precondition(err)
	}
	return typeEntity(pt), nil
}

func (s typeSource) Delete(ctx context.Context, tenant string, key odata.Key, ifMatch string) error {
	if err := admin(ctx); err != nil {
		return err
	}
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return err
	}
	return precondition(s.svc.DeletePaymentType(ctx, tenant, key.Ref().String(), expect))
}

var _ odata.Writer = typeSource{}

// WriteOffs registers the write-offs as the read-only document set Document_BonusWriteOffs
// (the hub writes them; SOAP WriteOff and Cancel change them). Number is the RequestId; Date
// is when the write-off was made, in the tenant's zone (loc); Posted is true while the
// payment is in force (State "Проведено"). CardMasked is the card's last four characters —
// the card number never leaves the hub. State is the Russian state, StateCode the stable one
// (requested, debiting, recorded, failed, cancelling, cancelled). Dates that did not happen
// are 1C's empty date.
func WriteOffs(svc *kontur.Service, loc func(tenant string) *time.Location) *odata.EntitySet {
	str := func(name string, max int) odata.Property {
		return odata.Property{Name: name, Type: odata.EdmString, MaxLength: max}
	}
	date := func(name string) odata.Property { return odata.Property{Name: name, Type: odata.EdmDateTime} }
	num := func(name string) odata.Property { return odata.Property{Name: name, Type: odata.EdmDecimal} }
	return &odata.EntitySet{
		Name: WriteOffsSet,
		Kind: odata.Document,
		Properties: []odata.Property{
			str("RequestId", 64),
			str("FolioId", 64),
			str("CardMasked", 8),
			odata.Ref("PaymentType", PaymentTypesSet),
			str("PaymentTypeName", 150),
			num("Amount"),
			str("Currency", 16),
			str("CurrencyName", 0),
			num("Saldo"),
			str("State", 50),
			str("StateCode", 16),
			str("ReasonCode", 64),
			str("Reason", 0),
			str("OperationId", 64),
			str("PaymentTitle", 50),
			date("PaymentTime"),
			date("CancelledAt"),
			date("Updated"),
		},
		Indexes: []odata.Index{{Name: indexDate, Property: "Date", Range: true, Complete: true}},
		Source:  writeOffSource{svc: svc, loc: loc},
	}
}

type writeOffSource struct {
	svc *kontur.Service
	loc func(string) *time.Location
}

func (s writeOffSource) zone(tenant string) *time.Location {
	if s.loc != nil {
		if l := s.loc(tenant); l != nil {
			return l
		}
	}
	return time.UTC
}

// wall is t's wall clock in loc to the second (1C dates have no fractions); the zero time is
// 1C's empty date.
func wall(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return odata.EmptyDate
	}
	return t.In(loc).Truncate(time.Second)
}

func writeOffEntity(w kontur.WriteOff, loc *time.Location) odata.Entity {
	ref, _ := odata.ParseGUID(w.Ref)
	pt, _ := odata.ParseGUID(w.PaymentType)
	e := odata.Entity{
		"Ref_Key":         ref,
		"DataVersion":     odata.DataVersion(w.DataVersion),
		"DeletionMark":    false,
		"Number":          w.RequestID,
		"Date":            wall(w.Created, loc),
		"Posted":          w.Posted(),
		"RequestId":       w.RequestID,
		"FolioId":         w.FolioID,
		"CardMasked":      w.CardMasked,
		"PaymentType_Key": pt,
		"PaymentTypeName": w.PaymentName,
		"Amount":          dec(w.Amount),
		"Currency":        w.Currency,
		"CurrencyName":    CurrencyName(w.Currency),
		"Saldo":           dec(w.Saldo),
		"State":           w.State.Name(),
		"StateCode":       string(w.State),
		"ReasonCode":      w.ReasonCode,
		"Reason":          w.Reason,
		"OperationId":     w.OperationID,
		"PaymentTitle":    "",
		"PaymentTime":     odata.EmptyDate,
		"CancelledAt":     odata.EmptyDate,
		"Updated":         wall(w.Updated, loc),
	}
	if p := w.Payment; p != nil {
		e["PaymentTitle"], e["PaymentTime"], e["CancelledAt"] = p.Title, wall(p.Time, loc), wall(p.CancelledAt, loc)
	}
	return e
}

func (s writeOffSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	w, err := s.svc.GetWriteOffByRef(ctx, tenant, key.Ref().String())
	if err != nil {
		return nil, err
	}
	return writeOffEntity(w, s.zone(tenant)), nil
}

// instant places a wall-clock Date of a filter in the tenant's zone.
func instant(v any, loc *time.Location) time.Time {
	t, ok := v.(time.Time)
	if !ok || t.IsZero() {
		return time.Time{}
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

func (s writeOffSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	loc := s.zone(tenant)
	q := kontur.WriteOffQuery{Limit: req.Limit, Cursor: req.Cursor, Order: kontur.ByRef}
	if req.Desc {
		q.Order = kontur.ByRefDesc
	}
	if req.Index == indexDate {
		q.Order = kontur.OldestFirst
		if req.Desc {
			q.Order = kontur.NewestFirst
		}
		if req.Match.Op == odata.MatchRange {
			// Inclusive bounds, whole seconds: a superset of gt/lt, which the handler re-checks.
			q.From = instant(req.Match.From, loc)
			if to := instant(req.Match.To, loc); !to.IsZero() {
				q.To = to.Truncate(time.Second).Add(time.Second - time.Nanosecond)
			}
		}
	}
	p, err := s.svc.ListWriteOffs(ctx, tenant, q)
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, len(p.Items))}
	for i, w := range p.Items {
		out.Entities[i] = writeOffEntity(w, loc)
	}
	return out, nil
}

// dec is an exact amount as odata carries Edm.Decimal.
func dec(m money.Decimal) decimal.Decimal {
	return decimal.RequireFromString(m.String())
}
