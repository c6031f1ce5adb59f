package novotelecom

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/store"
)

// Coding is how services are coded in debts and meter registries (the seed's «Вариант
// кодирования услуг»).
type Coding string

// Codings.
const (
	CodingAccount Coding = "account" // «в целом по л/с»: no services, debt per account
	CodingCity    Coding = "city"    // «по кодам Города»: the Город column of the ЖКУ catalogue
	CodingSber    Coding = "sber"    // «по кодам Сбербанка»: the Сбер column
	CodingZhku    Coding = "zhku"    // «по кодам ЖКУ»: the catalogue's own codes
)

// Settings are a tenant's exchange settings as reads see them: the server login and password
// are write-only, a read tells only whether they are set.
type Settings struct {
	Coding        Coding
	LoginSet      bool
	PasswordSet   bool
	ReportDetails bool             // «Сообщать подробности»: sessions list every file
	ExchangeEvery int              // minutes between scheduled exchanges; 0: on demand only
	Charset       registry.Charset // of the files the hub builds
	Updated       time.Time
	Version       int64 // the store version; DataVersion for OData
}

// SettingsRequest saves the settings. An empty Login or Password keeps the stored one; the
// first save needs both.
type SettingsRequest struct {
	Coding        Coding `validate:"required,oneof=account city sber zhku"`
	Login         string `validate:"omitempty,max=128,nocontrol"`
	Password      string `validate:"omitempty,max=128,nocontrol"`
	ReportDetails bool
	ExchangeEvery int    `validate:"min=0,max=1440"`
	Charset       string `validate:"omitempty,oneof=CP1251 UTF-8"`
}

// credentialsPurpose binds the sealed credentials to their use.
const credentialsPurpose = "novotelecom/server-credentials"

type settingsRecord struct {
	Coding        Coding           `json:"coding"`
	ReportDetails bool             `json:"details,omitempty"`
	ExchangeEvery int              `json:"every,omitempty"`
	Charset       registry.Charset `json:"charset"`
	LoginSet      bool             `json:"loginSet,omitempty"`
	PasswordSet   bool             `json:"passwordSet,omitempty"`
	Sealed        []byte           `json:"sealed,omitempty"` // sealed JSON of credentials
	Updated       time.Time        `json:"updated"`
}

type credentials struct {
	Login    string `json:"l"`
	Password string `json:"p"`
}

// ErrNotConfigured is returned before the first SaveSettings.
func errNotConfigured() *apperr.Error {
	return apperr.New(apperr.Invalid, "NOVOTELECOM_NOT_CONFIGURED", "Обмен с «Мои счета» не настроен: укажите вариант кодирования услуг, логин и пароль")
}

// SaveSettings stores the settings, sealing the credentials.
func (s *Service) SaveSettings(ctx context.Context, tenant string, req SettingsRequest) (Settings, error) {
	if err := s.validate(req); err != nil {
		return Settings{}, err
	}
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Settings{}, err
	}
	it, err := store.Mutate(ctx, ts, pkSettings, "settings", func(cur *store.Item) (store.Item, error) {
		var rec settingsRecord
		var creds credentials
		if cur != nil {
			if err := json.Unmarshal(cur.Data, &rec); err != nil {
				return store.Item{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждены настройки обмена")
			}
			if len(rec.Sealed) > 0 {
				plain, err := s.d.Sealer.Open(ctx, tenant, credentialsPurpose, rec.Sealed)
				if err != nil {
					return store.Item{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_SEAL", "Не удалось прочитать сохранённые учётные данные")
				}
				if err := json.Unmarshal(plain, &creds); err != nil {
					return store.Item{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждены настройки обмена")
				}
			}
		}
		if req.Login != "" {
			creds.Login = req.Login
		}
		if req.Password != "" {
			creds.Password = req.Password
		}
		if creds.Login == "" || creds.Password == "" {
			return store.Item{}, invalid("NOVOTELECOM_CREDENTIALS", "Укажите логин и пароль, которые сообщил Новотелеком")
		}
		plain, _ := json.Marshal(creds)
		sealed, err := s.d.Sealer.Seal(ctx, tenant, credentialsPurpose, plain)
		if err != nil {
			return store.Item{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_SEAL", "Не удалось зашифровать учётные данные")
		}
		cs, _ := registry.ParseCharset(req.Charset)
		if cs == "" {
			cs = registry.CP1251
		}
		rec = settingsRecord{Coding: req.Coding, ReportDetails: req.ReportDetails, ExchangeEvery: req.ExchangeEvery,
			Charset: cs, LoginSet: true, PasswordSet: true, Sealed: sealed, Updated: s.now()}
		data, _ := json.Marshal(rec)
		return store.Item{Data: data}, nil
	})
	if err != nil {
		return Settings{}, storeErr(err, "настройки обмена")
	}
	// The scheduled run finds tenants through this system record.
	if _, err := s.d.Store.Put(ctx, store.Item{PK: pkEnabled, SK: tenant}); err != nil {
		return Settings{}, storeErr(err, "список абонентов обмена")
	}
	return decodeSettings(it)
}

// Settings returns the tenant's settings without the credentials.
func (s *Service) Settings(ctx context.Context, tenant string) (Settings, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Settings{}, err
	}
	_, st, err := loadSettings(ctx, ts)
	return st, err
}

// loadSettings reads the settings record.
func loadSettings(ctx context.Context, ts store.Store) (settingsRecord, Settings, error) {
	it, err := ts.Get(ctx, pkSettings, "settings")
	if errors.Is(err, store.ErrNotFound) {
		return settingsRecord{}, Settings{}, errNotConfigured()
	}
	if err != nil {
		return settingsRecord{}, Settings{}, storeErr(err, "настройки обмена")
	}
	var rec settingsRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return settingsRecord{}, Settings{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждены настройки обмена")
	}
	st, err := decodeSettings(it)
	return rec, st, err
}

// credentials opens the sealed login and password, for the exchange only.
func (s *Service) credentials(ctx context.Context, tenant string, rec settingsRecord) (credentials, error) {
	plain, err := s.d.Sealer.Open(ctx, tenant, credentialsPurpose, rec.Sealed)
	if err != nil {
		return credentials{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_SEAL", "Не удалось прочитать сохранённые учётные данные")
	}
	var c credentials
	if err := json.Unmarshal(plain, &c); err != nil {
		return credentials{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждены настройки обмена")
	}
	return c, nil
}

// Due reports whether a scheduled slot is one of the tenant's exchange times: every
// ExchangeEvery minutes, counted from midnight UTC.
func (st Settings) Due(slot time.Time) bool {
	if st.ExchangeEvery <= 0 {
		return false
	}
	every := time.Duration(st.ExchangeEvery) * time.Minute
	return slot.UTC().Truncate(time.Minute).Equal(slot.UTC()) && slot.UTC().Sub(slot.UTC().Truncate(24*time.Hour))%every == 0
}

func decodeSettings(it store.Item) (Settings, error) {
	var rec settingsRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return Settings{}, apperr.Wrap(err, apperr.Internal, "NOVOTELECOM_CORRUPT", "Повреждены настройки обмена")
	}
	return Settings{Coding: rec.Coding, LoginSet: rec.LoginSet, PasswordSet: rec.PasswordSet,
		ReportDetails: rec.ReportDetails, ExchangeEvery: rec.ExchangeEvery, Charset: rec.Charset,
		Updated: rec.Updated, Version: it.Version}, nil
}
