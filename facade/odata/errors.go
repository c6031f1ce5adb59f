package odata

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// Error codes of odata.error (ONEC 21). 1C's own numbers are used where 1C's meaning is
// known: -1 internal error, 9 entity not found, 13 operation not supported, 14 error of an
// operation on data, 20 access denied. 6 (a request the service cannot parse) is the hub's
// choice; the hub's stable code travels in innererror.
const (
	codeInternal    = "-1"
	codeBadRequest  = "6"
	codeNotFound    = "9"
	codeUnsupported = "13"
	codeDataError   = "14"
	codeAccess      = "20"
)

func badRequest(code, msg string) *apperr.Error { return apperr.New(apperr.Invalid, code, msg) }

func notFound(code, msg string) *apperr.Error { return apperr.New(apperr.NotFound, code, msg) }

func unsupported(code, msg string) *apperr.Error {
	return apperr.New(apperr.NotImplemented, code, msg)
}

// errPrecondition is the 412 answer.
var errPrecondition = apperr.New(apperr.Conflict, "ODATA_STALE_DATA_VERSION",
	"Объект изменён другим пользователем: DataVersion в If-Match устарела, перечитайте объект")

// classify maps an error to its HTTP status, 1C code and the apperr shown to the client.
func classify(err error) (int, string, *apperr.Error) {
	switch {
	case errors.Is(err, ErrPreconditionFailed):
		return http.StatusPreconditionFailed, codeDataError, errPrecondition
	case errors.Is(err, store.ErrInvalid):
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			// A tampered $skiptoken cursor reaches the store as an invalid argument.
			return http.StatusBadRequest, codeBadRequest,
				apperr.New(apperr.Invalid, "ODATA_BAD_REQUEST", "Неверные параметры запроса")
		}
	}
	e := apperr.As(err)
	switch e.Kind {
	case apperr.Invalid:
		// The facade's own refusals are about the request; the domain's are about the data.
		if strings.HasPrefix(e.Code, "ODATA_") {
			return http.StatusBadRequest, codeBadRequest, e
		}
		return http.StatusBadRequest, codeDataError, e
	case apperr.NotFound:
		return http.StatusNotFound, codeNotFound, e
	case apperr.Conflict:
		return http.StatusConflict, codeDataError, e
	case apperr.Unauthorized:
		return http.StatusUnauthorized, codeAccess, e
	case apperr.Forbidden:
		return http.StatusForbidden, codeAccess, e
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge, codeBadRequest, e
	case apperr.Unavailable:
		return http.StatusServiceUnavailable, codeInternal, e
	case apperr.NotImplemented:
		if e.Code == "ODATA_METHOD" {
			return http.StatusMethodNotAllowed, codeUnsupported, e
		}
		if e.Code == "ODATA_MEDIA_TYPE" {
			return http.StatusUnsupportedMediaType, codeUnsupported, e
		}
		return http.StatusNotImplemented, codeUnsupported, e
	}
	return http.StatusInternalServerError, codeInternal, e
}

// writeError writes odata.error in JSON or m:error in XML (ONEC 21).
func writeError(w http.ResponseWriter, f format, status int, code string, e *apperr.Error) {
	h := w.Header()
	h.Set("DataServiceVersion", "3.0")
	h.Set("X-Content-Type-Options", "nosniff")
	var b bytes.Buffer
	if f.json() {
		h.Set("Content-Type", "application/json;charset=utf-8")
		type msg struct {
			Lang  string `json:"lang"`
			Value string `json:"value"`
		}
		type inner struct {
			Code string `json:"code"`
		}
		type body struct {
			Code       string `json:"code"`
			Message    msg    `json:"message"`
			InnerError inner  `json:"innererror"`
		}
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]body{"odata.error": {Code: code, Message: msg{Lang: "ru", Value: e.Message}, InnerError: inner{Code: e.Code}}})
	} else {
		h.Set("Content-Type", "application/xml;charset=utf-8")
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
		b.WriteString(`<m:error xmlns:m="` + nsMeta + `"><m:code>`)
		xmlText(&b, code)
		b.WriteString(`</m:code><m:message xml:lang="ru">`)
		xmlText(&b, e.Message)
		b.WriteString(`</m:message><m:innererror><m:code>`)
		xmlText(&b, e.Code)
		b.WriteString("</m:code></m:innererror></m:error>\n")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func xmlText(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }
