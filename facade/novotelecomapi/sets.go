package novotelecomapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
)

// OData names. The three sets are information registers, read-only:
//
//   - InformationRegister_NovotelecomRegistries: one record per exchange file, keyed by the
//     file's id (the name of an outgoing file, the SHA-256 of a received one's content). A
//     registry here is a record of the exchange, not a 1C object the hub owns: its identity
//     is the file, which a 1C client addresses directly
//     (InformationRegister_NovotelecomRegistries(ID='Payments_20180621_007.txt')) and which
//     the SOAP operations use; a Document would need a Ref_Key GUID that the domain does not
//     keep for files. Acceptance is therefore the SOAP operation AcceptRegistry rather than a
//     document's /Post; an accepted registry shows Accepted = true, the 1C document's GUID
//     (DocumentId) and the confirmation file queued (Reply).
//   - InformationRegister_NovotelecomRegistryLines: the lines of every registry, keyed by
//     (RegistryID, LineNumber), read from the stored file page by page with the domain's byte
//     cursor. A Document's tabular part would be read whole with its owner, which a 64 MiB
//     payments registry must not be.
//   - InformationRegister_NovotelecomSessions: the exchange sessions, newest first, keyed by
//     (Period, ID): the slot in the tenant's time and the session id RunExchange returns.
const (
	RegistriesSet = "InformationRegister_NovotelecomRegistries"
	LinesSet      = "InformationRegister_NovotelecomRegistryLines"
	SessionsSet   = "InformationRegister_NovotelecomSessions"
)

// Index names.
const (
	indexFolder   = "folder"   // registries: Folder eq '…', oldest first (the domain's folder index)
	indexRegistry = "registry" // lines: RegistryID eq '…', in file order
	indexSession  = "id"       // sessions: ID eq '…'
)

// Sets returns the three registers over svc; loc gives a tenant's time zone, in which
// instants (sent, received, accepted, session times) are shown.
func Sets(svc *novotelecom.Service, loc func(tenant string) *time.Location) []*odata.EntitySet {
	str := func(name string, max int) odata.Property {
		return odata.Property{Name: name, Type: odata.EdmString, MaxLength: max}
	}
	prop := func(name string, t odata.EdmType) odata.Property { return odata.Property{Name: name, Type: t} }
	return []*odata.EntitySet{
		{
			Name: RegistriesSet,
			Kind: odata.InformationRegister,
			Key:  []string{"ID"},
			Properties: []odata.Property{
				str("ID", 128), str("File", 64), str("Direction", 3), str("Kind", 10), str("KindName", 0),
				str("Folder", 10), str("FolderName", 0), prop("Number", odata.EdmInt32), prop("Date", odata.EdmDateTime),
				prop("Period", odata.EdmDateTime), prop("Count", odata.EdmInt64), prop("Sum", odata.EdmDecimal),
				str("Charset", 8), str("Ref", 64), prop("Size", odata.EdmInt64), str("SHA256", 64),
				prop("Created", odata.EdmDateTime), prop("Sent", odata.EdmDateTime), prop("Received", odata.EdmDateTime),
				str("Session", 20), str("Diagnostic", 0), str("Reply", 64), str("Errors", 0),
				prop("Accepted", odata.EdmBoolean), prop("AcceptedAt", odata.EdmDateTime), prop("DocumentId", odata.EdmGuid),
				str("DocumentType", 20), prop("Version", odata.EdmInt64),
			},
			Indexes:    []odata.Index{{Name: indexFolder, Property: "Folder", Eq: true}},
			Dimensions: []string{"ID"},
			Source:     registriesSource{svc: svc, loc: loc},
		},
		{
			Name: LinesSet,
			Kind: odata.InformationRegister,
			Key:  []string{"RegistryID", "LineNumber"},
			Properties: []odata.Property{
				str("RegistryID", 128), prop("LineNumber", odata.EdmInt64), str("File", 64), str("Kind", 10),
				str("Account", 20), str("Address", 0), str("Service", 20), str("Name", 0), str("Meter", 30),
				prop("Period", odata.EdmDateTime), prop("Amount", odata.EdmDecimal), prop("Time", odata.EdmDateTime),
				str("PaymentID", 40), prop("RefLine", odata.EdmInt64), str("Message", 0),
			},
			Indexes:    []odata.Index{{Name: indexRegistry, Property: "RegistryID", Eq: true}},
			Dimensions: []string{"RegistryID", "LineNumber"},
			Source:     linesSource{svc: svc},
		},
		{
			Name: SessionsSet,
			Kind: odata.InformationRegister,
			Key:  []string{"Period", "ID"},
			Properties: []odata.Property{
				prop("Period", odata.EdmDateTime), str("ID", 20), prop("Manual", odata.EdmBoolean), str("State", 10),
				str("StateName", 0), prop("Started", odata.EdmDateTime), prop("Finished", odata.EdmDateTime),
				prop("Attempts", odata.EdmInt32), prop("Sent", odata.EdmInt32), prop("Received", odata.EdmInt32),
				prop("Duplicates", odata.EdmInt32), prop("Awaiting", odata.EdmInt32), prop("Rejected", odata.EdmInt32),
				prop("Answers", odata.EdmInt32), prop("Errors", odata.EdmInt32), str("ErrorCode", 0), str("Error", 0),
				str("Message", 0), str("Details", 0), prop("Version", odata.EdmInt64),
			},
			Indexes:    []odata.Index{{Name: indexSession, Property: "ID", Eq: true}},
			Dimensions: []string{"Period", "ID"},
			Source:     sessionsSource{svc: svc, loc: loc},
		},
	}
}

// errDesc refuses a descending walk the domain's lists do not have.
func errDesc(what string) *apperr.Error {
	return apperr.New(apperr.Invalid, "NOVOTELECOM_ODATA_ORDER",
		"Обратный порядок не поддерживается: "+what)
}

func num(d money.Decimal) decimal.Decimal { return decimal.RequireFromString(d.String()) }

// instant is a UTC instant as the tenant's wall clock; the zero time stays zero (1C's empty date).
func instant(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.In(loc)
}

func monthStart(p registry.Period) time.Time {
	if p.IsZero() {
		return time.Time{}
	}
	return p.First()
}

func eqString(m odata.Match) (string, bool) {
	s, ok := m.Value.(string)
	return s, ok && m.Op == odata.MatchEq
}

// ---- registries ----

type registriesSource struct {
	svc *novotelecom.Service
	loc func(string) *time.Location
}

func (s registriesSource) entity(tenant string, r novotelecom.Registry) odata.Entity {
	loc := s.loc(tenant)
	doc := odata.GUID{}
	if r.Document != "" {
		doc, _ = odata.ParseGUID(r.Document)
	}
	docType := ""
	if r.Folder == novotelecom.FolderAccepted {
		docType = string(novotelecom.DocPayments)
		if r.Kind == registry.Readings {
			docType = string(novotelecom.DocReadings)
		}
	}
	return odata.Entity{
		"ID": r.ID, "File": r.File, "Direction": string(r.Direction), "Kind": string(r.Kind), "KindName": KindName(r.Kind),
		"Folder": string(r.Folder), "FolderName": r.Folder.Title(), "Number": int32(r.Number), "Date": r.Date,
		"Period": monthStart(r.Period), "Count": r.Count, "Sum": num(r.Sum), "Charset": string(r.Charset), "Ref": r.Ref,
		"Size": r.Size, "SHA256": r.SHA256, "Created": instant(r.Created, loc), "Sent": instant(r.Sent, loc),
		"Received": instant(r.Received, loc), "Session": r.Session, "Diagnostic": r.Diagnostic, "Reply": r.Reply,
		"Errors": strings.Join(r.Errors, "\n"), "Accepted": r.Folder == novotelecom.FolderAccepted,
		"AcceptedAt": instant(r.Accepted, loc), "DocumentId": doc, "DocumentType": docType, "Version": r.Version,
	}
}

func (s registriesSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	id, _ := key.Value("ID").(string)
	r, err := s.svc.Registry(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return s.entity(tenant, r), nil
}

func (s registriesSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Desc {
		return odata.ListPage{}, errDesc("реестры выдаются по возрастанию ID, а в папке (Folder) — от старых к новым")
	}
	q := novotelecom.RegistriesRequest{ListRequest: novotelecom.ListRequest{Cursor: req.Cursor, Limit: req.Limit}}
	if req.Index == indexFolder {
		f, ok := eqString(req.Match)
		if !ok || !knownFolder(f) {
			return odata.ListPage{}, nil // no registry is in a folder that does not exist
		}
		q.Folder = novotelecom.Folder(f)
	}
	p, err := s.svc.Registries(ctx, tenant, q)
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, r := range p.Items {
		out.Entities = append(out.Entities, s.entity(tenant, r))
	}
	return out, nil
}

func knownFolder(f string) bool {
	for _, k := range novotelecom.Folders {
		if string(k) == f {
			return true
		}
	}
	return false
}

// ---- lines ----

type linesSource struct{ svc *novotelecom.Service }

func lineEntity(r novotelecom.Registry, l novotelecom.Line) odata.Entity {
	return odata.Entity{
		"RegistryID": r.ID, "LineNumber": l.Line, "File": r.File, "Kind": string(r.Kind), "Account": l.Account,
		"Address": l.Address, "Service": l.Service, "Name": l.Name, "Meter": l.Meter, "Period": monthStart(l.Period),
		"Amount": num(l.Amount), "Time": l.Time, "PaymentID": l.PaymentID, "RefLine": l.RefLine, "Message": l.Message,
	}
}

// Get reads one line: the stored file once, up to the line.
func (s linesSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	id, _ := key.Value("RegistryID").(string)
	n, _ := key.Value("LineNumber").(int64)
	r, err := s.svc.Registry(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > r.Count || r.Kind == "" {
		return nil, errNoLine()
	}
	name, data, err := s.svc.Content(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	rd, err := registry.NewReader(bytes.NewReader(data), name, registry.Options{Kind: r.Kind})
	if err != nil {
		return nil, errNoLine()
	}
	for {
		if err := rd.Next(); err != nil {
			return nil, errNoLine() // the end, or a broken file's first error before the line
		}
		if rec := rd.Record(); rec.Line == n {
			return lineEntity(r, novotelecom.Line{RegistryID: id, Line: rec.Line, Account: rec.Account, Address: rec.Address,
				Service: rec.Service, Name: rec.Name, Meter: rec.Meter, Period: rec.Period, Amount: rec.Amount, Time: rec.Time,
				PaymentID: rec.ID, RefLine: rec.RefLine, Message: rec.Message}), nil
		}
	}
}

func errNoLine() *apperr.Error {
	return apperr.New(apperr.NotFound, "NOVOTELECOM_NO_LINE", "Строка реестра не найдена")
}

// walkCursor is where a walk of every registry's lines (the key order) stands: the registries
// page holding the current registry, the registry, and the cursor of its lines.
type walkCursor struct {
	Page  string `json:"p,omitempty"` // cursor of the registries page ("" the first)
	Reg   string `json:"r"`           // the current registry's id
	Lines string `json:"l,omitempty"` // cursor of its lines ("" from its first line)
}

// walkPage is the size of the registries pages a walk reads.
const walkPage = 100

func (s linesSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Desc {
		return odata.ListPage{}, errDesc("строки выдаются в порядке файла")
	}
	if req.Index == indexRegistry {
		id, ok := eqString(req.Match)
		if !ok {
			return odata.ListPage{}, nil
		}
		r, err := s.svc.Registry(ctx, tenant, id)
		if apperr.As(err).Kind == apperr.NotFound {
			return odata.ListPage{}, nil
		}
		if err != nil {
			return odata.ListPage{}, err
		}
		p, err := s.svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: id,
			ListRequest: novotelecom.ListRequest{Cursor: req.Cursor, Limit: req.Limit}})
		if err != nil {
			return odata.ListPage{}, err
		}
		out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
		for _, l := range p.Items {
			out.Entities = append(out.Entities, lineEntity(r, l))
		}
		return out, nil
	}
	return s.walk(ctx, tenant, req)
}

// walk lists the lines of every registry, registries by id, lines in file order. One call
// reads at most one page of registries (walkPage), so a run of registries without lines costs
// a bounded amount of work per call; the page may then be short, with Next set.
func (s linesSource) walk(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	var c walkCursor
	if req.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(req.Cursor)
		if err != nil || len(raw) > 8192 || json.Unmarshal(raw, &c) != nil {
			return odata.ListPage{}, apperr.New(apperr.Invalid, "NOVOTELECOM_CURSOR", "Неверный курсор списка")
		}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 100
	}
	regs, err := s.svc.Registries(ctx, tenant, novotelecom.RegistriesRequest{ListRequest: novotelecom.ListRequest{Cursor: c.Page, Limit: walkPage}})
	if err != nil {
		return odata.ListPage{}, err
	}
	// The current registry, or the first after it if it is gone (ids sort like the page).
	i := 0
	for i < len(regs.Items) && regs.Items[i].ID < c.Reg {
		i++
	}
	if i == len(regs.Items) || regs.Items[i].ID != c.Reg {
		c.Lines = ""
	}
	var out odata.ListPage
	for ; i < len(regs.Items) && len(out.Entities) < limit; i++ {
		r := regs.Items[i]
		c.Reg = r.ID
		if r.Count == 0 {
			c.Lines = ""
			continue // nothing to read (an answer without errors, a file broken in its header)
		}
		p, err := s.svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: r.ID,
			ListRequest: novotelecom.ListRequest{Cursor: c.Lines, Limit: min(limit-len(out.Entities), 1000)}})
		if err != nil {
			return odata.ListPage{}, err
		}
		for _, l := range p.Items {
			out.Entities = append(out.Entities, lineEntity(r, l))
		}
		c.Lines = p.Next
		if p.Next != "" {
			break // full in the middle of this registry
		}
	}
	switch {
	case c.Lines != "":
		// Go on in registry c.Reg.
	case i < len(regs.Items):
		c.Reg = regs.Items[i].ID // go on with the next registry of this page
	case regs.Next != "":
		c = walkCursor{Page: regs.Next} // go on with the next page of registries
	default:
		return out, nil // every registry read
	}
	b, _ := json.Marshal(c)
	out.Next = base64.RawURLEncoding.EncodeToString(b)
	return out, nil
}

// ---- sessions ----

type sessionsSource struct {
	svc *novotelecom.Service
	loc func(string) *time.Location
}

func (s sessionsSource) entity(tenant string, x novotelecom.Session) odata.Entity {
	loc := s.loc(tenant)
	return odata.Entity{
		"Period": instant(x.Slot, loc), "ID": x.ID, "Manual": x.Manual, "State": string(x.State), "StateName": StateName(x.State),
		"Started": instant(x.Started, loc), "Finished": instant(x.Finished, loc), "Attempts": int32(x.Attempts),
		"Sent": int32(x.Sent), "Received": int32(x.Received), "Duplicates": int32(x.Duplicates), "Awaiting": int32(x.Awaiting),
		"Rejected": int32(x.Rejected), "Answers": int32(x.Answers), "Errors": int32(x.Errors), "ErrorCode": x.ErrorCode,
		"Error": x.Error, "Message": x.Message, "Details": strings.Join(x.Details, "\n"), "Version": x.Version,
	}
}

func (s sessionsSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	id, _ := key.Value("ID").(string)
	x, err := s.svc.Session(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	e := s.entity(tenant, x)
	if p, ok := key.Value("Period").(time.Time); !ok || !sameWall(p, e["Period"].(time.Time)) {
		return nil, apperr.New(apperr.NotFound, "NOVOTELECOM_NO_SESSION", "Сеанс обмена не найден")
	}
	return e, nil
}

// sameWall compares two times by their wall clocks, as OData keys carry them.
func sameWall(a, b time.Time) bool {
	y1, m1, d1 := a.Date()
	y2, m2, d2 := b.Date()
	return y1 == y2 && m1 == m2 && d1 == d2 && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

// List gives the sessions newest first (the domain's only order: a log is read from its end).
// The key has two properties, so the handler never takes this order for an $orderby.
func (s sessionsSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	if req.Index == indexSession {
		id, ok := eqString(req.Match)
		if !ok {
			return odata.ListPage{}, nil
		}
		x, err := s.svc.Session(ctx, tenant, id)
		if apperr.As(err).Kind == apperr.NotFound {
			return odata.ListPage{}, nil
		}
		if err != nil {
			return odata.ListPage{}, err
		}
		return odata.ListPage{Entities: []odata.Entity{s.entity(tenant, x)}}, nil
	}
	p, err := s.svc.Sessions(ctx, tenant, novotelecom.ListRequest{Cursor: req.Cursor, Limit: req.Limit})
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next, Entities: make([]odata.Entity, 0, len(p.Items))}
	for _, x := range p.Items {
		out.Entities = append(out.Entities, s.entity(tenant, x))
	}
	return out, nil
}
