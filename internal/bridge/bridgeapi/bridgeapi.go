// Package bridgeapi publishes the scanner bridge's hub side (package bridge) to 1C and to the
// hotel's administrator as the SOAP service Bridge (wsdl/Bridge.wsdl). It only translates.
//
// Operations, for the principal's tenant:
//
//	EnrollDevice(Name)                         a front-desk workstation's device id and secret
//	                                           (shown once) and the upload address — administrator
//	RevokeDevice(DeviceId)                     refuse the device's uploads from now on — administrator
//	ListDevices                                devices with their last upload time — administrator
//	GetScannedDocuments(LegalEntity, PersonId) the guest's documents as the scanner read them,
//	                                           with the warnings and the sources' disagreements
package bridgeapi

import (
	"context"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/bridgews"
)

// Version is the interface version of the Bridge service.
const Version = "1.0"

// Options configure the service.
type Options struct {
	// PublicURL is the hub's base URL as bridges reach it; EnrollDevice derives the upload
	// address from it (empty: the address is left empty).
	PublicURL string
}

var (
	ruleEnroll = soap.Rule{Type: bridgews.EnrollDevice{}, Fields: map[string]string{"Name": "required,max=400"}}
	ruleRevoke = soap.Rule{Type: bridgews.RevokeDevice{}, Fields: map[string]string{"DeviceId": "required,max=64"}}
	ruleGet    = soap.Rule{Type: bridgews.GetScannedDocuments{}, Fields: map[string]string{"LegalEntity": "max=64", "PersonId": "max=64"}}
)

// New returns the Bridge SOAP service over svc.
func New(svc *bridge.Service, o Options) *soap.Service {
	public := strings.TrimRight(o.PublicURL, "/")
	return soap.MustService(wsdl.Bridge, Version, map[string]soap.Operation{
		"EnrollDevice": soap.Op(func(ctx context.Context, c *soap.Call, req *bridgews.EnrollDevice) (*bridgews.EnrollDeviceResponse, error) {
			if !c.Principal.Admin {
				return nil, bridge.ErrAdminRequired
			}
			en, err := svc.EnrollDevice(ctx, c.Principal.Tenant, req.Name)
			if err != nil {
				return nil, err
			}
			return &bridgews.EnrollDeviceResponse{Return_: &bridgews.DeviceEnrollment{Device: deviceOf(en.Device), Secret: en.Secret,
				UploadURL: UploadURL(public, c.Principal.Tenant), Tenant: c.Principal.Tenant}}, nil
		}, ruleEnroll),

		"RevokeDevice": soap.Op(func(ctx context.Context, c *soap.Call, req *bridgews.RevokeDevice) (*bridgews.RevokeDeviceResponse, error) {
			if !c.Principal.Admin {
				return nil, bridge.ErrAdminRequired
			}
			d, err := svc.RevokeDevice(ctx, c.Principal.Tenant, req.DeviceId)
			if err != nil {
				return nil, err
			}
			return &bridgews.RevokeDeviceResponse{Return_: deviceOf(d)}, nil
		}, ruleRevoke),

		"ListDevices": soap.Op(func(ctx context.Context, c *soap.Call, _ *bridgews.ListDevices) (*bridgews.ListDevicesResponse, error) {
			if !c.Principal.Admin {
				return nil, bridge.ErrAdminRequired
			}
			ds, err := svc.Devices(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			out := &bridgews.DeviceList{Item: make([]*bridgews.Device, 0, len(ds))}
			for _, d := range ds {
				out.Item = append(out.Item, deviceOf(d))
			}
			return &bridgews.ListDevicesResponse{Return_: out}, nil
		}),

		"GetScannedDocuments": soap.Op(func(ctx context.Context, c *soap.Call, req *bridgews.GetScannedDocuments) (*bridgews.GetScannedDocumentsResponse, error) {
			g, err := svc.GuestDocuments(ctx, c.Principal.Tenant, req.LegalEntity, req.PersonId)
			if err != nil {
				return nil, err
			}
			out, err := ScannedDocumentsOf(g)
			if err != nil {
				return nil, err
			}
			return &bridgews.GetScannedDocumentsResponse{Return_: out}, nil
		}, ruleGet),
	})
}

// UploadURL is the address a tenant's bridges upload to, or "" without a public URL.
func UploadURL(public, tenant string) string {
	if public == "" {
		return ""
	}
	return strings.TrimRight(public, "/") + wire.Path + "?" + url.Values{"tenant": {tenant}}.Encode()
}

func deviceOf(d bridge.Device) *bridgews.Device {
	return &bridgews.Device{DeviceId: d.ID, Name: d.Name, Created: xsd.At(d.Created), Revoked: d.Revoked,
		RevokedAt: xsd.At(d.RevokedAt), LastSeen: xsd.At(d.LastSeen)}
}

// civil is a civil date of the document model as 1C's xs:dateTime at midnight.
type dates struct{ err error }

func (d *dates) of(s string) xsd.DateTime {
	if s == "" {
		return xsd.DateTime{}
	}
	t, err := time.Parse(emis.DateLayout, s)
	if err != nil {
		if d.err == nil {
			d.err = apperr.Wrap(err, apperr.Internal, "BRIDGE_DATA_INVALID", "Дата в документах гостя в неверном формате")
		}
		return xsd.DateTime{}
	}
	return xsd.Wall(t)
}

// ScannedDocumentsOf converts a guest's scanned documents to the SOAP type.
func ScannedDocumentsOf(g bridge.GuestDocuments) (*bridgews.ScannedDocuments, error) {
	r := g.Result
	if r.Version < math.MinInt32 || r.Version > math.MaxInt32 {
		return nil, apperr.New(apperr.Internal, "BRIDGE_VALUE_RANGE", "Номер версии не помещается в xs:int")
	}
	var d dates
	out := &bridgews.ScannedDocuments{
		LegalEntity: r.LegalEntity, PersonId: r.PersonID, BookingId: r.BookingID, Version: int32(r.Version),
		UpdatedAt: xsd.At(r.SavedAt), NamesScript: string(r.Script),
		Surname: r.Name.Surname, GivenNames: r.Name.Given, Patronymic: r.Name.Patronymic,
		StayDocuments: &bridgews.ScannedStayDocumentList{Item: make([]*bridgews.ScannedStayDocument, 0, len(r.Documents.Stay))},
		VisitPurpose:  r.Documents.Visit.Purpose, VisitPurposeName: emis.Purposes[r.Documents.Visit.Purpose],
		Warnings:      &bridgews.WarningList{Item: make([]*bridgews.Warning, 0, len(r.Warnings))},
		Disagreements: &bridgews.DisagreementList{Item: make([]*bridgews.Disagreement, 0, len(g.Disagreements))},
	}
	if g.Identity != nil {
		id := r.Documents.Identity
		out.Identity = &bridgews.ScannedIdentity{
			TypeCode: id.TypeCode, TypeName: emis.DocumentTypes[id.TypeCode], Series: id.Series, Number: id.Number,
			IssueDate: d.of(id.IssuedOn), ExpiryDate: d.of(id.ExpiresOn), Issuer: id.Issuer, Nationality: id.Nationality,
			Sex: id.Sex, BirthDate: d.of(id.BirthDate), BirthPlace: id.BirthPlace,
			SurnameCyrillic: id.Cyrillic.Surname, GivenNamesCyrillic: id.Cyrillic.Given, PatronymicCyrillic: id.Cyrillic.Patronymic,
			SurnameLatin: id.Latin.Surname, GivenNamesLatin: id.Latin.Given, PatronymicLatin: id.Latin.Patronymic,
			DocumentName: g.Identity.DocumentName, TransactionId: g.Identity.TransactionID, Device: g.Identity.Device,
			ReadAt: xsd.At(g.Identity.ReadAt),
		}
	}
	for i, s := range r.Documents.Stay {
		item := &bridgews.ScannedStayDocument{Kind: string(s.Kind), Series: s.Series, Number: s.Number,
			ValidFrom: d.of(s.ValidFrom), ValidTo: d.of(s.ValidTo), Entries: s.Entries, Selected: s.Selected}
		if i < len(g.Stay) {
			ri := g.Stay[i]
			item.DocumentName, item.TransactionId, item.Device, item.ReadAt = ri.DocumentName, ri.TransactionID, ri.Device, xsd.At(ri.ReadAt)
		}
		out.StayDocuments.Item = append(out.StayDocuments.Item, item)
	}
	for _, w := range r.Warnings {
		out.Warnings.Item = append(out.Warnings.Item, &bridgews.Warning{Code: w.Code, Field: w.Field, Message: w.Message})
	}
	for _, x := range g.Disagreements {
		out.Disagreements.Item = append(out.Disagreements.Item, &bridgews.Disagreement{Field: x.Field, Label: x.Label,
			Source: x.Source, Value: x.Value, OtherSource: x.OtherSource, OtherValue: x.OtherValue})
	}
	if len(g.Portrait) > 0 {
		p := xsd.Base64Binary(g.Portrait)
		out.Portrait = &p
	}
	if d.err != nil {
		return nil, d.err
	}
	return out, nil
}
