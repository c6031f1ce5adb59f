// Package emis is the hotel guest-documents domain: EMIS sessions per guest, EMIS callbacks,
// document checks, personal data sealed per field, and delivery to the PMS (signed outgoing
// webhook with retries and a dead-letter record, and pull).
//
// The flow (shared/INTEGRATIONS.md §1):
//
//  1. The PMS saves a guest and tells the hub (SaveGuest, from a signed PMS webhook). Only a
//     saved person has the "person id" that links the PMS and EMIS.
//  2. StartDocuments opens an EMIS session for (legal entity, person, booking) with the
//     legal entity's integration credentials and returns the EMIS page URL; an unsaved person
//     is refused before anything is sent.
//  3. The operator types or scans the documents on the EMIS page and saves; EMIS calls the hub
//     back (HandleEmisCallback, signed). The hub checks, seals and stores the version and
//     delivers it to the PMS.
//  4. GetDocuments pulls the changes since the stored version from EMIS and returns the
//     normalized documents with warnings.
//
// Transport-free: webhooks arrive as (tenant, signature header, body) and outside systems are
// reached through the small interfaces below (Client, Sender, LegalEntities). Every tenant's
// data goes through a store.ForTenant view. Personal data is sealed field by field, with a
// sealer purpose per field kind bound to the legal entity and the person, and kept only for
// the tenant's retention; logs carry codes, versions and opaque ids, never personal data.
package emis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/store"
)

// Account is a legal entity's EMIS integration login.
type Account struct {
	Login    string
	Password string
}

// SessionRequest asks EMIS for a document session of one person.
type SessionRequest struct {
	PersonID    string
	BookingID   string
	Surname     string // to greet the operator with the right guest; may be empty
	CallbackURL string // where EMIS posts the saved documents
}

// Session is an open EMIS session.
type Session struct {
	ID        string
	URL       string // the EMIS page the operator opens
	ExpiresAt time.Time
}

// Callback is a parsed EMIS callback: a person's documents saved in a session.
type Callback struct {
	SessionID string
	PersonID  string
	Version   Version
}

// Client is the EMIS protocol adapter (package emisclient). Errors wrap ErrUpstreamAuth or
// ErrUpstreamDown where they apply, and never contain personal data.
type Client interface {
	OpenSession(ctx context.Context, a Account, r SessionRequest) (Session, error)
	// Changes returns the versions of a person's documents saved after version since,
	// oldest first.
	Changes(ctx context.Context, a Account, personID string, since int64) ([]Version, error)
	// ParseCallback decodes a callback body (already size-limited and signature-checked).
	ParseCallback(body []byte) (Callback, error)
}

// Errors a Client wraps.
var (
	ErrUpstreamAuth = errors.New("emis: integration credentials refused")
	ErrUpstreamDown = errors.New("emis: unavailable")
)

// Sender posts a signed delivery to the PMS. It returns nil only for a 2xx answer; errors
// name the status or the network failure, never the body.
type Sender interface {
	Send(ctx context.Context, d Outgoing) error
}

// Outgoing is one delivery attempt to the PMS.
type Outgoing struct {
	URL        string
	DeliveryID string // the same for every attempt: the PMS's idempotency key
	Event      string
	Signature  string // hooksig header value
	Body       []byte
}

// LegalEntity is what the domain needs to know of a legal entity.
type LegalEntity struct {
	Ref         string
	Code        string
	Description string
	Enabled     bool // EMIS enabled and not marked for deletion
	Script      Script
}

// LegalEntities gives the tenant's legal entities and their EMIS credentials
// (FromLegal adapts package legal).
type LegalEntities interface {
	EmisEntities(ctx context.Context, tenant string) ([]LegalEntity, error)
	EmisEntity(ctx context.Context, tenant, ref string) (LegalEntity, error)
	EmisAccount(ctx context.Context, tenant, ref string) (Account, error)
}

// Options are the dependencies of a Service.
type Options struct {
	Store  store.Store // unscoped; the service takes a tenant view per call
	Sealer sealer.Sealer
	Clock  clock.Clock
	Log    *slog.Logger
	Legal  LegalEntities
	EMIS   Client
	// Sender delivers to the PMS; nil means pull only.
	Sender Sender
	// CallbackURL is the absolute URL of the EMIS callback endpoint (POST /hooks/emis); the
	// tenant is added as the query parameter "tenant".
	CallbackURL string
	// Zone decides what "today" is for expiry checks; nil is Moscow time (UTC+3).
	Zone *time.Location
	// Retention is the tenant's retention of personal data, the one setting of the hub
	// (tenants.Registry); Configure's Retention then changes it there. Nil: the tenant's EMIS
	// settings keep their own.
	Retention RetentionSource
}

// RetentionSource gives and changes a tenant's retention of personal data; *tenants.Registry
// implements it.
type RetentionSource interface {
	Retention(ctx context.Context, tenant string) (time.Duration, error)
	SetRetention(ctx context.Context, tenant string, d time.Duration) (time.Duration, error)
}

// Service is the EMIS domain. It is safe for concurrent use.
type Service struct {
	st          store.Store
	seal        sealer.Sealer
	clk         clock.Clock
	log         *slog.Logger
	legal       LegalEntities
	emis        Client
	sender      Sender
	callbackURL *url.URL
	zone        *time.Location
	ret         RetentionSource
	valid       *validator.Validate
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Sealer == nil || o.Clock == nil || o.Legal == nil || o.EMIS == nil {
		return nil, errors.New("emis: Store, Sealer, Clock, Legal and EMIS are required")
	}
	cb, err := url.Parse(o.CallbackURL)
	if err != nil || (cb.Scheme != "http" && cb.Scheme != "https") || cb.Host == "" {
		return nil, fmt.Errorf("emis: callback URL %q is not an absolute http(s) URL", o.CallbackURL)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Zone == nil {
		o.Zone = time.FixedZone("MSK", 3*60*60)
	}
	return &Service{
		st: o.Store, seal: o.Sealer, clk: o.Clock, log: o.Log.With("domain", "emis"),
		legal: o.Legal, emis: o.EMIS, sender: o.Sender, callbackURL: cb, zone: o.Zone,
		ret: o.Retention, valid: newValidator(),
	}, nil
}

func (s *Service) tenant(tenant string) (store.Store, error) {
	ts, err := store.ForTenant(s.st, tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Forbidden, "EMIS_TENANT", "Неизвестный абонент")
	}
	return ts, nil
}

func (s *Service) today() time.Time { return dateOf(s.clk.Now(), s.zone) }

// Errors with stable codes that callers may compare by code.
var (
	ErrPersonNotSaved = apperr.New(apperr.Invalid, "EMIS_PERSON_NOT_SAVED",
		"Гость не сохранён: у персоны нет ID, поэтому EMIS не поймёт, чьи это документы. "+
			"Сохраните гостя (достаточно заполнить фамилию), нажмите «ОК», снова откройте карточку "+
			"и перейдите в EMIS из сохранённого профиля гостя. В EMIS ничего не отправлено.")
	ErrBookingMismatch = apperr.New(apperr.Conflict, "EMIS_BOOKING_MISMATCH",
		"Гость с этим ID персоны сохранён в другом бронировании. Сохраните гостя в этом бронировании, "+
			"снова откройте его профиль и перейдите в EMIS. В EMIS ничего не отправлено.")
	ErrDisabled = apperr.New(apperr.Forbidden, "EMIS_DISABLED",
		"Для этой организации стыковка с EMIS не включена")
	ErrNoDocuments = apperr.New(apperr.NotFound, "EMIS_NO_DOCUMENTS",
		"Документы гостя ещё не сохранены в EMIS")
	ErrUnknownSession = apperr.New(apperr.NotFound, "EMIS_UNKNOWN_SESSION",
		"Сеанс EMIS не найден: документы относятся к сеансу, который хаб не открывал")
)

func upstreamError(err error) error {
	switch {
	case errors.Is(err, ErrUpstreamAuth):
		return apperr.Wrap(err, apperr.Forbidden, "EMIS_AUTH_FAILED",
			"EMIS отклонил логин и пароль интеграции организации: проверьте их в настройках организации")
	case errors.Is(err, ErrUpstreamDown), errors.Is(err, context.DeadlineExceeded):
		return apperr.Wrap(err, apperr.Unavailable, "EMIS_UNAVAILABLE",
			"Сервис EMIS недоступен, повторите попытку позже")
	}
	return apperr.Wrap(err, apperr.Internal, "EMIS_FAILED", "Ошибка обмена с EMIS")
}

func storeError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*apperr.Error); ok {
		return err
	}
	return apperr.Wrap(err, apperr.Internal, "EMIS_STORE", "Не удалось прочитать или записать данные EMIS")
}
