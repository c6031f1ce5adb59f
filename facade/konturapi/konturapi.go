// Package konturapi publishes the Kontur bonus-points domain (package kontur) to the PMS front
// desk and to 1C: the SOAP service Kontur (wsdl/Kontur.wsdl) and the OData sets
// Catalog_PaymentTypes (read and write) and Document_BonusWriteOffs (read only). It only
// translates: every rule lives in package kontur.
//
// Operations of Kontur, for the principal's tenant, in the order the front desk uses them:
//
//	GetCardBalance(CardNumber)                    the card's balances per Kontur currency
//	GetAvailable(FolioId, Saldo, PaymentType, CardNumber)
//	                                              what may be paid with points: 0 with the
//	                                              reason when the saldo is not negative, …
//	WriteOff(RequestId, FolioId, CardNumber, PaymentType, Amount, Saldo)
//	                                              the payment record for the folio, exactly once
//	                                              per RequestId; a refusal is a fault with the
//	                                              reason (its code in the fault detail)
//	Cancel(RequestId)                             storno: the points go back to the card
//	GetWriteOff(RequestId)                        the write-off in any state
//	GetPaymentTypes / SavePaymentType             the catalog "Бонусы Контура" (saving needs
//	                                              a tenant administrator)
//	GetCurrencies                                 the Kontur currencies the hub knows
//
// A payment type is named by its Ref (a GUID, as GetPaymentTypes and Catalog_PaymentTypes give
// it), never by its name: names change and need not be unique, a Ref does neither. The card
// number goes in and never comes out: answers carry CardMasked (****1234).
//
// Money is xs:decimal (Edm.Decimal over OData) end to end, never a float. Times are written in
// the tenant's zone without an offset, 1C's empty date for "none".
package konturapi

import (
	"context"
	"errors"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/konturws"
)

// Version is the interface version of the Kontur service.
const Version = "1.0"

// ErrAdminRequired refuses changes of the payment-type catalog to a user who is not an
// administrator of the tenant: the catalog decides how much of a bill points may pay.
var ErrAdminRequired = apperr.New(apperr.Forbidden, "KONTUR_ADMIN_REQUIRED",
	"Изменять справочник видов оплаты «Бонусы Контура» может только администратор абонента")

// maxPaymentTypes bounds the catalog GetPaymentTypes returns at once.
const maxPaymentTypes = 1000

var errTooManyTypes = apperr.New(apperr.Invalid, "KONTUR_TOO_MANY_PAYMENT_TYPES",
	"В справочнике видов оплаты больше 1000 элементов: читайте его через OData Catalog_PaymentTypes")

// Size limits of the request fields; the domain checks their shape.
var (
	ruleBalance = soap.Rule{Type: konturws.GetCardBalance{}, Fields: map[string]string{
		"CardNumber": "required,max=32"}}
	ruleAvailable = soap.Rule{Type: konturws.GetAvailable{}, Fields: map[string]string{
		"FolioId": "required,max=64", "PaymentType": "required,max=36", "CardNumber": "required,max=32"}}
	ruleWriteOff = soap.Rule{Type: konturws.WriteOff{}, Fields: map[string]string{
		"RequestId": "required,max=64", "FolioId": "required,max=64", "CardNumber": "required,max=32",
		"PaymentType": "required,max=36"}}
	ruleCancel = soap.Rule{Type: konturws.Cancel{}, Fields: map[string]string{"RequestId": "required,max=64"}}
	ruleGet    = soap.Rule{Type: konturws.GetWriteOff{}, Fields: map[string]string{"RequestId": "required,max=64"}}
	ruleSave   = soap.Rule{Type: konturws.SavePaymentType{}, Fields: map[string]string{
		"Ref": "omitnil,max=36", "DataVersion": "omitnil,max=64", "Code": "omitnil,max=20",
		"Description": "required,max=150", "Currency": "required,max=16"}}
)

// New returns the Kontur SOAP service over svc.
func New(svc *kontur.Service) *soap.Service {
	return soap.MustService(wsdl.Kontur, Version, map[string]soap.Operation{
		"GetCardBalance": soap.Op(func(ctx context.Context, c *soap.Call, req *konturws.GetCardBalance) (*konturws.GetCardBalanceResponse, error) {
			b, err := svc.GetCardBalance(ctx, c.Principal.Tenant, kontur.BalanceRequest{CardNumber: req.CardNumber})
			if err != nil {
				return nil, err
			}
			out := &konturws.CardBalance{CardMasked: b.CardMasked, Balances: &konturws.CurrencyBalanceList{}}
			for _, cb := range b.Balances {
				out.Balances.Item = append(out.Balances.Item, &konturws.CurrencyBalance{
					Currency: cb.Currency, CurrencyName: cb.CurrencyName, Amount: cb.Amount})
			}
			return &konturws.GetCardBalanceResponse{Return_: out}, nil
		}, ruleBalance),

		"GetAvailable": soap.Op(func(ctx context.Context, c *soap.Call, req *konturws.GetAvailable) (*konturws.GetAvailableResponse, error) {
			a, err := svc.GetAvailable(ctx, c.Principal.Tenant, kontur.AvailableRequest{
				FolioID: req.FolioId, Saldo: req.Saldo, PaymentType: req.PaymentType, CardNumber: req.CardNumber})
			if err != nil {
				return nil, err
			}
			return &konturws.GetAvailableResponse{Return_: &konturws.AvailableAmount{
				Amount: a.Amount, Currency: a.Currency, CurrencyName: CurrencyName(a.Currency),
				PaymentType: a.PaymentType, PaymentTypeName: a.PaymentName,
				Balance: a.Balance, Limit: a.Limit, Used: a.Used, MaxPercent: a.MaxPercent,
				ReasonCode: a.ReasonCode, Reason: a.Reason,
			}}, nil
		}, ruleAvailable),

		"WriteOff": soap.Op(func(ctx context.Context, c *soap.Call, req *konturws.WriteOff) (*konturws.WriteOffResponse, error) {
			w, err := svc.WriteOff(ctx, c.Principal.Tenant, kontur.WriteOffRequest{
				RequestID: req.RequestId, FolioID: req.FolioId, CardNumber: req.CardNumber,
				PaymentType: req.PaymentType, Amount: req.Amount, Saldo: req.Saldo})
			if err != nil {
				return nil, err
			}
			if w.State == kontur.StateFailed {
				return nil, Refusal(w)
			}
			return &konturws.WriteOffResponse{Return_: WriteOffOf(w)}, nil
		}, ruleWriteOff),

		"Cancel": soap.Op(func(ctx context.Context, c *soap.Call, req *konturws.Cancel) (*konturws.CancelResponse, error) {
			w, err := svc.Cancel(ctx, c.Principal.Tenant, kontur.CancelRequest{RequestID: req.RequestId})
			if err != nil {
				return nil, err
			}
			return &konturws.CancelResponse{Return_: WriteOffOf(w)}, nil
		}, ruleCancel),

		"GetWriteOff": soap.Op(func(ctx context.Context, c *soap.Call, req *konturws.GetWriteOff) (*konturws.GetWriteOffResponse, error) {
			w, err := svc.GetWriteOff(ctx, c.Principal.Tenant, req.RequestId)
			if err != nil {
				return nil, err
			}
			return &konturws.GetWriteOffResponse{Return_: WriteOffOf(w)}, nil
		}, ruleGet),

		"GetPaymentTypes": soap.Op(func(ctx context.Context, c *soap.Call, _ *konturws.GetPaymentTypes) (*konturws.GetPaymentTypesResponse, error) {
			out := &konturws.PaymentTypeList{}
			cursor := ""
			for {
				p, err := svc.ListPaymentTypes(ctx, c.Principal.Tenant, cursor, 100)
				if err != nil {
					return nil, err
				}
				for _, pt := range p.Items {
					out.Item = append(out.Item, paymentTypeOf(pt))
				}
				if p.Next == "" {
					return &konturws.GetPaymentTypesResponse{Return_: out}, nil
				}
				if len(out.Item) >= maxPaymentTypes {
					return nil, errTooManyTypes
				}
				cursor = p.Next
			}
		}),

		"SavePaymentType": soap.Op(func(ctx context.Context, c *soap.Call, req *konturws.SavePaymentType) (*konturws.SavePaymentTypeResponse, error) {
			if !c.Principal.Admin {
				return nil, ErrAdminRequired
			}
			pt, err := savePaymentType(ctx, svc, c.Principal.Tenant, req)
			if err != nil {
				return nil, err
			}
			return &konturws.SavePaymentTypeResponse{Return_: paymentTypeOf(pt)}, nil
		}, ruleSave),

		"GetCurrencies": soap.Op(func(ctx context.Context, c *soap.Call, _ *konturws.GetCurrencies) (*konturws.GetCurrenciesResponse, error) {
			out := &konturws.CurrencyList{}
			for _, cur := range kontur.Currencies() {
				out.Item = append(out.Item, &konturws.Currency{Code: cur.Code, Name: cur.Name, Scale: cur.Scale})
			}
			return &konturws.GetCurrenciesResponse{Return_: out}, nil
		}),
	})
}

// savePaymentType writes the catalog element as 1C's Записать does: a Ref that exists is
// updated (with DataVersion, only if nobody changed it since it was read), anything else
// creates the element (under the Ref given, if any).
func savePaymentType(ctx context.Context, svc *kontur.Service, tenant string, req *konturws.SavePaymentType) (kontur.PaymentType, error) {
	ref := deref(req.Ref)
	var version int64
	if dv := deref(req.DataVersion); dv != "" {
		v, err := odata.ExpectedVersion(dv)
		if err != nil {
			return kontur.PaymentType{}, kontur.ErrVersionConflict
		}
		version = v
	}
	if ref != "" {
		pt, err := svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{
			Code: req.Code, Name: &req.Description, Currency: &req.Currency, MaxPercent: &req.MaxPercent,
			Enabled: &req.Enabled, DeletionMark: req.DeletionMark,
		}, version)
		if !errors.Is(err, kontur.ErrPaymentTypeNotFound) || version != 0 {
			return pt, err
		}
	}
	in := kontur.PaymentTypeInput{
		Ref: ref, Code: deref(req.Code), Name: req.Description, Kind: kontur.PaymentKind,
		Currency: req.Currency, MaxPercent: req.MaxPercent, Enabled: req.Enabled,
		DeletionMark: req.DeletionMark != nil && *req.DeletionMark,
	}
	pt, err := svc.CreatePaymentType(ctx, tenant, in)
	if errors.Is(err, kontur.ErrPaymentTypeExists) {
		// Created by a concurrent save of the same Ref: this one is an update after all.
		return svc.UpdatePaymentType(ctx, tenant, ref, kontur.PaymentTypePatch{
			Code: req.Code, Name: &req.Description, Currency: &req.Currency, MaxPercent: &req.MaxPercent,
			Enabled: &req.Enabled, DeletionMark: req.DeletionMark,
		}, 0)
	}
	return pt, err
}

// Refusal is the fault a refused write-off gives WriteOff: the reason's code and Russian text.
// Refusals under the hotel's own rules (above what is available, type disabled, too many
// write-offs on the folio) are the caller's (Client/Sender); Kontur's are not.
func Refusal(w kontur.WriteOff) *apperr.Error {
	kind := apperr.Conflict
	switch w.ReasonCode {
	case "KONTUR_AMOUNT_EXCEEDS_AVAILABLE", kontur.ReasonTypeDisabled, "KONTUR_FOLIO_FULL":
		kind = apperr.Invalid
	case kontur.ErrCardNotFound.Code:
		kind = apperr.NotFound
	}
	code, msg := w.ReasonCode, w.Reason
	if code == "" {
		code = "KONTUR_REFUSED"
	}
	if msg == "" {
		msg = "Списание не выполнено"
	}
	return apperr.New(kind, code, msg)
}

// WriteOffOf is a write-off as SOAP answers give it.
func WriteOffOf(w kontur.WriteOff) *konturws.BonusWriteOff {
	out := &konturws.BonusWriteOff{
		Ref: w.Ref, RequestId: w.RequestID, FolioId: w.FolioID, CardMasked: w.CardMasked,
		PaymentType: w.PaymentType, PaymentTypeName: w.PaymentName, Amount: w.Amount, Currency: w.Currency,
		Saldo: w.Saldo, State: string(w.State), StateName: w.State.Name(), Posted: w.Posted(),
		ReasonCode: w.ReasonCode, Reason: w.Reason, OperationId: w.OperationID,
		Created: xsd.At(w.Created), Updated: xsd.At(w.Updated),
	}
	if p := w.Payment; p != nil {
		out.Payment = &konturws.FolioPayment{
			Title: p.Title, PaymentTypeName: p.PaymentName, Amount: p.Amount, Currency: p.Currency,
			CurrencyName: CurrencyName(p.Currency), OperationId: p.OperationID,
			Time: xsd.At(p.Time), OperationTime: xsd.At(p.OperationTime),
			Cancelled: p.Cancelled, CancelledAt: xsd.At(p.CancelledAt),
		}
	}
	return out
}

func paymentTypeOf(pt kontur.PaymentType) *konturws.PaymentType {
	return &konturws.PaymentType{
		Ref: pt.Ref, DataVersion: odata.DataVersion(pt.DataVersion), DeletionMark: pt.DeletionMark,
		Code: pt.Code, Description: pt.Name, Kind: pt.Kind, Currency: pt.Currency,
		CurrencyName: CurrencyName(pt.Currency), MaxPercent: pt.MaxPercent, Enabled: pt.Enabled,
	}
}

// CurrencyName is the Russian name of a Kontur currency, or its code when the hub does not
// know it.
func CurrencyName(code string) string {
	if c, ok := kontur.LookupCurrency(code); ok {
		return c.Name
	}
	return code
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
