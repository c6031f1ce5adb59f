package emis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// Store layout of a tenant's EMIS data (inside its store.ForTenant view). Keys hold opaque
// ids only (PMS person ids, EMIS session ids, legal entity refs), never personal data.
const (
	pkConf         = "EMIS#CONF" // SK skConf: the tenant's settings
	skConf         = "TENANT"
	pkPerson       = "EMIS#P#" // + person id; SK skGuest or skDocs+legal ref
	skGuest        = "GUEST"
	skDocs         = "DOCS#"
	pkSession      = "EMIS#S#"   // + EMIS session id; SK "S"
	pkNonce        = "EMIS#N#"   // + source + "#" + signature hex; SK "N"
	pkOutbox       = "EMIS#OUT"  // SK delivery id
	pkDead         = "EMIS#DEAD" // SK delivery id
	gsiDue         = "EMIS#DUE"  // GSI1 of outbox items: SK next attempt + "#" + id
	gsiDocs        = "EMIS#DOCS" // GSI2 of document records: SK person id + "#" + legal ref
	purposeSecrets = "emis/hook-secrets"
)

// Limits of the settings.
const (
	// DefaultRetention is how long personal data stays in the hub after it was stored or
	// last delivered (the hub is a conduit, not the system of record).
	DefaultRetention = 72 * time.Hour
	MinSecretLen     = 32
	MaxSecretLen     = 256
	maxURLLen        = 2048
)

// Config changes a tenant's EMIS settings; nil leaves a field as it is. Secrets are
// write-only: Settings tells only whether each is set.
type Config struct {
	// PMSWebhookURL receives the documents (http or https); "" turns push delivery off.
	PMSWebhookURL *string
	// Retention of personal data; 0 means DefaultRetention.
	Retention *time.Duration
	// EmisSecret verifies EMIS callbacks (configured in the EMIS account too).
	EmisSecret *string
	// PMSInSecret verifies the PMS's webhooks to the hub.
	PMSInSecret *string
	// PMSOutSecret signs the hub's webhooks and answers to the PMS.
	PMSOutSecret *string
}

// Settings are a tenant's EMIS settings as reads see them.
type Settings struct {
	PMSWebhookURL   string
	Retention       time.Duration
	EmisSecretSet   bool
	PMSInSecretSet  bool
	PMSOutSecretSet bool
}

type settingsRecord struct {
	PMSWebhookURL string  `json:"url,omitempty"`
	RetentionSec  int64   `json:"ret,omitempty"`
	Set           [3]bool `json:"set"`
	Sealed        []byte  `json:"sealed,omitempty"` // secretsRecord, sealed
}

type secretsRecord struct {
	Emis   string `json:"emis,omitempty"`
	PMSIn  string `json:"in,omitempty"`
	PMSOut string `json:"out,omitempty"`
}

// NewSecret returns a random webhook secret (32 bytes, base64url: 43 characters).
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func invalidSetting(msg string) *apperr.Error {
	return apperr.New(apperr.Invalid, "EMIS_SETTINGS_INVALID", msg)
}

func checkSecret(p *string) error {
	if p == nil || *p == "" {
		return nil
	}
	if len(*p) < MinSecretLen || len(*p) > MaxSecretLen {
		return invalidSetting("Секрет подписи: от 32 до 256 символов")
	}
	for i := 0; i < len(*p); i++ {
		if (*p)[i] <= ' ' || (*p)[i] > '~' {
			return invalidSetting("Секрет подписи: только печатные символы ASCII без пробелов")
		}
	}
	return nil
}

// Configure changes a tenant's settings and returns them.
func (s *Service) Configure(ctx context.Context, tenant string, c Config) (Settings, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Settings{}, err
	}
	if c.PMSWebhookURL != nil && *c.PMSWebhookURL != "" {
		u, err := url.Parse(*c.PMSWebhookURL)
		if len(*c.PMSWebhookURL) > maxURLLen || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return Settings{}, invalidSetting("Адрес вебхука PMS: абсолютный адрес http или https без логина и пароля, до 2048 символов")
		}
	}
	if c.Retention != nil && (*c.Retention < 0 || *c.Retention > 90*24*time.Hour) {
		return Settings{}, invalidSetting("Срок хранения персональных данных: от 0 (по умолчанию 3 дня) до 90 дней")
	}
	for _, p := range []*string{c.EmisSecret, c.PMSInSecret, c.PMSOutSecret} {
		if err := checkSecret(p); err != nil {
			return Settings{}, err
		}
	}
	if c.Retention != nil && s.ret != nil {
		// The hub's one setting, shared with the other modules.
		if _, err := s.ret.SetRetention(ctx, tenant, *c.Retention); err != nil {
			return Settings{}, err
		}
		c.Retention = nil
	}
	it, err := store.Mutate(ctx, ts, pkConf, skConf, func(cur *store.Item) (store.Item, error) {
		var r settingsRecord
		if cur != nil {
			if err := json.Unmarshal(cur.Data, &r); err != nil {
				return store.Item{}, err
			}
		}
		if c.PMSWebhookURL != nil {
			r.PMSWebhookURL = *c.PMSWebhookURL
		}
		if c.Retention != nil {
			r.RetentionSec = int64(*c.Retention / time.Second)
		}
		if c.EmisSecret != nil || c.PMSInSecret != nil || c.PMSOutSecret != nil {
			sec, err := s.openSecrets(ctx, tenant, r)
			if err != nil {
				return store.Item{}, err
			}
			for i, p := range []struct{ src, dst *string }{
				{c.EmisSecret, &sec.Emis}, {c.PMSInSecret, &sec.PMSIn}, {c.PMSOutSecret, &sec.PMSOut},
			} {
				if p.src != nil {
					*p.dst = *p.src
				}
				r.Set[i] = *p.dst != ""
			}
			plain, _ := json.Marshal(sec)
			r.Sealed, err = s.seal.Seal(ctx, tenant, purposeSecrets, plain)
			clear(plain)
			if err != nil {
				return store.Item{}, err
			}
		}
		data, err := json.Marshal(r)
		return store.Item{Data: data}, err
	})
	if err != nil {
		return Settings{}, storeError(err)
	}
	st, err := settingsOf(it)
	return s.withRetention(ctx, tenant, st, err)
}

// withRetention puts the hub's retention setting into settings read from the record.
func (s *Service) withRetention(ctx context.Context, tenant string, st Settings, err error) (Settings, error) {
	if err != nil || s.ret == nil {
		return st, err
	}
	d, err := s.ret.Retention(ctx, tenant)
	if err != nil {
		return Settings{}, storeError(err)
	}
	st.Retention = d
	return st, nil
}

// Settings returns a tenant's settings (defaults when never configured).
func (s *Service) Settings(ctx context.Context, tenant string) (Settings, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Settings{}, err
	}
	it, err := ts.Get(ctx, pkConf, skConf)
	if errors.Is(err, store.ErrNotFound) {
		return s.withRetention(ctx, tenant, Settings{Retention: DefaultRetention}, nil)
	}
	if err != nil {
		return Settings{}, storeError(err)
	}
	st, err := settingsOf(it)
	return s.withRetention(ctx, tenant, st, err)
}

func settingsOf(it store.Item) (Settings, error) {
	var r settingsRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return Settings{}, storeError(err)
	}
	return Settings{
		PMSWebhookURL: r.PMSWebhookURL, Retention: retention(r),
		EmisSecretSet: r.Set[0], PMSInSecretSet: r.Set[1], PMSOutSecretSet: r.Set[2],
	}, nil
}

func retention(r settingsRecord) time.Duration {
	if r.RetentionSec <= 0 {
		return DefaultRetention
	}
	return time.Duration(r.RetentionSec) * time.Second
}

// keep is how long the tenant's personal data stays: the hub's setting (Options.Retention)
// or, without one, the EMIS settings' own.
func (s *Service) keep(ctx context.Context, tenant string, conf tenantConf) (time.Duration, error) {
	if s.ret == nil {
		return retention(conf.settingsRecord), nil
	}
	d, err := s.ret.Retention(ctx, tenant)
	if err != nil {
		return 0, storeError(err)
	}
	return d, nil
}

// tenantConf is the settings record with its secrets opened, for internal use only.
type tenantConf struct {
	settingsRecord
	secrets secretsRecord
}

func (s *Service) conf(ctx context.Context, tenant string) (tenantConf, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return tenantConf{}, err
	}
	var c tenantConf
	it, err := ts.Get(ctx, pkConf, skConf)
	if errors.Is(err, store.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, storeError(err)
	}
	if err := json.Unmarshal(it.Data, &c.settingsRecord); err != nil {
		return c, storeError(err)
	}
	c.secrets, err = s.openSecrets(ctx, tenant, c.settingsRecord)
	return c, err
}

func (s *Service) openSecrets(ctx context.Context, tenant string, r settingsRecord) (secretsRecord, error) {
	var sec secretsRecord
	if len(r.Sealed) == 0 {
		return sec, nil
	}
	plain, err := s.seal.Open(ctx, tenant, purposeSecrets, r.Sealed)
	if err != nil {
		return sec, apperr.Wrap(err, apperr.Internal, "EMIS_SECRETS", "Не удалось прочитать секреты подписи вебхуков")
	}
	defer clear(plain)
	if err := json.Unmarshal(plain, &sec); err != nil {
		return sec, storeError(err)
	}
	return sec, nil
}
