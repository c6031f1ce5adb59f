// Package emisapi publishes the hotel guest-documents domain (package emis) to 1C and to PMSs
// that speak SOAP: the SOAP service Emis (wsdl/Emis.wsdl) and the OData information register
// InformationRegister_GuestDocuments. It only translates: every rule lives in package emis.
//
// Operations of Emis, for the principal's tenant:
//
//	GetLegalEntities                          legal entities with EMIS enabled
//	SaveGuest(PersonId, BookingId, Surname)   the PMS saved a guest (only a saved guest goes to EMIS)
//	StartDocuments(LegalEntity, PersonId, BookingId) → the EMIS page URL for the operator
//	GetDocuments(LegalEntity, PersonId)       the guest's documents, normalized, with warnings
//	GetSettings / Configure                   PMS webhook URL, retention, webhook secrets
//	                                          (write-only; Configure needs an administrator)
//	ListDeadLetters / Redeliver(Id)           deliveries to the PMS that failed every attempt
//
// Dates travel as 1C writes them: xs:dateTime without an offset, civil dates (birth, document
// validity) at midnight, instants (SavedAt, Created) in the tenant's zone, and 1C's empty date
// 0001-01-01T00:00:00 for "no date".
package emisapi

import (
	"context"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/emisws"
)

// Version is the interface version of the Emis service.
const Version = "1.0"

// Options configure the service.
type Options struct {
	// PublicURL is the hub's base URL as outside callers see it; GetSettings derives from it
	// the webhook addresses to give EMIS and the PMS. Empty: those addresses are left empty.
	PublicURL string
}

// ErrAdminRequired refuses Configure to a user who is not an administrator of the tenant.
var ErrAdminRequired = apperr.New(apperr.Forbidden, "EMIS_ADMIN_REQUIRED",
	"Изменять настройки EMIS (адрес вебхука PMS, секреты подписи, срок хранения) может только администратор абонента")

// Limits of the request fields (the domain checks their shape).
var (
	ruleIDs = soap.Rule{Type: emisws.StartDocuments{}, Fields: map[string]string{
		"LegalEntity": "max=64", "PersonId": "max=64", "BookingId": "omitempty,max=64"}}
	ruleGet = soap.Rule{Type: emisws.GetDocuments{}, Fields: map[string]string{
		"LegalEntity": "max=64", "PersonId": "max=64"}}
	ruleGuest = soap.Rule{Type: emisws.SaveGuest{}, Fields: map[string]string{
		"PersonId": "max=64", "BookingId": "omitempty,max=64", "Surname": "omitempty,max=100"}}
	ruleConfigure = soap.Rule{Type: emisws.Configure{}, Fields: map[string]string{
		"PMSWebhookURL": "omitempty,max=2048", "RetentionHours": "omitempty,min=0,max=2160",
		"EmisSecret": "omitempty,max=256", "PMSInSecret": "omitempty,max=256", "PMSOutSecret": "omitempty,max=256"}}
	ruleRedeliver = soap.Rule{Type: emisws.Redeliver{}, Fields: map[string]string{"Id": "required,max=64"}}
)

// New returns the Emis SOAP service over svc.
func New(svc *emis.Service, o Options) *soap.Service {
	public := strings.TrimRight(o.PublicURL, "/")
	return soap.MustService(wsdl.Emis, Version, map[string]soap.Operation{
		"GetLegalEntities": soap.Op(func(ctx context.Context, c *soap.Call, _ *emisws.GetLegalEntities) (*emisws.GetLegalEntitiesResponse, error) {
			les, err := svc.LegalEntities(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			out := &emisws.LegalEntityList{Item: make([]*emisws.LegalEntity, 0, len(les))}
			for _, le := range les {
				out.Item = append(out.Item, &emisws.LegalEntity{Ref: le.Ref, Code: le.Code, Description: le.Description, NamesScript: string(le.Script)})
			}
			return &emisws.GetLegalEntitiesResponse{Return_: out}, nil
		}),

		"SaveGuest": soap.Op(func(ctx context.Context, c *soap.Call, req *emisws.SaveGuest) (*emisws.SaveGuestResponse, error) {
			err := svc.SaveGuest(ctx, c.Principal.Tenant, emis.Guest{PersonID: req.PersonId, BookingID: deref(req.BookingId), Surname: deref(req.Surname)})
			if err != nil {
				return nil, err
			}
			return &emisws.SaveGuestResponse{Return_: true}, nil
		}, ruleGuest),

		"StartDocuments": soap.Op(func(ctx context.Context, c *soap.Call, req *emisws.StartDocuments) (*emisws.StartDocumentsResponse, error) {
			u, err := svc.StartDocuments(ctx, c.Principal.Tenant, req.LegalEntity, req.PersonId, deref(req.BookingId))
			if err != nil {
				return nil, err
			}
			return &emisws.StartDocumentsResponse{Return_: u}, nil
		}, ruleIDs),

		"GetDocuments": soap.Op(func(ctx context.Context, c *soap.Call, req *emisws.GetDocuments) (*emisws.GetDocumentsResponse, error) {
			res, err := svc.GetDocuments(ctx, c.Principal.Tenant, req.LegalEntity, req.PersonId)
			if err != nil {
				return nil, err
			}
			docs, err := guestDocumentsOf(res)
			if err != nil {
				return nil, err
			}
			return &emisws.GetDocumentsResponse{Return_: docs}, nil
		}, ruleGet),

		"GetSettings": soap.Op(func(ctx context.Context, c *soap.Call, _ *emisws.GetSettings) (*emisws.GetSettingsResponse, error) {
			s, err := svc.Settings(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			return &emisws.GetSettingsResponse{Return_: settingsOf(s, public, c.Principal.Tenant)}, nil
		}),

		"Configure": soap.Op(func(ctx context.Context, c *soap.Call, req *emisws.Configure) (*emisws.ConfigureResponse, error) {
			if !c.Principal.Admin {
				return nil, ErrAdminRequired
			}
			conf := emis.Config{PMSWebhookURL: req.PMSWebhookURL, EmisSecret: req.EmisSecret,
				PMSInSecret: req.PMSInSecret, PMSOutSecret: req.PMSOutSecret}
			if req.RetentionHours != nil {
				d := time.Duration(*req.RetentionHours) * time.Hour
				conf.Retention = &d
			}
			s, err := svc.Configure(ctx, c.Principal.Tenant, conf)
			if err != nil {
				return nil, err
			}
			return &emisws.ConfigureResponse{Return_: settingsOf(s, public, c.Principal.Tenant)}, nil
		}, ruleConfigure),

		"ListDeadLetters": soap.Op(func(ctx context.Context, c *soap.Call, _ *emisws.ListDeadLetters) (*emisws.ListDeadLettersResponse, error) {
			dls, err := svc.DeadLetters(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			out := &emisws.DeadLetterList{Item: make([]*emisws.DeadLetter, 0, len(dls))}
			for _, d := range dls {
				v, err1 := int32Of(d.Version)
				n, err2 := int32Of(int64(d.Attempts))
				if err1 != nil || err2 != nil {
					return nil, errTooLarge
				}
				out.Item = append(out.Item, &emisws.DeadLetter{Id: d.ID, LegalEntity: d.Legal, PersonId: d.PersonID,
					Version: v, Attempts: n, LastError: d.LastError, Created: xsd.At(d.Created), Died: xsd.At(d.Died)})
			}
			return &emisws.ListDeadLettersResponse{Return_: out}, nil
		}),

		"Redeliver": soap.Op(func(ctx context.Context, c *soap.Call, req *emisws.Redeliver) (*emisws.RedeliverResponse, error) {
			if err := svc.Redeliver(ctx, c.Principal.Tenant, req.Id); err != nil {
				return nil, err
			}
			return &emisws.RedeliverResponse{Return_: true}, nil
		}, ruleRedeliver),
	})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

var errTooLarge = apperr.New(apperr.Internal, "EMIS_VALUE_RANGE", "Номер версии или число попыток не помещается в xs:int")

func int32Of(v int64) (int32, error) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, errTooLarge
	}
	return int32(v), nil
}

// hookURL is the address of a webhook of tenant, or "" without a public URL.
func hookURL(public, path, tenant string) string {
	if public == "" {
		return ""
	}
	return public + path + "?" + url.Values{"tenant": {tenant}}.Encode()
}

func settingsOf(s emis.Settings, public, tenant string) *emisws.EmisSettings {
	return &emisws.EmisSettings{
		PMSWebhookURL: s.PMSWebhookURL, RetentionHours: int32(s.Retention / time.Hour),
		EmisSecretSet: s.EmisSecretSet, PMSInSecretSet: s.PMSInSecretSet, PMSOutSecretSet: s.PMSOutSecretSet,
		EmisCallbackURL: hookURL(public, "/hooks/emis", tenant), PMSHookURL: hookURL(public, "/hooks/pms", tenant),
	}
}

// civil is a civil date of the document model (yyyy-mm-dd) as 1C's xs:dateTime at midnight;
// "" is the empty date.
func civil(s string) (xsd.DateTime, error) {
	if s == "" {
		return xsd.DateTime{}, nil
	}
	t, err := time.Parse(emis.DateLayout, s)
	if err != nil {
		return xsd.DateTime{}, apperr.Wrap(err, apperr.Internal, "EMIS_DATA_INVALID", "Дата в документах гостя в неверном формате")
	}
	return xsd.Wall(t), nil
}

// dates converts several civil dates, keeping the first error.
type dates struct{ err error }

func (d *dates) of(s string) xsd.DateTime {
	v, err := civil(s)
	if err != nil && d.err == nil {
		d.err = err
	}
	return v
}

// guestDocumentsOf converts a domain result to the SOAP type GuestDocuments.
func guestDocumentsOf(r emis.Result) (*emisws.GuestDocuments, error) {
	ver, err := int32Of(r.Version)
	if err != nil {
		return nil, err
	}
	var d dates
	id := r.Documents.Identity
	out := &emisws.GuestDocuments{
		LegalEntity: r.LegalEntity, PersonId: r.PersonID, BookingId: r.BookingID, Version: ver,
		SavedAt: xsd.At(r.SavedAt), NamesScript: string(r.Script),
		Surname: r.Name.Surname, GivenNames: r.Name.Given, Patronymic: r.Name.Patronymic,
		Identity: &emisws.IdentityDocument{
			TypeCode: id.TypeCode, TypeName: emis.DocumentTypes[id.TypeCode], Series: id.Series, Number: id.Number,
			IssueDate: d.of(id.IssuedOn), ExpiryDate: d.of(id.ExpiresOn), Issuer: id.Issuer,
			Nationality: id.Nationality, Sex: id.Sex, BirthDate: d.of(id.BirthDate), BirthPlace: id.BirthPlace,
			SurnameCyrillic: id.Cyrillic.Surname, GivenNamesCyrillic: id.Cyrillic.Given, PatronymicCyrillic: id.Cyrillic.Patronymic,
			SurnameLatin: id.Latin.Surname, GivenNamesLatin: id.Latin.Given, PatronymicLatin: id.Latin.Patronymic,
		},
		StayDocuments: &emisws.StayDocumentList{Item: make([]*emisws.StayDocument, 0, len(r.Documents.Stay))},
		Visit: &emisws.Visit{Purpose: r.Documents.Visit.Purpose, PurposeName: emis.Purposes[r.Documents.Visit.Purpose],
			StayFrom: d.of(r.Documents.Visit.From), StayTo: d.of(r.Documents.Visit.To)},
		Warnings: &emisws.WarningList{Item: make([]*emisws.Warning, 0, len(r.Warnings))},
	}
	for _, s := range r.Documents.Stay {
		out.StayDocuments.Item = append(out.StayDocuments.Item, &emisws.StayDocument{Kind: string(s.Kind), Series: s.Series,
			Number: s.Number, ValidFrom: d.of(s.ValidFrom), ValidTo: d.of(s.ValidTo), Entries: s.Entries, Selected: s.Selected})
	}
	if mc := r.Documents.MigrationCard; mc != nil {
		out.MigrationCard = &emisws.MigrationCard{Series: mc.Series, Number: mc.Number, EntryDate: d.of(mc.EntryDate)}
	}
	for _, w := range r.Warnings {
		out.Warnings.Item = append(out.Warnings.Item, &emisws.Warning{Code: w.Code, Field: w.Field, Message: w.Message})
	}
	if d.err != nil {
		return nil, d.err
	}
	return out, nil
}
