// Package wire is the contract between the scanner bridge (cmd/bridge, package agent) and the
// hub (package bridge): the upload of one document read and the hub's answer. It imports only
// the standard library, so that the on-prem binary stays small.
//
// An upload:
//
//	POST <hub>/bridge/reads?tenant=<tenant id>
//	Content-Type: application/json
//	Stykovka-Device: <device id>
//	Stykovka-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(device secret, "<t>." + body)>
//
//	{"transactionId":"…","legalEntity":"<ref>","personId":"160848","bookingId":"473024",
//	 "readAt":"2025-07-01T09:02:11Z","result":{…Regula processing result, minimized…}}
//
// The signature is package emis/hooksig's; the device id and secret come from the hub's
// enrolment (SOAP service Bridge, EnrollDevice). Every attempt is signed anew (a signature is
// accepted once, within ±5 minutes).
//
// Answers: 200 with Outcome (Status "attached" or "duplicate": done, never send it again);
// 422 with Outcome (Status "refused": the read itself is unusable — processing not finished,
// overall status error — rescan); 400, 404, 413 with {"code","message"}: the upload is wrong
// and resending it will not help; 401, 403, 409, 429, 5xx: retry later with the same body
// (re-signed).
package wire

import (
	"encoding/json"
	"time"
)

// Path of the hub's upload endpoint.
const Path = "/bridge/reads"

// Header names besides hooksig.Header.
const (
	DeviceHeader = "Stykovka-Device"
)

// MaxUpload bounds an upload body: a minimized result (regula.MaxResultSize) and the
// envelope.
const MaxUpload = 2<<20 + 8<<10

// Upload is the body of an upload.
type Upload struct {
	// TransactionID is the result's TransactionInfo.TransactionID; for a result without one,
	// the bridge's "sha256:<hex>" of the result as the reader wrote it.
	TransactionID string `json:"transactionId"`
	// LegalEntity is the ref of the hotel's legal entity (the bridge's default unless the
	// front desk chose another).
	LegalEntity string `json:"legalEntity"`
	// PersonID is the PMS person id of the guest whose document was scanned.
	PersonID string `json:"personId"`
	// BookingID is optional.
	BookingID string `json:"bookingId,omitempty"`
	// ReadAt is when the bridge took the read.
	ReadAt time.Time `json:"readAt"`
	// Result is the Regula processing result (regula.Minimize's output).
	Result json.RawMessage `json:"result"`
}

// Outcome statuses.
const (
	StatusAttached  = "attached"  // the documents were attached to the guest
	StatusDuplicate = "duplicate" // this transaction was taken before; nothing changed
	StatusRefused   = "refused"   // the read is unusable (Code, Message say why)
)

// Outcome is the hub's answer to an upload (200 and 422).
type Outcome struct {
	Status        string `json:"status"`
	TransactionID string `json:"transactionId"`
	// Code and Message give the reason of a refusal (Russian message, no personal data).
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Document says what was read: "identity", "visa" or "residence", and Regula's name of the
	// document type (e.g. "Germany - ePassport (2017)").
	Document     string    `json:"document,omitempty"`
	DocumentName string    `json:"documentName,omitempty"`
	Warnings     []Warning `json:"warnings"`
}

// Warning is a finding for the front desk: a code, the field (never its value) and a Russian
// message.
type Warning struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error is the body of the other refusals.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
