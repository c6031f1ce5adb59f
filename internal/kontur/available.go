package kontur

import (
	"context"
	"errors"
	"fmt"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
)

// BalanceRequest asks for a card's balances (SOAP GetCardBalance).
type BalanceRequest struct {
	CardNumber string `json:"CardNumber" validate:"required,card"`
}

// CardBalance is a card's balance per Kontur currency.
type CardBalance struct {
	CardMasked string // the card as the front desk may see it: ****1234
	Balances   []CurrencyBalance
}

// CurrencyBalance is the balance in one currency.
type CurrencyBalance struct {
	Currency     string
	CurrencyName string // Russian
	Amount       money.Decimal
}

// GetCardBalance asks Kontur for the card's balances.
func (s *Service) GetCardBalance(ctx context.Context, tenant string, req BalanceRequest) (CardBalance, error) {
	if err := check(req); err != nil {
		return CardBalance{}, err
	}
	if _, err := s.tenantStore(tenant); err != nil {
		return CardBalance{}, err
	}
	cl, err := s.client(ctx, tenant)
	if err != nil {
		return CardBalance{}, err
	}
	bals, err := cl.Balance(ctx, req.CardNumber)
	if errors.Is(err, ErrNotFound) {
		return CardBalance{}, ErrCardNotFound
	}
	if err != nil {
		return CardBalance{}, unavailable(err)
	}
	out := CardBalance{CardMasked: maskCard(req.CardNumber)}
	for _, b := range bals {
		out.Balances = append(out.Balances, CurrencyBalance{Currency: b.Currency, CurrencyName: currencyName(b.Currency), Amount: b.Amount})
	}
	return out, nil
}

// AvailableRequest asks how much of a folio the card may pay with a payment type (SOAP
// GetAvailable). Saldo is the folio's saldo in the PMS: negative while the guest owes.
type AvailableRequest struct {
	FolioID     string        `json:"FolioId" validate:"required,folio"`
	Saldo       money.Decimal `json:"Saldo"`
	PaymentType string        `json:"PaymentType" validate:"required,guid"`
	CardNumber  string        `json:"CardNumber" validate:"required,card"`
}

// Available is the amount the front desk may write off, with what it was computed from.
type Available struct {
	// Amount is min(Balance, Limit − Used), rounded down to the currency's unit; 0 with a
	// reason when nothing may be written off.
	Amount      money.Decimal
	Currency    string
	PaymentType string // Ref
	PaymentName string
	Balance     money.Decimal // the card's balance in Currency
	// Limit is MaxPercent % of the folio's debt (the largest |saldo| the hub has seen for the
	// folio), rounded down; Used is what the hub has written off the folio with this payment
	// type, or is writing off now.
	Limit      money.Decimal
	Used       money.Decimal
	MaxPercent money.Decimal
	ReasonCode string
	Reason     string
}

// Reasons why nothing is available.
const (
	ReasonSaldoNotNegative = "KONTUR_SALDO_NOT_NEGATIVE"
	ReasonTypeDisabled     = "KONTUR_TYPE_DISABLED"
	ReasonZeroPercent      = "KONTUR_ZERO_PERCENT"
	ReasonNoBalance        = "KONTUR_NO_BALANCE"
	ReasonFolioLimit       = "KONTUR_FOLIO_LIMIT_REACHED"
)

// GetAvailable computes what may be written off: 0 with the reason when the saldo is not
// negative or the type is disabled, otherwise min(balance, MaxPercent % of |saldo| less what
// was already written off the folio), rounded down to the currency's unit.
func (s *Service) GetAvailable(ctx context.Context, tenant string, req AvailableRequest) (Available, error) {
	if err := check(req); err != nil {
		return Available{}, err
	}
	st, err := s.tenantStore(tenant)
	if err != nil {
		return Available{}, err
	}
	pt, err := s.paymentType(ctx, st, req.PaymentType)
	if err != nil {
		return Available{}, err
	}
	cur, ok := LookupCurrency(pt.Currency)
	if !ok {
		return Available{}, apperr.New(apperr.Internal, "KONTUR_CURRENCY_UNKNOWN", "Неизвестная валюта вида оплаты: "+pt.Currency)
	}
	zero := money.New(0, cur.Scale)
	out := Available{
		Amount: zero, Currency: cur.Code, PaymentType: pt.Ref, PaymentName: pt.Name,
		Balance: zero, Limit: zero, Used: zero, MaxPercent: pt.MaxPercent,
	}
	if !pt.Enabled || pt.DeletionMark {
		out.ReasonCode, out.Reason = ReasonTypeDisabled, disabledReason(pt.Name)
		return out, nil
	}
	if req.Saldo.Sign() >= 0 {
		out.ReasonCode, out.Reason = ReasonSaldoNotNegative, ErrSaldoNotNegative.Message
		return out, nil
	}
	cl, err := s.client(ctx, tenant)
	if err != nil {
		return Available{}, err
	}
	bals, err := cl.Balance(ctx, req.CardNumber)
	if errors.Is(err, ErrNotFound) {
		return Available{}, ErrCardNotFound
	}
	if err != nil {
		return Available{}, unavailable(err)
	}
	f, _, err := s.folio(ctx, st, req.FolioID)
	if err != nil {
		return Available{}, unavailable(err)
	}
	out.Balance = floorTo(balanceIn(bals, cur.Code), cur.Scale)
	out.Limit = folioLimit(f.Base, req.Saldo, pt.MaxPercent, cur.Scale)
	out.Used = f.held(pt.Ref).Round(cur.Scale)
	room := out.Limit.Sub(out.Used)
	out.Amount = floorTo(minDec(out.Balance, room), cur.Scale)
	if out.Amount.Sign() <= 0 {
		out.Amount = zero
		switch {
		case pt.MaxPercent.Sign() == 0:
			out.ReasonCode, out.Reason = ReasonZeroPercent,
				fmt.Sprintf("Для вида оплаты «%s» оплата баллами не разрешена (0 %%)", pt.Name)
		case out.Balance.Sign() <= 0:
			out.ReasonCode, out.Reason = ReasonNoBalance,
				fmt.Sprintf("На карте нет средств в валюте «%s»", cur.Name)
		default:
			out.ReasonCode, out.Reason = ReasonFolioLimit,
				fmt.Sprintf("Лимит оплаты баллами по счёту исчерпан: уже списано %s из %s", out.Used, out.Limit)
		}
	}
	return out, nil
}

func disabledReason(name string) string {
	return fmt.Sprintf("Вид оплаты «%s» выключен", name)
}

// folioLimit is pct % of the folio's debt, rounded down. The debt is the largest |saldo| the
// hub has seen for the folio: after a write-off the PMS sends a smaller saldo, and the share
// must still be taken of the whole debt, not of what is left.
func folioLimit(base, saldo, pct money.Decimal, scale int32) money.Decimal {
	debt := abs(saldo)
	if base.Cmp(debt) > 0 {
		debt = base
	}
	return floorTo(percentOf(debt, pct), scale)
}

// balanceIn returns the balance in currency, 0 when the card has none.
func balanceIn(bals []Balance, currency string) money.Decimal {
	for _, b := range bals {
		if b.Currency == currency {
			return b.Amount
		}
	}
	return money.Decimal{}
}
