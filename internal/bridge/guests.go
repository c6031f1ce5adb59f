package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/store"
)

// Attachment is a mapped read on its way into a guest's documents.
type Attachment struct {
	LegalEntity   string
	PersonID      string
	BookingID     string
	TransactionID string // the idempotency key
	Device        string
	ReadAt        time.Time
	Read          Read
}

// Attacher takes reads into a guest's documents of one legal entity and returns the guest's
// documents as the PMS would get them (names in the entity's script, with every warning).
// It must be idempotent by TransactionID: attaching the same transaction again changes
// nothing.
//
// The hub's EMIS domain is where a guest's documents belong. Until package emis offers
//
//	func (s *emis.Service) AttachRead(ctx context.Context, tenant string, r emis.ScannedRead) (emis.Result, error)
//
// (see the README of this package for the contract), the service keeps reads itself: Own.
type Attacher interface {
	AttachRead(ctx context.Context, tenant string, a Attachment) (emis.Result, error)
}

// Own is the service's own store of scanned guest documents, the Attacher used when none is
// given: per (legal entity, person) the identity document of the latest identity read and the
// stay documents of the visa reads, sealed field by field, kept for the tenant's retention.
func (s *Service) Own() *OwnStore { return &OwnStore{s: s} }

// OwnStore is the service's own Attacher.
type OwnStore struct{ s *Service }

// Limits of a guest record.
const (
	maxTxs      = 50        // transactions remembered per guest (besides the transaction records)
	maxStay     = 10        // stay documents per guest
	maxPortrait = 256 << 10 // a portrait kept (bytes, decoded)
)

type guestRecord struct {
	Version   int64          `json:"v"`
	Updated   time.Time      `json:"at"`
	BookingID string         `json:"b,omitempty"`
	Docs      emis.Documents `json:"d"` // sealed field by field
	Identity  *partMeta      `json:"i,omitempty"`
	Stay      []partMeta     `json:"s,omitempty"` // one per Docs.Stay
	Txs       []string       `json:"tx"`
}

// partMeta says which read a part of the documents came from.
type partMeta struct {
	TransactionID string         `json:"tx"`
	Device        string         `json:"dev"`
	DocumentName  string         `json:"dn,omitempty"`
	ReadAt        time.Time      `json:"at"`
	Warnings      []emis.Warning `json:"w,omitempty"`
	Disagreements string         `json:"dis,omitempty"` // []Disagreement as JSON, sealed
	VisaPassport  string         `json:"vp,omitempty"`  // sealed
}

// AttachRead stores the read's documents for the guest.
func (o *OwnStore) AttachRead(ctx context.Context, tenant string, a Attachment) (emis.Result, error) {
	s := o.s
	ts, err := s.tenant(tenant)
	if err != nil {
		return emis.Result{}, err
	}
	le, err := s.entity(ctx, tenant, a.LegalEntity)
	if err != nil {
		return emis.Result{}, err
	}
	keep := s.keep(ctx, tenant)
	now := s.clk.Now()
	it, err := store.Mutate(ctx, ts, pkGuest+a.PersonID, skDocs+le.Ref, func(cur *store.Item) (store.Item, error) {
		var rec guestRecord
		if cur != nil {
			if err := json.Unmarshal(cur.Data, &rec); err != nil {
				return store.Item{}, err
			}
			if slices.Contains(rec.Txs, a.TransactionID) {
				return store.Item{}, errAlreadyAttached
			}
		}
		if err := o.apply(ctx, tenant, le.Ref, a, &rec, now); err != nil {
			return store.Item{}, err
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return store.Item{}, err
		}
		return store.Item{GSI2PK: gsiDocs, GSI2SK: a.PersonID + "#" + le.Ref, Data: data, ExpiresAt: now.Add(keep)}, nil
	})
	if errors.Is(err, errAlreadyAttached) {
		it, err = ts.Get(ctx, pkGuest+a.PersonID, skDocs+le.Ref)
	}
	if err != nil {
		return emis.Result{}, storeError(err)
	}
	if p := a.Read.Portrait; p != nil && s.portraits && len(p.Data) <= maxPortrait {
		sealed, err := s.sealString(ctx, tenant, purpose(kindPortrait, le.Ref, a.PersonID), string(p.Data))
		if err != nil {
			return emis.Result{}, storeError(err)
		}
		data, _ := json.Marshal(portraitRecord{Source: p.Source, Data: sealed})
		if _, err := ts.Put(ctx, store.Item{PK: pkGuest + a.PersonID, SK: skImage + le.Ref, Data: data, ExpiresAt: now.Add(keep)}); err != nil {
			return emis.Result{}, storeError(err)
		}
	}
	g, err := o.guest(ctx, tenant, le, a.PersonID, it)
	if err != nil {
		return emis.Result{}, err
	}
	return g.Result, nil
}

var errAlreadyAttached = errors.New("bridge: transaction already attached")

type portraitRecord struct {
	Source string `json:"src"`
	Data   string `json:"d"` // sealed
}

// apply merges a read into the (sealed) record.
func (o *OwnStore) apply(ctx context.Context, tenant, legal string, a Attachment, rec *guestRecord, now time.Time) error {
	s := o.s
	docs, err := s.openDocs(ctx, tenant, legal, a.PersonID, rec.Docs)
	if err != nil {
		return err
	}
	meta := partMeta{TransactionID: a.TransactionID, Device: a.Device, DocumentName: a.Read.DocumentName, ReadAt: a.ReadAt.UTC(),
		Warnings: a.Read.Warnings}
	if len(a.Read.Disagreements) > 0 {
		b, _ := json.Marshal(a.Read.Disagreements)
		if meta.Disagreements, err = s.sealString(ctx, tenant, purpose(kindDisagree, legal, a.PersonID), string(b)); err != nil {
			return err
		}
	}
	read := a.Read.Documents
	if a.Read.Kind == KindIdentity || a.Read.Kind == KindResidence {
		docs.Identity = read.Identity
		m := meta
		m.Warnings = identityWarnings(a.Read)
		rec.Identity = &m
	}
	for _, st := range read.Stay {
		m := meta
		m.Warnings = stayWarnings(a.Read)
		if a.Read.VisaPassport != "" {
			if m.VisaPassport, err = s.sealString(ctx, tenant, purpose(kindNumber, legal, a.PersonID), a.Read.VisaPassport); err != nil {
				return err
			}
		}
		idx := -1
		for i, have := range docs.Stay {
			if have.Kind == st.Kind && have.Number != "" && have.Number == st.Number {
				idx = i
			}
		}
		for len(rec.Stay) < len(docs.Stay) {
			rec.Stay = append(rec.Stay, partMeta{})
		}
		if idx >= 0 {
			docs.Stay[idx], rec.Stay[idx] = st, m
		} else {
			docs.Stay = append(docs.Stay, st)
			rec.Stay = append(rec.Stay, m)
			idx = len(docs.Stay) - 1
			if len(docs.Stay) > maxStay {
				docs.Stay, rec.Stay = docs.Stay[1:], rec.Stay[1:]
				idx--
			}
		}
		// The document scanned last is the one chosen for this stay.
		for i := range docs.Stay {
			docs.Stay[i].Selected = i == idx
		}
	}
	if p := read.Visit.Purpose; p != "" && docs.Visit.Purpose == "" {
		docs.Visit.Purpose = p
	}
	if a.BookingID != "" {
		rec.BookingID = a.BookingID
	}
	sealed, err := s.sealDocs(ctx, tenant, legal, a.PersonID, docs)
	if err != nil {
		return err
	}
	rec.Docs = sealed
	rec.Version++
	rec.Updated = now.UTC()
	rec.Txs = append(rec.Txs, a.TransactionID)
	if len(rec.Txs) > maxTxs {
		rec.Txs = rec.Txs[len(rec.Txs)-maxTxs:]
	}
	return nil
}

// identityWarnings are the read's warnings about the identity part; stayWarnings about the
// stay document (a residence read has both).
func identityWarnings(r Read) []emis.Warning {
	var out []emis.Warning
	for _, w := range r.Warnings {
		if !strings.HasPrefix(w.Field, "visa.") {
			out = append(out, w)
		}
	}
	return out
}

func stayWarnings(r Read) []emis.Warning {
	var out []emis.Warning
	for _, w := range r.Warnings {
		if r.Kind == KindVisa || strings.HasPrefix(w.Field, "visa.") {
			out = append(out, w)
		}
	}
	return out
}

// GuestDocuments are a guest's scanned documents as the front desk and 1C see them.
type GuestDocuments struct {
	// Result is in the shape of emis.Result: names in the legal entity's script, the
	// documents, and every warning (the checks of emis.Review and the reads' own).
	Result emis.Result
	// Identity tells which read the identity document came from (nil: none read yet); Stay
	// does so for each stay document.
	Identity      *ReadInfo
	Stay          []ReadInfo
	Disagreements []Disagreement
	// Portrait is the holder's photo (decoded), if the hub keeps photos and one came.
	Portrait       []byte
	PortraitSource string
}

// ReadInfo says which read a document came from.
type ReadInfo struct {
	TransactionID string
	Device        string
	DocumentName  string
	ReadAt        time.Time
}

// GuestDocuments returns a guest's scanned documents for a legal entity.
func (s *Service) GuestDocuments(ctx context.Context, tenant, legalRef, personID string) (GuestDocuments, error) {
	ts, err := s.tenant(tenant)
	if err != nil {
		return GuestDocuments{}, err
	}
	if !refRe.MatchString(personID) {
		return GuestDocuments{}, errPersonID
	}
	le, err := s.entity(ctx, tenant, legalRef)
	if err != nil {
		return GuestDocuments{}, err
	}
	it, err := ts.Get(ctx, pkGuest+personID, skDocs+le.Ref)
	if errors.Is(err, store.ErrNotFound) {
		return GuestDocuments{}, ErrNoDocuments
	}
	if err != nil {
		return GuestDocuments{}, storeError(err)
	}
	g, err := s.Own().guest(ctx, tenant, le, personID, it)
	if err != nil {
		return GuestDocuments{}, err
	}
	img, err := ts.Get(ctx, pkGuest+personID, skImage+le.Ref)
	if err == nil {
		var pr portraitRecord
		if json.Unmarshal(img.Data, &pr) == nil {
			if v, err := s.openString(ctx, tenant, purpose(kindPortrait, le.Ref, personID), pr.Data); err == nil {
				g.Portrait, g.PortraitSource = []byte(v), pr.Source
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return GuestDocuments{}, storeError(err)
	}
	return g, nil
}

// guest opens a record and reviews it.
func (o *OwnStore) guest(ctx context.Context, tenant string, le emis.LegalEntity, person string, it store.Item) (GuestDocuments, error) {
	s := o.s
	var rec guestRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return GuestDocuments{}, storeError(err)
	}
	docs, err := s.openDocs(ctx, tenant, le.Ref, person, rec.Docs)
	if err != nil {
		return GuestDocuments{}, err
	}
	script := le.Script
	if script != emis.Latin {
		script = emis.Cyrillic
	}
	name, warns := emis.Review(docs, script, s.today(tenant))
	g := GuestDocuments{Stay: make([]ReadInfo, len(docs.Stay))}
	var dis []Disagreement
	addMeta := func(m partMeta, stay int) error {
		for _, w := range m.Warnings {
			if stay >= 0 {
				w.Field = stayField(w.Field, stay)
			}
			warns = append(warns, w)
		}
		if m.Disagreements != "" {
			plain, err := s.openString(ctx, tenant, purpose(kindDisagree, le.Ref, person), m.Disagreements)
			if err != nil {
				return err
			}
			var ds []Disagreement
			if err := json.Unmarshal([]byte(plain), &ds); err != nil {
				return storeError(err)
			}
			for _, d := range ds {
				// A visa's fields belong to its stay document, the others to the identity.
				if isVisa := strings.HasPrefix(d.Field, "visa."); (stay >= 0) != isVisa {
					continue
				}
				if stay >= 0 {
					d.Field = stayField(d.Field, stay)
				}
				dis = append(dis, d)
			}
		}
		return nil
	}
	if m := rec.Identity; m != nil {
		g.Identity = &ReadInfo{TransactionID: m.TransactionID, Device: m.Device, DocumentName: m.DocumentName, ReadAt: m.ReadAt}
		if err := addMeta(*m, -1); err != nil {
			return GuestDocuments{}, err
		}
	}
	for i, m := range rec.Stay {
		if i >= len(docs.Stay) {
			break
		}
		g.Stay[i] = ReadInfo{TransactionID: m.TransactionID, Device: m.Device, DocumentName: m.DocumentName, ReadAt: m.ReadAt}
		if err := addMeta(m, i); err != nil {
			return GuestDocuments{}, err
		}
		if m.VisaPassport != "" && docs.Identity.Number != "" {
			vp, err := s.openString(ctx, tenant, purpose(kindNumber, le.Ref, person), m.VisaPassport)
			if err != nil {
				return GuestDocuments{}, err
			}
			if !samePassport(vp, docs.Identity.Series, docs.Identity.Number) {
				warns = append(warns, emis.Warning{Code: WarnVisaPassport, Field: stayField("visa.passport_number", i),
					Message: "Виза оформлена на другой паспорт, чем отсканированный документ гостя: проверьте, что виза и паспорт принадлежат одному гостю"})
			}
		}
	}
	if warns == nil {
		warns = []emis.Warning{}
	}
	g.Result = emis.Result{LegalEntity: le.Ref, PersonID: person, BookingID: rec.BookingID, Version: rec.Version,
		SavedAt: rec.Updated, Script: script, Name: name, Documents: docs, Warnings: warns}
	g.Disagreements = dis
	return g, nil
}

// stayField turns a read's "visa.x" into "stay[i].x".
func stayField(f string, i int) string {
	if rest, ok := strings.CutPrefix(f, "visa."); ok {
		return "stay[" + strconv.Itoa(i) + "]." + rest
	}
	return f
}

func samePassport(visa, series, number string) bool {
	norm := func(s string) string {
		return strings.ToUpper(strings.NewReplacer(" ", "", "<", "", "-", "").Replace(s))
	}
	v := norm(visa)
	return v == norm(number) || v == norm(series+number)
}

var errPersonID = apperr.New(apperr.Invalid, "BRIDGE_PERSON_INVALID",
	"ID персоны гостя: от 1 до 64 латинских букв, цифр и знаков . _ : - (сохраните гостя в PMS, чтобы у него был ID)")

// entity returns a legal entity with EMIS enabled.
func (s *Service) entity(ctx context.Context, tenant, ref string) (emis.LegalEntity, error) {
	if !refRe.MatchString(ref) {
		return emis.LegalEntity{}, errLegalInvalid
	}
	le, err := s.legal.EmisEntity(ctx, tenant, ref)
	if err != nil {
		if ae := apperr.As(err); ae.Kind == apperr.NotFound {
			return emis.LegalEntity{}, apperr.Wrap(err, apperr.NotFound, "BRIDGE_LEGAL_UNKNOWN",
				"Организация не найдена: проверьте legalEntity в настройках моста сканера")
		}
		return emis.LegalEntity{}, err
	}
	if !le.Enabled {
		return emis.LegalEntity{}, apperr.New(apperr.Invalid, "BRIDGE_LEGAL_DISABLED",
			"Для этой организации не включена стыковка с EMIS: документы со сканера не принимаются")
	}
	return le, nil
}

var errLegalInvalid = apperr.New(apperr.Invalid, "BRIDGE_LEGAL_INVALID",
	"Не указана организация (legalEntity): задайте её в настройках моста сканера или в запросе")
