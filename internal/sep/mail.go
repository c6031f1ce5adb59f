package sep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/sep/sepmail"
	"github.com/stykovka/stykovka/internal/store"
)

// Letter statuses («Список писем к обработке»).
const (
	LetterNew       = "Новое"            // parsed; application data not requested yet
	LetterRequested = "Запрошены данные" // a data request is queued
	LetterDone      = "Обработано"       // the application data arrived
	LetterMalformed = "Ошибка разбора"   // kept in Blobs and reported
)

// Letter is a letter from SEP as the hub received it.
type Letter struct {
	ID       string    `json:"id"` // from the content: the same letter delivered twice is one
	Received time.Time `json:"received"`
	BlobKey  string    `json:"blob"` // the raw message, kept
	Size     int       `json:"size"`
	Subject  string    `json:"subject"`
	EPTS     string    `json:"epts,omitempty"`
	VIN      string    `json:"vin,omitempty"`
	Code     string    `json:"code,omitempty"`
	// ApplicationNumber as the letter names it.
	ApplicationNumber string   `json:"application,omitempty"`
	AssetIDs          []string `json:"assets,omitempty"`
	// NotifiedID is the person notified: the asset's responsible person, or the SEP
	// responsible person of the settings (ToSEPResponsible) when no asset matched.
	NotifiedID       string   `json:"notified,omitempty"`
	ToSEPResponsible bool     `json:"toSepResponsible,omitempty"`
	Status           string   `json:"status"`
	Error            string   `json:"error,omitempty"`
	LastEntryID      string   `json:"lastEntry,omitempty"`
	Applications     []string `json:"applications,omitempty"`
	Version          int64    `json:"-"`
}

func letterItem(l Letter) store.Item {
	it := store.Item{PK: pkLetter, SK: l.ID, Data: putJSON(l), GSI2PK: gsiLetters, GSI2SK: tkey(l.Received) + "#" + l.ID,
		Attrs: map[string]string{"status": l.Status}}
	if l.Status == LetterNew {
		it.GSI1PK, it.GSI1SK = gsiLetNew, tkey(l.Received)+"#"+l.ID
	}
	return it
}

func getLetter(ctx context.Context, tv store.Store, id string) (Letter, error) {
	l, it, err := getJSON[Letter](ctx, tv, pkLetter, id, ErrLetterNotFound)
	l.Version = it.Version
	return l, err
}

func updateLetter(ctx context.Context, tv store.Store, id string, fn func(*Letter)) error {
	_, err := store.Mutate(ctx, tv, pkLetter, id, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, ErrLetterNotFound
		}
		l, err := decodeJSON[Letter](*cur)
		if err != nil {
			return store.Item{}, err
		}
		fn(&l)
		return letterItem(l), nil
	})
	if errors.Is(err, ErrLetterNotFound) {
		return nil
	}
	return storeErr(err)
}

// MailInput is an inbound letter: its bytes, or the key of the blob SES already wrote.
type MailInput struct {
	Raw     []byte
	BlobKey string
}

// IngestMail takes a letter from SEP: keeps the raw message in Blobs, parses it, records its
// confirmation code, finds the fixed asset by VIN and EPTS and notifies the asset's
// responsible person (or the SEP responsible person when no asset matches). A letter that
// cannot be read is kept, recorded with the reason in the errors register and reported to
// the SEP responsible person — never dropped. Delivering the same letter again returns the
// first result.
func (s *Service) IngestMail(ctx context.Context, tenant string, in MailInput) (Letter, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Letter{}, err
	}
	raw, key := in.Raw, in.BlobKey
	if raw == nil && key != "" {
		if raw, err = s.bl.Get(ctx, key); err != nil {
			if errors.Is(err, blobs.ErrNotFound) {
				return Letter{}, apperr.Wrap(err, apperr.NotFound, "SEP_MAIL_NOT_FOUND", "Письмо не найдено в хранилище")
			}
			return Letter{}, apperr.Wrap(err, apperr.Unavailable, "SEP_BLOBS", "Хранилище писем недоступно")
		}
	}
	if len(raw) == 0 {
		return Letter{}, apperr.New(apperr.Invalid, "SEP_MAIL_EMPTY", "Пустое письмо")
	}
	sum := sha256.Sum256(raw)
	id := "m-" + hex.EncodeToString(sum[:16])
	if key == "" {
		key = "t/" + tenant + "/sep/mail/" + id + ".eml"
		if err := s.bl.Put(ctx, key, raw); err != nil {
			if errors.Is(err, blobs.ErrTooLarge) {
				return Letter{}, apperr.Wrap(err, apperr.TooLarge, ErrMailTooLarge.Code, ErrMailTooLarge.Message)
			}
			return Letter{}, apperr.Wrap(err, apperr.Unavailable, "SEP_BLOBS", "Хранилище писем недоступно")
		}
		// The raw letter may name people: it is deleted when the tenant's retention of
		// personal data has passed (package retention; the hub's retention-sweep job).
		if _, err := retention.KeepBlob(ctx, s.st, tenant, key, s.now()); err != nil {
			return Letter{}, storeErr(err)
		}
	}

	now := s.now()
	l := Letter{ID: id, Received: now, BlobKey: key, Size: len(raw)}
	created, err := tv.Put(ctx, letterItem(l), store.NotExists())
	switch {
	case errors.Is(err, store.ErrConditionFailed):
		cur, err := getLetter(ctx, tv, id)
		if err != nil || cur.Status != "" {
			return cur, err // delivered before (and handled)
		}
		l = cur // an earlier delivery stopped half-way: go on with its record
	case err != nil:
		return Letter{}, storeErr(err)
	default:
		l.Version = created.Version
	}

	st, err := settingsOf(ctx, tv)
	if err != nil {
		return Letter{}, err
	}
	var p sepmail.Letter
	var perr error
	if len(raw) > s.opts.MaxMailSize {
		perr = &sepmail.Error{Reason: fmt.Sprintf("письмо больше %d байт", s.opts.MaxMailSize)}
	} else {
		p, perr = sepmail.Parse(raw)
	}
	l.Subject = truncate(p.Subject, 300)
	var me *sepmail.Error
	if errors.As(perr, &me) {
		l.Status, l.Error = LetterMalformed, me.Reason
		s.log.Warn("sep: unreadable letter kept", "tenant", tenant, "letter", id, "reason", me.Reason)
		if err := putError(ctx, tv, ErrorRecord{Time: l.Received, Source: "mail:" + id, Operation: "Mail",
			Code: "SEP_MAIL_UNREADABLE", Message: "Письмо СЭП не разобрано: " + me.Reason}); err != nil {
			return Letter{}, err
		}
		l.NotifiedID, l.ToSEPResponsible = st.SEPResponsibleID, true
		if err := s.notifyLetter(ctx, tv, tenant, l, nil); err != nil {
			return Letter{}, err
		}
		return s.saveLetter(ctx, tv, l)
	}
	if perr != nil {
		return Letter{}, perr
	}
	l.EPTS, l.VIN, l.Code, l.ApplicationNumber = p.EPTS, p.VIN, p.Code, p.ApplicationNumber

	assets, err := findAssets(ctx, tv, l.VIN, l.EPTS)
	if err != nil {
		return Letter{}, err
	}
	var asset *Asset
	for i := range assets {
		l.AssetIDs = appendUnique(l.AssetIDs, assets[i].ID)
		if asset == nil || (asset.ResponsibleID == "" && assets[i].ResponsibleID != "") {
			asset = &assets[i]
		}
	}
	if l.Code != "" {
		c := CodeRecord{Received: l.Received, LetterID: id, EPTS: l.EPTS, VIN: l.VIN,
			ApplicationNumber: l.ApplicationNumber, Code: l.Code}
		if asset != nil {
			c.AssetID = asset.ID
		}
		if _, err := tv.Put(ctx, codeItem(c)); err != nil {
			return Letter{}, storeErr(err)
		}
	}
	if asset != nil && asset.ResponsibleID != "" {
		l.NotifiedID = asset.ResponsibleID
	} else {
		l.NotifiedID, l.ToSEPResponsible = st.SEPResponsibleID, true
	}
	if err := s.notifyLetter(ctx, tv, tenant, l, asset); err != nil {
		return Letter{}, err
	}
	l.Status = LetterNew
	return s.saveLetter(ctx, tv, l)
}

func (s *Service) saveLetter(ctx context.Context, tv store.Store, l Letter) (Letter, error) {
	stored, err := tv.Put(ctx, letterItem(l), store.VersionIs(l.Version))
	if errors.Is(err, store.ErrConditionFailed) {
		return getLetter(ctx, tv, l.ID) // a concurrent delivery of the same letter finished first
	}
	if err != nil {
		return Letter{}, storeErr(err)
	}
	l.Version = stored.Version
	return l, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// LetterQuery selects letters.
type LetterQuery struct {
	PageRequest
	// ToProcess lists only letters whose application data was not requested yet.
	ToProcess bool `json:"toProcess"`
}

// Letters lists letters by time of receipt.
func (s *Service) Letters(ctx context.Context, tenant string, q LetterQuery) (Page[Letter], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[Letter]{}, err
	}
	sq := store.Query{Index: store.GSI2, PK: gsiLetters}
	if q.ToProcess {
		sq = store.Query{Index: store.GSI1, PK: gsiLetNew}
	}
	return listPage(ctx, tv, sq, q.PageRequest, func(it store.Item) (Letter, error) {
		l, err := decodeJSON[Letter](it)
		l.Version = it.Version
		return l, err
	})
}

// Letter returns one letter.
func (s *Service) Letter(ctx context.Context, tenant, id string) (Letter, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Letter{}, err
	}
	return getLetter(ctx, tv, id)
}

// Notification is a personal notice about a letter, readable by 1C (and e-mailed).
type Notification struct {
	ID                string    `json:"id"`
	Time              time.Time `json:"time"`
	PersonID          string    `json:"person,omitempty"`
	LetterID          string    `json:"letter"`
	AssetID           string    `json:"asset,omitempty"`
	EPTS              string    `json:"epts,omitempty"`
	VIN               string    `json:"vin,omitempty"`
	ApplicationNumber string    `json:"application,omitempty"`
	Subject           string    `json:"subject"`
	Text              string    `json:"text"`
	Emailed           bool      `json:"emailed"`
	// Problem says why it was not e-mailed (no person, no address, mail failed).
	Problem string `json:"problem,omitempty"`
}

func noteItem(n Notification) store.Item {
	it := store.Item{PK: pkNote, SK: tkey(n.Time) + "#" + n.ID, Data: putJSON(n)}
	if n.PersonID != "" {
		it.GSI1PK, it.GSI1SK = gsiNoteTo+n.PersonID, tkey(n.Time)+"#"+n.ID
	}
	return it
}

// notifyLetter records the notification about a letter and e-mails it. Its key comes from
// the letter, so a repeated delivery rewrites the same record.
func (s *Service) notifyLetter(ctx context.Context, tv store.Store, tenant string, l Letter, asset *Asset) error {
	n := Notification{ID: "n-" + strings.TrimPrefix(l.ID, "m-"), Time: l.Received, PersonID: l.NotifiedID,
		LetterID: l.ID, EPTS: l.EPTS, VIN: l.VIN, ApplicationNumber: l.ApplicationNumber}
	var b strings.Builder
	if l.Status == LetterMalformed {
		n.Subject = "СЭП: письмо не удалось разобрать"
		fmt.Fprintf(&b, "Получено письмо, которое не удалось разобрать: %s.\n", l.Error)
		fmt.Fprintf(&b, "Письмо сохранено: %s (%d байт).\n", l.BlobKey, l.Size)
	} else {
		n.Subject = "СЭП: письмо по ЭПТС " + l.EPTS
		fmt.Fprintf(&b, "Получено письмо АС «СЭП»: %s\n\n", l.Subject)
		fmt.Fprintf(&b, "Номер ЭПТС: %s\n", l.EPTS)
		if l.VIN != "" {
			fmt.Fprintf(&b, "VIN: %s\n", l.VIN)
		}
		if l.ApplicationNumber != "" {
			fmt.Fprintf(&b, "Заявление: № %s\n", l.ApplicationNumber)
		}
		if l.Code != "" {
			fmt.Fprintf(&b, "Код подтверждения: %s\n", l.Code)
		}
		if asset != nil {
			n.AssetID = asset.ID
			fmt.Fprintf(&b, "Основное средство: %s (код %s)\n", asset.Name, asset.Code)
		}
		if l.ToSEPResponsible {
			b.WriteString("\nОсновное средство с ответственным не найдено: письмо направлено ответственному за СЭП.\n")
		}
	}
	n.Text = b.String()
	if _, err := tv.Put(ctx, noteItem(n)); err != nil {
		return storeErr(err)
	}
	switch p, err := s.personOf(ctx, tenant, tv, n.PersonID); {
	case err != nil:
		return err
	case p == nil:
		n.Problem = "Не назначен ответственный: укажите ответственного за СЭП в настройках"
	case p.Email == "":
		n.Problem = "У ответственного не указана почта"
	default:
		if err := s.note.Notify(ctx, tenant, Message{ID: n.ID, To: p.Email, Subject: n.Subject, Text: n.Text}); err != nil {
			s.log.Warn("sep: notification not e-mailed", "tenant", tenant, "notification", n.ID, "err", err)
			n.Problem = "Не удалось отправить письмо: запись уведомления сохранена"
		} else {
			n.Emailed = true
		}
	}
	_, err := tv.Put(ctx, noteItem(n))
	return storeErr(err)
}

func (s *Service) personOf(ctx context.Context, tenant string, tv store.Store, id string) (*Person, error) {
	if id == "" {
		return nil, nil
	}
	it, err := tv.Get(ctx, pkPerson, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr(err)
	}
	p, err := s.decodePerson(ctx, tenant, it)
	return &p, err
}

// NotificationQuery selects notifications.
type NotificationQuery struct {
	PageRequest
	PersonID string `json:"person" validate:"omitempty,sepid"` // "" for everyone's
}

// Notifications lists notifications by time.
func (s *Service) Notifications(ctx context.Context, tenant string, q NotificationQuery) (Page[Notification], error) {
	if err := check(q); err != nil {
		return Page[Notification]{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Page[Notification]{}, err
	}
	sq := store.Query{PK: pkNote}
	if q.PersonID != "" {
		sq = store.Query{Index: store.GSI1, PK: gsiNoteTo + q.PersonID}
	}
	return listPage(ctx, tv, sq, q.PageRequest, decodeJSON[Notification])
}
