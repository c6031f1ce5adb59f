package sep

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/internal/apperr"
)

// Errors with stable codes; messages are for 1C users and carry no personal data.
var (
	ErrNotConfigured   = apperr.New(apperr.Invalid, "SEP_NOT_CONFIGURED", "Интеграция с СЭП не настроена: нет организации с таким ИНН в настройках")
	ErrAssetNotFound   = apperr.New(apperr.NotFound, "SEP_ASSET_NOT_FOUND", "Основное средство не найдено")
	ErrPersonNotFound  = apperr.New(apperr.NotFound, "SEP_PERSON_NOT_FOUND", "Ответственное лицо не найдено")
	ErrContractNotFnd  = apperr.New(apperr.NotFound, "SEP_CONTRACT_NOT_FOUND", "Приложение к договору лизинга не найдено")
	ErrAppNotFound     = apperr.New(apperr.NotFound, "SEP_APPLICATION_NOT_FOUND", "Заявление не найдено: запросите данные заявления из СЭП")
	ErrEntryNotFound   = apperr.New(apperr.NotFound, "SEP_QUEUE_ENTRY_NOT_FOUND", "Запрос в очереди обмена не найден")
	ErrLetterNotFound  = apperr.New(apperr.NotFound, "SEP_LETTER_NOT_FOUND", "Письмо не найдено")
	ErrLeaseNotFound   = apperr.New(apperr.NotFound, "SEP_LEASE_NOT_FOUND", "Заявление на лизинг не найдено")
	ErrAppClosed       = apperr.New(apperr.Conflict, "SEP_APPLICATION_CLOSED", "Заявление уже исполнено или отклонено")
	ErrAppType         = apperr.New(apperr.Invalid, "SEP_APPLICATION_TYPE", "Заявление другого типа")
	ErrNotParty        = apperr.New(apperr.Invalid, "SEP_NOT_A_PARTY", "Ни одна организация из настроек не является стороной заявления")
	ErrCodeRequired    = apperr.New(apperr.Invalid, "SEP_CODE_REQUIRED", "Нет кода подтверждения: введите код из письма СЭП")
	ErrNotOwned        = apperr.New(apperr.Conflict, "SEP_ASSET_NOT_OWNED", "Не все основные средства в статусе «В собственности»")
	ErrNoEPTS          = apperr.New(apperr.Invalid, "SEP_ASSET_NO_EPTS", "У основного средства не указан номер ЭПТС")
	ErrLeaseActive     = apperr.New(apperr.Conflict, "SEP_LEASE_EXISTS", "По приложению уже отправлено заявление на лизинг")
	ErrLeaseNotCreated = apperr.New(apperr.Conflict, "SEP_LEASE_NOT_CREATED", "Заявление на лизинг ещё не зарегистрировано в СЭП: дождитесь ответа")
	ErrNoMailbox       = apperr.New(apperr.Invalid, "SEP_NO_MAILBOX", "Не указана почта для кода подтверждения лизингополучателя (техническая почта в настройках или почта партнёра)")
	ErrRequestBusy     = apperr.New(apperr.Conflict, "SEP_REQUEST_ID_REUSED", "Идентификатор запроса уже использован для другого запроса")
	ErrMailTooLarge    = apperr.New(apperr.TooLarge, "SEP_MAIL_TOO_LARGE", "Письмо больше допустимого размера")
)

var (
	innRe       = regexp.MustCompile(`^(\d{10}|\d{12})$`)
	ogrnRe      = regexp.MustCompile(`^(\d{13}|\d{15})$`)
	eptsRe      = regexp.MustCompile(`^\d{15}$`)
	vinRe       = regexp.MustCompile(`^[A-HJ-NPR-Z0-9]{17}$`)
	idRe        = regexp.MustCompile(`^[0-9A-Za-z._:{}\-]{1,64}$`)
	codeRe      = regexp.MustCompile(`^[0-9A-Za-z]{4,12}$`)
	appNumberRe = regexp.MustCompile(`^[0-9A-Za-zА-Яа-яЁё/_\-]{1,40}$`)
)

// validate checks request structs' tags; the transport may validate the same structs first,
// the domain checks again so that no caller can skip it.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	must := func(tag string, re *regexp.Regexp) {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return re.MatchString(fl.Field().String()) }); err != nil {
			panic(err)
		}
	}
	must("inn", innRe)
	must("ogrn", ogrnRe)
	must("epts", eptsRe)
	must("vin", vinRe)
	must("sepid", idRe)
	must("sepcode", codeRe)
	must("appnumber", appNumberRe)
	if err := v.RegisterValidation("partystatus", func(fl validator.FieldLevel) bool {
		switch PartyStatus(fl.Field().String()) {
		case "", PartyPending, PartyConfirmed, PartyNotApplicable, PartyRejected:
			return true
		}
		return false
	}); err != nil {
		panic(err)
	}
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
			return n
		}
		return f.Name
	})
	return v
}

// check validates a request struct and turns the first failure into a Russian message that
// names the field (never its value, which may be personal data).
func check(req any) error {
	err := validate.Struct(req)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if errors.As(err, &ves) && len(ves) > 0 {
		fe := ves[0]
		return apperr.Wrap(err, apperr.Invalid, "SEP_INVALID_REQUEST",
			fmt.Sprintf("Неверное значение поля «%s» (%s)", fe.Field(), ruTag(fe.Tag())))
	}
	return apperr.Wrap(err, apperr.Invalid, "SEP_INVALID_REQUEST", "Неверный запрос")
}

func ruTag(tag string) string {
	switch tag {
	case "required":
		return "обязательно"
	case "inn":
		return "ИНН: 10 или 12 цифр"
	case "ogrn":
		return "ОГРН: 13 или 15 цифр"
	case "epts":
		return "номер ЭПТС: 15 цифр"
	case "vin":
		return "VIN: 17 латинских букв и цифр без I, O, Q"
	case "sepid":
		return "идентификатор: латиница, цифры, до 64 символов"
	case "sepcode":
		return "код подтверждения: 4–12 букв или цифр"
	case "email":
		return "адрес электронной почты"
	case "max", "min", "len":
		return "длина или количество"
	case "partystatus", "oneof":
		return "недопустимое значение"
	case "gtefield", "gtfield":
		return "дата раньше допустимой"
	}
	return tag
}
