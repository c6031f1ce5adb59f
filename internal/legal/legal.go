// Package legal keeps a tenant's legal entities (организации): their requisites and the
// per-entity EMIS settings, including the four EMIS credentials.
//
// The credentials are write-only: they are sealed at rest with the Sealer, bound to the
// tenant and to the entity, and no read returns them, sealed or not; a read tells only
// whether each is set. Credentials is the one way back to the plaintext, for the EMIS
// client. Nothing here logs.
//
// Storage: one item per entity in the tenant's partition LEGAL (sort key: the Ref), with
// GSI1 on Code and GSI2 on Description (index sort key: value, \x01, Ref), so lookups by
// code and by name prefix run on indexes.
package legal

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sealer"
	"github.com/stykovka/stykovka/internal/store"
)

// Store layout.
const (
	partition = "LEGAL"
	codeIndex = "LEGAL#CODE" // GSI1
	nameIndex = "LEGAL#NAME" // GSI2
	sep       = "\x01"       // between the value and the Ref in index sort keys; text fields cannot hold it
)

// CredentialsPurpose prefixes the sealer purpose of an entity's credentials; the Ref
// follows, so a sealed blob cannot be moved to another entity.
const CredentialsPurpose = "legal/emis-credentials/"

// Limits of the fields (1C's usual lengths).
const (
	MaxCode        = 25
	MaxDescription = 150
	MaxCredential  = 256
)

// Script is the alphabet in which the PMS receives guests' names from EMIS.
type Script string

// Scripts.
const (
	Latin    Script = "Latin"
	Cyrillic Script = "Cyrillic"
)

// Entity is a legal entity as reads see it: no credential, only whether each is set.
type Entity struct {
	Ref          string // GUID, lower case
	Code         string
	Description  string
	INN          string
	KPP          string
	DeletionMark bool
	EmisEnabled  bool
	NamesScript  Script

	EmisWebLoginSet            bool
	EmisWebPasswordSet         bool
	EmisIntegrationLoginSet    bool
	EmisIntegrationPasswordSet bool

	Version int64 // the store version; the facade shows it as DataVersion
}

// EmisCredentials are the four secrets EMIS gives a legal entity.
type EmisCredentials struct {
	WebLogin            string `json:"wl,omitempty"`
	WebPassword         string `json:"wp,omitempty"`
	IntegrationLogin    string `json:"il,omitempty"`
	IntegrationPassword string `json:"ip,omitempty"`
}

// Changes are the fields a create or update sets; nil leaves a field as it is. An empty
// credential clears it.
type Changes struct {
	Code         *string `validate:"omitempty,max=25,nocontrol"`
	Description  *string `validate:"omitempty,max=150,nocontrol"`
	INN          *string `validate:"omitempty,inn"`
	KPP          *string `validate:"omitempty,kpp"`
	DeletionMark *bool
	EmisEnabled  *bool
	NamesScript  *string `validate:"omitempty,oneof=Latin Cyrillic"`

	EmisWebLogin            *string `validate:"omitempty,max=256,nocontrol"`
	EmisWebPassword         *string `validate:"omitempty,max=256,nocontrol"`
	EmisIntegrationLogin    *string `validate:"omitempty,max=256,nocontrol"`
	EmisIntegrationPassword *string `validate:"omitempty,max=256,nocontrol"`
}

// ErrVersionMismatch is wrapped in the Conflict error of a write whose expected version is
// not the stored one.
var ErrVersionMismatch = errors.New("legal: version mismatch")

// record is the stored form; Sealed holds the credentials, sealed.
type record struct {
	Code         string  `json:"code,omitempty"`
	Description  string  `json:"descr"`
	INN          string  `json:"inn,omitempty"`
	KPP          string  `json:"kpp,omitempty"`
	DeletionMark bool    `json:"del,omitempty"`
	EmisEnabled  bool    `json:"emis,omitempty"`
	NamesScript  Script  `json:"script"`
	Set          [4]bool `json:"set"`
	Sealed       []byte  `json:"sealed,omitempty"`
}

// Service manages legal entities.
type Service struct {
	st    store.Store
	seal  sealer.Sealer
	clk   clock.Clock
	valid *validator.Validate
}

// New returns a Service over the unscoped store; every call confines itself to its tenant.
func New(st store.Store, s sealer.Sealer, clk clock.Clock) *Service {
	v := validator.New(validator.WithRequiredStructEnabled())
	// An empty INN or KPP clears the field, so the checks accept "".
	_ = v.RegisterValidation("inn", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		return s == "" || ValidINN(s)
	})
	_ = v.RegisterValidation("kpp", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		return s == "" || ValidKPP(s)
	})
	_ = v.RegisterValidation("nocontrol", func(fl validator.FieldLevel) bool {
		return !strings.ContainsFunc(fl.Field().String(), unicode.IsControl)
	})
	return &Service{st: st, seal: s, clk: clk, valid: v}
}

var refRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// NewRef returns a random (version 4) reference.
func NewRef() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *Service) tenantStore(tenant string) (store.Store, error) {
	ts, err := store.ForTenant(s.st, tenant)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Forbidden, "LEGAL_TENANT", "Неизвестный абонент")
	}
	return ts, nil
}

func notFound() *apperr.Error {
	return apperr.New(apperr.NotFound, "LEGAL_NOT_FOUND", "Организация не найдена")
}

func checkRef(ref string) error {
	if !refRe.MatchString(ref) {
		return notFound()
	}
	return nil
}

// Get returns one entity.
func (s *Service) Get(ctx context.Context, tenant, ref string) (Entity, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Entity{}, err
	}
	if err := checkRef(ref); err != nil {
		return Entity{}, err
	}
	it, err := ts.Get(ctx, partition, ref)
	if errors.Is(err, store.ErrNotFound) {
		return Entity{}, notFound()
	}
	if err != nil {
		return Entity{}, apperr.Wrap(err, apperr.Internal, "LEGAL_STORE", "Не удалось прочитать организацию")
	}
	return decode(it)
}

func decode(it store.Item) (Entity, error) {
	var r record
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return Entity{}, apperr.Wrap(err, apperr.Internal, "LEGAL_CORRUPT", "Повреждена запись организации")
	}
	return Entity{
		Ref: it.SK, Code: r.Code, Description: r.Description, INN: r.INN, KPP: r.KPP,
		DeletionMark: r.DeletionMark, EmisEnabled: r.EmisEnabled, NamesScript: r.NamesScript,
		EmisWebLoginSet: r.Set[0], EmisWebPasswordSet: r.Set[1],
		EmisIntegrationLoginSet: r.Set[2], EmisIntegrationPasswordSet: r.Set[3],
		Version: it.Version,
	}, nil
}

// Create stores a new entity. ref may be empty (a new one is made) or a GUID chosen by the
// client, as 1C allows.
func (s *Service) Create(ctx context.Context, tenant, ref string, c Changes) (Entity, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Entity{}, err
	}
	if ref == "" {
		ref = NewRef()
	}
	if !refRe.MatchString(ref) {
		return Entity{}, apperr.New(apperr.Invalid, "LEGAL_INVALID", "Ссылка должна быть GUID")
	}
	r := record{NamesScript: Cyrillic}
	item, err := s.apply(ctx, tenant, ref, &r, c)
	if err != nil {
		return Entity{}, err
	}
	stored, err := ts.Put(ctx, item, store.NotExists())
	if errors.Is(err, store.ErrConditionFailed) {
		return Entity{}, apperr.New(apperr.Conflict, "LEGAL_EXISTS", "Организация с такой ссылкой уже существует")
	}
	if err != nil {
		return Entity{}, apperr.Wrap(err, apperr.Internal, "LEGAL_STORE", "Не удалось записать организацию")
	}
	return decode(stored)
}

// Update applies c to an entity. expect is the version the caller read (0: any); a
// different stored version fails with a Conflict wrapping ErrVersionMismatch.
func (s *Service) Update(ctx context.Context, tenant, ref string, c Changes, expect int64) (Entity, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Entity{}, err
	}
	if err := checkRef(ref); err != nil {
		return Entity{}, err
	}
	stored, err := store.Mutate(ctx, ts, partition, ref, func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, notFound()
		}
		if expect != 0 && cur.Version != expect {
			return store.Item{}, stale()
		}
		var r record
		if err := json.Unmarshal(cur.Data, &r); err != nil {
			return store.Item{}, apperr.Wrap(err, apperr.Internal, "LEGAL_CORRUPT", "Повреждена запись организации")
		}
		return s.apply(ctx, tenant, ref, &r, c)
	})
	if err != nil {
		if _, ok := err.(*apperr.Error); ok {
			return Entity{}, err
		}
		return Entity{}, apperr.Wrap(err, apperr.Internal, "LEGAL_STORE", "Не удалось записать организацию")
	}
	return decode(stored)
}

func stale() *apperr.Error {
	return apperr.Wrap(ErrVersionMismatch, apperr.Conflict, "LEGAL_VERSION",
		"Организация изменена другим пользователем: перечитайте её")
}

// Delete removes an entity. expect works as in Update.
func (s *Service) Delete(ctx context.Context, tenant, ref string, expect int64) error {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return err
	}
	if err := checkRef(ref); err != nil {
		return err
	}
	cond := store.Exists()
	if expect != 0 {
		cond = store.VersionIs(expect)
	}
	err = ts.Delete(ctx, partition, ref, cond)
	if errors.Is(err, store.ErrConditionFailed) {
		if _, gerr := ts.Get(ctx, partition, ref); errors.Is(gerr, store.ErrNotFound) {
			return notFound()
		}
		return stale()
	}
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "LEGAL_STORE", "Не удалось удалить организацию")
	}
	return nil
}

// apply validates c against r, merges it, seals the credentials and returns the item to
// write.
func (s *Service) apply(ctx context.Context, tenant, ref string, r *record, c Changes) (store.Item, error) {
	if err := s.valid.Struct(c); err != nil {
		return store.Item{}, validationError(err)
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&r.Code, c.Code)
	set(&r.Description, c.Description)
	set(&r.INN, c.INN)
	set(&r.KPP, c.KPP)
	if c.NamesScript != nil {
		r.NamesScript = Script(*c.NamesScript)
	}
	if c.DeletionMark != nil {
		r.DeletionMark = *c.DeletionMark
	}
	if c.EmisEnabled != nil {
		r.EmisEnabled = *c.EmisEnabled
	}
	if r.Description == "" {
		return store.Item{}, invalid("Не заполнено наименование организации (Description)")
	}
	if r.KPP != "" && len(r.INN) == 12 {
		return store.Item{}, invalid("КПП указывается только для организаций с ИНН из 10 цифр")
	}
	newCreds := []*string{c.EmisWebLogin, c.EmisWebPassword, c.EmisIntegrationLogin, c.EmisIntegrationPassword}
	touched := false
	for _, v := range newCreds {
		touched = touched || v != nil
	}
	if touched {
		var creds EmisCredentials
		purpose := CredentialsPurpose + ref
		if len(r.Sealed) > 0 {
			plain, err := s.seal.Open(ctx, tenant, purpose, r.Sealed)
			if err != nil {
				return store.Item{}, apperr.Wrap(err, apperr.Internal, "LEGAL_SEAL", "Не удалось прочитать учётные данные EMIS")
			}
			err = json.Unmarshal(plain, &creds)
			clear(plain)
			if err != nil {
				return store.Item{}, apperr.Wrap(err, apperr.Internal, "LEGAL_CORRUPT", "Повреждены учётные данные EMIS")
			}
		}
		fields := []*string{&creds.WebLogin, &creds.WebPassword, &creds.IntegrationLogin, &creds.IntegrationPassword}
		for i, v := range newCreds {
			if v != nil {
				*fields[i] = *v
			}
			r.Set[i] = *fields[i] != ""
		}
		r.Sealed = nil
		if r.Set != [4]bool{} {
			plain, err := json.Marshal(creds)
			if err != nil {
				return store.Item{}, apperr.Wrap(err, apperr.Internal, "LEGAL_SEAL", "Не удалось сохранить учётные данные EMIS")
			}
			r.Sealed, err = s.seal.Seal(ctx, tenant, purpose, plain)
			clear(plain)
			if err != nil {
				return store.Item{}, apperr.Wrap(err, apperr.Internal, "LEGAL_SEAL", "Не удалось сохранить учётные данные EMIS")
			}
		}
	}
	if r.EmisEnabled && r.Set != [4]bool{true, true, true, true} {
		return store.Item{}, invalid("Чтобы включить EMIS, укажите все четыре учётных данных: логин и пароль веб-приложения, логин и пароль интеграции")
	}
	data, err := json.Marshal(r)
	if err != nil {
		return store.Item{}, apperr.Wrap(err, apperr.Internal, "LEGAL_STORE", "Не удалось записать организацию")
	}
	it := store.Item{PK: partition, SK: ref, Data: data, GSI2PK: nameIndex, GSI2SK: r.Description + sep + ref}
	if r.Code != "" {
		it.GSI1PK, it.GSI1SK = codeIndex, r.Code+sep+ref
	}
	return it, nil
}

func invalid(msg string) *apperr.Error { return apperr.New(apperr.Invalid, "LEGAL_INVALID", msg) }

var fieldNames = map[string]string{
	"Code": "Код (Code)", "Description": "Наименование (Description)", "INN": "ИНН", "KPP": "КПП",
	"NamesScript": "Алфавит имён (NamesScript)", "EmisWebLogin": "Логин веб-приложения EMIS",
	"EmisWebPassword": "Пароль веб-приложения EMIS", "EmisIntegrationLogin": "Логин интеграции EMIS",
	"EmisIntegrationPassword": "Пароль интеграции EMIS",
}

// validationError turns the first validator failure into a Russian message. It never
// quotes the value: it may be a credential.
func validationError(err error) error {
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) || len(ve) == 0 {
		return invalid("Неверные данные организации")
	}
	fe := ve[0]
	name := fieldNames[fe.Field()]
	if name == "" {
		name = fe.Field()
	}
	switch fe.Tag() {
	case "max":
		return invalid("Поле «" + name + "» длиннее " + fe.Param() + " символов")
	case "inn":
		return invalid("ИНН должен состоять из 10 (организация) или 12 (ИП) цифр с верными контрольными цифрами")
	case "kpp":
		return invalid("КПП должен состоять из 9 символов: 4 цифры, 2 цифры или заглавные латинские буквы, 3 цифры")
	case "oneof":
		return invalid("Поле «" + name + "» принимает значения Latin или Cyrillic")
	case "nocontrol":
		return invalid("Поле «" + name + "» содержит управляющие символы")
	}
	return invalid("Неверное значение поля «" + name + "»")
}

// Credentials returns an entity's EMIS credentials in plaintext, for the EMIS client only.
// Unset ones are empty.
func (s *Service) Credentials(ctx context.Context, tenant, ref string) (EmisCredentials, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return EmisCredentials{}, err
	}
	if err := checkRef(ref); err != nil {
		return EmisCredentials{}, err
	}
	it, err := ts.Get(ctx, partition, ref)
	if errors.Is(err, store.ErrNotFound) {
		return EmisCredentials{}, notFound()
	}
	if err != nil {
		return EmisCredentials{}, apperr.Wrap(err, apperr.Internal, "LEGAL_STORE", "Не удалось прочитать организацию")
	}
	var r record
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return EmisCredentials{}, apperr.Wrap(err, apperr.Internal, "LEGAL_CORRUPT", "Повреждена запись организации")
	}
	var creds EmisCredentials
	if len(r.Sealed) == 0 {
		return creds, nil
	}
	plain, err := s.seal.Open(ctx, tenant, CredentialsPurpose+ref, r.Sealed)
	if err != nil {
		return EmisCredentials{}, apperr.Wrap(err, apperr.Internal, "LEGAL_SEAL", "Не удалось прочитать учётные данные EMIS")
	}
	defer clear(plain)
	if err := json.Unmarshal(plain, &creds); err != nil {
		return EmisCredentials{}, apperr.Wrap(err, apperr.Internal, "LEGAL_CORRUPT", "Повреждены учётные данные EMIS")
	}
	return creds, nil
}

// Order is an access path of List.
type Order int

// Orders.
const (
	ByRef         Order = iota // the table, by Ref
	ByCode                     // GSI1: only entities with a code
	ByDescription              // GSI2: every entity
)

// ListQuery asks for one page. At most one of Eq, Prefix, or From/To (inclusive) narrows the
// range of the order's field.
type ListQuery struct {
	By       Order
	Eq       *string
	Prefix   string
	From, To string
	Desc     bool
	Limit    int
	Cursor   string
}

// Page is one page of entities; Next is "" on the last.
type Page struct {
	Entities []Entity
	Next     string
}

// List returns one page in the order asked for.
func (s *Service) List(ctx context.Context, tenant string, lq ListQuery) (Page, error) {
	ts, err := s.tenantStore(tenant)
	if err != nil {
		return Page{}, err
	}
	q := store.Query{PK: partition, Desc: lq.Desc, Limit: lq.Limit, Cursor: lq.Cursor}
	suffix := sep
	switch lq.By {
	case ByCode:
		q.Index, q.PK = store.GSI1, codeIndex
	case ByDescription:
		q.Index, q.PK = store.GSI2, nameIndex
	default:
		suffix = ""
	}
	switch {
	case lq.Eq != nil:
		if lq.By == ByRef {
			q.From, q.To = *lq.Eq, *lq.Eq
		} else {
			q.Prefix = *lq.Eq + suffix
		}
	case lq.Prefix != "":
		q.Prefix = lq.Prefix
	default:
		q.From = lq.From
		if lq.To != "" {
			// Index keys of value To continue with sep and a Ref (ASCII), all below sep+"\x7f".
			q.To = lq.To + suffix
			if suffix != "" {
				q.To += "\x7f"
			}
		}
		if q.From != "" && q.To != "" && q.From > q.To {
			return Page{}, nil
		}
	}
	if q.Prefix == "" && q.From == "" && q.To == "" && lq.Eq != nil {
		return Page{}, nil // eq "" on an index: no entity has an empty indexed value there
	}
	p, err := ts.Query(ctx, q)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return Page{}, apperr.Wrap(err, apperr.Invalid, "LEGAL_QUERY", "Неверные параметры выборки")
		}
		return Page{}, apperr.Wrap(err, apperr.Internal, "LEGAL_STORE", "Не удалось прочитать организации")
	}
	out := Page{Next: p.Next, Entities: make([]Entity, 0, len(p.Items))}
	for _, it := range p.Items {
		e, err := decode(it)
		if err != nil {
			return Page{}, err
		}
		out.Entities = append(out.Entities, e)
	}
	return out, nil
}
