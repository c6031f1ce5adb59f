package bridge

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
)

// Status maps an error to its HTTP status and the JSON body {"code","message"}.
func Status(err error) (int, []byte) {
	e := apperr.As(err)
	status := http.StatusInternalServerError
	switch e.Kind {
	case apperr.Invalid:
		status = http.StatusBadRequest
	case apperr.NotFound:
		status = http.StatusNotFound
	case apperr.Conflict:
		status = http.StatusConflict
	case apperr.Unauthorized:
		status = http.StatusUnauthorized
	case apperr.Forbidden:
		status = http.StatusForbidden
	case apperr.Unavailable:
		status = http.StatusServiceUnavailable
	case apperr.TooLarge:
		status = http.StatusRequestEntityTooLarge
	}
	body, _ := json.Marshal(wire.Error{Code: e.Code, Message: e.Message})
	return status, body
}

// Handler serves POST /bridge/reads?tenant=…: the bridge's uploads. 200 with the outcome
// (attached or duplicate), 422 with the outcome of a refused read, errors as
// {"code","message"} (see package wire).
func Handler(s *Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, apperr.New(apperr.Invalid, "HOOK_METHOD", "Разрешён только POST"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wire.MaxUpload))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, ErrUploadTooLarge)
			return
		}
		if err != nil {
			writeError(w, apperr.Wrap(err, apperr.Invalid, "HOOK_BODY_INVALID", "Не удалось прочитать тело запроса"))
			return
		}
		// The API Gateway adapter splits header values at commas; "t=…,v1=…" is one value.
		sig := hooksig.FromRequest(r, hooksig.Header)
		res, err := s.HandleUpload(r.Context(), r.URL.Query().Get("tenant"), r.Header.Get(wire.DeviceHeader), sig, body)
		if err != nil {
			writeError(w, err)
			return
		}
		status := http.StatusOK
		if res.Refused {
			status = http.StatusUnprocessableEntity
		}
		out, _ := json.Marshal(res.Outcome)
		writeJSON(w, status, out)
	})
}

func writeError(w http.ResponseWriter, err error) {
	status, body := Status(err)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
