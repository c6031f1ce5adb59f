package emisapi

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/odata/catalogs"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
)

// GuestDocumentsSet is the OData name of the guest-documents register.
const GuestDocumentsSet = "InformationRegister_GuestDocuments"

// indexPerson answers PersonId eq '…' from the domain's index (person, legal entity).
const indexPerson = "person"

// PersonalProperties are the register's properties that carry personal data. They are filled
// only for a tenant administrator (auth.Principal.Admin); for other users they hold empty
// values, PersonalData is false, and a $filter on them matches nothing.
var PersonalProperties = []string{
	"Surname", "GivenNames", "Patronymic",
	"DocumentType", "DocumentSeries", "DocumentNumber", "DocumentIssueDate", "DocumentExpiryDate", "DocumentIssuer",
	"Nationality", "Sex", "BirthDate", "BirthPlace",
	"StayDocumentKind", "StayDocumentSeries", "StayDocumentNumber", "StayDocumentValidFrom", "StayDocumentValidTo",
	"StayDocumentsCount",
	"MigrationCardSeries", "MigrationCardNumber", "MigrationCardEntryDate",
	"VisitPurpose", "StayFrom", "StayTo",
}

// GuestDocuments registers the guest-documents register: one record per guest (PMS person id)
// and legal entity, the version last stored from EMIS, read-only, without pulling from EMIS.
// loc gives a tenant's time zone for SavedAt.
//
// Names are in the legal entity's script (NamesScript); the stay document shown is the one
// selected for the stay (the only one when there is one), StayDocumentsCount tells how many
// there are. Warnings are those of the checks at the time of reading: their codes
// (WarningCodes, comma-separated) and "CODE field: message" lines (Warnings).
func GuestDocuments(svc *emis.Service, loc func(tenant string) *time.Location) *odata.EntitySet {
	str := func(name string, max int) odata.Property {
		return odata.Property{Name: name, Type: odata.EdmString, MaxLength: max}
	}
	date := func(name string) odata.Property { return odata.Property{Name: name, Type: odata.EdmDateTime} }
	return &odata.EntitySet{
		Name: GuestDocumentsSet,
		Kind: odata.InformationRegister,
		Key:  []string{"PersonId", "LegalEntity_Key"},
		Properties: []odata.Property{
			str("PersonId", 64),
			odata.Ref("LegalEntity", catalogs.LegalEntitiesSet),
			str("BookingId", 64),
			{Name: "Version", Type: odata.EdmInt64},
			date("SavedAt"),
			str("NamesScript", 8),
			str("WarningCodes", 0),
			str("Warnings", 0),
			{Name: "PersonalData", Type: odata.EdmBoolean},
			str("Surname", 0), str("GivenNames", 0), str("Patronymic", 0),
			str("DocumentType", 2), str("DocumentSeries", 0), str("DocumentNumber", 0),
			date("DocumentIssueDate"), date("DocumentExpiryDate"), str("DocumentIssuer", 0),
			str("Nationality", 3), str("Sex", 1), date("BirthDate"), str("BirthPlace", 0),
			str("StayDocumentKind", 4), str("StayDocumentSeries", 0), str("StayDocumentNumber", 0),
			date("StayDocumentValidFrom"), date("StayDocumentValidTo"),
			{Name: "StayDocumentsCount", Type: odata.EdmInt32},
			str("MigrationCardSeries", 0), str("MigrationCardNumber", 0), date("MigrationCardEntryDate"),
			str("VisitPurpose", 16), date("StayFrom"), date("StayTo"),
		},
		Indexes:    []odata.Index{{Name: indexPerson, Property: "PersonId", Eq: true}},
		Dimensions: []string{"PersonId", "LegalEntity_Key"},
		Source:     registerSource{svc: svc, loc: loc},
	}
}

type registerSource struct {
	svc *emis.Service
	loc func(string) *time.Location
}

// personal reports whether the caller may see personal data: a tenant administrator.
func personal(ctx context.Context) bool {
	p, ok := auth.FromContext(ctx)
	return ok && p.Admin
}

func (s registerSource) zone(tenant string) *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	if l := s.loc(tenant); l != nil {
		return l
	}
	return time.UTC
}

var errNoRecord = apperr.New(apperr.NotFound, "EMIS_NO_DOCUMENTS", "Запись регистра документов гостей не найдена")

// maxPerPerson bounds the records of one person read at once (one per legal entity).
const maxPerPerson = 1000

// person returns every stored record of one person, in legal-entity order.
func (s registerSource) person(ctx context.Context, tenant, person string) ([]emis.Result, error) {
	q := emis.ListQuery{PersonID: person, PersonalData: personal(ctx), Limit: 100}
	var out []emis.Result
	for {
		p, err := s.svc.List(ctx, tenant, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out, nil
		}
		if len(out) >= maxPerPerson {
			return nil, apperr.New(apperr.Invalid, "EMIS_QUERY", "Слишком много записей одного гостя")
		}
		q.Cursor = p.Next
	}
}

func (s registerSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	person, _ := key.Value("PersonId").(string)
	legal, _ := key.Value("LegalEntity_Key").(odata.GUID)
	if person == "" {
		return nil, errNoRecord
	}
	rs, err := s.person(ctx, tenant, person)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.LegalEntity == legal.String() {
			return s.row(r, personal(ctx), s.zone(tenant)), nil
		}
	}
	return nil, errNoRecord
}

func (s registerSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	pd, loc := personal(ctx), s.zone(tenant)
	person := ""
	if req.Index == indexPerson {
		switch req.Match.Op {
		case odata.MatchEq:
			person, _ = req.Match.Value.(string)
			if person == "" {
				return odata.ListPage{}, nil // no record has an empty person id
			}
		case odata.MatchAll:
		default:
			return odata.ListPage{}, apperr.New(apperr.Invalid, "EMIS_QUERY", "Отбор по PersonId: только равенство")
		}
	}
	if req.Desc {
		// Only a single person's records come in descending order (the register's key has two
		// properties, so the key order is always ascending): they are few, read them whole.
		if person == "" {
			return odata.ListPage{}, apperr.New(apperr.Invalid, "EMIS_QUERY", "Обратный порядок — только для одного гостя (PersonId eq '…')")
		}
		rs, err := s.person(ctx, tenant, person)
		if err != nil {
			return odata.ListPage{}, err
		}
		slices.Reverse(rs)
		skip := 0
		if req.Cursor != "" {
			if skip, err = strconv.Atoi(strings.TrimPrefix(req.Cursor, "r")); err != nil || skip < 0 || skip > len(rs) {
				return odata.ListPage{}, apperr.New(apperr.Invalid, "EMIS_QUERY", "Неверная позиция продолжения выборки")
			}
		}
		end := min(len(rs), skip+max(req.Limit, 1))
		out := odata.ListPage{}
		for _, r := range rs[skip:end] {
			out.Entities = append(out.Entities, s.row(r, pd, loc))
		}
		if end < len(rs) {
			out.Next = "r" + strconv.Itoa(end)
		}
		return out, nil
	}
	p, err := s.svc.List(ctx, tenant, emis.ListQuery{PersonID: person, PersonalData: pd, Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, r := range p.Items {
		out.Entities = append(out.Entities, s.row(r, pd, loc))
	}
	return out, nil
}

// date is a civil date of the document model as an Edm.DateTime; "" and malformed values are
// the empty date.
func date(s string) time.Time {
	t, err := time.Parse(emis.DateLayout, s)
	if err != nil {
		return odata.EmptyDate
	}
	return t
}

// selectedStay is the stay document the operator chose, or the only one.
func selectedStay(ss []emis.Stay) *emis.Stay {
	if len(ss) == 1 {
		return &ss[0]
	}
	var sel *emis.Stay
	for i := range ss {
		if ss[i].Selected {
			if sel != nil {
				return nil // several selected: none is "the" document
			}
			sel = &ss[i]
		}
	}
	return sel
}

func (s registerSource) row(r emis.Result, pd bool, loc *time.Location) odata.Entity {
	le, _ := odata.ParseGUID(r.LegalEntity)
	codes := make([]string, 0, len(r.Warnings))
	lines := make([]string, 0, len(r.Warnings))
	for _, w := range r.Warnings {
		codes = append(codes, w.Code)
		line := w.Code
		if w.Field != "" {
			line += " " + w.Field
		}
		lines = append(lines, line+": "+w.Message)
	}
	e := odata.Entity{
		"PersonId": r.PersonID, "LegalEntity_Key": le, "BookingId": r.BookingID, "Version": r.Version,
		"SavedAt": r.SavedAt.In(loc), "NamesScript": string(r.Script),
		"WarningCodes": strings.Join(codes, ","), "Warnings": strings.Join(lines, "\n"),
		"PersonalData": pd,
	}
	if !pd {
		return e // personal properties take their empty values
	}
	d := r.Documents
	id := d.Identity
	e["Surname"], e["GivenNames"], e["Patronymic"] = r.Name.Surname, r.Name.Given, r.Name.Patronymic
	e["DocumentType"], e["DocumentSeries"], e["DocumentNumber"] = id.TypeCode, id.Series, id.Number
	e["DocumentIssueDate"], e["DocumentExpiryDate"], e["DocumentIssuer"] = date(id.IssuedOn), date(id.ExpiresOn), id.Issuer
	e["Nationality"], e["Sex"], e["BirthDate"], e["BirthPlace"] = id.Nationality, id.Sex, date(id.BirthDate), id.BirthPlace
	e["StayDocumentsCount"] = int32(len(d.Stay))
	if st := selectedStay(d.Stay); st != nil {
		e["StayDocumentKind"], e["StayDocumentSeries"], e["StayDocumentNumber"] = string(st.Kind), st.Series, st.Number
		e["StayDocumentValidFrom"], e["StayDocumentValidTo"] = date(st.ValidFrom), date(st.ValidTo)
	}
	if mc := d.MigrationCard; mc != nil {
		e["MigrationCardSeries"], e["MigrationCardNumber"], e["MigrationCardEntryDate"] = mc.Series, mc.Number, date(mc.EntryDate)
	}
	e["VisitPurpose"], e["StayFrom"], e["StayTo"] = d.Visit.Purpose, date(d.Visit.From), date(d.Visit.To)
	return e
}
