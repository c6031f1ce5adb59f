// Package bridge is the hub's side of the on-prem scanner bridge (cmd/bridge): enrolled
// devices, their signed uploads of Regula document reads, and the guest documents those reads
// make.
//
// The flow:
//
//  1. A tenant administrator enrols a device per front-desk workstation (EnrollDevice, through
//     the SOAP service Bridge): the hub issues a device id and a secret, shown once and kept
//     sealed; RevokeDevice refuses the device from then on.
//  2. The bridge uploads each read (package wire): the hub checks the device's signature (HMAC
//     over the timestamp and the body, package emis/hooksig, with a replay window and a record
//     of every signature taken), parses the Regula result (package regula) and deduplicates by
//     TransactionID with a conditional write: a repeated transaction changes nothing and
//     answers "duplicate".
//  3. A read whose processing did not finish, or whose overall status is an error for a reason
//     other than the document's expiry or the chip's authentication, is refused with the
//     reason. Otherwise it is mapped to the EMIS document model (package emis): the chip's
//     values win over the visual zone and the MRZ where they disagree, and the disagreement
//     is recorded; expiry and the chip's PA/AA/CA results become warnings.
//  4. The documents are attached to the guest (legal entity + PMS person id chosen at the
//     front desk) through an Attacher. Until package emis can take a scanned read into a
//     guest's EMIS documents (see Attacher), the hub keeps them here: sealed field by field
//     like EMIS data, for the tenant's EMIS retention, and served by GuestDocuments.
//
// Transport-free, like package emis: uploads arrive as (tenant, device, signature, body);
// Handler is the HTTP edge. Logs carry codes, device and transaction ids, never personal data.
package bridge

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/store"
)

// Store layout inside a tenant's view. Keys hold opaque ids only.
const (
	pkDevice = "BRIDGE#DEV"  // SK device id: a device
	pkNonce  = "BRIDGE#N#"   // + signature hex; SK "N": a signature taken (replay window)
	pkTx     = "BRIDGE#TX#"  // + transaction id; SK "T": the outcome of a transaction
	pkGuest  = "BRIDGE#P#"   // + person id; SK skDocs + legal ref: the guest's scanned documents
	skDocs   = "DOCS#"       // ; SK skImage + legal ref: the portrait
	skImage  = "IMG#"        //
	gsiDocs  = "BRIDGE#DOCS" // GSI2 of document records: SK person id + "#" + legal ref
	txKeep   = 30 * 24 * time.Hour
	nameMax  = 100
	devicePf = "dev-"
)

// refRe is the shape of the opaque ids the hub passes on (as package emis has it).
var refRe = regexp.MustCompile(`^[0-9A-Za-z._:-]{1,64}$`)

// LegalEntities tells the service about the tenant's legal entities; emis.FromLegal(…)
// satisfies it.
type LegalEntities interface {
	EmisEntity(ctx context.Context, tenant, ref string) (emis.LegalEntity, error)
}

// Options are the dependencies of a Service.
type Options struct {
	Store  store.Store // unscoped; the service takes a tenant view per call
	Sealer sealer.Sealer
	Clock  clock.Clock
	Log    *slog.Logger
	Legal  LegalEntities
	// Attacher takes the mapped reads into the guest's documents; nil means the service's own
	// store (Service.Own).
	Attacher Attacher
	// Retention says how long a tenant's personal data stays; nil means emis.DefaultRetention.
	// The hub passes the tenant's EMIS setting.
	Retention func(ctx context.Context, tenant string) (time.Duration, error)
	// Location gives a tenant's time zone, for "today" in expiry checks; nil is Moscow time.
	Location func(tenant string) *time.Location
	// Portraits keeps the holder's photo when a bridge sends one (its "images" setting);
	// without it the hub drops photos on arrival.
	Portraits bool
}

// Service is the bridge domain. It is safe for concurrent use.
type Service struct {
	st        store.Store
	seal      sealer.Sealer
	clk       clock.Clock
	log       *slog.Logger
	legal     LegalEntities
	attach    Attacher
	retention func(ctx context.Context, tenant string) (time.Duration, error)
	location  func(tenant string) *time.Location
	portraits bool
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Sealer == nil || o.Clock == nil || o.Legal == nil {
		return nil, errors.New("bridge: Store, Sealer, Clock and Legal are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: o.Store, seal: o.Sealer, clk: o.Clock, log: o.Log.With("domain", "bridge"), legal: o.Legal,
		attach: o.Attacher, retention: o.Retention, location: o.Location, portraits: o.Portraits}
	if s.attach == nil {
		s.attach = s.Own()
	}
	return s, nil
}

func (s *Service) tenant(tenant string) (store.Store, error) {
	ts, err := store.ForTenant(s.st, tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Forbidden, "BRIDGE_TENANT", "Неизвестный абонент")
	}
	return ts, nil
}

func (s *Service) keep(ctx context.Context, tenant string) time.Duration {
	if s.retention != nil {
		if d, err := s.retention(ctx, tenant); err == nil && d > 0 {
			return d
		}
	}
	return emis.DefaultRetention
}

// today is the tenant's civil date at UTC midnight, as emis.Review wants it.
func (s *Service) today(tenant string) time.Time {
	loc := time.FixedZone("MSK", 3*60*60)
	if s.location != nil {
		if l := s.location(tenant); l != nil {
			loc = l
		}
	}
	y, m, d := s.clk.Now().In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func storeError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*apperr.Error); ok {
		return err
	}
	return apperr.Wrap(err, apperr.Internal, "BRIDGE_STORE", "Не удалось прочитать или записать данные сканера документов")
}

// Errors with stable codes.
var (
	ErrAdminRequired = apperr.New(apperr.Forbidden, "BRIDGE_ADMIN_REQUIRED",
		"Подключать и отзывать сканеры документов может только администратор абонента")
	ErrDeviceNotFound = apperr.New(apperr.NotFound, "BRIDGE_DEVICE_NOT_FOUND", "Устройство (мост сканера) не найдено")
	ErrDeviceRevoked  = apperr.New(apperr.Forbidden, "BRIDGE_DEVICE_REVOKED",
		"Устройство отозвано администратором: выгрузки с него не принимаются. Подключите рабочее место заново")
	ErrNoDocuments = apperr.New(apperr.NotFound, "BRIDGE_NO_DOCUMENTS", "Документы гостя со сканера ещё не поступали")
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newDeviceID returns "dev-" and 16 random base32 letters.
func newDeviceID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return devicePf + idEncoding.EncodeToString(b)
}

// newSecret returns a random device secret: 32 bytes, base64url (43 characters).
func newSecret() string { return emis.NewSecret() }

func validName(n string) bool {
	n = strings.TrimSpace(n)
	if n == "" || len([]rune(n)) > nameMax {
		return false
	}
	return !strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
