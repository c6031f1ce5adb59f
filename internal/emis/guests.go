package emis

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// SessionTTL is how long the hub remembers an EMIS session it opened, so that late callbacks
// are still accepted. A session record holds ids only.
const SessionTTL = 7 * 24 * time.Hour

// Guest is a person the PMS has saved (and so has an id).
type Guest struct {
	PersonID  string `json:"person_id" validate:"required,ref"`
	BookingID string `json:"booking_id,omitempty" validate:"omitempty,ref"`
	Surname   string `json:"surname,omitempty" validate:"max=100,nocontrol"`
}

type guestRecord struct {
	BookingID string `json:"b,omitempty"`
	Surname   string `json:"n,omitempty"` // sealed, base64
	SavedAt   time.Time
}

type sessionRecord struct {
	Legal     string    `json:"le"`
	PersonID  string    `json:"p"`
	BookingID string    `json:"b,omitempty"`
	Created   time.Time `json:"at"`
}

// SaveGuest records that the PMS saved a guest. It is what makes StartDocuments possible for
// the person; saving again updates the booking and surname.
func (s *Service) SaveGuest(ctx context.Context, tenant string, g Guest) error {
	ts, err := s.tenant(tenant)
	if err != nil {
		return err
	}
	if err := s.valid.Struct(g); err != nil {
		return invalidInput("EMIS_INVALID_INPUT", err)
	}
	conf, err := s.conf(ctx, tenant)
	if err != nil {
		return err
	}
	keep, err := s.keep(ctx, tenant, conf)
	if err != nil {
		return err
	}
	rec := guestRecord{BookingID: g.BookingID, SavedAt: s.clk.Now().UTC()}
	if g.Surname != "" {
		b, err := s.seal.Seal(ctx, tenant, purpose(kindName, "guest", g.PersonID), []byte(g.Surname))
		if err != nil {
			return storeError(err)
		}
		rec.Surname = base64.RawStdEncoding.EncodeToString(b)
	}
	data, _ := json.Marshal(rec)
	_, err = ts.Put(ctx, store.Item{PK: pkPerson + g.PersonID, SK: skGuest, Data: data,
		ExpiresAt: s.clk.Now().Add(keep)})
	if err != nil {
		return storeError(err)
	}
	s.log.InfoContext(ctx, "guest saved", "tenant", tenant)
	return nil
}

// guest returns a saved guest with the surname opened.
func (s *Service) guest(ctx context.Context, ts store.Store, tenant, person string) (Guest, error) {
	it, err := ts.Get(ctx, pkPerson+person, skGuest)
	if errors.Is(err, store.ErrNotFound) {
		return Guest{}, ErrPersonNotSaved
	}
	if err != nil {
		return Guest{}, storeError(err)
	}
	var rec guestRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return Guest{}, storeError(err)
	}
	g := Guest{PersonID: person, BookingID: rec.BookingID}
	if rec.Surname != "" {
		b, err := base64.RawStdEncoding.DecodeString(rec.Surname)
		if err == nil {
			b, err = s.seal.Open(ctx, tenant, purpose(kindName, "guest", person), b)
		}
		if err != nil {
			return Guest{}, apperr.Wrap(err, apperr.Internal, "EMIS_UNSEAL", "Не удалось прочитать данные гостя")
		}
		g.Surname = string(b)
	}
	return g, nil
}

// StartDocuments opens an EMIS session for a saved person and returns the URL of the EMIS
// page where the operator enters or scans the documents. A person the PMS has not saved (no
// id, or an id the hub was never told about) is refused with ErrPersonNotSaved, and nothing
// is sent to EMIS.
func (s *Service) StartDocuments(ctx context.Context, tenant, legalRef, personID, bookingID string) (string, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return "", err
	}
	if personID == "" || !refRe.MatchString(personID) {
		return "", ErrPersonNotSaved
	}
	if bookingID != "" && !refRe.MatchString(bookingID) {
		return "", apperr.New(apperr.Invalid, "EMIS_INVALID_INPUT",
			"Номер бронирования: от 1 до 64 латинских букв, цифр и знаков . _ : -")
	}
	le, err := s.entity(ctx, tenant, legalRef)
	if err != nil {
		return "", err
	}
	g, err := s.guest(ctx, ts, tenant, personID)
	if err != nil {
		return "", err
	}
	if bookingID != "" && g.BookingID != "" && g.BookingID != bookingID {
		return "", ErrBookingMismatch
	}
	if bookingID == "" {
		bookingID = g.BookingID
	}
	acct, err := s.legal.EmisAccount(ctx, tenant, le.Ref)
	if err != nil {
		return "", err
	}
	cb := *s.callbackURL
	q := cb.Query()
	q.Set("tenant", tenant)
	cb.RawQuery = q.Encode()
	sess, err := s.emis.OpenSession(ctx, acct, SessionRequest{
		PersonID: personID, BookingID: bookingID, Surname: g.Surname, CallbackURL: cb.String(),
	})
	if err != nil {
		err = upstreamError(err)
		s.log.WarnContext(ctx, "emis session not opened", "tenant", tenant, "legal", le.Ref, "code", apperr.As(err).Code)
		return "", err
	}
	if !refRe.MatchString(sess.ID) || sess.URL == "" {
		return "", apperr.New(apperr.Internal, "EMIS_FAILED", "EMIS вернул неверный ответ на открытие сеанса")
	}
	data, _ := json.Marshal(sessionRecord{Legal: le.Ref, PersonID: personID, BookingID: bookingID, Created: s.clk.Now().UTC()})
	if _, err := ts.Put(ctx, store.Item{PK: pkSession + sess.ID, SK: "S", Data: data,
		ExpiresAt: s.clk.Now().Add(SessionTTL)}); err != nil {
		return "", storeError(err)
	}
	s.log.InfoContext(ctx, "emis session opened", "tenant", tenant, "legal", le.Ref, "session", sess.ID)
	return sess.URL, nil
}

// LegalEntities lists the tenant's legal entities with EMIS enabled.
func (s *Service) LegalEntities(ctx context.Context, tenant string) ([]LegalEntity, error) {
	if _, err := s.tenant(tenant); err != nil {
		return nil, err
	}
	all, err := s.legal.EmisEntities(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]LegalEntity, 0, len(all))
	for _, le := range all {
		if le.Enabled {
			out = append(out, le)
		}
	}
	return out, nil
}
