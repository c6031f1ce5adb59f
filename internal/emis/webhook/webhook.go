// Package webhook is the HTTP edge of the EMIS domain: the handlers of the signed webhooks
// that reach the hub (POST /hooks/emis from EMIS, POST /hooks/pms from the PMS) and the
// sender of the hub's signed webhooks to the PMS. Handlers only limit, read and pass on:
// signature checks, replay protection and every rule live in package emis.
//
// The tenant is named by the query parameter "tenant" (the hub puts it in the callback URL
// it gives EMIS; the PMS is configured with it); the signature proves it, since secrets are
// per tenant.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
)

// Status maps an error to its HTTP status and JSON body {"code","message"} (the Russian
// message, never personal data). The Lambda handler uses it too.
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
	case apperr.NotImplemented:
		status = http.StatusNotImplemented
	}
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	return status, body
}

func writeError(w http.ResponseWriter, err error) {
	status, body := Status(err)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readBody reads at most limit bytes; a longer body is emis.ErrHookTooLarge.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, emis.ErrHookTooLarge
	}
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "HOOK_BODY_INVALID", "Не удалось прочитать тело запроса")
	}
	return body, nil
}

// Emis handles POST /hooks/emis?tenant=…: EMIS callbacks.
func Emis(svc *emis.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, apperr.New(apperr.Invalid, "HOOK_METHOD", "Разрешён только POST"))
			return
		}
		body, err := readBody(w, r, emis.MaxCallbackBody)
		if err == nil {
			_, err = svc.HandleEmisCallback(r.Context(), r.URL.Query().Get("tenant"), hooksig.FromRequest(r, hooksig.EmisHeader), body)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
	})
}

// PMS handles POST /hooks/pms?tenant=…: guest.saved and documents.get from the PMS. The answer
// is signed with the tenant's outbound secret (header hooksig.Header).
func PMS(svc *emis.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, apperr.New(apperr.Invalid, "HOOK_METHOD", "Разрешён только POST"))
			return
		}
		body, err := readBody(w, r, emis.MaxPMSBody)
		var reply emis.Reply
		if err == nil {
			reply, err = svc.HandlePMSHook(r.Context(), r.URL.Query().Get("tenant"), hooksig.FromRequest(r, hooksig.Header), body)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set(hooksig.Header, reply.Signature)
		writeJSON(w, http.StatusOK, reply.Body)
	})
}

// Header names of the hub's webhooks to the PMS, besides hooksig.Header.
const (
	EventHeader    = "Stykovka-Event"
	DeliveryHeader = "Stykovka-Delivery" // the same for every attempt of a delivery
)

// Sender posts the hub's webhooks to the PMS. Redirects are not followed: a delivery goes to
// the configured URL or fails.
type Sender struct{ client *http.Client }

var _ emis.Sender = (*Sender)(nil)

// NewSender returns a Sender; hc nil means a client with a 15 s timeout.
func NewSender(hc *http.Client) *Sender {
	c := &http.Client{Timeout: 15 * time.Second}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Sender{client: c}
}

// Send posts one delivery; only a 2xx answer is success. Errors name the status or the
// network failure, never a body.
func (s *Sender) Send(ctx context.Context, d emis.Outgoing) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return fmt.Errorf("PMS webhook URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(hooksig.Header, d.Signature)
	req.Header.Set(EventHeader, d.Event)
	req.Header.Set(DeliveryHeader, d.DeliveryID)
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is known to the caller; keep the cause
		}
		return fmt.Errorf("PMS unreachable: %v", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("PMS answered HTTP %d", resp.StatusCode)
	}
	return nil
}
