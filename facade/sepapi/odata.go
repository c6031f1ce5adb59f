package sepapi

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/sep"
)

// OData names of the SEP sets, as a 1C configuration would name its objects.
const (
	AssetsSet       = "Catalog_SepFixedAssets"                 // Основные средства (СЭП)
	PersonsSet      = "Catalog_SepResponsiblePersons"          // Ответственные лица (СЭП)
	HistorySet      = "InformationRegister_SepExchangeHistory" // История обмена СЭП
	QueueSet        = "InformationRegister_SepExchangeQueue"   // Очередь обмена СЭП
	CodesSet        = "InformationRegister_SepConfirmationCodes"
	StatusesSet     = "InformationRegister_SepAssetStatuses" // Статусы основных средств (СЭП), periodic
	ApplicationsSet = "InformationRegister_SepApplicationData"
	ErrorsSet       = "InformationRegister_SepExchangeErrors"
	LeasesSet       = "InformationRegister_SepLeaseApplications"
)

// Index names the sources answer.
const (
	indexVIN     = "vin"
	indexEPTS    = "epts"
	indexEntryID = "id"
	indexWaiting = "waiting"
)

// Sets returns the SEP's OData sets: the fixed assets and responsible persons (read and
// write, the OData path for 1C's catalogs besides SaveAsset and SavePerson) and the seven
// registers (read-only). loc gives a tenant's time zone: instants are published as wall-clock
// time there, to the second, like every 1C date.
func Sets(svc *sep.Service, loc func(tenant string) *time.Location) []*odata.EntitySet {
	z := zone{loc}
	str := func(name string, max int) odata.Property {
		return odata.Property{Name: name, Type: odata.EdmString, MaxLength: max}
	}
	date := func(name string) odata.Property { return odata.Property{Name: name, Type: odata.EdmDateTime} }
	i32 := func(name string) odata.Property { return odata.Property{Name: name, Type: odata.EdmInt32} }
	flag := func(name string) odata.Property { return odata.Property{Name: name, Type: odata.EdmBoolean} }
	statuses := &statusSource{svc: svc, z: z}
	statuses.reg = odata.NewPeriodicRegister(statusRecords{svc: svc, z: z}, "Asset_Key")
	return []*odata.EntitySet{
		{
			Name: AssetsSet, Kind: odata.Catalog,
			Properties: []odata.Property{
				str("VIN", 17), str("EPTS", 15), str("Organisation", 12),
				odata.Ref("Responsible", PersonsSet),
			},
			Indexes: []odata.Index{
				{Name: indexVIN, Property: "VIN", Eq: true},
				{Name: indexEPTS, Property: "EPTS", Eq: true},
			},
			Source: assetSource{svc},
		},
		{
			Name: PersonsSet, Kind: odata.Catalog,
			Properties: []odata.Property{str("Email", 254)},
			Source:     personSource{svc},
		},
		{
			Name: HistorySet, Kind: odata.InformationRegister,
			Key: []string{"Period", "EntryId", "Call"},
			Properties: []odata.Property{
				date("Period"), str("EntryId", 64), i32("Call"), str("Operation", 20), str("RequestType", 40),
				str("Organisation", 12), str("Subject", 0), str("QueueId", 64), str("Answer", 0),
			},
			Source: historySource{svc: svc, z: z},
		},
		{
			Name: QueueSet, Kind: odata.InformationRegister,
			Key: []string{"Period", "Id"},
			Properties: []odata.Property{
				date("Period"), str("Id", 64), str("RequestType", 40), str("Organisation", 12), str("Subject", 0),
				str("ApplicationNumber", 40), str("EPTS", 15), str("LeaseId", 64), str("LetterId", 64),
				str("Stage", 10), str("Status", 40), str("StatusColor", 10), str("Outcome", 20), str("QueueId", 64),
				i32("Attempts"), i32("Polls"), i32("Calls"), flag("Waiting"),
				date("Due"), date("Queued"), date("Answered"), str("Errors", 0), str("Applications", 0),
			},
			Indexes: []odata.Index{
				{Name: indexEntryID, Property: "Id", Eq: true},
				{Name: indexWaiting, Property: "Waiting", Eq: true},
			},
			Source: queueSource{svc: svc, z: z},
		},
		{
			Name: CodesSet, Kind: odata.InformationRegister,
			Key: []string{"Period", "LetterId"},
			Properties: []odata.Property{
				date("Period"), str("LetterId", 64), str("EPTS", 15), str("VIN", 17), str("ApplicationNumber", 40),
				str("Code", 12), odata.Ref("Asset", AssetsSet), flag("Manual"), flag("Used"),
			},
			Source: codeSource{svc: svc, z: z},
		},
		{
			Name: StatusesSet, Kind: odata.InformationRegister,
			Key: []string{"Period", "Asset_Key"},
			Properties: []odata.Property{
				date("Period"), odata.Ref("Asset", AssetsSet), str("Status", 40), str("ApplicationNumber", 40),
				str("EntryId", 64), date("Recorded"),
			},
			Indexes:       statuses.reg.Indexes(),
			Dimensions:    []string{"Asset_Key"},
			VirtualTables: []odata.VirtualTable{odata.VirtualSliceLast, odata.VirtualSliceFirst},
			Source:        statuses,
		},
		{
			Name: ApplicationsSet, Kind: odata.InformationRegister,
			Key: []string{"Number"},
			Properties: []odata.Property{
				str("Number", 40), str("Type", 20), str("Status", 40), date("Created"), date("Updated"), date("Executed"),
				date("Deadline"), str("DocName", 200), str("DocNumber", 64), date("DocDate"), date("LeaseEnd"),
				str("EPTS", 0), str("VIN", 0), str("Parties", 0),
				str("CurrentOwnerINN", 12), str("NewOwnerINN", 12), str("LessorINN", 12), str("LesseeINN", 12),
				str("Organisation", 12), str("Assets", 0), str("Responsibles", 0), date("Received"), date("Refreshed"),
				str("LastEntryId", 64), str("RequestStatus", 40), str("RequestStatusColor", 10),
			},
			Source: applicationSource{svc: svc, z: z},
		},
		{
			Name: ErrorsSet, Kind: odata.InformationRegister,
			Key: []string{"Period", "Source", "Seq"},
			Properties: []odata.Property{
				date("Period"), str("Source", 80), i32("Seq"), str("Operation", 20), str("RequestType", 40),
				str("QueueId", 64), str("Code", 40), str("Message", 0),
			},
			Source: errorSource{svc: svc, z: z},
		},
		{
			Name: LeasesSet, Kind: odata.InformationRegister,
			Key: []string{"Id"},
			Properties: []odata.Property{
				str("Id", 64), str("ContractId", 64), str("Organisation", 12), str("LesseeINN", 12), str("LesseeName", 200),
				str("DocNumber", 64), date("DocDate"), str("Assets", 0), str("EPTS", 0), str("Number", 40), str("Status", 40),
				str("LessorStatus", 20), str("LesseeStatus", 20), date("Deadline"), flag("UseTechMailbox"),
				date("Created"), date("Updated"), str("LastEntryId", 64), str("RequestStatus", 40),
				str("RequestStatusColor", 10), str("Errors", 0),
			},
			Source: leaseSource{svc: svc, z: z},
		},
	}
}

// ---- shared conversions ----

type zone struct{ loc func(string) *time.Location }

func (z zone) of(tenant string) *time.Location {
	if z.loc != nil {
		if l := z.loc(tenant); l != nil {
			return l
		}
	}
	return time.UTC
}

// at publishes an instant as the tenant's wall clock, to the second; zero is 1C's empty date.
func at(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return odata.EmptyDate
	}
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// day publishes a civil date (kept as midnight UTC).
func day(t time.Time) time.Time {
	if t.IsZero() {
		return odata.EmptyDate
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// instant reads a wall-clock key value (the tenant's local time) back as an instant.
func instant(v any, loc *time.Location) (time.Time, bool) {
	w, ok := v.(time.Time)
	if !ok || w.Year() <= 1 {
		return time.Time{}, false
	}
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc), true
}

// guidOf is the GUID of a domain id: the id itself when it is a UUID (every object 1C writes
// through the facade), else a name-based GUID, so that objects made otherwise still show.
func guidOf(id string) odata.GUID {
	if id == "" {
		return odata.GUID{}
	}
	if g, err := odata.ParseGUID(id); err == nil {
		return g
	}
	sum := sha1.Sum([]byte("stykovka/sep/" + id))
	var g odata.GUID
	copy(g[:], sum[:16])
	g[6] = g[6]&0x0f | 0x50 // version 5
	g[8] = g[8]&0x3f | 0x80
	return g
}

func idOf(v any) string {
	g, ok := v.(odata.GUID)
	if !ok || g.IsZero() {
		return ""
	}
	return g.String()
}

func joinRefs(ids []string) string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, guidOf(id).String())
	}
	return strings.Join(out, ",")
}

func joinErrors(es []sep.RemoteError) string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Code+": "+e.Message)
	}
	return strings.Join(out, "\n")
}

func page(req odata.ListRequest) sep.PageRequest {
	return sep.PageRequest{Cursor: req.Cursor, Limit: max(1, min(req.Limit, MaxLimit)), Desc: req.Desc}
}

var errIndex = apperr.New(apperr.Invalid, "SEP_ODATA_QUERY", "Отбор по этому свойству не поддерживается")

func noRecord(register string) error {
	return apperr.New(apperr.NotFound, "SEP_RECORD_NOT_FOUND", "Запись регистра «"+register+"» не найдена")
}

// offsetPage pages a short list read whole (index lookups) with "o<n>" cursors.
func offsetPage(all []odata.Entity, req odata.ListRequest) (odata.ListPage, error) {
	from := 0
	if req.Cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(req.Cursor, "o"))
		if err != nil || n < 0 || n > len(all) || !strings.HasPrefix(req.Cursor, "o") {
			return odata.ListPage{}, apperr.New(apperr.Invalid, "SEP_BAD_CURSOR", "Неверный курсор страницы")
		}
		from = n
	}
	to := min(len(all), from+max(1, req.Limit))
	out := odata.ListPage{Entities: all[from:to]}
	if to < len(all) {
		out.Next = "o" + strconv.Itoa(to)
	}
	return out, nil
}

// ---- Catalog_SepFixedAssets ----

type assetSource struct{ svc *sep.Service }

var (
	_ odata.Writer = assetSource{}
	_ odata.Writer = personSource{}
)

func assetEntity(a sep.Asset) odata.Entity {
	return odata.Entity{
		"Ref_Key": guidOf(a.ID), "DataVersion": odata.DataVersion(a.Version), "DeletionMark": false,
		"Code": a.Code, "Description": a.Name, "VIN": a.VIN, "EPTS": a.EPTS, "Organisation": a.OrganisationINN,
		"Responsible_Key": guidOf(a.ResponsibleID),
	}
}

func (s assetSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	a, err := s.svc.Asset(ctx, tenant, key.Ref().String())
	if err != nil {
		return nil, err
	}
	return assetEntity(a), nil
}

func (s assetSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index == "" {
		p, err := s.svc.Assets(ctx, tenant, page(req))
		if err != nil {
			return odata.ListPage{}, err
		}
		out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
		for _, a := range p.Items {
			out.Entities = append(out.Entities, assetEntity(a))
		}
		return out, nil
	}
	v, _ := req.Match.Value.(string)
	if req.Match.Op != odata.MatchEq || v == "" {
		return odata.ListPage{}, errIndex
	}
	var vin, epts string
	switch req.Index {
	case indexVIN:
		vin = v
	case indexEPTS:
		epts = v
	default:
		return odata.ListPage{}, errIndex
	}
	as, err := s.svc.FindAssets(ctx, tenant, vin, epts)
	if err != nil {
		return odata.ListPage{}, err
	}
	all := make([]odata.Entity, 0, len(as))
	for _, a := range as {
		all = append(all, assetEntity(a))
	}
	return offsetPage(all, req)
}

// text reads a string property of a write: absent keeps cur, null clears.
func text(e odata.Entity, name, cur string) string {
	v, ok := e[name]
	if !ok {
		return cur
	}
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func applyAsset(a *sep.Asset, e odata.Entity) {
	a.Code = text(e, "Code", a.Code)
	a.Name = text(e, "Description", a.Name)
	a.VIN = text(e, "VIN", a.VIN)
	a.EPTS = text(e, "EPTS", a.EPTS)
	a.OrganisationINN = text(e, "Organisation", a.OrganisationINN)
	if v, ok := e["Responsible_Key"]; ok {
		a.ResponsibleID = idOf(v)
	}
}

// newRef is the Ref_Key of a created object: the client's, or a new one.
func newRef(e odata.Entity) string {
	if g, ok := e["Ref_Key"].(odata.GUID); ok && !g.IsZero() {
		return g.String()
	}
	return odata.NewGUID().String()
}

var errExists = apperr.New(apperr.Conflict, "SEP_OBJECT_EXISTS", "Объект с такой ссылкой уже есть: измените его (PATCH)")

// conflict maps the domain's version conflict to the 412 of If-Match when the client sent one.
func conflict(err error, expect int64) error {
	var ae *apperr.Error
	if expect != 0 && errors.As(err, &ae) && ae.Code == "SEP_VERSION_CONFLICT" {
		return fmt.Errorf("%w: %w", odata.ErrPreconditionFailed, err)
	}
	return err
}

func (s assetSource) Create(ctx context.Context, tenant string, e odata.Entity) (odata.Entity, error) {
	id := newRef(e)
	if _, err := s.svc.Asset(ctx, tenant, id); err == nil {
		return nil, errExists
	} else if !errors.Is(err, sep.ErrAssetNotFound) {
		return nil, err
	}
	a := sep.Asset{ID: id}
	applyAsset(&a, e)
	stored, err := s.svc.PutAsset(ctx, tenant, a)
	if err != nil {
		return nil, err
	}
	return assetEntity(stored), nil
}

func (s assetSource) Update(ctx context.Context, tenant string, key odata.Key, patch odata.Entity, ifMatch string) (odata.Entity, error) {
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return nil, err
	}
	a, err := s.svc.Asset(ctx, tenant, key.Ref().String())
	if err != nil {
		return nil, err
	}
	if expect != 0 && expect != a.Version {
		return nil, odata.ErrPreconditionFailed
	}
	applyAsset(&a, patch)
	stored, err := s.svc.PutAsset(ctx, tenant, a) // conditional on the version read
	if err != nil {
		return nil, conflict(err, expect)
	}
	return assetEntity(stored), nil
}

func (s assetSource) Delete(ctx context.Context, tenant string, key odata.Key, ifMatch string) error {
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return err
	}
	a, err := s.svc.Asset(ctx, tenant, key.Ref().String())
	if err != nil {
		return err
	}
	if expect != 0 && expect != a.Version {
		return odata.ErrPreconditionFailed
	}
	return s.svc.DeleteAsset(ctx, tenant, a.ID)
}

// ---- Catalog_SepResponsiblePersons ----

type personSource struct{ svc *sep.Service }

func personEntity(p sep.Person) odata.Entity {
	return odata.Entity{
		"Ref_Key": guidOf(p.ID), "DataVersion": odata.DataVersion(p.Version), "DeletionMark": false,
		"Code": "", "Description": p.Name, "Email": p.Email,
	}
}

func (s personSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	p, err := s.svc.Person(ctx, tenant, key.Ref().String())
	if err != nil {
		return nil, err
	}
	return personEntity(p), nil
}

func (s personSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index != "" {
		return odata.ListPage{}, errIndex
	}
	p, err := s.svc.Persons(ctx, tenant, page(req))
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, x := range p.Items {
		out.Entities = append(out.Entities, personEntity(x))
	}
	return out, nil
}

func applyPerson(p *sep.Person, e odata.Entity) {
	p.Name = text(e, "Description", p.Name)
	p.Email = text(e, "Email", p.Email)
}

func (s personSource) Create(ctx context.Context, tenant string, e odata.Entity) (odata.Entity, error) {
	id := newRef(e)
	if _, err := s.svc.Person(ctx, tenant, id); err == nil {
		return nil, errExists
	} else if !errors.Is(err, sep.ErrPersonNotFound) {
		return nil, err
	}
	p := sep.Person{ID: id}
	applyPerson(&p, e)
	stored, err := s.svc.PutPerson(ctx, tenant, p)
	if err != nil {
		return nil, err
	}
	return personEntity(stored), nil
}

func (s personSource) Update(ctx context.Context, tenant string, key odata.Key, patch odata.Entity, ifMatch string) (odata.Entity, error) {
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return nil, err
	}
	p, err := s.svc.Person(ctx, tenant, key.Ref().String())
	if err != nil {
		return nil, err
	}
	if expect != 0 && expect != p.Version {
		return nil, odata.ErrPreconditionFailed
	}
	applyPerson(&p, patch)
	stored, err := s.svc.PutPerson(ctx, tenant, p)
	if err != nil {
		return nil, conflict(err, expect)
	}
	return personEntity(stored), nil
}

func (s personSource) Delete(ctx context.Context, tenant string, key odata.Key, ifMatch string) error {
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return err
	}
	p, err := s.svc.Person(ctx, tenant, key.Ref().String())
	if err != nil {
		return err
	}
	if expect != 0 && expect != p.Version {
		return odata.ErrPreconditionFailed
	}
	return s.svc.DeletePerson(ctx, tenant, p.ID)
}

// ---- InformationRegister_SepExchangeHistory ----

type historySource struct {
	svc *sep.Service
	z   zone
}

func historyEntity(h sep.HistoryRecord, loc *time.Location) odata.Entity {
	return odata.Entity{
		"Period": at(h.Time, loc), "EntryId": h.EntryID, "Call": int32(h.Call), "Operation": h.Operation,
		"RequestType": string(h.RequestType), "Organisation": h.OrganisationINN, "Subject": h.Subject,
		"QueueId": h.QueueID, "Answer": h.Answer,
	}
}

func (s historySource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	loc := s.z.of(tenant)
	t, ok := instant(key.Value("Period"), loc)
	entry, _ := key.Value("EntryId").(string)
	call, ok2 := intOf(key.Value("Call"))
	if !ok || !ok2 || entry == "" {
		return nil, noRecord("История обмена СЭП")
	}
	h, err := s.svc.HistoryAt(ctx, tenant, t, entry, call)
	if err != nil {
		return nil, err
	}
	return historyEntity(h, loc), nil
}

func (s historySource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index != "" {
		return odata.ListPage{}, errIndex
	}
	p, err := s.svc.History(ctx, tenant, page(req))
	if err != nil {
		return odata.ListPage{}, err
	}
	loc := s.z.of(tenant)
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, h := range p.Items {
		out.Entities = append(out.Entities, historyEntity(h, loc))
	}
	return out, nil
}

func intOf(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case int32:
		return int(x), true
	case int:
		return x, true
	}
	return 0, false
}

// ---- InformationRegister_SepExchangeQueue ----

type queueSource struct {
	svc *sep.Service
	z   zone
}

func queueEntity(e sep.Entry, loc *time.Location) odata.Entity {
	return odata.Entity{
		"Period": at(e.Created, loc), "Id": e.ID, "RequestType": string(e.Type), "Organisation": e.OrganisationINN,
		"Subject": e.Subject, "ApplicationNumber": e.ApplicationNumber, "EPTS": e.EPTS, "LeaseId": e.LeaseID,
		"LetterId": e.LetterID, "Stage": string(e.Stage), "Status": string(e.Status), "StatusColor": e.Status.Color(),
		"Outcome": string(e.Outcome), "QueueId": e.QueueID, "Attempts": int32(e.Attempts), "Polls": int32(e.Polls),
		"Calls": int32(e.Calls), "Waiting": e.Waiting(), "Due": at(e.Due, loc), "Queued": at(e.Queued, loc),
		"Answered": at(e.Answered, loc), "Errors": joinErrors(e.Errors), "Applications": strings.Join(e.Applications, ","),
	}
}

func (s queueSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	loc := s.z.of(tenant)
	id, _ := key.Value("Id").(string)
	t, ok := instant(key.Value("Period"), loc)
	if id == "" || !ok {
		return nil, noRecord("Очередь обмена СЭП")
	}
	e, err := s.svc.Entry(ctx, tenant, id)
	if errors.Is(err, sep.ErrEntryNotFound) {
		return nil, noRecord("Очередь обмена СЭП")
	}
	if err != nil {
		return nil, err
	}
	// The key's period is the entry's creation, to the second as 1C sends it.
	if !e.Created.Truncate(time.Second).Equal(t.Truncate(time.Second)) {
		return nil, noRecord("Очередь обмена СЭП")
	}
	return queueEntity(e, loc), nil
}

func (s queueSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	loc := s.z.of(tenant)
	q := sep.QueueQuery{PageRequest: page(req)}
	switch req.Index {
	case "":
	case indexEntryID:
		id, _ := req.Match.Value.(string)
		if req.Match.Op != odata.MatchEq || id == "" {
			return odata.ListPage{}, errIndex
		}
		e, err := s.svc.Entry(ctx, tenant, id)
		if errors.Is(err, sep.ErrEntryNotFound) {
			return odata.ListPage{}, nil
		}
		if err != nil {
			return odata.ListPage{}, err
		}
		return odata.ListPage{Entities: []odata.Entity{queueEntity(e, loc)}}, nil
	case indexWaiting:
		if w, _ := req.Match.Value.(bool); req.Match.Op != odata.MatchEq || !w {
			return odata.ListPage{}, errIndex
		}
		q.Waiting = true
	default:
		return odata.ListPage{}, errIndex
	}
	p, err := s.svc.Queue(ctx, tenant, q)
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, e := range p.Items {
		out.Entities = append(out.Entities, queueEntity(e, loc))
	}
	return out, nil
}

// ---- InformationRegister_SepConfirmationCodes ----

type codeSource struct {
	svc *sep.Service
	z   zone
}

func codeEntity(c sep.CodeRecord, loc *time.Location) odata.Entity {
	return odata.Entity{
		"Period": at(c.Received, loc), "LetterId": c.LetterID, "EPTS": c.EPTS, "VIN": c.VIN,
		"ApplicationNumber": c.ApplicationNumber, "Code": c.Code, "Asset_Key": guidOf(c.AssetID),
		"Manual": c.Manual, "Used": c.Used,
	}
}

func (s codeSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	loc := s.z.of(tenant)
	t, ok := instant(key.Value("Period"), loc)
	letter, _ := key.Value("LetterId").(string)
	if !ok || letter == "" {
		return nil, noRecord("Коды подтверждений СЭП")
	}
	c, err := s.svc.CodeAt(ctx, tenant, t, letter)
	if err != nil {
		return nil, err
	}
	return codeEntity(c, loc), nil
}

func (s codeSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index != "" {
		return odata.ListPage{}, errIndex
	}
	p, err := s.svc.Codes(ctx, tenant, page(req))
	if err != nil {
		return odata.ListPage{}, err
	}
	loc := s.z.of(tenant)
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, c := range p.Items {
		out.Entities = append(out.Entities, codeEntity(c, loc))
	}
	return out, nil
}

// ---- InformationRegister_SepAssetStatuses (periodic: SliceLast, SliceFirst) ----

func statusEntity(r sep.AssetStatusRecord, loc *time.Location) odata.Entity {
	return odata.Entity{
		"Period": at(r.Period, loc), "Asset_Key": guidOf(r.AssetID), "Status": r.Status,
		"ApplicationNumber": r.ApplicationNumber, "EntryId": r.EntryID, "Recorded": at(r.Recorded, loc),
	}
}

// statusRecords reads the register for odata.PeriodicRegister: one asset's records by period
// (its own partition), or every record by period.
type statusRecords struct {
	svc *sep.Service
	z   zone
}

func (r statusRecords) Records(ctx context.Context, tenant string, q odata.RecordsQuery) (odata.ListPage, error) {
	aq := sep.AssetStatusQuery{PageRequest: sep.PageRequest{Cursor: q.Cursor, Limit: max(1, min(q.Limit, MaxLimit)), Desc: q.Desc}}
	if len(q.Dims) > 0 {
		if aq.AssetID = idOf(q.Dims[0]); aq.AssetID == "" {
			return odata.ListPage{}, nil // no record has an empty asset
		}
	}
	p, err := r.svc.AssetStatuses(ctx, tenant, aq)
	if err != nil {
		return odata.ListPage{}, err
	}
	loc := r.z.of(tenant)
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, rec := range p.Items {
		out.Entities = append(out.Entities, statusEntity(rec, loc))
	}
	return out, nil
}

// statusSource is the register's source: the generic periodic register over statusRecords
// for lists, SliceFirst and conditioned slices; point reads by key; and SliceLast without a
// Condition on the domain's partition of each asset's latest record, one item per asset.
type statusSource struct {
	svc *sep.Service
	z   zone
	reg *odata.PeriodicRegister
}

var _ odata.SliceSource = (*statusSource)(nil)

func (s *statusSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	loc := s.z.of(tenant)
	t, ok := instant(key.Value("Period"), loc)
	asset := idOf(key.Value("Asset_Key"))
	if !ok || asset == "" {
		return nil, noRecord("Статусы основных средств (СЭП)")
	}
	r, err := s.svc.AssetStatusAt(ctx, tenant, t, asset, "")
	if err != nil {
		return nil, err
	}
	return statusEntity(r, loc), nil
}

func (s *statusSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	return s.reg.List(ctx, tenant, req)
}

func (s *statusSource) SliceFirst(ctx context.Context, tenant string, req odata.SliceRequest) ([]odata.Entity, error) {
	return s.reg.SliceFirst(ctx, tenant, req)
}

func (s *statusSource) SliceLast(ctx context.Context, tenant string, req odata.SliceRequest) ([]odata.Entity, error) {
	if req.Condition != nil {
		return s.reg.SliceLast(ctx, tenant, req)
	}
	loc := s.z.of(tenant)
	q := sep.SliceLastQuery{PageRequest: sep.PageRequest{Limit: MaxLimit}}
	if t, ok := instant(req.Period, loc); ok {
		q.At = t.Truncate(time.Second).Add(time.Second - time.Microsecond) // the whole second, as 1C's dates
	}
	limit := req.MaxScan
	if limit <= 0 {
		limit = odata.DefaultMaxScan
	}
	var out []odata.Entity
	for {
		p, err := s.svc.SliceLast(ctx, tenant, q)
		if err != nil {
			return nil, err
		}
		for _, r := range p.Items {
			out = append(out, statusEntity(r, loc))
		}
		if len(out) > limit {
			return nil, fmt.Errorf("%w: more than %d assets", odata.ErrScanLimit, limit)
		}
		if p.Next == "" {
			return out, nil
		}
		q.Cursor = p.Next
	}
}

// ---- InformationRegister_SepApplicationData ----

type applicationSource struct {
	svc *sep.Service
	z   zone
}

func applicationEntity(a sep.ApplicationRecord, loc *time.Location) odata.Entity {
	var epts, vins, parties []string
	for _, v := range a.Vehicles {
		epts = append(epts, v.EPTS)
		if v.VIN != "" {
			vins = append(vins, v.VIN)
		}
	}
	for _, p := range a.Parties {
		parties = append(parties, p.Role+": "+p.INN+" "+p.Name+" — "+string(p.Status))
	}
	inn := func(role string) string { p, _ := a.Party(role); return p.INN }
	return odata.Entity{
		"Number": a.Number, "Type": string(a.Type), "Status": a.Status, "Created": at(a.Created, loc),
		"Updated": at(a.Updated, loc), "Executed": at(a.Executed, loc), "Deadline": day(a.Deadline),
		"DocName": a.DocName, "DocNumber": a.DocNumber, "DocDate": day(a.DocDate), "LeaseEnd": day(a.LeaseEnd),
		"EPTS": strings.Join(epts, ","), "VIN": strings.Join(vins, ","), "Parties": strings.Join(parties, "\n"),
		"CurrentOwnerINN": inn(sep.RoleCurrentOwner), "NewOwnerINN": inn(sep.RoleNewOwner),
		"LessorINN": inn(sep.RoleLessor), "LesseeINN": inn(sep.RoleLessee),
		"Organisation": a.OrganisationINN, "Assets": joinRefs(a.AssetIDs), "Responsibles": joinRefs(a.ResponsibleIDs),
		"Received": at(a.Received, loc), "Refreshed": at(a.Refreshed, loc), "LastEntryId": a.LastEntryID,
		"RequestStatus": string(a.RequestStatus), "RequestStatusColor": color(a.RequestStatus),
	}
}

func (s applicationSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	n, _ := key.Value("Number").(string)
	if n == "" {
		return nil, noRecord("Данные заявлений (СЭП)")
	}
	a, err := s.svc.ApplicationData(ctx, tenant, n)
	if err != nil {
		return nil, err
	}
	return applicationEntity(a, s.z.of(tenant)), nil
}

func (s applicationSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index != "" {
		return odata.ListPage{}, errIndex
	}
	p, err := s.svc.Applications(ctx, tenant, page(req))
	if err != nil {
		return odata.ListPage{}, err
	}
	loc := s.z.of(tenant)
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, a := range p.Items {
		out.Entities = append(out.Entities, applicationEntity(a, loc))
	}
	return out, nil
}

// ---- InformationRegister_SepExchangeErrors ----

type errorSource struct {
	svc *sep.Service
	z   zone
}

func errorEntity(r sep.ErrorRecord, loc *time.Location) odata.Entity {
	return odata.Entity{
		"Period": at(r.Time, loc), "Source": r.Source, "Seq": int32(r.Seq), "Operation": r.Operation,
		"RequestType": string(r.RequestType), "QueueId": r.QueueID, "Code": r.Code, "Message": r.Message,
	}
}

func (s errorSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	loc := s.z.of(tenant)
	t, ok := instant(key.Value("Period"), loc)
	src, _ := key.Value("Source").(string)
	seq, ok2 := intOf(key.Value("Seq"))
	if !ok || !ok2 || src == "" {
		return nil, noRecord("Ошибки обмена СЭП")
	}
	r, err := s.svc.ErrorAt(ctx, tenant, t, src, seq)
	if err != nil {
		return nil, err
	}
	return errorEntity(r, loc), nil
}

func (s errorSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index != "" {
		return odata.ListPage{}, errIndex
	}
	p, err := s.svc.Errors(ctx, tenant, page(req))
	if err != nil {
		return odata.ListPage{}, err
	}
	loc := s.z.of(tenant)
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, r := range p.Items {
		out.Entities = append(out.Entities, errorEntity(r, loc))
	}
	return out, nil
}

// ---- InformationRegister_SepLeaseApplications ----

type leaseSource struct {
	svc *sep.Service
	z   zone
}

func leaseEntity(l sep.LeaseApplication, loc *time.Location) odata.Entity {
	epts := make([]string, 0, len(l.Vehicles))
	for _, v := range l.Vehicles {
		epts = append(epts, v.EPTS)
	}
	return odata.Entity{
		"Id": l.ID, "ContractId": l.ContractID, "Organisation": l.OrganisationINN, "LesseeINN": l.LesseeINN,
		"LesseeName": l.LesseeName, "DocNumber": l.DocNumber, "DocDate": day(l.DocDate), "Assets": joinRefs(l.AssetIDs),
		"EPTS": strings.Join(epts, ","), "Number": l.Number, "Status": l.Status, "LessorStatus": string(l.LessorStatus),
		"LesseeStatus": string(l.LesseeStatus), "Deadline": day(l.Deadline), "UseTechMailbox": l.UseTechMailbox,
		"Created": at(l.Created, loc), "Updated": at(l.Updated, loc), "LastEntryId": l.LastEntryID,
		"RequestStatus": string(l.RequestStatus), "RequestStatusColor": color(l.RequestStatus), "Errors": joinErrors(l.Errors),
	}
}

func (s leaseSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	id, _ := key.Value("Id").(string)
	if id == "" {
		return nil, noRecord("Заявления о лизинге")
	}
	l, err := s.svc.LeaseApplication(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return leaseEntity(l, s.z.of(tenant)), nil
}

func (s leaseSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index != "" {
		return odata.ListPage{}, errIndex
	}
	p, err := s.svc.LeaseApplications(ctx, tenant, page(req))
	if err != nil {
		return odata.ListPage{}, err
	}
	loc := s.z.of(tenant)
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, l := range p.Items {
		out.Entities = append(out.Entities, leaseEntity(l, loc))
	}
	return out, nil
}
