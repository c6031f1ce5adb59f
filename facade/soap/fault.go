package soap

import (
	"net/http"
	"strconv"

	"github.com/stykovka/stykovka/internal/apperr"
)

// FaultNamespace is the namespace of the element every fault carries in its detail:
//
//	<h:Error xmlns:h="http://stykovka.ru/hub"><h:Code>…</h:Code><h:Message>…</h:Message></h:Error>
//
// It is the Hub service's namespace; Hub.wsdl declares the element (type ErrorInfo), so one
// shape serves every service and a client parses it once. Code is apperr's stable code,
// Message the Russian text that faultstring (SOAP 1.1) or Reason/Text (SOAP 1.2) repeats.
const FaultNamespace = "http://stykovka.ru/hub"

// faultCode is the SOAP fault code's local name for e in version v: client errors
// (the request is wrong: Invalid, and refused credentials or size) are Client/Sender,
// everything else Server/Receiver.
func faultCode(v *version, e *apperr.Error) string {
	switch e.Code {
	case codeVersion:
		return "VersionMismatch"
	case codeMustUnderstnd:
		return "MustUnderstand"
	}
	client := false
	switch e.Kind {
	case apperr.Invalid, apperr.Unauthorized, apperr.Forbidden, apperr.TooLarge:
		client = true
	}
	switch {
	case client && v == soap12:
		return "Sender"
	case client:
		return "Client"
	case v == soap12:
		return "Receiver"
	}
	return "Server"
}

// faultBody returns the fault envelope for e.
func faultBody(v *version, e *apperr.Error) []byte {
	b := make([]byte, 0, 512+2*len(e.Message))
	b = append(b, `<soap:Envelope xmlns:soap="`...)
	b = append(b, v.ns...)
	b = append(b, `"><soap:Header/><soap:Body><soap:Fault>`...)
	code := faultCode(v, e)
	if v == soap12 {
		b = append(b, `<soap:Code><soap:Value>soap:`...)
		b = append(b, code...)
		b = append(b, `</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="ru">`...)
		b = appendEscaped(b, e.Message, false)
		b = append(b, `</soap:Text></soap:Reason><soap:Detail>`...)
	} else {
		b = append(b, `<faultcode>soap:`...)
		b = append(b, code...)
		b = append(b, `</faultcode><faultstring>`...)
		b = appendEscaped(b, e.Message, false)
		b = append(b, `</faultstring><detail>`...)
	}
	b = append(b, `<h:Error xmlns:h="`+FaultNamespace+`"><h:Code>`...)
	b = appendEscaped(b, e.Code, false)
	b = append(b, `</h:Code><h:Message>`...)
	b = appendEscaped(b, e.Message, false)
	b = append(b, `</h:Message></h:Error>`...)
	if v == soap12 {
		b = append(b, `</soap:Detail>`...)
	} else {
		b = append(b, `</detail>`...)
	}
	return append(b, `</soap:Fault></soap:Body></soap:Envelope>`...)
}

// writeFault answers with a fault of version v and the given HTTP status (500 for faults of
// a call, ONEC.md 11; 401, 404, 405 and 413 where HTTP has a better word).
func writeFault(w http.ResponseWriter, v *version, status int, e *apperr.Error) {
	body := faultBody(v, e)
	h := w.Header()
	h.Set("Content-Type", v.contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// deniedStatus is the HTTP status of an authentication refusal.
func deniedStatus(e *apperr.Error) int {
	switch e.Kind {
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
