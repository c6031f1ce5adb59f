package novotelecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/tenants"
)

// Step names a point of the exchange at which Deps.Crash is called.
type Step string

// Steps, in the order a session meets them.
const (
	StepBeforeUpload   Step = "before-upload"
	StepAfterUpload    Step = "after-upload"
	StepAfterMarkSent  Step = "after-mark-sent"
	StepBeforeDownload Step = "before-download"
	StepAfterDownload  Step = "after-download" // before the durable write
	StepAfterBlob      Step = "after-blob"     // the content is stored, its record not yet
	StepAfterRecord    Step = "after-record"   // after the durable write
	StepBeforeDelete   Step = "before-delete"
	StepAfterDelete    Step = "after-delete"
	StepBeforeProcess  Step = "before-process"
	StepAfterReply     Step = "after-reply" // a rejection is in Outgoing, the received file not yet moved
	StepAfterAnswer    Step = "after-answer"
	StepAfterProcess   Step = "after-process"
	StepBeforeFinish   Step = "before-finish"

	// Acceptance (Accept) has its own two.
	StepAcceptClaimed Step = "accept-claimed" // the registry is Accepting
	StepAcceptQueued  Step = "accept-queued"  // the confirmation is in Outgoing, the registry not yet Accepted
)

// ExchangeSteps lists the steps of an exchange session.
var ExchangeSteps = []Step{StepBeforeUpload, StepAfterUpload, StepAfterMarkSent, StepBeforeDownload,
	StepAfterDownload, StepAfterBlob, StepAfterRecord, StepBeforeDelete, StepAfterDelete,
	StepBeforeProcess, StepAfterReply, StepAfterAnswer, StepAfterProcess, StepBeforeFinish}

// Deps are what the service is built from.
type Deps struct {
	Store  store.Store // unscoped: the service confines each call to its tenant's view
	Blobs  blobs.Blobs
	Sealer sealer.Sealer
	Clock  clock.Clock
	Server Server // Novotelecom's file exchange (package httpclient)
	// Zone returns a tenant's time zone: registry dates are the tenant's calendar days.
	Zone func(ctx context.Context, tenant string) (*time.Location, error)
	Log  *slog.Logger // nil: discard
	// Crash, when set, is called at every Step; crash tests panic in it.
	Crash func(Step)
}

// Service is the «Мои счета» module: settings, registries, exchange, acceptance. It is safe
// for concurrent use; all state is in the store and the blobs.
type Service struct {
	d     Deps
	log   *slog.Logger
	valid *validator.Validate
}

// New checks deps and returns the service.
func New(d Deps) (*Service, error) {
	var missing []string
	if d.Store == nil {
		missing = append(missing, "Store")
	}
	if d.Blobs == nil {
		missing = append(missing, "Blobs")
	}
	if d.Sealer == nil {
		missing = append(missing, "Sealer")
	}
	if d.Clock == nil {
		missing = append(missing, "Clock")
	}
	if d.Server == nil {
		missing = append(missing, "Server")
	}
	if d.Zone == nil {
		missing = append(missing, "Zone")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("novotelecom: missing dependencies %v", missing)
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	_ = v.RegisterValidation("nocontrol", func(fl validator.FieldLevel) bool {
		return !strings.ContainsFunc(fl.Field().String(), unicode.IsControl)
	})
	return &Service{d: d, log: log.With("module", "novotelecom"), valid: v}, nil
}

func (s *Service) crash(step Step) {
	if s.d.Crash != nil {
		s.d.Crash(step)
	}
}

// Store layout, inside the tenant's view.
const (
	pkSettings = "NT#SET"     // SK "settings"
	pkFile     = "NT#FILE"    // SK file id: every registry, both directions
	pkSeq      = "NT#SEQ"     // SK KIND#YYYYMMDD: number counters
	pkRequest  = "NT#REQ"     // SK request id: submitted data, once
	pkAccounts = "NT#ACC"     // SK "set": the known accounts (a blob)
	pkServerID = "NT#SRVID"   // SK server file id: what a server file was stored as
	pkSession  = "NT#SES"     // SK session id (sortable time)
	pkLock     = "NT#LOCK"    // SK "exchange"
	pkError    = "NT#ERR"     // SK error id
	gsiFolder  = "NT#FOLDER#" // GSI1: files of a folder, by time
	gsiSession = "NT#SESF#"   // GSI2: files a session sent or received
	gsiErrors  = "NT#ERRORS"  // GSI1: errors by time

	// pkEnabled, in the unscoped store, lists the tenants that saved settings, so that the
	// scheduled run can find them.
	pkEnabled = "SYS#NOVOTELECOM"
)

// blobKey is where a tenant's file lives in Blobs.
func blobKey(tenant string, parts ...string) string {
	return "t/" + tenant + "/novotelecom/" + strings.Join(parts, "/")
}

func (s *Service) tenantStore(tenant string) (store.Store, error) {
	ts, err := store.ForTenant(s.d.Store, tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Forbidden, "NOVOTELECOM_TENANT", "Неизвестный абонент")
	}
	return ts, nil
}

// today is the tenant's calendar day, as a civil date.
func (s *Service) today(ctx context.Context, tenant string) (time.Time, error) {
	loc, err := s.d.Zone(ctx, tenant)
	if err != nil {
		return time.Time{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_ZONE", "Не удалось определить часовой пояс абонента")
	}
	y, m, d := s.d.Clock.Now().In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC() }

// keep gives the blob of a file whose processing is finished (its personal data delivered) a
// lease of the tenant's retention (package retention): the hub's retention-sweep deletes it
// then. Only files the exchange never reads again are kept: an accepted or rejected received
// registry, an applied answer, an outgoing file Novotelecom answered or refused, a confirmation
// or rejection once sent. Never call it before the file's last move is stored.
func (s *Service) keep(ctx context.Context, tenant string, r *fileRecord) error {
	if r == nil || r.Blob == "" {
		return nil
	}
	if _, err := retention.KeepBlob(ctx, s.d.Store, tenant, r.Blob, s.now()); err != nil {
		return storeErr(err, "срок хранения реестра")
	}
	return nil
}

// errExpired answers for a file the retention-sweep deleted: its record stays, its content
// is gone.
func errExpired() *apperr.Error {
	return apperr.New(apperr.NotFound, "NOVOTELECOM_FILE_EXPIRED", "Файл удалён по сроку хранения персональных данных")
}

// fileContent reads a file's content; a file deleted by its retention is NOVOTELECOM_FILE_EXPIRED.
func (s *Service) fileContent(ctx context.Context, r *fileRecord) ([]byte, error) {
	data, err := s.d.Blobs.Get(ctx, r.Blob)
	if errors.Is(err, blobs.ErrNotFound) {
		return nil, errExpired()
	}
	if err != nil {
		return nil, storeErr(err, "файл реестра")
	}
	return data, nil
}

// errorExpiry is when an error record, which may quote an account number of a file, expires:
// the tenant's retention of personal data from now.
func (s *Service) errorExpiry(ctx context.Context, tenant string) (time.Time, error) {
	keep, err := tenants.RetentionOf(ctx, s.d.Store, tenant)
	if err != nil {
		return time.Time{}, storeErr(err, "срок хранения")
	}
	return s.now().Add(keep), nil
}

// storeErr wraps an unexpected store or blob failure; apperr errors pass through.
func storeErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apperr.Wrap(err, apperr.Unavailable, "NOVOTELECOM_TIMEOUT", "Операция прервана по времени: "+what)
	}
	return apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_STORE", "Ошибка хранилища: "+what)
}

func invalid(code, msg string) *apperr.Error { return apperr.New(apperr.Invalid, code, msg) }

// validate runs validator/v10 on a request and turns its report into a Russian message.
func (s *Service) validate(req any) error {
	err := s.valid.Struct(req)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_VALIDATOR", "Внутренняя ошибка проверки запроса")
	}
	var parts []string
	for _, fe := range ves {
		rule := fe.Tag()
		if fe.Param() != "" {
			rule += "=" + fe.Param()
		}
		// "DebtsRequest.Lines[3].Account" → "Lines[3].Account"
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		parts = append(parts, "«"+ns+"» ("+rule+")")
	}
	return apperr.Wrap(err, apperr.Invalid, "NOVOTELECOM_VALIDATION", "Неверные значения параметров: "+strings.Join(parts, ", "))
}
