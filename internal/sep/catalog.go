package sep

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// Sealing purposes of personal data kept by this package.
const (
	purposePerson   = "sep/person"   // a responsible person's name and e-mail
	purposeContract = "sep/contract" // a lessee's e-mail
	purposeRequest  = "sep/request"  // a queued request's payload (may hold e-mails and codes)
)

// Settings are a tenant's SEP settings («Настройки интеграции с СЭП»).
type Settings struct {
	// Organisations exchange with SEP; requests are signed for them.
	Organisations []Organisation `json:"organisations" validate:"max=50,dive"`
	// SEPResponsibleID is the person notified of letters that match no fixed asset.
	SEPResponsibleID string `json:"sepResponsible" validate:"omitempty,sepid"`
	// TechMailbox is the technical mailbox lessee codes may be sent to.
	TechMailbox string `json:"techMailbox" validate:"omitempty,email,max=254"`
	Version     int64  `json:"version"`
}

// Organisation is an organisation of the tenant registered with SEP.
type Organisation struct {
	INN  string `json:"inn" validate:"required,inn"`
	OGRN string `json:"ogrn" validate:"required,ogrn"`
	Name string `json:"name" validate:"required,max=200"`
}

// Organisation returns the organisation with the INN.
func (st Settings) Organisation(inn string) (Organisation, bool) {
	for _, o := range st.Organisations {
		if o.INN == inn {
			return o, true
		}
	}
	return Organisation{}, false
}

func (st Settings) ours(inn string) bool { _, ok := st.Organisation(inn); return ok }

// Settings returns the tenant's settings (empty ones before the first PutSettings).
func (s *Service) Settings(ctx context.Context, tenant string) (Settings, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Settings{}, err
	}
	v, it, err := getJSON[Settings](ctx, tv, pkSettings, "settings", errNone)
	if errors.Is(err, errNone) {
		return Settings{}, nil
	}
	v.Version = it.Version
	return v, err
}

var errNone = errors.New("none")

// PutSettings replaces the settings; a non-zero Version must be the stored one.
func (s *Service) PutSettings(ctx context.Context, tenant string, in Settings) (Settings, error) {
	if err := check(in); err != nil {
		return Settings{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Settings{}, err
	}
	it, err := s.putVersioned(ctx, tv, store.Item{PK: pkSettings, SK: "settings", Data: putJSON(in)}, in.Version)
	if err != nil {
		return Settings{}, err
	}
	in.Version = it.Version
	return in, nil
}

// OrganisationKey returns the public key that verifies the organisation's signatures, to be
// registered with SEP (the role of the qualified certificate).
func (s *Service) OrganisationKey(ctx context.Context, tenant, inn string) ([]byte, error) {
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if !st.ours(inn) {
		return nil, ErrNotConfigured
	}
	return s.sig.PublicKey(ctx, tenant, inn)
}

var errVersion = apperr.New(apperr.Conflict, "SEP_VERSION_CONFLICT", "Запись изменена другим пользователем: перечитайте её")

// putVersioned writes an item, requiring the stored version when version is non-zero.
func (s *Service) putVersioned(ctx context.Context, tv store.Store, it store.Item, version int64) (store.Item, error) {
	var conds []store.Cond
	if version != 0 {
		conds = append(conds, store.VersionIs(version))
	}
	got, err := tv.Put(ctx, it, conds...)
	if errors.Is(err, store.ErrConditionFailed) {
		return store.Item{}, errVersion
	}
	return got, storeErr(err)
}

func (s *Service) seal(ctx context.Context, tenant, purpose string, v any) ([]byte, error) {
	b, err := s.se.Seal(ctx, tenant, purpose, putJSON(v))
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "SEP_SEAL", "Ошибка шифрования данных")
	}
	return b, nil
}

func (s *Service) open(ctx context.Context, tenant, purpose string, b []byte, v any) error {
	plain, err := s.se.Open(ctx, tenant, purpose, b)
	if err == nil {
		err = json.Unmarshal(plain, v)
	}
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "SEP_UNSEAL", "Ошибка расшифровки данных")
	}
	return nil
}

// Person is a person responsible for fixed assets (or for SEP as a whole). Name and e-mail
// are personal data: sealed at rest, never logged.
type Person struct {
	ID      string `json:"id" validate:"required,sepid"`
	Name    string `json:"name" validate:"required,max=200"`
	Email   string `json:"email" validate:"omitempty,email,max=254"`
	Version int64  `json:"version"`
}

type personRec struct {
	ID     string `json:"id"`
	Sealed []byte `json:"sealed"`
}

type personPII struct {
	Name  string `json:"n"`
	Email string `json:"e"`
}

// PutPerson creates or replaces a person; a non-zero Version must be the stored one.
func (s *Service) PutPerson(ctx context.Context, tenant string, p Person) (Person, error) {
	if err := check(p); err != nil {
		return Person{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Person{}, err
	}
	sealed, err := s.seal(ctx, tenant, purposePerson, personPII{Name: p.Name, Email: p.Email})
	if err != nil {
		return Person{}, err
	}
	it, err := s.putVersioned(ctx, tv, store.Item{PK: pkPerson, SK: p.ID, Data: putJSON(personRec{ID: p.ID, Sealed: sealed})}, p.Version)
	if err != nil {
		return Person{}, err
	}
	p.Version = it.Version
	return p, nil
}

// Person returns a person.
func (s *Service) Person(ctx context.Context, tenant, id string) (Person, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Person{}, err
	}
	it, err := tv.Get(ctx, pkPerson, id)
	if errors.Is(err, store.ErrNotFound) {
		return Person{}, ErrPersonNotFound
	}
	if err != nil {
		return Person{}, storeErr(err)
	}
	return s.decodePerson(ctx, tenant, it)
}

func (s *Service) decodePerson(ctx context.Context, tenant string, it store.Item) (Person, error) {
	rec, err := decodeJSON[personRec](it)
	if err != nil {
		return Person{}, err
	}
	var pii personPII
	if err := s.open(ctx, tenant, purposePerson, rec.Sealed, &pii); err != nil {
		return Person{}, err
	}
	return Person{ID: rec.ID, Name: pii.Name, Email: pii.Email, Version: it.Version}, nil
}

// DeletePerson removes a person.
func (s *Service) DeletePerson(ctx context.Context, tenant, id string) error {
	tv, err := s.view(tenant)
	if err != nil {
		return err
	}
	return storeErr(tv.Delete(ctx, pkPerson, id))
}

// Persons lists persons by id.
func (s *Service) Persons(ctx context.Context, tenant string, pr PageRequest) (Page[Person], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[Person]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkPerson}, pr, func(it store.Item) (Person, error) {
		return s.decodePerson(ctx, tenant, it)
	})
}

// Asset is a fixed asset (основное средство) that has an electronic passport.
type Asset struct {
	ID              string `json:"id" validate:"required,sepid"`
	Code            string `json:"code" validate:"max=50"`
	Name            string `json:"name" validate:"required,max=200"`
	VIN             string `json:"vin" validate:"omitempty,vin"`
	EPTS            string `json:"epts" validate:"omitempty,epts"`
	OrganisationINN string `json:"organisation" validate:"omitempty,inn"`
	ResponsibleID   string `json:"responsible" validate:"omitempty,sepid"`
	Version         int64  `json:"version"`
}

// PutAsset creates or replaces a fixed asset; a non-zero Version must be the stored one.
func (s *Service) PutAsset(ctx context.Context, tenant string, a Asset) (Asset, error) {
	a.VIN = normUpper(a.VIN)
	if err := check(a); err != nil {
		return Asset{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return Asset{}, err
	}
	it := store.Item{PK: pkAsset, SK: a.ID, Data: putJSON(a)}
	if a.VIN != "" {
		it.GSI1PK, it.GSI1SK = gsiVIN, a.VIN+"#"+a.ID
	}
	if a.EPTS != "" {
		it.GSI2PK, it.GSI2SK = gsiEPTS, a.EPTS+"#"+a.ID
	}
	got, err := s.putVersioned(ctx, tv, it, a.Version)
	if err != nil {
		return Asset{}, err
	}
	a.Version = got.Version
	return a, nil
}

// Asset returns a fixed asset.
func (s *Service) Asset(ctx context.Context, tenant, id string) (Asset, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Asset{}, err
	}
	return getAsset(ctx, tv, id)
}

func getAsset(ctx context.Context, tv store.Store, id string) (Asset, error) {
	a, it, err := getJSON[Asset](ctx, tv, pkAsset, id, ErrAssetNotFound)
	a.Version = it.Version
	return a, err
}

// DeleteAsset removes a fixed asset.
func (s *Service) DeleteAsset(ctx context.Context, tenant, id string) error {
	tv, err := s.view(tenant)
	if err != nil {
		return err
	}
	return storeErr(tv.Delete(ctx, pkAsset, id))
}

// Assets lists fixed assets by id.
func (s *Service) Assets(ctx context.Context, tenant string, pr PageRequest) (Page[Asset], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[Asset]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkAsset}, pr, decodeAsset)
}

func decodeAsset(it store.Item) (Asset, error) {
	a, err := decodeJSON[Asset](it)
	a.Version = it.Version
	return a, err
}

// FindAssets returns the fixed assets a letter names: those matching both VIN and EPTS when
// both are known, else those matching the one that is.
func (s *Service) FindAssets(ctx context.Context, tenant, vin, epts string) ([]Asset, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return nil, err
	}
	return findAssets(ctx, tv, normUpper(vin), epts)
}

func findAssets(ctx context.Context, tv store.Store, vin, epts string) ([]Asset, error) {
	byIndex := func(ix store.Index, pk, key string) ([]Asset, error) {
		if key == "" {
			return nil, nil
		}
		p, err := tv.Query(ctx, store.Query{Index: ix, PK: pk, Prefix: key + "#", Limit: 20})
		if err != nil {
			return nil, storeErr(err)
		}
		var out []Asset
		for _, it := range p.Items {
			a, err := decodeAsset(it)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, nil
	}
	byVIN, err := byIndex(store.GSI1, gsiVIN, vin)
	if err != nil {
		return nil, err
	}
	byEPTS, err := byIndex(store.GSI2, gsiEPTS, epts)
	if err != nil {
		return nil, err
	}
	switch {
	case vin != "" && epts != "":
		var both []Asset
		for _, a := range byVIN {
			if a.EPTS == epts {
				both = append(both, a)
			}
		}
		if len(both) > 0 {
			return both, nil
		}
		// One of the two may be missing in 1C's card: take whichever matched.
		return append(byVIN, byEPTS...), nil
	case vin != "":
		return byVIN, nil
	}
	return byEPTS, nil
}

// LeaseContract is an appendix of a lease contract («Приложение к договору лизинга») from
// 1C: what a lease application is made from.
type LeaseContract struct {
	ID              string    `json:"id" validate:"required,sepid"`
	OrganisationINN string    `json:"organisation" validate:"required,inn"`
	DocName         string    `json:"docName" validate:"max=200"`
	DocNumber       string    `json:"docNumber" validate:"required,max=64"`
	DocDate         time.Time `json:"docDate" validate:"required"`
	LeaseEnd        time.Time `json:"leaseEnd" validate:"required,gtfield=DocDate"`
	LesseeINN       string    `json:"lesseeInn" validate:"required,inn"`
	LesseeOGRN      string    `json:"lesseeOgrn" validate:"omitempty,ogrn"`
	LesseeName      string    `json:"lesseeName" validate:"max=200"`
	// LesseeEmail is the partner's e-mail (personal data when the lessee is a person:
	// sealed at rest).
	LesseeEmail string   `json:"lesseeEmail" validate:"omitempty,email,max=254"`
	AssetIDs    []string `json:"assets" validate:"required,min=1,max=50,dive,sepid"`
	Version     int64    `json:"version"`
}

type contractRec struct {
	LeaseContract
	Sealed []byte `json:"sealed,omitempty"`
}

// PutLeaseContract creates or replaces a lease contract appendix.
func (s *Service) PutLeaseContract(ctx context.Context, tenant string, c LeaseContract) (LeaseContract, error) {
	if err := check(c); err != nil {
		return LeaseContract{}, err
	}
	tv, err := s.view(tenant)
	if err != nil {
		return LeaseContract{}, err
	}
	rec := contractRec{LeaseContract: c}
	rec.LesseeEmail, rec.Version = "", 0
	if c.LesseeEmail != "" {
		if rec.Sealed, err = s.seal(ctx, tenant, purposeContract, c.LesseeEmail); err != nil {
			return LeaseContract{}, err
		}
	}
	it := store.Item{PK: pkContract, SK: c.ID, Data: putJSON(rec),
		GSI1PK: gsiOrgCtr + c.OrganisationINN, GSI1SK: tkey(c.DocDate) + "#" + c.ID}
	got, err := s.putVersioned(ctx, tv, it, c.Version)
	if err != nil {
		return LeaseContract{}, err
	}
	c.Version = got.Version
	return c, nil
}

// LeaseContract returns a lease contract appendix.
func (s *Service) LeaseContract(ctx context.Context, tenant, id string) (LeaseContract, error) {
	tv, err := s.view(tenant)
	if err != nil {
		return LeaseContract{}, err
	}
	it, err := tv.Get(ctx, pkContract, id)
	if errors.Is(err, store.ErrNotFound) {
		return LeaseContract{}, ErrContractNotFnd
	}
	if err != nil {
		return LeaseContract{}, storeErr(err)
	}
	return s.decodeContract(ctx, tenant, it)
}

func (s *Service) decodeContract(ctx context.Context, tenant string, it store.Item) (LeaseContract, error) {
	rec, err := decodeJSON[contractRec](it)
	if err != nil {
		return LeaseContract{}, err
	}
	c := rec.LeaseContract
	if len(rec.Sealed) > 0 {
		if err := s.open(ctx, tenant, purposeContract, rec.Sealed, &c.LesseeEmail); err != nil {
			return LeaseContract{}, err
		}
	}
	c.Version = it.Version
	return c, nil
}

// DeleteLeaseContract removes a lease contract appendix.
func (s *Service) DeleteLeaseContract(ctx context.Context, tenant, id string) error {
	tv, err := s.view(tenant)
	if err != nil {
		return err
	}
	return storeErr(tv.Delete(ctx, pkContract, id))
}

// LeaseContracts lists lease contract appendices by id.
func (s *Service) LeaseContracts(ctx context.Context, tenant string, pr PageRequest) (Page[LeaseContract], error) {
	tv, err := s.view(tenant)
	if err != nil {
		return Page[LeaseContract]{}, err
	}
	return listPage(ctx, tv, store.Query{PK: pkContract}, pr, func(it store.Item) (LeaseContract, error) {
		return s.decodeContract(ctx, tenant, it)
	})
}

func containsStr(xs []string, x string) bool { return slices.Contains(xs, x) }
