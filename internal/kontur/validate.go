package kontur

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/internal/apperr"
)

var (
	cardRe      = regexp.MustCompile(`^[0-9A-Za-z]{4,32}$`)
	requestIDRe = regexp.MustCompile(`^[0-9A-Za-z._:{}\-]{1,64}$`)
)

// validate checks the request structs' tags. The transport layer may run its own validator
// on the same structs; the domain checks again so that no caller can skip it.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	must := func(tag string, fn func(string) bool) {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return fn(fl.Field().String()) }); err != nil {
			panic(err)
		}
	}
	must("card", cardRe.MatchString)
	must("requestid", requestIDRe.MatchString)
	must("folio", validFolio)
	must("guid", func(s string) bool { _, ok := normGUID(s); return ok })
	must("currency", func(s string) bool { _, ok := LookupCurrency(s); return ok })
	must("kind", func(s string) bool { return s == "" || s == PaymentKind })
	// Messages name fields as the SOAP and OData contracts do.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
			return n
		}
		return f.Name
	})
	return v
}

// validFolio: a PMS folio id is 1 to 64 printable characters (PMS ids can be Cyrillic).
func validFolio(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 64 {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// fieldLabels are the Russian names of request fields, for messages.
var fieldLabels = map[string]string{
	"CardNumber":   "номер карты",
	"FolioId":      "идентификатор счёта (FolioId)",
	"PaymentType":  "вид оплаты",
	"RequestId":    "идентификатор запроса (RequestId)",
	"Ref_Key":      "ссылка (Ref_Key)",
	"Code":         "код",
	"Description":  "наименование",
	"Kind":         "тип платежа",
	"Currency":     "валюта Контура",
	"MaxPercent":   "процент оплаты баллами",
	"Amount":       "сумма",
	"Saldo":        "сальдо",
	"DeletionMark": "пометка удаления",
	"Enabled":      "признак «Включен»",
}

func label(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return field
}

// check validates a request struct and turns the first problem into a Russian message.
func check(req any) error {
	err := validate.Struct(req)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) || len(ves) == 0 {
		return apperr.Wrap(err, apperr.Invalid, "KONTUR_INVALID_REQUEST", "Неверный запрос")
	}
	fe := ves[0]
	f := label(fe.Field())
	var msg string
	switch fe.Tag() {
	case "required":
		msg = "Не заполнено поле: " + f
	case "max":
		msg = fmt.Sprintf("Поле «%s» длиннее %s символов", f, fe.Param())
	case "min":
		msg = "Не заполнено поле: " + f
	case "card":
		msg = "Номер карты: от 4 до 32 латинских букв и цифр"
	case "requestid":
		msg = "Идентификатор запроса (RequestId): от 1 до 64 символов — латинские буквы, цифры и . _ : - { }"
	case "folio":
		msg = "Идентификатор счёта (FolioId): от 1 до 64 печатных символов"
	case "guid":
		msg = fmt.Sprintf("Поле «%s»: ожидается уникальный идентификатор (GUID)", f)
	case "currency":
		msg = "Неизвестная валюта Контура; допустимы: " + currencyCodes()
	case "kind":
		msg = "Тип платежа может быть только «" + PaymentKind + "»"
	default:
		msg = fmt.Sprintf("Неверное значение поля «%s»", f)
	}
	return apperr.New(apperr.Invalid, "KONTUR_INVALID_REQUEST", msg)
}

func currencyCodes() string {
	var codes []string
	for _, c := range Currencies() {
		codes = append(codes, c.Code)
	}
	return strings.Join(codes, ", ")
}
