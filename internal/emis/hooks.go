package emis

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/store"
)

// Size limits of webhook bodies.
const (
	MaxCallbackBody = 256 << 10 // an EMIS callback: one person's documents
	MaxPMSBody      = 16 << 10  // a PMS message: a few ids and a surname
)

// Webhook errors. None of them says more than needed: a forger learns nothing.
var (
	ErrHookTooLarge = apperr.New(apperr.TooLarge, "HOOK_TOO_LARGE", "Тело запроса превышает допустимый размер")
	errHookRefused  = apperr.New(apperr.Unauthorized, "HOOK_SIGNATURE_INVALID", "Подпись запроса неверна")
	errHookStale    = apperr.New(apperr.Unauthorized, "HOOK_STALE", "Запрос устарел: время подписи вне допустимого окна")
	errHookReplay   = apperr.New(apperr.Conflict, "HOOK_REPLAYED", "Этот запрос уже был принят: повтор отклонён")
	errHookNoSecret = apperr.New(apperr.Unauthorized, "HOOK_NOT_CONFIGURED", "Подпись вебхуков для абонента не настроена")
)

// verify checks a signed webhook and records its signature (a conditional write that
// expires with the replay window), so the same request is accepted once. Nothing is written
// for a forged or stale request. The returned undo forgets the signature, for when the
// request then fails inside the hub and the sender must be able to retry it as it is.
func (s *Service) verify(ctx context.Context, ts store.Store, source, secret, header string, body []byte) (undo func(), err error) {
	if secret == "" {
		return nil, errHookNoSecret
	}
	now := s.clk.Now()
	p, sig, err := hooksig.Verify(header, body, [][]byte{[]byte(secret)}, now, hooksig.Window)
	switch {
	case errors.Is(err, hooksig.ErrStale):
		return nil, errHookStale
	case err != nil:
		return nil, apperr.Wrap(err, errHookRefused.Kind, errHookRefused.Code, errHookRefused.Message)
	}
	pk := pkNonce + source + "#" + hex.EncodeToString(sig)
	expires := p.Time.Add(hooksig.Window + time.Second)
	if _, err := ts.Put(ctx, store.Item{PK: pk, SK: "N", ExpiresAt: expires}, store.NotExists()); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return nil, errHookReplay
		}
		return nil, storeError(err)
	}
	return func() { _ = ts.Delete(context.WithoutCancel(ctx), pk, "N") }, nil
}

// CallbackResult tells what a callback did.
type CallbackResult struct {
	Version   int64
	Changed   bool // false: this version (or a newer one) was already stored
	Delivered bool // pushed to the PMS during the call
}

// HandleEmisCallback takes an EMIS callback for tenant: header is the signature header
// (hooksig format), body the raw body. A forged, stale or replayed call is refused and
// changes nothing; a version already stored changes nothing either.
func (s *Service) HandleEmisCallback(ctx context.Context, tenant, header string, body []byte) (CallbackResult, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return CallbackResult{}, errHookRefused
	}
	if len(body) > MaxCallbackBody {
		return CallbackResult{}, ErrHookTooLarge
	}
	conf, err := s.conf(ctx, tenant)
	if err != nil {
		return CallbackResult{}, err
	}
	undo, err := s.verify(ctx, ts, "emis", conf.secrets.Emis, header, body)
	if err != nil {
		s.log.WarnContext(ctx, "emis callback refused", "tenant", tenant, "code", apperr.As(err).Code)
		return CallbackResult{}, err
	}
	res, err := s.callback(ctx, ts, tenant, conf, body)
	if err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal || e.Kind == apperr.Unavailable {
			undo()
		}
		s.log.WarnContext(ctx, "emis callback failed", "tenant", tenant, "code", e.Code)
		metrics.Event("emis", "callback", metrics.Outcome(err))
		return CallbackResult{}, err
	}
	metrics.Event("emis", "callback", "ok")
	return res, nil
}

func (s *Service) callback(ctx context.Context, ts store.Store, tenant string, conf tenantConf, body []byte) (CallbackResult, error) {
	cb, err := s.emis.ParseCallback(body)
	if err != nil {
		return CallbackResult{}, apperr.Wrap(err, apperr.Invalid, "EMIS_CALLBACK_INVALID", "Неверный формат обратного вызова EMIS")
	}
	if err := s.valid.Struct(cb.Version); err != nil {
		return CallbackResult{}, invalidInput("EMIS_CALLBACK_INVALID", err)
	}
	if !refRe.MatchString(cb.SessionID) || !refRe.MatchString(cb.PersonID) {
		return CallbackResult{}, ErrUnknownSession
	}
	sit, err := ts.Get(ctx, pkSession+cb.SessionID, "S")
	if errors.Is(err, store.ErrNotFound) {
		return CallbackResult{}, ErrUnknownSession
	}
	if err != nil {
		return CallbackResult{}, storeError(err)
	}
	var sess sessionRecord
	if err := json.Unmarshal(sit.Data, &sess); err != nil {
		return CallbackResult{}, storeError(err)
	}
	if sess.PersonID != cb.PersonID {
		return CallbackResult{}, apperr.New(apperr.Invalid, "EMIS_CALLBACK_MISMATCH",
			"Обратный вызов EMIS относится к другой персоне, чем сеанс")
	}
	v := cb.Version
	v.SessionID = cb.SessionID
	if v.BookingID == "" {
		v.BookingID = sess.BookingID
	}
	keep, err := s.keep(ctx, tenant, conf)
	if err != nil {
		return CallbackResult{}, err
	}
	a, err := s.apply(ctx, ts, tenant, sess.Legal, sess.PersonID, v, keep)
	if err != nil {
		return CallbackResult{}, err
	}
	s.log.InfoContext(ctx, "emis callback", "tenant", tenant, "legal", sess.Legal, "session", cb.SessionID,
		"version", v.Number, "stored", a.rec.Version, "changed", a.changed)
	delivered, err := s.queueAndPush(ctx, tenant, ts, conf, sess.Legal, sess.PersonID, a)
	if err != nil {
		return CallbackResult{}, err
	}
	return CallbackResult{Version: a.rec.Version, Changed: a.changed, Delivered: delivered}, nil
}

// queueAndPush queues the delivery of a stored version to the PMS and, when the version is
// new, makes the first attempt now, so the PMS has the data while the operator is still at
// the desk; failures are left to DeliverDue. It reports whether that attempt delivered.
func (s *Service) queueAndPush(ctx context.Context, tenant string, ts store.Store, conf tenantConf, legal, person string, a applied) (bool, error) {
	if err := s.queue(ctx, ts, conf, legal, person, a); err != nil {
		return false, err
	}
	if !a.changed || conf.PMSWebhookURL == "" || s.sender == nil {
		return false, nil
	}
	out, err := s.deliver(ctx, tenant, ts, deliveryID(legal, person, a.rec.Version))
	return err == nil && out == outcomeDelivered, nil
}

// PMS messages (PMS → hub, POST /hooks/pms, signed with the tenant's PMS inbound secret).
const (
	EventGuestSaved   = "guest.saved"       // the PMS saved a guest: SaveGuest
	EventDocumentsGet = "documents.get"     // the PMS pulls documents: GetDocuments
	EventDocuments    = "documents.updated" // hub → PMS: a new version (Delivery)
	eventOK           = "ok"
)

// PMSMessage is the body of a PMS webhook.
type PMSMessage struct {
	Event       string `json:"event" validate:"required,oneof=guest.saved documents.get"`
	PersonID    string `json:"person_id" validate:"required,ref"`
	BookingID   string `json:"booking_id,omitempty" validate:"omitempty,ref"`
	Surname     string `json:"surname,omitempty" validate:"max=100,nocontrol"`
	LegalEntity string `json:"legal_entity,omitempty" validate:"required_if=Event documents.get,omitempty,ref"`
}

// ParsePMSMessage decodes and validates a PMS webhook body: one JSON object, at most
// MaxPMSBody bytes. Unknown fields are ignored, so PMS vendors can send more.
func ParsePMSMessage(body []byte) (PMSMessage, error) {
	if len(body) > MaxPMSBody {
		return PMSMessage{}, ErrHookTooLarge
	}
	var m PMSMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		return PMSMessage{}, apperr.Wrap(err, apperr.Invalid, "HOOK_BODY_INVALID", "Тело запроса — не объект JSON нужного вида")
	}
	if _, err := dec.Token(); err != io.EOF {
		return PMSMessage{}, apperr.New(apperr.Invalid, "HOOK_BODY_INVALID", "После объекта JSON есть лишние данные")
	}
	if err := pmsValidator.Struct(m); err != nil {
		return PMSMessage{}, invalidInput("HOOK_BODY_INVALID", err)
	}
	return m, nil
}

var pmsValidator = newValidator()

// Reply is the hub's signed answer to a PMS webhook: Signature goes into hooksig.Header.
type Reply struct {
	Body      []byte
	Signature string
}

// Delivery is the body of the hub's webhooks to the PMS and of the answer to documents.get.
type Delivery struct {
	Event      string `json:"event"`
	DeliveryID string `json:"delivery_id,omitempty"`
	Result
}

// HandlePMSHook takes a PMS webhook for tenant (header: the signature header, body: the raw
// body) and returns the signed answer. A forged, stale or replayed call is refused and
// changes nothing.
func (s *Service) HandlePMSHook(ctx context.Context, tenant, header string, body []byte) (Reply, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Reply{}, errHookRefused
	}
	if len(body) > MaxPMSBody {
		return Reply{}, ErrHookTooLarge
	}
	conf, err := s.conf(ctx, tenant)
	if err != nil {
		return Reply{}, err
	}
	if conf.secrets.PMSOut == "" {
		return Reply{}, errHookNoSecret // the answer could not be signed
	}
	undo, err := s.verify(ctx, ts, "pms", conf.secrets.PMSIn, header, body)
	if err != nil {
		s.log.WarnContext(ctx, "pms webhook refused", "tenant", tenant, "code", apperr.As(err).Code)
		return Reply{}, err
	}
	m, err := ParsePMSMessage(body)
	if err != nil {
		return Reply{}, err
	}
	var out any
	switch m.Event {
	case EventGuestSaved:
		err = s.SaveGuest(ctx, tenant, Guest{PersonID: m.PersonID, BookingID: m.BookingID, Surname: m.Surname})
		out = struct {
			Event string `json:"event"`
		}{eventOK}
	case EventDocumentsGet:
		var res Result
		res, err = s.GetDocuments(ctx, tenant, m.LegalEntity, m.PersonID)
		out = Delivery{Event: EventDocuments, Result: res}
	}
	if err != nil {
		if k := apperr.As(err).Kind; k == apperr.Internal || k == apperr.Unavailable {
			undo()
		}
		return Reply{}, err
	}
	data, err := json.Marshal(out)
	if err != nil {
		return Reply{}, storeError(err)
	}
	return Reply{Body: data, Signature: hooksig.Sign([]byte(conf.secrets.PMSOut), s.clk.Now(), data)}, nil
}
