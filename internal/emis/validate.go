package emis

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/internal/apperr"
)

// refRe is the shape of the opaque ids the hub passes on: PMS person and booking ids, legal
// entity refs. No '#' (the store's key separator) and nothing that needs escaping in a URL.
var refRe = regexp.MustCompile(`^[0-9A-Za-z._:-]{1,64}$`)

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("nocontrol", func(fl validator.FieldLevel) bool {
		return !strings.ContainsFunc(fl.Field().String(), unicode.IsControl)
	})
	_ = v.RegisterValidation("ref", func(fl validator.FieldLevel) bool {
		return refRe.MatchString(fl.Field().String())
	})
	// JSON names in messages, so that they match what the sender wrote.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			return f.Name
		}
		return name
	})
	return v
}

// invalidInput turns validator errors into one Russian message listing the fields. It never
// quotes values: they may be personal data.
func invalidInput(code string, err error) *apperr.Error {
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		return apperr.Wrap(err, apperr.Invalid, code, "Неверные данные")
	}
	var parts []string
	for i, fe := range ve {
		if i == 5 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fieldPath(fe.Namespace())+": "+tagMessage(fe.Tag(), fe.Param()))
	}
	return apperr.New(apperr.Invalid, code, "Неверные данные: "+strings.Join(parts, "; "))
}

// fieldPath drops the struct name the namespace starts with.
func fieldPath(ns string) string {
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

func tagMessage(tag, param string) string {
	switch tag {
	case "required":
		return "не заполнено"
	case "max":
		return "длиннее " + param
	case "min":
		return "меньше " + param
	case "len":
		return "длина должна быть " + param
	case "datetime":
		return "дата должна быть в формате ГГГГ-ММ-ДД"
	case "oneof":
		return "допустимые значения: " + param
	case "ref":
		return "идентификатор: от 1 до 64 латинских букв, цифр и знаков . _ : -"
	case "nocontrol":
		return "содержит управляющие символы"
	case "numeric":
		return "только цифры"
	case "alpha", "uppercase":
		return "три заглавные латинские буквы (код ISO 3166-1)"
	case "url", "http_url":
		return "нужен адрес http или https"
	}
	return "неверное значение"
}
