package emis

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// Field kinds: each is a sealer purpose of its own (with the legal entity and the person
// appended), so a sealed value cannot be opened as another kind or for another person.
const (
	kindName   = "name"   // names in both scripts
	kindNumber = "number" // series and numbers of every document
	kindDate   = "date"   // birth date, document and stay dates
	kindPlace  = "place"  // birth place, issuer
	kindAttr   = "attr"   // type code, nationality, sex, kinds, entries, purpose
)

// fields calls fn for every string field of d with its kind; fn may replace the value.
func fields(d *Documents, fn func(kind string, p *string) error) error {
	id := &d.Identity
	list := []struct {
		kind string
		p    *string
	}{
		{kindAttr, &id.TypeCode}, {kindNumber, &id.Series}, {kindNumber, &id.Number},
		{kindDate, &id.IssuedOn}, {kindDate, &id.ExpiresOn}, {kindPlace, &id.Issuer},
		{kindAttr, &id.Nationality}, {kindAttr, &id.Sex}, {kindDate, &id.BirthDate}, {kindPlace, &id.BirthPlace},
		{kindName, &id.Cyrillic.Surname}, {kindName, &id.Cyrillic.Given}, {kindName, &id.Cyrillic.Patronymic},
		{kindName, &id.Latin.Surname}, {kindName, &id.Latin.Given}, {kindName, &id.Latin.Patronymic},
		{kindAttr, &d.Visit.Purpose}, {kindDate, &d.Visit.From}, {kindDate, &d.Visit.To},
	}
	for i := range d.Stay {
		st := &d.Stay[i]
		list = append(list, []struct {
			kind string
			p    *string
		}{
			{kindAttr, (*string)(&st.Kind)}, {kindNumber, &st.Series}, {kindNumber, &st.Number},
			{kindDate, &st.ValidFrom}, {kindDate, &st.ValidTo}, {kindAttr, &st.Entries},
		}...)
	}
	if mc := d.MigrationCard; mc != nil {
		list = append(list, []struct {
			kind string
			p    *string
		}{{kindNumber, &mc.Series}, {kindNumber, &mc.Number}, {kindDate, &mc.EntryDate}}...)
	}
	for _, f := range list {
		if err := fn(f.kind, f.p); err != nil {
			return err
		}
	}
	return nil
}

func purpose(kind, legal, person string) string {
	return "emis/" + kind + "/" + legal + "/" + person
}

// sealDocs returns a copy of d whose every non-empty string is sealed (base64 of the sealed
// bytes). The JSON shape stays that of Documents, so that storage needs no second model.
func (s *Service) sealDocs(ctx context.Context, tenant, legal, person string, d Documents) (Documents, error) {
	out := cloneDocs(d)
	err := fields(&out, func(kind string, p *string) error {
		if *p == "" {
			return nil
		}
		b, err := s.seal.Seal(ctx, tenant, purpose(kind, legal, person), []byte(*p))
		if err != nil {
			return err
		}
		*p = base64.RawStdEncoding.EncodeToString(b)
		return nil
	})
	return out, err
}

func (s *Service) openDocs(ctx context.Context, tenant, legal, person string, d Documents) (Documents, error) {
	out := cloneDocs(d)
	err := fields(&out, func(kind string, p *string) error {
		if *p == "" {
			return nil
		}
		b, err := base64.RawStdEncoding.DecodeString(*p)
		if err != nil {
			return err
		}
		plain, err := s.seal.Open(ctx, tenant, purpose(kind, legal, person), b)
		if err != nil {
			return err
		}
		*p = string(plain)
		return nil
	})
	if err != nil {
		return Documents{}, apperr.Wrap(err, apperr.Internal, "EMIS_UNSEAL", "Не удалось прочитать сохранённые документы гостя")
	}
	return out, nil
}

func cloneDocs(d Documents) Documents {
	d.Stay = append([]Stay(nil), d.Stay...)
	if d.MigrationCard != nil {
		mc := *d.MigrationCard
		d.MigrationCard = &mc
	}
	return d
}

// docRecord is the stored form of a person's documents for one legal entity.
//
// Version is the hub's number of the stored state: the version the PMS sees, the delivery id
// is derived from. Versions come from EMIS (callbacks and pulls) and from scanned reads
// (AttachRead, local versions); Emis is the highest EMIS version applied, which is what an
// EMIS version is compared with and what pulls ask "changes since". An EMIS version gets its
// own number unless a local version already took it or a higher one: then it takes the next
// number. Records written before local versions existed have no Emis (nil): their Version is
// EMIS's.
type docRecord struct {
	Version   int64     `json:"v"`
	Emis      *int64    `json:"ev,omitempty"`
	SavedAt   time.Time `json:"at"`
	SessionID string    `json:"s,omitempty"`
	BookingID string    `json:"b,omitempty"`
	Docs      Documents `json:"d"` // sealed field by field
	// Scan is set while the stored state holds parts of scanned reads (a later EMIS version
	// replaces the documents and drops it).
	Scan *scanRecord `json:"scan,omitempty"`
}

// emisVersion is the highest EMIS version applied.
func (r docRecord) emisVersion() int64 {
	if r.Emis == nil {
		return r.Version
	}
	return *r.Emis
}

// Attributes of a document item: the stored version, the version whose delivery is queued
// and the version delivered (decimal strings).
const (
	attrVersion   = "ver"
	attrQueued    = "q"
	attrDelivered = "dl"
)

var errUnchanged = errors.New("emis: version already applied")

// applied is the outcome of storing a version.
type applied struct {
	item    store.Item
	rec     docRecord
	changed bool
}

// apply stores EMIS version v of a person's documents unless the stored EMIS version is the
// same or newer: applying a version twice changes nothing.
func (s *Service) apply(ctx context.Context, ts store.Store, tenant, legal, person string, v Version, keep time.Duration) (applied, error) {
	return s.write(ctx, ts, tenant, legal, person, keep, func(old *docRecord) (docRecord, Documents, error) {
		if old != nil && v.Number <= old.emisVersion() {
			return docRecord{}, Documents{}, errUnchanged
		}
		ev := v.Number
		rec := docRecord{Version: v.Number, Emis: &ev, SavedAt: v.SavedAt.UTC(), SessionID: v.SessionID, BookingID: v.BookingID}
		if old != nil && old.Version >= rec.Version {
			rec.Version = old.Version + 1 // a local version took the number
		}
		return rec, v.Documents, nil
	})
}

// write stores the next state of a person's documents: next gets the stored record (nil for
// none) and returns the new record and its documents in the clear (sealed here), or
// errUnchanged to keep the stored one. It is the one place where documents are sealed and
// stored.
func (s *Service) write(ctx context.Context, ts store.Store, tenant, legal, person string, keep time.Duration,
	next func(old *docRecord) (docRecord, Documents, error)) (applied, error) {
	var cur *store.Item
	it, err := store.Mutate(ctx, ts, pkPerson+person, skDocs+legal, func(c *store.Item) (store.Item, error) {
		cur = c
		var old *docRecord
		if c != nil {
			old = new(docRecord)
			if err := json.Unmarshal(c.Data, old); err != nil {
				return store.Item{}, err
			}
		}
		rec, docs, err := next(old)
		if err != nil {
			return store.Item{}, err
		}
		sealed, err := s.sealDocs(ctx, tenant, legal, person, docs)
		if err != nil {
			return store.Item{}, err
		}
		rec.Docs = sealed
		data, err := json.Marshal(rec)
		if err != nil {
			return store.Item{}, err
		}
		return store.Item{
			GSI2PK: gsiDocs, GSI2SK: person + "#" + legal,
			Attrs:     map[string]string{attrVersion: strconv.FormatInt(rec.Version, 10)},
			Data:      data,
			ExpiresAt: s.clk.Now().Add(keep),
		}, nil
	})
	if errors.Is(err, errUnchanged) {
		var rec docRecord
		if err := json.Unmarshal(cur.Data, &rec); err != nil {
			return applied{}, storeError(err)
		}
		return applied{item: *cur, rec: rec}, nil
	}
	if err != nil {
		return applied{}, storeError(err)
	}
	var rec docRecord
	_ = json.Unmarshal(it.Data, &rec)
	return applied{item: it, rec: rec, changed: true}, nil
}

// load returns the stored record, or ErrNoDocuments.
func (s *Service) load(ctx context.Context, ts store.Store, legal, person string) (store.Item, docRecord, error) {
	it, err := ts.Get(ctx, pkPerson+person, skDocs+legal)
	if errors.Is(err, store.ErrNotFound) {
		return store.Item{}, docRecord{}, ErrNoDocuments
	}
	if err != nil {
		return store.Item{}, docRecord{}, storeError(err)
	}
	var rec docRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return store.Item{}, docRecord{}, storeError(err)
	}
	return it, rec, nil
}

// result opens a record and reviews it for the PMS.
func (s *Service) result(ctx context.Context, tenant string, le LegalEntity, person string, rec docRecord) (Result, error) {
	docs, err := s.openDocs(ctx, tenant, le.Ref, person, rec.Docs)
	if err != nil {
		return Result{}, err
	}
	script := le.Script
	if script != Latin {
		script = Cyrillic
	}
	name, warns := Review(docs, script, s.today())
	if warns == nil {
		warns = []Warning{}
	}
	warns = append(warns, rec.Scan.warnings()...)
	return Result{
		LegalEntity: le.Ref, PersonID: person, BookingID: rec.BookingID, Version: rec.Version,
		SavedAt: rec.SavedAt, Script: script, Name: name, Documents: docs, Warnings: warns,
	}, nil
}

// entity returns a legal entity with EMIS enabled.
func (s *Service) entity(ctx context.Context, tenant, ref string) (LegalEntity, error) {
	if !refRe.MatchString(ref) {
		return LegalEntity{}, apperr.New(apperr.Invalid, "EMIS_INVALID_INPUT", "Не указана организация (юридическое лицо)")
	}
	le, err := s.legal.EmisEntity(ctx, tenant, ref)
	if err != nil {
		return LegalEntity{}, err
	}
	if !le.Enabled {
		return LegalEntity{}, ErrDisabled
	}
	return le, nil
}

// GetDocuments pulls the changes of a person's documents from EMIS, stores what is new and
// returns the latest version, normalized, with warnings. When EMIS cannot be asked and a
// version is stored, that version is returned with the warning EMIS_UNAVAILABLE.
func (s *Service) GetDocuments(ctx context.Context, tenant, legalRef, personID string) (Result, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return Result{}, err
	}
	if !refRe.MatchString(personID) {
		return Result{}, ErrPersonNotSaved
	}
	le, err := s.entity(ctx, tenant, legalRef)
	if err != nil {
		return Result{}, err
	}
	conf, err := s.conf(ctx, tenant)
	if err != nil {
		return Result{}, err
	}
	_, rec, err := s.load(ctx, ts, le.Ref, personID)
	if err != nil && !errors.Is(err, ErrNoDocuments) {
		return Result{}, err
	}
	rec, pullErr := s.pull(ctx, ts, tenant, conf, le.Ref, personID, rec)
	if pullErr != nil {
		if ae := apperr.As(pullErr); ae.Kind == apperr.Internal && ae.Code != "EMIS_FAILED" && ae.Code != "EMIS_DATA_INVALID" {
			return Result{}, pullErr // the hub's own failure, not EMIS's
		}
		s.log.WarnContext(ctx, "emis pull failed", "tenant", tenant, "legal", le.Ref, "code", apperr.As(pullErr).Code)
		if rec.Version == 0 {
			return Result{}, pullErr
		}
	}
	if rec.Version == 0 {
		return Result{}, ErrNoDocuments
	}
	res, err := s.result(ctx, tenant, le, personID, rec)
	if err != nil {
		return Result{}, err
	}
	if pullErr != nil {
		res.Warnings = append(res.Warnings, Warning{Code: WarnEmisUnavailable,
			Message: "Не удалось получить изменения из EMIS (" + apperr.As(pullErr).Message + "): показаны данные, сохранённые ранее"})
	}
	return res, nil
}

// pull asks EMIS for the versions after rec and stores the newest (older ones are
// superseded), queueing its delivery. It returns the record now stored; on error, rec.
func (s *Service) pull(ctx context.Context, ts store.Store, tenant string, conf tenantConf, legal, person string, rec docRecord) (docRecord, error) {
	acct, err := s.legal.EmisAccount(ctx, tenant, legal)
	if err != nil {
		return rec, err
	}
	versions, err := s.emis.Changes(ctx, acct, person, rec.emisVersion())
	if err != nil {
		return rec, upstreamError(err)
	}
	var latest *Version
	for i := range versions {
		if latest == nil || versions[i].Number > latest.Number {
			latest = &versions[i]
		}
	}
	if latest == nil || latest.Number <= rec.emisVersion() {
		return rec, nil
	}
	if err := s.valid.Struct(latest); err != nil {
		return rec, apperr.Wrap(err, apperr.Internal, "EMIS_DATA_INVALID", "EMIS вернул документы в неверном формате")
	}
	keep, err := s.keep(ctx, tenant, conf)
	if err != nil {
		return rec, err
	}
	a, err := s.apply(ctx, ts, tenant, legal, person, *latest, keep)
	if err != nil {
		return rec, err
	}
	if err := s.queue(ctx, ts, conf, legal, person, a); err != nil {
		return rec, err
	}
	return a.rec, nil
}

// ListQuery asks for one page of stored documents.
type ListQuery struct {
	PersonID string // only this person ("" for all)
	// PersonalData includes names and documents; without it rows carry ids, versions and
	// warnings only.
	PersonalData bool
	Limit        int
	Cursor       string
}

// ListPage is one page of List.
type ListPage struct {
	Items []Result
	Next  string
}

// List returns the stored documents of a tenant, keyed by person and legal entity, in
// person order, without pulling from EMIS. It serves the OData register of guest documents.
func (s *Service) List(ctx context.Context, tenant string, q ListQuery) (ListPage, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return ListPage{}, err
	}
	sq := store.Query{Index: store.GSI2, PK: gsiDocs, Limit: q.Limit, Cursor: q.Cursor}
	if q.PersonID != "" {
		if !refRe.MatchString(q.PersonID) {
			return ListPage{}, nil
		}
		sq.Prefix = q.PersonID + "#"
	}
	page, err := ts.Query(ctx, sq)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return ListPage{}, apperr.Wrap(err, apperr.Invalid, "EMIS_QUERY", "Неверные параметры выборки")
		}
		return ListPage{}, storeError(err)
	}
	entities := map[string]LegalEntity{}
	out := ListPage{Next: page.Next, Items: make([]Result, 0, len(page.Items))}
	for _, it := range page.Items {
		person, legal, _ := strings.Cut(it.GSI2SK, "#")
		le, ok := entities[legal]
		if !ok {
			le, err = s.legal.EmisEntity(ctx, tenant, legal)
			if err != nil {
				le = LegalEntity{Ref: legal, Script: Cyrillic} // deleted entity: the data still shows
			}
			entities[legal] = le
		}
		var rec docRecord
		if err := json.Unmarshal(it.Data, &rec); err != nil {
			return ListPage{}, storeError(err)
		}
		res, err := s.result(ctx, tenant, le, person, rec)
		if err != nil {
			return ListPage{}, err
		}
		if !q.PersonalData {
			res.Name, res.Documents = Name{}, Documents{}
		}
		out.Items = append(out.Items, res)
	}
	return out, nil
}

// deliveryID is the id of the delivery of one version: the same for every attempt and every
// path that queues it, so the PMS can drop duplicates by it.
func deliveryID(legal, person string, version int64) string {
	h := sha256.Sum256([]byte(legal + "\x00" + person + "\x00" + strconv.FormatInt(version, 10)))
	return "d" + hex.EncodeToString(h[:16])
}
