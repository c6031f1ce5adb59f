package sepsoap

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/sep"
)

type xParty struct {
	Role   string `xml:"Role,omitempty"`
	Inn    string `xml:"Inn"`
	Ogrn   string `xml:"Ogrn"`
	Name   string `xml:"Name"`
	Status string `xml:"Status"`
	Email  string `xml:"Email,omitempty"`
}

type xVehicle struct {
	Epts string `xml:"Epts"`
	Vin  string `xml:"Vin"`
}

type xDoc struct {
	Name   string `xml:"Name"`
	Number string `xml:"Number"`
	Date   string `xml:"Date"`
}

type xGetApplications struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1:data GetApplications"`
	Inn     string   `xml:"Inn"`
	From    string   `xml:"From"`
	To      string   `xml:"To"`
}

type xGetApplication struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1:data GetApplication"`
	Number  string   `xml:"Number,omitempty"`
	Epts    string   `xml:"Epts,omitempty"`
}

type xConfirm struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1:data ConfirmApplication"`
	Number  string   `xml:"Number"`
	Inn     string   `xml:"Inn"`
	Status  string   `xml:"Status"`
	Code    string   `xml:"Code"`
}

type xLease struct {
	XMLName  xml.Name   `xml:"urn:sep-sim:v1:data CreateLeaseApplication"`
	Document xDoc       `xml:"Document"`
	LeaseEnd string     `xml:"LeaseEnd"`
	Deadline string     `xml:"Deadline"`
	Vehicle  []xVehicle `xml:"Vehicle"`
	Lessor   xParty     `xml:"Lessor"`
	Lessee   xParty     `xml:"Lessee"`
}

// Encode renders a request body as its payload document (UTF-8, with an XML declaration).
// The same body always gives the same bytes.
func (c *Client) Encode(b sep.Body) ([]byte, error) {
	var v any
	switch b := b.(type) {
	case sep.ApplicationsQuery:
		v = xGetApplications{Inn: b.INN, From: b.From.Format(dateFmt), To: b.To.Format(dateFmt)}
	case sep.ApplicationQuery:
		v = xGetApplication{Number: b.Number, Epts: b.EPTS}
	case sep.Confirmation:
		v = xConfirm{Number: b.Number, Inn: b.PartyINN, Status: string(b.Status), Code: b.Code}
	case sep.LeaseProposal:
		x := xLease{Document: xDoc{Name: b.DocName, Number: b.DocNumber, Date: b.DocDate.Format(dateFmt)},
			LeaseEnd: b.LeaseEnd.Format(dateFmt), Deadline: b.Deadline.Format(dateFmt),
			Lessor: xParty{Inn: b.Lessor.INN, Ogrn: b.Lessor.OGRN, Name: b.Lessor.Name, Status: string(b.Lessor.Status)},
			Lessee: xParty{Inn: b.Lessee.INN, Ogrn: b.Lessee.OGRN, Name: b.Lessee.Name, Status: string(b.Lessee.Status), Email: b.LesseeEmail}}
		for _, veh := range b.Vehicles {
			x.Vehicle = append(x.Vehicle, xVehicle{Epts: veh.EPTS, Vin: veh.VIN})
		}
		v = x
	default:
		return nil, fmt.Errorf("sepsoap: no payload for %T", b)
	}
	out, err := xml.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

type xApplications struct {
	XMLName     xml.Name `xml:"urn:sep-sim:v1:data Applications"`
	Application []struct {
		Number   string     `xml:"Number"`
		Type     string     `xml:"Type"`
		Status   string     `xml:"Status"`
		Created  string     `xml:"Created"`
		Updated  string     `xml:"Updated"`
		Executed string     `xml:"Executed"`
		Deadline string     `xml:"Deadline"`
		Document *xDoc      `xml:"Document"`
		LeaseEnd string     `xml:"LeaseEnd"`
		Vehicle  []xVehicle `xml:"Vehicle"`
		Party    []xParty   `xml:"Party"`
	} `xml:"Application"`
}

var (
	numberRe = regexp.MustCompile(`^[0-9A-Za-zА-Яа-яЁё/_\-]{1,40}$`)
	eptsRe   = regexp.MustCompile(`^\d{15}$`)
	vinRe    = regexp.MustCompile(`^[A-HJ-NPR-Z0-9]{17}$`)
	innRe    = regexp.MustCompile(`^(\d{10}|\d{12})$`)
)

// decodeApplications reads a result document. What the hub keys records on (numbers, types,
// EPTS, INNs, statuses, dates) must be well-formed, or the answer is malformed: nothing of it
// is stored.
func decodeApplications(doc []byte) ([]sep.Application, error) {
	var x xApplications
	if err := unmarshal(doc, &x); err != nil {
		return nil, malformed("result document: %v", err)
	}
	out := make([]sep.Application, 0, len(x.Application))
	for _, xa := range x.Application {
		a := sep.Application{Number: strings.TrimSpace(xa.Number), Type: sep.AppType(strings.TrimSpace(xa.Type)),
			Status: clip(xa.Status, 64)}
		if !numberRe.MatchString(a.Number) {
			return nil, malformed("bad application number")
		}
		if a.Type != sep.OwnershipChange && a.Type != sep.Lease {
			return nil, malformed("unknown application type")
		}
		var err error
		if a.Created, err = stamp(xa.Created, true); err != nil {
			return nil, err
		}
		if a.Updated, err = stamp(xa.Updated, true); err != nil {
			return nil, err
		}
		if a.Executed, err = stamp(xa.Executed, false); err != nil {
			return nil, err
		}
		if a.Deadline, err = date(xa.Deadline); err != nil {
			return nil, err
		}
		if d := xa.Document; d != nil {
			a.DocName, a.DocNumber = clip(d.Name, 200), clip(d.Number, 64)
			if a.DocDate, err = date(d.Date); err != nil {
				return nil, err
			}
		}
		if a.LeaseEnd, err = date(xa.LeaseEnd); err != nil {
			return nil, err
		}
		for _, v := range xa.Vehicle {
			veh := sep.Vehicle{EPTS: strings.TrimSpace(v.Epts), VIN: strings.ToUpper(strings.TrimSpace(v.Vin))}
			if !eptsRe.MatchString(veh.EPTS) || (veh.VIN != "" && !vinRe.MatchString(veh.VIN)) {
				return nil, malformed("bad EPTS or VIN")
			}
			a.Vehicles = append(a.Vehicles, veh)
		}
		for _, p := range xa.Party {
			pt := sep.Party{Role: clip(p.Role, 32), INN: strings.TrimSpace(p.Inn), OGRN: strings.TrimSpace(p.Ogrn),
				Name: clip(p.Name, 300), Status: sep.PartyStatus(strings.TrimSpace(p.Status))}
			switch pt.Status {
			case sep.PartyPending, sep.PartyConfirmed, sep.PartyNotApplicable, sep.PartyRejected:
			default:
				return nil, malformed("unknown party status")
			}
			if !innRe.MatchString(pt.INN) {
				return nil, malformed("bad party INN")
			}
			a.Parties = append(a.Parties, pt)
		}
		out = append(out, a)
	}
	return out, nil
}

func stamp(s string, required bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" && !required {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, malformed("bad timestamp")
	}
	return t.UTC(), nil
}

func date(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateFmt, s)
	if err != nil {
		return time.Time{}, malformed("bad date")
	}
	return t, nil
}
