// Package hubsvc is the Hub SOAP service (wsdl/Hub.wsdl): the probe a 1C configuration calls
// to check its connection settings, and the interface versions of every service the hub
// publishes.
package hubsvc

import (
	"context"
	"sort"

	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/hubws"
)

// Version is the interface version of the Hub service.
const Version = "1.0"

// New returns the Hub service. GetVersions reports the Hub itself and the given services,
// so a service appears there by being passed here:
//
//	svcs := []*soap.Service{kontur, sep, …}
//	h := soap.NewHandler(opts, append(svcs, hubsvc.New(clk, svcs...))...)
func New(clk clock.Clock, services ...*soap.Service) *soap.Service {
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
	})
}

// Pong is Ping's answer: "pong", the caller's tenant and the hub's time in the tenant's zone,
// e.g. "pong; tenant=demo; time=2025-03-01T12:00:00". A 1C probe checks that the answer starts
// with "pong"; a person reading it sees which tenant the credentials belong to and whether
// the hub's time zone setting matches the base's.
func Pong(tenant, localTime string) string {
	return "pong; tenant=" + tenant + "; time=" + localTime
}
