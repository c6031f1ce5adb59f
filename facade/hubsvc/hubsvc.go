// Package hubsvc is the Hub SOAP service (wsdl/Hub.wsdl): the probe a 1C configuration calls
// to check its connection settings, the interface versions of every service the hub
// publishes, and the tenant's retention of personal data (GetRetention, SetRetention).
package hubsvc

import (
	"context"
	"sort"
	"time"

	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/tenants"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/hubws"
)

// Version is the interface version of the Hub service (1.1: GetRetention, SetRetention).
const Version = "1.1"

// Retention keeps the tenants' retention of personal data; *tenants.Registry implements it.
type Retention interface {
	Retention(ctx context.Context, tenant string) (time.Duration, error)
	SetRetention(ctx context.Context, tenant string, d time.Duration) (time.Duration, error)
}

// Options configure the Hub service.
type Options struct {
	Clock clock.Clock
	// Retention serves GetRetention and SetRetention; nil answers them with
	// HUB_RETENTION_UNAVAILABLE.
	Retention Retention
	// Profile and PersonalDataAllowed describe the deployment (app.Deployment), so that a 1C
	// administrator sees where the hub keeps personal data.
	Profile             string
	PersonalDataAllowed bool
}

// Errors of the retention operations.
var (
	ErrAdminRequired = apperr.New(apperr.Forbidden, "HUB_ADMIN_REQUIRED",
		"Изменить срок хранения персональных данных может только администратор абонента")
	ErrRetentionUnavailable = apperr.New(apperr.Unavailable, "HUB_RETENTION_UNAVAILABLE",
		"Срок хранения персональных данных в этой сборке хаба недоступен")
)

// New returns the Hub service without the retention operations' store: see NewWith.
func New(clk clock.Clock, services ...*soap.Service) *soap.Service {
	return NewWith(Options{Clock: clk}, services...)
}

// NewWith returns the Hub service. GetVersions reports the Hub itself and the given services,
// so a service appears there by being passed here:
//
//	svcs := []*soap.Service{kontur, sep, …}
//	h := soap.NewHandler(opts, append(svcs, hubsvc.NewWith(hubsvc.Options{…}, svcs...))...)
func NewWith(o Options, services ...*soap.Service) *soap.Service {
	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	versions := []*hubws.ServiceVersion{{Service: "Hub", Version: Version}}
	for _, s := range services {
		versions = append(versions, &hubws.ServiceVersion{Service: s.Name, Version: s.Version})
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].Service < versions[j].Service })
	return soap.MustService(wsdl.Hub, Version, map[string]soap.Operation{
		"Ping": soap.Op(func(ctx context.Context, c *soap.Call, _ *hubws.Ping) (*hubws.PingResponse, error) {
			return &hubws.PingResponse{Return_: Pong(c.Principal.Tenant, xsd.FormatTime(clk.Now(), c.Location))}, nil
		}),
		"GetVersions": soap.Op(func(ctx context.Context, c *soap.Call, _ *hubws.GetVersions) (*hubws.GetVersionsResponse, error) {
			return &hubws.GetVersionsResponse{Return_: &hubws.ServiceVersionList{Item: versions}}, nil
		}),
		"GetRetention": soap.Op(func(ctx context.Context, c *soap.Call, _ *hubws.GetRetention) (*hubws.GetRetentionResponse, error) {
			if o.Retention == nil {
				return nil, ErrRetentionUnavailable
			}
			d, err := o.Retention.Retention(ctx, c.Principal.Tenant)
			if err != nil {
				return nil, err
			}
			return &hubws.GetRetentionResponse{Return_: o.retention(d)}, nil
		}),
		"SetRetention": soap.Op(func(ctx context.Context, c *soap.Call, req *hubws.SetRetention) (*hubws.SetRetentionResponse, error) {
			if o.Retention == nil {
				return nil, ErrRetentionUnavailable
			}
			if !c.Principal.Admin {
				return nil, ErrAdminRequired
			}
			// Checked before the multiplication, which could overflow; the registry checks the
			// rest (from 1 hour, 0 for the default).
			if req.Hours < 0 || time.Duration(req.Hours) > tenants.MaxRetention/time.Hour {
				return nil, tenants.ErrRetentionInvalid
			}
			d, err := o.Retention.SetRetention(ctx, c.Principal.Tenant, time.Duration(req.Hours)*time.Hour)
			if err != nil {
				return nil, err
			}
			return &hubws.SetRetentionResponse{Return_: o.retention(d)}, nil
		}),
	})
}

func (o Options) retention(d time.Duration) *hubws.Retention {
	return &hubws.Retention{
		Hours:        int32(d / time.Hour),
		DefaultHours: int32(tenants.DefaultRetention / time.Hour),
		MinHours:     int32(tenants.MinRetention / time.Hour),
		MaxHours:     int32(tenants.MaxRetention / time.Hour),
		Profile:      o.Profile, PersonalDataAllowed: o.PersonalDataAllowed,
	}
}

// Pong is Ping's answer: "pong", the caller's tenant and the hub's time in the tenant's zone,
// e.g. "pong; tenant=demo; time=2025-03-01T12:00:00". A 1C probe checks that the answer starts
// with "pong"; a person reading it sees which tenant the credentials belong to and whether
// the hub's time zone setting matches the base's.
func Pong(tenant, localTime string) string {
	return "pong; tenant=" + tenant + "; time=" + localTime
}
