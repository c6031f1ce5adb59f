// Package sepapi publishes the SEP domain (package sep: АС «СЭП», electronic vehicle
// passports, for a leasing company) to 1C: the SOAP service Sep (wsdl/Sep.wsdl) and the OData
// sets of odata.go — the catalogs of fixed assets and responsible persons (writable) and the
// seven SEP registers as information registers, the asset statuses periodic with SliceLast.
// It only translates: every rule lives in package sep.
//
// Operations of Sep, for the principal's tenant (the АРМ СЭП of the seed):
//
//	GetSettings / SaveSettings               organisations, SEP responsible person, technical
//	                                         mailbox (SaveSettings needs an administrator)
//	GetOrganisationKey(Organisation)         the public key to register with SEP
//	SavePerson / SaveAsset / SaveLeaseContract  responsible persons, fixed assets and lease
//	                                         contract appendices from 1C (whole records)
//	GetLetters(ToProcess)                    SEP letters («Список писем к обработке»)
//	RequestApplications(Organisation, From, To)  «Запрос заявлений за период»
//	RequestLetterData(Organisation, Letters) «Запрос данных заявления» per letter
//	GetOwnershipChanges(Responsible, Asset, VIN, EPTS)  «Смена собственника»: not executed
//	GetApplication(Number)                   one application's data
//	ConfirmOwnership(Number, Status, Code)   «Подтвердить» (code from the letter, or typed)
//	RefreshApplications(Numbers)             «Обновить данные заявления»
//	GetLeaseCandidates(Organisation, From, To)  «Заполнить список приложений ДЛ»
//	SendLease(Contract, statuses, Deadline, UseTechMailbox)  «Отправить заявление на лизинг»
//	ConfirmLease(Lease, LesseeStatus, Code)  the lessee's side with the code from the letter
//	GetQueue / GetQueueEntry                 the exchange queue: state and results
//	GetCounts                                the start page widget, every 60 seconds
//	PollNow                                  «Получить результат»: due entries now (never
//	                                         sooner than 60 s after the queue number)
//	GetNotifications(Person)                 personal notifications about letters
//
// References to 1C objects (persons, fixed assets, lease contract appendices) travel as their
// UUIDs (Ссылка.УникальныйИдентификатор()), in canonical lower case. Dates travel as 1C writes
// them: xs:dateTime without an offset, instants in the tenant's zone, civil dates (document
// dates, deadlines, periods of requests) at midnight, and 0001-01-01T00:00:00 for "no date".
// Every request that sends something to SEP takes an optional RequestId: a repeated call
// with the same id (a double click, a retried call) returns the first call's result.
package sepapi

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/sep"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/sepws"
)

// Version is the interface version of the Sep service.
const Version = "1.0"

// DefaultLimit is the page size of lists when the request gives none; MaxLimit the largest.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Errors of the transport, with stable codes.
var (
	ErrAdminRequired = apperr.New(apperr.Forbidden, "SEP_ADMIN_REQUIRED",
		"Изменять настройки интеграции с СЭП может только администратор абонента")
	ErrRefInvalid = apperr.New(apperr.Invalid, "SEP_REF_INVALID",
		"Ссылка должна быть уникальным идентификатором объекта 1С (GUID вида xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
	ErrLimitInvalid = apperr.New(apperr.Invalid, "SEP_LIMIT_INVALID", "Размер страницы: от 1 до 1000")
)

// Limits of the request fields; the domain checks their shape again.
var (
	ruleList      = soap.Rule{Type: sepws.StringList{}, Fields: map[string]string{"Item": "max=50,dive,max=64"}}
	ruleOrgList   = soap.Rule{Type: sepws.OrganisationList{}, Fields: map[string]string{"Item": "max=50"}}
	ruleOrg       = soap.Rule{Type: sepws.Organisation{}, Fields: map[string]string{"INN": "max=12", "OGRN": "max=15", "Name": "max=200"}}
	ruleSettings  = soap.Rule{Type: sepws.SaveSettings{}, Fields: map[string]string{"SepResponsible": "omitempty,max=64", "TechMailbox": "omitempty,max=254"}}
	ruleKey       = soap.Rule{Type: sepws.GetOrganisationKey{}, Fields: map[string]string{"Organisation": "required,max=12"}}
	rulePerson    = soap.Rule{Type: sepws.SavePerson{}, Fields: map[string]string{"Ref": "required,max=64", "Name": "required,max=200", "Email": "omitempty,max=254"}}
	ruleAsset     = soap.Rule{Type: sepws.SaveAsset{}, Fields: map[string]string{"Ref": "required,max=64", "Code": "omitempty,max=50", "Name": "required,max=200", "VIN": "omitempty,max=17", "EPTS": "omitempty,max=15", "Organisation": "omitempty,max=12", "Responsible": "omitempty,max=64"}}
	ruleContract  = soap.Rule{Type: sepws.SaveLeaseContract{}, Fields: map[string]string{"Ref": "required,max=64", "Organisation": "required,max=12", "DocName": "omitempty,max=200", "DocNumber": "required,max=64", "LesseeINN": "required,max=12", "LesseeOGRN": "omitempty,max=15", "LesseeName": "omitempty,max=200", "LesseeEmail": "omitempty,max=254", "Assets": "required"}}
	ruleLetters   = soap.Rule{Type: sepws.GetLetters{}, Fields: map[string]string{"Cursor": "omitempty,max=8192"}}
	rulePeriod    = soap.Rule{Type: sepws.RequestApplications{}, Fields: map[string]string{"Organisation": "required,max=12", "RequestId": "omitempty,max=64"}}
	ruleLetterReq = soap.Rule{Type: sepws.RequestLetterData{}, Fields: map[string]string{"Organisation": "required,max=12", "Letters": "required", "RequestId": "omitempty,max=64"}}
	ruleOwnership = soap.Rule{Type: sepws.GetOwnershipChanges{}, Fields: map[string]string{"Responsible": "omitempty,max=64", "Asset": "omitempty,max=64", "VIN": "omitempty,max=17", "EPTS": "omitempty,max=15", "Cursor": "omitempty,max=8192"}}
	ruleApp       = soap.Rule{Type: sepws.GetApplication{}, Fields: map[string]string{"Number": "required,max=40"}}
	ruleConfirm   = soap.Rule{Type: sepws.ConfirmOwnership{}, Fields: map[string]string{"Number": "required,max=40", "Status": "required,max=20", "Code": "omitempty,max=12", "RequestId": "omitempty,max=64"}}
	ruleRefresh   = soap.Rule{Type: sepws.RefreshApplications{}, Fields: map[string]string{"Numbers": "required", "Organisation": "omitempty,max=12", "RequestId": "omitempty,max=64"}}
	ruleCands     = soap.Rule{Type: sepws.GetLeaseCandidates{}, Fields: map[string]string{"Organisation": "required,max=12", "Cursor": "omitempty,max=8192"}}
	ruleSendLease = soap.Rule{Type: sepws.SendLease{}, Fields: map[string]string{"Contract": "required,max=64", "LessorStatus": "omitempty,max=20", "LesseeStatus": "omitempty,max=20", "RequestId": "omitempty,max=64"}}
	ruleConfLease = soap.Rule{Type: sepws.ConfirmLease{}, Fields: map[string]string{"Lease": "required,max=64", "LesseeStatus": "required,max=20", "Code": "omitempty,max=12", "RequestId": "omitempty,max=64"}}
	ruleQueue     = soap.Rule{Type: sepws.GetQueue{}, Fields: map[string]string{"Cursor": "omitempty,max=8192"}}
	ruleEntry     = soap.Rule{Type: sepws.GetQueueEntry{}, Fields: map[string]string{"Id": "required,max=64"}}
	ruleNotes     = soap.Rule{Type: sepws.GetNotifications{}, Fields: map[string]string{"Person": "omitempty,max=64", "Cursor": "omitempty,max=8192"}}
)

// New returns the Sep SOAP service over svc.
func New(svc *sep.Service) *soap.Service {
	return soap.MustService(wsdl.Sep, Version, map[string]soap.Operation{
		"GetSettings": soap.Op(func(ctx context.Context, c *soap.Call, _ *sepws.GetSettings) (*sepws.GetSettingsResponse, error) {
			st, err := svc.Settings(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			return &sepws.GetSettingsResponse{Return_: settingsOf(st)}, nil
		}),

		"SaveSettings": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.SaveSettings) (*sepws.SaveSettingsResponse, error) {
			if !c.Principal.Admin {
				return nil, ErrAdminRequired
			}
			st, err := svc.Settings(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			st.Organisations = []sep.Organisation{}
			if req.Organisations != nil {
				for _, o := range req.Organisations.Item {
					if o != nil {
						st.Organisations = append(st.Organisations, sep.Organisation{INN: o.INN, OGRN: o.OGRN, Name: o.Name})
					}
				}
			}
			if req.SepResponsible != nil {
				if st.SEPResponsibleID, err = optRef(*req.SepResponsible); err != nil {
					return nil, err
				}
			}
			if req.TechMailbox != nil {
				st.TechMailbox = strings.TrimSpace(*req.TechMailbox)
			}
			st.Version = 0 // the whole settings are replaced
			saved, err := svc.PutSettings(ctx, c.Principal.Tenant, st)
			if err != nil {
				return nil, err
			}
			return &sepws.SaveSettingsResponse{Return_: settingsOf(saved)}, nil
		}, ruleSettings, ruleOrgList, ruleOrg),

		"GetOrganisationKey": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetOrganisationKey) (*sepws.GetOrganisationKeyResponse, error) {
			key, err := svc.OrganisationKey(ctx, c.Principal.Tenant, strings.TrimSpace(req.Organisation))
			if err != nil {
				return nil, err
			}
			return &sepws.GetOrganisationKeyResponse{Return_: xsd.Base64Binary(key)}, nil
		}, ruleKey),

		"SavePerson": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.SavePerson) (*sepws.SavePersonResponse, error) {
			id, err := ref(req.Ref)
			if err != nil {
				return nil, err
			}
			p, err := svc.PutPerson(ctx, c.Principal.Tenant, sep.Person{ID: id, Name: strings.TrimSpace(req.Name), Email: trim(req.Email)})
			if err != nil {
				return nil, err
			}
			return &sepws.SavePersonResponse{Return_: &sepws.Person{Ref: p.ID, Name: p.Name, Email: p.Email}}, nil
		}, rulePerson),

		"SaveAsset": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.SaveAsset) (*sepws.SaveAssetResponse, error) {
			id, err := ref(req.Ref)
			if err != nil {
				return nil, err
			}
			resp, err := optRef(deref(req.Responsible))
			if err != nil {
				return nil, err
			}
			a, err := svc.PutAsset(ctx, c.Principal.Tenant, sep.Asset{ID: id, Code: trim(req.Code), Name: strings.TrimSpace(req.Name),
				VIN: trim(req.VIN), EPTS: trim(req.EPTS), OrganisationINN: trim(req.Organisation), ResponsibleID: resp})
			if err != nil {
				return nil, err
			}
			return &sepws.SaveAssetResponse{Return_: assetOf(a)}, nil
		}, ruleAsset),

		"SaveLeaseContract": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.SaveLeaseContract) (*sepws.SaveLeaseContractResponse, error) {
			id, err := ref(req.Ref)
			if err != nil {
				return nil, err
			}
			assets, err := refs(req.Assets)
			if err != nil {
				return nil, err
			}
			ct, err := svc.PutLeaseContract(ctx, c.Principal.Tenant, sep.LeaseContract{ID: id,
				OrganisationINN: strings.TrimSpace(req.Organisation), DocName: trim(req.DocName), DocNumber: strings.TrimSpace(req.DocNumber),
				DocDate: civil(req.DocDate, c.Location), LeaseEnd: civil(req.LeaseEnd, c.Location),
				LesseeINN: strings.TrimSpace(req.LesseeINN), LesseeOGRN: trim(req.LesseeOGRN), LesseeName: trim(req.LesseeName),
				LesseeEmail: trim(req.LesseeEmail), AssetIDs: assets})
			if err != nil {
				return nil, err
			}
			return &sepws.SaveLeaseContractResponse{Return_: contractOf(ct)}, nil
		}, ruleContract, ruleList),

		"GetLetters": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetLetters) (*sepws.GetLettersResponse, error) {
			pr, err := pageOf(req.Cursor, req.Limit)
			if err != nil {
				return nil, err
			}
			p, err := svc.Letters(ctx, c.Principal.Tenant, sep.LetterQuery{PageRequest: pr, ToProcess: req.ToProcess != nil && *req.ToProcess})
			if err != nil {
				return nil, err
			}
			out := &sepws.LetterList{Item: make([]*sepws.Letter, 0, len(p.Items))}
			for _, l := range p.Items {
				out.Item = append(out.Item, letterOf(l))
			}
			return &sepws.GetLettersResponse{Return_: out, Next: p.Next}, nil
		}, ruleLetters),

		"RequestApplications": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.RequestApplications) (*sepws.RequestApplicationsResponse, error) {
			e, err := svc.RequestApplications(ctx, c.Principal.Tenant, sep.PeriodRequest{RequestID: trim(req.RequestId),
				OrganisationINN: strings.TrimSpace(req.Organisation), From: civil(req.From, c.Location), To: civil(req.To, c.Location)})
			if err != nil {
				return nil, err
			}
			return &sepws.RequestApplicationsResponse{Return_: entryOf(e)}, nil
		}, rulePeriod),

		"RequestLetterData": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.RequestLetterData) (*sepws.RequestLetterDataResponse, error) {
			es, err := svc.RequestLetterData(ctx, c.Principal.Tenant, sep.LetterDataRequest{RequestID: trim(req.RequestId),
				OrganisationINN: strings.TrimSpace(req.Organisation), LetterIDs: list(req.Letters)})
			if err != nil {
				return nil, err
			}
			return &sepws.RequestLetterDataResponse{Return_: entriesOf(es)}, nil
		}, ruleLetterReq, ruleList),

		"GetOwnershipChanges": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetOwnershipChanges) (*sepws.GetOwnershipChangesResponse, error) {
			pr, err := pageOf(req.Cursor, req.Limit)
			if err != nil {
				return nil, err
			}
			resp, err := optRef(deref(req.Responsible))
			if err != nil {
				return nil, err
			}
			asset, err := optRef(deref(req.Asset))
			if err != nil {
				return nil, err
			}
			p, err := svc.OwnershipChanges(ctx, c.Principal.Tenant, sep.OwnershipFilter{PageRequest: pr,
				ResponsibleID: resp, AssetID: asset, VIN: trim(req.VIN), EPTS: trim(req.EPTS)})
			if err != nil {
				return nil, err
			}
			out := &sepws.OwnershipChangeList{Item: make([]*sepws.OwnershipChange, 0, len(p.Items))}
			for _, r := range p.Items {
				out.Item = append(out.Item, ownershipOf(r))
			}
			return &sepws.GetOwnershipChangesResponse{Return_: out, Next: p.Next}, nil
		}, ruleOwnership),

		"GetApplication": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetApplication) (*sepws.GetApplicationResponse, error) {
			a, err := svc.ApplicationData(ctx, c.Principal.Tenant, strings.TrimSpace(req.Number))
			if err != nil {
				return nil, err
			}
			return &sepws.GetApplicationResponse{Return_: applicationOf(a)}, nil
		}, ruleApp),

		"ConfirmOwnership": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.ConfirmOwnership) (*sepws.ConfirmOwnershipResponse, error) {
			e, err := svc.ConfirmOwnership(ctx, c.Principal.Tenant, sep.ConfirmRequest{RequestID: trim(req.RequestId),
				Number: strings.TrimSpace(req.Number), Status: sep.PartyStatus(strings.TrimSpace(req.Status)), Code: trim(req.Code)})
			if err != nil {
				return nil, err
			}
			return &sepws.ConfirmOwnershipResponse{Return_: entryOf(e)}, nil
		}, ruleConfirm),

		"RefreshApplications": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.RefreshApplications) (*sepws.RefreshApplicationsResponse, error) {
			es, err := svc.RefreshApplications(ctx, c.Principal.Tenant, sep.RefreshRequest{RequestID: trim(req.RequestId),
				Numbers: list(req.Numbers), OrganisationINN: trim(req.Organisation)})
			if err != nil {
				return nil, err
			}
			return &sepws.RefreshApplicationsResponse{Return_: entriesOf(es)}, nil
		}, ruleRefresh, ruleList),

		"GetLeaseCandidates": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetLeaseCandidates) (*sepws.GetLeaseCandidatesResponse, error) {
			pr, err := pageOf(req.Cursor, req.Limit)
			if err != nil {
				return nil, err
			}
			p, err := svc.LeaseCandidates(ctx, c.Principal.Tenant, sep.CandidatesRequest{PageRequest: pr,
				OrganisationINN: strings.TrimSpace(req.Organisation), From: civil(req.From, c.Location), To: civil(req.To, c.Location)})
			if err != nil {
				return nil, err
			}
			out := &sepws.LeaseCandidateList{Item: make([]*sepws.LeaseCandidate, 0, len(p.Items))}
			for _, lc := range p.Items {
				out.Item = append(out.Item, candidateOf(lc))
			}
			return &sepws.GetLeaseCandidatesResponse{Return_: out, Next: p.Next}, nil
		}, ruleCands),

		"SendLease": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.SendLease) (*sepws.SendLeaseResponse, error) {
			contract, err := ref(req.Contract)
			if err != nil {
				return nil, err
			}
			r := sep.SendLeaseRequest{RequestID: trim(req.RequestId), ContractID: contract,
				LessorStatus: sep.PartyStatus(trim(req.LessorStatus)), LesseeStatus: sep.PartyStatus(trim(req.LesseeStatus)),
				UseTechMailbox: req.UseTechMailbox}
			if req.Deadline != nil {
				r.Deadline = civil(*req.Deadline, c.Location)
			}
			l, err := svc.SendLease(ctx, c.Principal.Tenant, r)
			if err != nil {
				return nil, err
			}
			return &sepws.SendLeaseResponse{Return_: leaseOf(l)}, nil
		}, ruleSendLease),

		"ConfirmLease": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.ConfirmLease) (*sepws.ConfirmLeaseResponse, error) {
			l, err := svc.ConfirmLease(ctx, c.Principal.Tenant, sep.ConfirmLeaseRequest{RequestID: trim(req.RequestId),
				LeaseID: strings.TrimSpace(req.Lease), LesseeStatus: sep.PartyStatus(strings.TrimSpace(req.LesseeStatus)), Code: trim(req.Code)})
			if err != nil {
				return nil, err
			}
			return &sepws.ConfirmLeaseResponse{Return_: leaseOf(l)}, nil
		}, ruleConfLease),

		"GetQueue": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetQueue) (*sepws.GetQueueResponse, error) {
			pr, err := pageOf(req.Cursor, req.Limit)
			if err != nil {
				return nil, err
			}
			p, err := svc.Queue(ctx, c.Principal.Tenant, sep.QueueQuery{PageRequest: pr, Waiting: req.WaitingOnly != nil && *req.WaitingOnly})
			if err != nil {
				return nil, err
			}
			return &sepws.GetQueueResponse{Return_: entriesOf(p.Items), Next: p.Next}, nil
		}, ruleQueue),

		"GetQueueEntry": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetQueueEntry) (*sepws.GetQueueEntryResponse, error) {
			e, err := svc.Entry(ctx, c.Principal.Tenant, strings.TrimSpace(req.Id))
			if err != nil {
				return nil, err
			}
			return &sepws.GetQueueEntryResponse{Return_: entryOf(e)}, nil
		}, ruleEntry),

		"GetCounts": soap.Op(func(ctx context.Context, c *soap.Call, _ *sepws.GetCounts) (*sepws.GetCountsResponse, error) {
			n, err := svc.Counts(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			return &sepws.GetCountsResponse{Return_: &sepws.Counts{Letters: i32(n.Letters), Waiting: i32(n.Waiting), Ready: i32(n.Ready),
				Ownership: i32(n.Ownership), Leases: i32(n.Leases), Capped: n.Capped}}, nil
		}),

		"PollNow": soap.Op(func(ctx context.Context, c *soap.Call, _ *sepws.PollNow) (*sepws.PollNowResponse, error) {
			rep, err := svc.PollTenant(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			return &sepws.PollNowResponse{Return_: &sepws.PollReport{Due: i32(rep.Due), Worked: i32(rep.Worked),
				Skipped: i32(rep.Skipped), Failures: i32(rep.Failures)}}, nil
		}),

		"GetNotifications": soap.Op(func(ctx context.Context, c *soap.Call, req *sepws.GetNotifications) (*sepws.GetNotificationsResponse, error) {
			pr, err := pageOf(req.Cursor, req.Limit)
			if err != nil {
				return nil, err
			}
			person, err := optRef(deref(req.Person))
			if err != nil {
				return nil, err
			}
			p, err := svc.Notifications(ctx, c.Principal.Tenant, sep.NotificationQuery{PageRequest: pr, PersonID: person})
			if err != nil {
				return nil, err
			}
			out := &sepws.NotificationList{Item: make([]*sepws.Notification, 0, len(p.Items))}
			for _, n := range p.Items {
				out.Item = append(out.Item, &sepws.Notification{Id: n.ID, Time: xsd.At(n.Time), Person: n.PersonID, Letter: n.LetterID,
					Asset: n.AssetID, EPTS: n.EPTS, VIN: n.VIN, Application: n.ApplicationNumber, Subject: n.Subject, Text: n.Text,
					Emailed: n.Emailed, Problem: n.Problem})
			}
			return &sepws.GetNotificationsResponse{Return_: out, Next: p.Next}, nil
		}, ruleNotes),
	})
}

// ---- request values ----

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func trim(p *string) string { return strings.TrimSpace(deref(p)) }

// ref checks a 1C reference (a UUID) and returns it in canonical lower case.
func ref(s string) (string, error) {
	g, err := odata.ParseGUID(strings.ToLower(strings.TrimSpace(s)))
	if err != nil || g.IsZero() {
		return "", ErrRefInvalid
	}
	return g.String(), nil
}

// optRef is ref for optional references: "" (and 1C's empty reference) stay "".
func optRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "00000000-0000-0000-0000-000000000000" {
		return "", nil
	}
	return ref(s)
}

func list(l *sepws.StringList) []string {
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l.Item))
	for _, s := range l.Item {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

func refs(l *sepws.StringList) ([]string, error) {
	out := list(l)
	for i, s := range out {
		r, err := ref(s)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// civil turns a date from 1C into the civil date the domain keeps: midnight UTC of the day it
// names in the tenant's zone. The empty date stays zero.
func civil(d xsd.DateTime, loc *time.Location) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	if loc == nil {
		loc = time.UTC
	}
	t := d.In(loc).In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func pageOf(cursor *string, limit *int32) (sep.PageRequest, error) {
	pr := sep.PageRequest{Cursor: deref(cursor), Limit: DefaultLimit}
	if limit != nil {
		if *limit < 1 || *limit > MaxLimit {
			return pr, ErrLimitInvalid
		}
		pr.Limit = int(*limit)
	}
	return pr, nil
}

// ---- response values ----

func i32(n int) int32 {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	if n < math.MinInt32 {
		return math.MinInt32
	}
	return int32(n)
}

func strs(xs []string) *sepws.StringList {
	return &sepws.StringList{Item: append([]string{}, xs...)}
}

func settingsOf(st sep.Settings) *sepws.SepSettings {
	out := &sepws.SepSettings{Organisations: &sepws.OrganisationList{Item: []*sepws.Organisation{}},
		SepResponsible: st.SEPResponsibleID, TechMailbox: st.TechMailbox}
	for _, o := range st.Organisations {
		out.Organisations.Item = append(out.Organisations.Item, &sepws.Organisation{INN: o.INN, OGRN: o.OGRN, Name: o.Name})
	}
	return out
}

func assetOf(a sep.Asset) *sepws.Asset {
	return &sepws.Asset{Ref: a.ID, Code: a.Code, Name: a.Name, VIN: a.VIN, EPTS: a.EPTS,
		Organisation: a.OrganisationINN, Responsible: a.ResponsibleID}
}

func contractOf(c sep.LeaseContract) *sepws.LeaseContract {
	return &sepws.LeaseContract{Ref: c.ID, Organisation: c.OrganisationINN, DocName: c.DocName, DocNumber: c.DocNumber,
		DocDate: xsd.Wall(c.DocDate), LeaseEnd: xsd.Wall(c.LeaseEnd), LesseeINN: c.LesseeINN, LesseeOGRN: c.LesseeOGRN,
		LesseeName: c.LesseeName, LesseeEmail: c.LesseeEmail, Assets: strs(c.AssetIDs)}
}

func errorsOf(es []sep.RemoteError) *sepws.ExchangeErrorList {
	out := &sepws.ExchangeErrorList{Item: make([]*sepws.ExchangeError, 0, len(es))}
	for _, e := range es {
		out.Item = append(out.Item, &sepws.ExchangeError{Code: e.Code, Message: e.Message})
	}
	return out
}

func entryOf(e sep.Entry) *sepws.QueueEntry {
	return &sepws.QueueEntry{Id: e.ID, RequestType: string(e.Type), Organisation: e.OrganisationINN, Subject: e.Subject,
		Application: e.ApplicationNumber, EPTS: e.EPTS, Lease: e.LeaseID, Letter: e.LetterID,
		Stage: string(e.Stage), Status: string(e.Status), StatusColor: e.Status.Color(), Outcome: string(e.Outcome),
		QueueId: e.QueueID, Attempts: i32(e.Attempts), Polls: i32(e.Polls), Calls: i32(e.Calls),
		Due: xsd.At(e.Due), Created: xsd.At(e.Created), Queued: xsd.At(e.Queued), Answered: xsd.At(e.Answered),
		Errors: errorsOf(e.Errors), Applications: strs(e.Applications)}
}

func entriesOf(es []sep.Entry) *sepws.QueueEntryList {
	out := &sepws.QueueEntryList{Item: make([]*sepws.QueueEntry, 0, len(es))}
	for _, e := range es {
		out.Item = append(out.Item, entryOf(e))
	}
	return out
}

func letterOf(l sep.Letter) *sepws.Letter {
	return &sepws.Letter{Id: l.ID, Received: xsd.At(l.Received), Subject: l.Subject, EPTS: l.EPTS, VIN: l.VIN, Code: l.Code,
		Application: l.ApplicationNumber, Assets: strs(l.AssetIDs), Notified: l.NotifiedID, ToSepResponsible: l.ToSEPResponsible,
		Status: l.Status, Error: l.Error, LastEntry: l.LastEntryID}
}

func vehiclesOf(vs []sep.Vehicle) *sepws.VehicleList {
	out := &sepws.VehicleList{Item: make([]*sepws.Vehicle, 0, len(vs))}
	for _, v := range vs {
		out.Item = append(out.Item, &sepws.Vehicle{EPTS: v.EPTS, VIN: v.VIN})
	}
	return out
}

func partyOf(p sep.Party) *sepws.Party {
	return &sepws.Party{Role: p.Role, INN: p.INN, OGRN: p.OGRN, Name: p.Name, Status: string(p.Status)}
}

func applicationOf(a sep.ApplicationRecord) *sepws.Application {
	out := &sepws.Application{Number: a.Number, Type: string(a.Type), Status: a.Status,
		Created: xsd.At(a.Created), Updated: xsd.At(a.Updated), Executed: xsd.At(a.Executed), Deadline: xsd.Wall(a.Deadline),
		DocName: a.DocName, DocNumber: a.DocNumber, DocDate: xsd.Wall(a.DocDate), LeaseEnd: xsd.Wall(a.LeaseEnd),
		Vehicles: vehiclesOf(a.Vehicles), Parties: &sepws.PartyList{Item: make([]*sepws.Party, 0, len(a.Parties))},
		Organisation: a.OrganisationINN, Assets: strs(a.AssetIDs), Responsibles: strs(a.ResponsibleIDs),
		Received: xsd.At(a.Received), Refreshed: xsd.At(a.Refreshed), LastEntry: a.LastEntryID,
		RequestStatus: string(a.RequestStatus), RequestStatusColor: color(a.RequestStatus)}
	for _, p := range a.Parties {
		out.Parties.Item = append(out.Parties.Item, partyOf(p))
	}
	return out
}

// color is a request status's colour, "" when there is no request.
func color(s sep.Status) string {
	if s == "" {
		return ""
	}
	return s.Color()
}

func ownershipOf(r sep.OwnershipRow) *sepws.OwnershipChange {
	return &sepws.OwnershipChange{Number: r.Number, Status: r.Status, Created: xsd.At(r.Created), Deadline: xsd.Wall(r.Deadline),
		Vehicles: vehiclesOf(r.Vehicles), Assets: strs(r.AssetIDs), Responsibles: strs(r.ResponsibleIDs),
		CurrentOwner: partyOf(r.CurrentOwner), NewOwner: partyOf(r.NewOwner), Code: r.Code, CodeLetter: r.CodeLetter,
		LastEntry: r.LastEntryID, RequestStatus: string(r.RequestStatus), RequestStatusColor: color(r.RequestStatus)}
}

func candidateOf(lc sep.LeaseCandidate) *sepws.LeaseCandidate {
	c := lc.Contract
	out := &sepws.LeaseCandidate{Contract: c.ID, DocName: c.DocName, DocNumber: c.DocNumber, DocDate: xsd.Wall(c.DocDate),
		LeaseEnd: xsd.Wall(c.LeaseEnd), LesseeINN: c.LesseeINN, LesseeName: c.LesseeName,
		Assets: &sepws.CandidateAssetList{Item: make([]*sepws.CandidateAsset, 0, len(lc.Assets))},
		Ready:  lc.Ready, Reason: lc.Reason, Lease: lc.LeaseID}
	for _, a := range lc.Assets {
		out.Assets.Item = append(out.Assets.Item, &sepws.CandidateAsset{Asset: a.Asset.ID, Code: a.Asset.Code, Name: a.Asset.Name,
			VIN: a.Asset.VIN, EPTS: a.Asset.EPTS, Status: a.Status})
	}
	return out
}

func leaseOf(l sep.LeaseApplication) *sepws.LeaseApplication {
	return &sepws.LeaseApplication{Id: l.ID, Contract: l.ContractID, Organisation: l.OrganisationINN, LesseeINN: l.LesseeINN,
		LesseeName: l.LesseeName, DocNumber: l.DocNumber, DocDate: xsd.Wall(l.DocDate), Assets: strs(l.AssetIDs),
		Vehicles: vehiclesOf(l.Vehicles), Number: l.Number, Status: l.Status, LessorStatus: string(l.LessorStatus),
		LesseeStatus: string(l.LesseeStatus), Deadline: xsd.Wall(l.Deadline), UseTechMailbox: l.UseTechMailbox,
		Created: xsd.At(l.Created), Updated: xsd.At(l.Updated), LastEntry: l.LastEntryID,
		RequestStatus: string(l.RequestStatus), RequestStatusColor: color(l.RequestStatus), Errors: errorsOf(l.Errors)}
}
