package novotelecom

import (
	"context"

	"github.com/stykovka/stykovka/internal/apperr"
)

// RemoteFile is a file waiting on Novotelecom's server for the hub.
type RemoteFile struct {
	ID     string // the server's id; never reused
	Name   string // the file name, e.g. Payments_20180621_007.txt
	Size   int64
	SHA256 string // hex digest of the content, when the server lists it
}

// Server is Novotelecom's file exchange as the hub uses it. The adapter (package httpclient)
// classifies its errors as *apperr.Error kinds: Unauthorized (login or password refused),
// Unavailable (network, timeouts, 5xx: try again later), TooLarge (a file over the size
// limit), Invalid or Conflict (the server refused an upload for good).
type Server interface {
	Login(ctx context.Context, login, password string) (Conn, error)
}

// Conn is one logged-in connection. Every operation is safe to repeat: Upload is idempotent
// by file name and content (a repeat reports duplicate), Delete of a deleted file succeeds.
type Conn interface {
	List(ctx context.Context) ([]RemoteFile, error)
	Upload(ctx context.Context, name string, data []byte) (duplicate bool, err error)
	Download(ctx context.Context, f RemoteFile) ([]byte, error)
	Delete(ctx context.Context, f RemoteFile) error
}

// Error codes the adapter uses; stable, for SOAP faults and logs.
const (
	CodeServerAuth     = "NOVOTELECOM_AUTH"
	CodeServerDown     = "NOVOTELECOM_UNAVAILABLE"
	CodeServerRefused  = "NOVOTELECOM_REFUSED"
	CodeServerTooLarge = "NOVOTELECOM_TOO_LARGE"
	CodeServerProtocol = "NOVOTELECOM_PROTOCOL"
)

// ErrServerAuth and the other constructors make the adapter's errors.
func ErrServerAuth(cause error) *apperr.Error {
	return apperr.Wrap(cause, apperr.Unauthorized, CodeServerAuth, "Сервер «Мои счета» не принял логин или пароль: проверьте настройки обмена")
}

// ErrServerDown: the server cannot be reached or failed; the exchange is retried later.
func ErrServerDown(cause error) *apperr.Error {
	return apperr.Wrap(cause, apperr.Unavailable, CodeServerDown, "Сервер «Мои счета» недоступен, обмен будет повторён позже")
}

// ErrServerRefused: the server refused a request for good (e.g. an upload).
func ErrServerRefused(cause error, detail string) *apperr.Error {
	return apperr.Wrap(cause, apperr.Invalid, CodeServerRefused, "Сервер «Мои счета» отказал: "+detail)
}

// ErrServerTooLarge: a file exceeds the size the hub accepts.
func ErrServerTooLarge(cause error, name string) *apperr.Error {
	return apperr.Wrap(cause, apperr.TooLarge, CodeServerTooLarge, "Файл "+name+" больше допустимого размера")
}

// ErrServerProtocol: the server answered something the adapter does not understand.
func ErrServerProtocol(cause error) *apperr.Error {
	return apperr.Wrap(cause, apperr.Unavailable, CodeServerProtocol, "Сервер «Мои счета» ответил не по протоколу, обмен будет повторён позже")
}
