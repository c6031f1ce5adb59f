// Package apperr carries errors with a stable machine code and a Russian message for 1C users.
//
// The code goes into SOAP faults, OData errors and logs; the message is what a 1C user reads.
// Neither may contain personal data.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for transports (HTTP status, OData code).
type Kind int

// Kinds of errors.
const (
	Internal       Kind = iota // a fault of the hub or of an outside system
	Invalid                    // the request is malformed or fails validation
	NotFound                   // the addressed object does not exist
	Conflict                   // a state or version conflict
	Unauthorized               // no or wrong credentials
	Forbidden                  // authenticated, but not allowed
	Unavailable                // an outside system is unreachable; retry later
	TooLarge                   // the input exceeds a size limit
	NotImplemented             // the operation is not built yet
)

// Error is an error with a stable code and a Russian message.
type Error struct {
	Kind    Kind
	Code    string // stable, e.g. "STORE_CONDITION_FAILED"
	Message string // Russian, for users
	Err     error  // cause, for logs; never shown to users
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an Error.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Wrap returns an Error with a cause.
func Wrap(err error, kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Err: err}
}

// As returns the first *Error in err's chain, or an Internal one wrapping err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "INTERNAL", Message: "Внутренняя ошибка сервиса", Err: err}
}
