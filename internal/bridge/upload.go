package bridge

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/regula"
	"github.com/stykovka/stykovka/internal/store"
)

// Upload errors. None says more than needed: a forger learns nothing.
var (
	ErrUploadTooLarge = apperr.New(apperr.TooLarge, "BRIDGE_UPLOAD_TOO_LARGE",
		"Выгрузка больше 2 МиБ: включены изображения? Выключите images в настройках моста")
	errSignature = apperr.New(apperr.Unauthorized, "HOOK_SIGNATURE_INVALID", "Подпись запроса неверна")
	errStale     = apperr.New(apperr.Unauthorized, "HOOK_STALE",
		"Запрос устарел: время подписи вне допустимого окна (проверьте часы компьютера со сканером)")
	errReplay = apperr.New(apperr.Conflict, "HOOK_REPLAYED", "Этот запрос уже был принят: повтор отклонён")
)

// UploadResult is the outcome of an upload and whether it is a refusal of the read (HTTP 422).
type UploadResult struct {
	Outcome wire.Outcome
	Refused bool
}

// txRecord is the stored outcome of a transaction: ids, codes and messages, no personal data.
type txRecord struct {
	Device  string       `json:"dev"`
	Legal   string       `json:"le,omitempty"`
	Person  string       `json:"p,omitempty"`
	At      time.Time    `json:"at"`
	Outcome wire.Outcome `json:"o"`
}

// HandleUpload takes a bridge's upload for tenant: device is the device header, header the
// signature header (hooksig format), body the raw body. A forged, stale, replayed or revoked
// upload is refused and changes nothing; a transaction taken before answers "duplicate" with
// the first outcome; an unusable read answers "refused" with the reason.
func (s *Service) HandleUpload(ctx context.Context, tenant, device, header string, body []byte) (UploadResult, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return UploadResult{}, errSignature
	}
	if len(body) > wire.MaxUpload {
		return UploadResult{}, ErrUploadTooLarge
	}
	dev, secret, err := s.device(ctx, ts, tenant, device)
	if errors.Is(err, errUnknownDevice) {
		s.log.WarnContext(ctx, "upload refused", "tenant", tenant, "code", "BRIDGE_DEVICE_UNKNOWN")
		return UploadResult{}, errSignature
	}
	if err != nil {
		return UploadResult{}, err
	}
	now := s.clk.Now()
	p, sig, err := hooksig.Verify(header, body, [][]byte{secret}, now, hooksig.Window)
	clear(secret)
	switch {
	case errors.Is(err, hooksig.ErrStale):
		s.log.WarnContext(ctx, "upload refused", "tenant", tenant, "device", dev.ID, "code", errStale.Code)
		return UploadResult{}, errStale
	case err != nil:
		s.log.WarnContext(ctx, "upload refused", "tenant", tenant, "device", dev.ID, "code", errSignature.Code)
		return UploadResult{}, errSignature
	}
	if dev.Revoked {
		s.log.WarnContext(ctx, "upload refused", "tenant", tenant, "device", dev.ID, "code", ErrDeviceRevoked.Code)
		return UploadResult{}, ErrDeviceRevoked
	}
	nonce := pkNonce + hex.EncodeToString(sig)
	if _, err := ts.Put(ctx, store.Item{PK: nonce, SK: "N", ExpiresAt: p.Time.Add(hooksig.Window + time.Second)}, store.NotExists()); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return UploadResult{}, errReplay
		}
		return UploadResult{}, storeError(err)
	}
	// From here the upload is the device's and is carried through even if the bridge hangs up
	// (a killed bridge resends it, and then finds it done).
	ctx = context.WithoutCancel(ctx)
	s.seen(ctx, ts, tenant, dev.ID)
	res, err := s.upload(ctx, ts, tenant, dev.ID, body)
	if err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal || e.Kind == apperr.Unavailable {
			// The hub failed, not the upload: let the bridge retry it as it is.
			_ = ts.Delete(ctx, nonce, "N")
		}
		s.log.WarnContext(ctx, "upload failed", "tenant", tenant, "device", dev.ID, "code", e.Code)
		return UploadResult{}, err
	}
	s.log.InfoContext(ctx, "upload", "tenant", tenant, "device", dev.ID, "tx", res.Outcome.TransactionID,
		"status", res.Outcome.Status, "code", res.Outcome.Code, "warnings", len(res.Outcome.Warnings))
	return res, nil
}

func invalidUpload(msg string) *apperr.Error {
	return apperr.New(apperr.Invalid, "BRIDGE_UPLOAD_INVALID", "Неверная выгрузка моста сканера: "+msg)
}

// ParseUpload decodes and checks an upload body.
func ParseUpload(body []byte) (wire.Upload, error) {
	var u wire.Upload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&u); err != nil {
		return wire.Upload{}, invalidUpload("тело — не объект JSON нужного вида")
	}
	if _, err := dec.Token(); err != io.EOF {
		return wire.Upload{}, invalidUpload("после объекта JSON есть лишние данные")
	}
	if !validTxID(u.TransactionID) {
		return wire.Upload{}, invalidUpload("transactionId: от 1 до 128 печатных символов ASCII без пробелов")
	}
	if u.LegalEntity == "" {
		return wire.Upload{}, errLegalInvalid
	}
	if !refRe.MatchString(u.LegalEntity) {
		return wire.Upload{}, invalidUpload("legalEntity: ссылка на организацию (до 64 латинских букв, цифр и знаков . _ : -)")
	}
	if !refRe.MatchString(u.PersonID) {
		return wire.Upload{}, errPersonID
	}
	if u.BookingID != "" && !refRe.MatchString(u.BookingID) {
		return wire.Upload{}, invalidUpload("bookingId: до 64 латинских букв, цифр и знаков . _ : -")
	}
	if len(u.Result) == 0 || u.Result[0] != '{' {
		return wire.Upload{}, invalidUpload("нет результата сканера (result)")
	}
	return u, nil
}

func validTxID(id string) bool {
	if id == "" || len(id) > regula.MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// upload handles a verified upload.
func (s *Service) upload(ctx context.Context, ts store.Store, tenant, device string, body []byte) (UploadResult, error) {
	u, err := ParseUpload(body)
	if err != nil {
		return UploadResult{}, err
	}
	r, err := regula.Parse(u.Result)
	switch {
	case errors.Is(err, regula.ErrTooLarge):
		return UploadResult{}, ErrUploadTooLarge
	case err != nil:
		return UploadResult{}, apperr.Wrap(err, apperr.Invalid, "READ_INVALID",
			"Результат сканера — не результат обработки Regula Document Reader: "+strings.TrimPrefix(err.Error(), regula.ErrInvalid.Error()+": "))
	}
	if r.TransactionID != "" && r.TransactionID != u.TransactionID {
		return UploadResult{}, invalidUpload("transactionId не совпадает с TransactionInfo.TransactionID результата")
	}
	txKey := pkTx + u.TransactionID
	if it, err := ts.Get(ctx, txKey, "T"); err == nil {
		return duplicate(it)
	} else if !errors.Is(err, store.ErrNotFound) {
		return UploadResult{}, storeError(err)
	}
	// The legal entity and the person are checked before the read: a wrong one is the
	// upload's fault and is not remembered, so that a corrected upload goes through.
	if _, err := s.entity(ctx, tenant, u.LegalEntity); err != nil {
		return UploadResult{}, err
	}
	rec := txRecord{Device: device, Legal: u.LegalEntity, Person: u.PersonID, At: s.clk.Now().UTC()}
	read, err := MapRead(r, s.clk.Now())
	if err != nil {
		e := apperr.As(err)
		if e.Kind != apperr.Invalid {
			return UploadResult{}, err
		}
		rec.Outcome = wire.Outcome{Status: wire.StatusRefused, TransactionID: u.TransactionID, Code: e.Code, Message: e.Message,
			Warnings: []wire.Warning{}}
		if r.DocType != nil {
			rec.Outcome.DocumentName = r.DocType.Name
		}
		return s.record(ctx, ts, txKey, rec, true)
	}
	if read.Portrait != nil && !s.portraits {
		read.Warnings = append(read.Warnings, emis.Warning{Code: WarnPortraitDropped, Field: "portrait",
			Message: "Мост прислал фото владельца документа, но хаб фото не хранит: выключите images в настройках моста"})
		read.Portrait = nil
	} else if read.Portrait != nil && len(read.Portrait.Data) > maxPortrait {
		read.Warnings = append(read.Warnings, emis.Warning{Code: WarnPortraitTooLarge, Field: "portrait",
			Message: "Фото владельца документа больше 256 КиБ и не сохранено"})
		read.Portrait = nil
	}
	readAt := u.ReadAt
	if readAt.IsZero() {
		readAt = s.clk.Now()
	}
	res, err := s.attach.AttachRead(ctx, tenant, Attachment{LegalEntity: u.LegalEntity, PersonID: u.PersonID, BookingID: u.BookingID,
		TransactionID: u.TransactionID, Device: device, ReadAt: readAt, Read: read})
	if err != nil {
		return UploadResult{}, err
	}
	rec.Outcome = wire.Outcome{Status: wire.StatusAttached, TransactionID: u.TransactionID, Document: read.Kind,
		DocumentName: read.DocumentName, Warnings: frontDesk(read, res)}
	return s.record(ctx, ts, txKey, rec, false)
}

// record stores a transaction's outcome once; when a concurrent upload of the same transaction
// won, its outcome is answered as a duplicate.
func (s *Service) record(ctx context.Context, ts store.Store, key string, rec txRecord, refused bool) (UploadResult, error) {
	data, _ := json.Marshal(rec)
	_, err := ts.Put(ctx, store.Item{PK: key, SK: "T", Attrs: map[string]string{"status": rec.Outcome.Status}, Data: data,
		ExpiresAt: s.clk.Now().Add(txKeep)}, store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		it, err := ts.Get(ctx, key, "T")
		if err != nil {
			return UploadResult{}, storeError(err)
		}
		return duplicate(it)
	}
	if err != nil {
		return UploadResult{}, storeError(err)
	}
	return UploadResult{Outcome: rec.Outcome, Refused: refused}, nil
}

func duplicate(it store.Item) (UploadResult, error) {
	var rec txRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return UploadResult{}, storeError(err)
	}
	o := rec.Outcome
	if o.Status == wire.StatusRefused {
		return UploadResult{Outcome: o, Refused: true}, nil
	}
	o.Status = wire.StatusDuplicate
	return UploadResult{Outcome: o}, nil
}

// frontDesk lists the warnings the operator sees after a read: the read's own and the checks
// of the guest's documents, without repeats.
func frontDesk(read Read, res emis.Result) []wire.Warning {
	out := []wire.Warning{}
	seen := map[string]bool{}
	add := func(w emis.Warning) {
		k := w.Code + "\x00" + w.Field
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, wire.Warning{Code: w.Code, Field: w.Field, Message: w.Message})
	}
	for _, w := range read.Warnings {
		add(w)
	}
	for _, w := range res.Warnings {
		if !strings.HasPrefix(w.Code, "READ_") && !strings.HasPrefix(w.Code, "CHIP_") {
			add(w)
		}
	}
	return out
}
