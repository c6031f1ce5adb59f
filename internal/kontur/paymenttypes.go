package kontur

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/store"
)

// PaymentType is one entry of the tenant's catalog of payment types (the PMS's "справочник
// платежей"; Catalog_PaymentTypes over OData). JSON names are those of the OData entity.
type PaymentType struct {
	Ref          string `json:"Ref_Key"`
	DataVersion  int64  `json:"-"` // the store version; OData renders it as DataVersion
	DeletionMark bool   `json:"DeletionMark"`
	Code         string `json:"Code"`
	Name         string `json:"Description"`
	Kind         string `json:"Kind"` // always PaymentKind
	// Currency is the Kontur currency code the type pays in (see Currencies).
	Currency string `json:"Currency"`
	// MaxPercent: at most this share of the folio's negative saldo may be paid with the type.
	MaxPercent money.Decimal `json:"MaxPercent"`
	Enabled    bool          `json:"Enabled"`
	Created    time.Time     `json:"Created"`
	Updated    time.Time     `json:"Updated"`
}

// PaymentTypeInput creates a payment type. Ref is optional (1C clients may choose it).
type PaymentTypeInput struct {
	Ref          string        `json:"Ref_Key" validate:"omitempty,guid"`
	Code         string        `json:"Code" validate:"max=20"`
	Name         string        `json:"Description" validate:"required,max=150"`
	Kind         string        `json:"Kind" validate:"kind"`
	Currency     string        `json:"Currency" validate:"required,currency"`
	MaxPercent   money.Decimal `json:"MaxPercent"` // 0..100, default 0 as in the PMS
	Enabled      bool          `json:"Enabled"`
	DeletionMark bool          `json:"DeletionMark"`
}

// PaymentTypePatch changes the fields that are not nil.
type PaymentTypePatch struct {
	Code         *string        `json:"Code" validate:"omitnil,max=20"`
	Name         *string        `json:"Description" validate:"omitnil,min=1,max=150"`
	Kind         *string        `json:"Kind" validate:"omitnil,kind"`
	Currency     *string        `json:"Currency" validate:"omitnil,currency"`
	MaxPercent   *money.Decimal `json:"MaxPercent"`
	Enabled      *bool          `json:"Enabled"`
	DeletionMark *bool          `json:"DeletionMark"`
}

// PaymentTypePage is one page of the catalog in Ref order; Next is "" on the last page.
type PaymentTypePage struct {
	Items []PaymentType
	Next  string
}

func checkPercent(p money.Decimal) error {
	if p.Sign() < 0 || p.Cmp(money.FromInt(100)) > 0 || !fits(p, 2) {
		return apperr.New(apperr.Invalid, "KONTUR_INVALID_REQUEST",
			"Процент оплаты баллами: от 0 до 100, не более двух знаков после запятой")
	}
	return nil
}

// CreatePaymentType adds a payment type to the tenant's catalog.
func (s *Service) CreatePaymentType(ctx context.Context, tenant string, in PaymentTypeInput) (PaymentType, error) {
	if err := check(in); err != nil {
		return PaymentType{}, err
	}
	if err := checkPercent(in.MaxPercent); err != nil {
		return PaymentType{}, err
	}
	st, err := s.tenantStore(tenant)
	if err != nil {
		return PaymentType{}, err
	}
	ref := newGUID()
	if in.Ref != "" {
		ref, _ = normGUID(in.Ref)
	}
	now := s.clk.Now().UTC()
	pt := PaymentType{
		Ref: ref, DeletionMark: in.DeletionMark, Code: in.Code, Name: in.Name, Kind: PaymentKind,
		Currency: in.Currency, MaxPercent: in.MaxPercent.Round(2), Enabled: in.Enabled, Created: now, Updated: now,
	}
	data, _ := json.Marshal(pt)
	it, err := st.Put(ctx, store.Item{PK: pkPaymentType, SK: ref, Data: data}, store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return PaymentType{}, ErrPaymentTypeExists
	}
	if err != nil {
		return PaymentType{}, unavailable(err)
	}
	pt.DataVersion = it.Version
	return pt, nil
}

// GetPaymentType returns a payment type by Ref.
func (s *Service) GetPaymentType(ctx context.Context, tenant, ref string) (PaymentType, error) {
	st, err := s.tenantStore(tenant)
	if err != nil {
		return PaymentType{}, err
	}
	return s.paymentType(ctx, st, ref)
}

func (s *Service) paymentType(ctx context.Context, st store.Store, ref string) (PaymentType, error) {
	ref, ok := normGUID(ref)
	if !ok {
		return PaymentType{}, ErrPaymentTypeNotFound
	}
	it, err := st.Get(ctx, pkPaymentType, ref)
	if errors.Is(err, store.ErrNotFound) {
		return PaymentType{}, ErrPaymentTypeNotFound
	}
	if err != nil {
		return PaymentType{}, unavailable(err)
	}
	return decodePaymentType(it)
}

func decodePaymentType(it store.Item) (PaymentType, error) {
	var pt PaymentType
	if err := json.Unmarshal(it.Data, &pt); err != nil {
		return PaymentType{}, fmt.Errorf("kontur: payment type %s: %w", it.SK, err)
	}
	pt.DataVersion = it.Version
	return pt, nil
}

// UpdatePaymentType changes a payment type. version is the DataVersion the client read; 0
// means "whatever is current". A stale version gives ErrVersionConflict.
func (s *Service) UpdatePaymentType(ctx context.Context, tenant, ref string, p PaymentTypePatch, version int64) (PaymentType, error) {
	if err := check(p); err != nil {
		return PaymentType{}, err
	}
	if p.MaxPercent != nil {
		if err := checkPercent(*p.MaxPercent); err != nil {
			return PaymentType{}, err
		}
	}
	st, err := s.tenantStore(tenant)
	if err != nil {
		return PaymentType{}, err
	}
	for attempt := 0; attempt < 20; attempt++ {
		cur, err := s.paymentType(ctx, st, ref)
		if err != nil {
			return PaymentType{}, err
		}
		if version != 0 && cur.DataVersion != version {
			return PaymentType{}, ErrVersionConflict
		}
		next := cur
		apply(&next, p)
		next.Updated = s.clk.Now().UTC()
		data, _ := json.Marshal(next)
		it, err := st.Update(ctx, pkPaymentType, cur.Ref, store.Update{Data: &data}, store.VersionIs(cur.DataVersion))
		switch {
		case errors.Is(err, store.ErrConditionFailed) && version == 0:
			continue // someone wrote in between; apply the patch to the new state
		case errors.Is(err, store.ErrConditionFailed):
			return PaymentType{}, ErrVersionConflict
		case errors.Is(err, store.ErrNotFound):
			return PaymentType{}, ErrPaymentTypeNotFound
		case err != nil:
			return PaymentType{}, unavailable(err)
		}
		next.DataVersion = it.Version
		return next, nil
	}
	return PaymentType{}, ErrVersionConflict
}

func apply(pt *PaymentType, p PaymentTypePatch) {
	if p.Code != nil {
		pt.Code = *p.Code
	}
	if p.Name != nil {
		pt.Name = *p.Name
	}
	if p.Currency != nil {
		pt.Currency = *p.Currency
	}
	if p.MaxPercent != nil {
		pt.MaxPercent = p.MaxPercent.Round(2)
	}
	if p.Enabled != nil {
		pt.Enabled = *p.Enabled
	}
	if p.DeletionMark != nil {
		pt.DeletionMark = *p.DeletionMark
	}
}

// DeletePaymentType removes a payment type (1C's "delete immediately"; marking for deletion
// is an update of DeletionMark). Write-offs keep a copy of what they used, so they are not
// affected. version as in UpdatePaymentType.
func (s *Service) DeletePaymentType(ctx context.Context, tenant, ref string, version int64) error {
	st, err := s.tenantStore(tenant)
	if err != nil {
		return err
	}
	ref, ok := normGUID(ref)
	if !ok {
		return ErrPaymentTypeNotFound
	}
	conds := []store.Cond{store.Exists()}
	if version != 0 {
		conds = append(conds, store.VersionIs(version))
	}
	err = st.Delete(ctx, pkPaymentType, ref, conds...)
	if errors.Is(err, store.ErrConditionFailed) {
		if _, gerr := st.Get(ctx, pkPaymentType, ref); errors.Is(gerr, store.ErrNotFound) {
			return ErrPaymentTypeNotFound
		}
		return ErrVersionConflict
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// ListPaymentTypes returns one page of the catalog in Ref order (OData's key order). limit 0
// takes the store's default page; cursor is a Next of the previous page.
func (s *Service) ListPaymentTypes(ctx context.Context, tenant, cursor string, limit int) (PaymentTypePage, error) {
	st, err := s.tenantStore(tenant)
	if err != nil {
		return PaymentTypePage{}, err
	}
	p, err := st.Query(ctx, store.Query{PK: pkPaymentType, Limit: limit, Cursor: cursor})
	if errors.Is(err, store.ErrInvalid) {
		return PaymentTypePage{}, apperr.Wrap(err, apperr.Invalid, "KONTUR_INVALID_CURSOR", "Неверная позиция страницы")
	}
	if err != nil {
		return PaymentTypePage{}, unavailable(err)
	}
	out := PaymentTypePage{Items: make([]PaymentType, 0, len(p.Items)), Next: p.Next}
	for _, it := range p.Items {
		pt, err := decodePaymentType(it)
		if err != nil {
			return PaymentTypePage{}, err
		}
		out.Items = append(out.Items, pt)
	}
	return out, nil
}

// DemoPaymentTypes are the payment types of the demo tenant, with fixed Refs so that a demo
// script can name them: points at 50 % and bonus roubles at 30 % of the saldo.
func DemoPaymentTypes() []PaymentTypeInput {
	return []PaymentTypeInput{
		{Ref: "6f1c2a3e-0b1d-4c5e-9a7b-1c2d3e4f5a01", Code: "КБ-001", Name: "Бонусные баллы Контур (бонусы)",
			Kind: PaymentKind, Currency: "BONUS", MaxPercent: money.FromInt(50), Enabled: true},
		{Ref: "6f1c2a3e-0b1d-4c5e-9a7b-1c2d3e4f5a02", Code: "КБ-002", Name: "Бонусные баллы Контур (рубли)",
			Kind: PaymentKind, Currency: "RUB", MaxPercent: money.FromInt(30), Enabled: true},
	}
}
