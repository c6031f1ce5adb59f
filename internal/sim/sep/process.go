package sepsim

import (
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Payload documents (DataNS), as the hub signs and sends them.

type pGetApplications struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1:data GetApplications"`
	Inn     string   `xml:"Inn"`
	From    string   `xml:"From"`
	To      string   `xml:"To"`
}

type pGetApplication struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1:data GetApplication"`
	Number  string   `xml:"Number"`
	Epts    string   `xml:"Epts"`
}

type pConfirm struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1:data ConfirmApplication"`
	Number  string   `xml:"Number"`
	Inn     string   `xml:"Inn"`
	Status  string   `xml:"Status"`
	Code    string   `xml:"Code"`
}

type pParty struct {
	Inn    string `xml:"Inn"`
	Ogrn   string `xml:"Ogrn"`
	Name   string `xml:"Name"`
	Status string `xml:"Status"`
	Email  string `xml:"Email"`
}

type pVehicle struct {
	Epts string `xml:"Epts"`
	Vin  string `xml:"Vin"`
}

type pLease struct {
	XMLName  xml.Name `xml:"urn:sep-sim:v1:data CreateLeaseApplication"`
	Document struct {
		Name   string `xml:"Name"`
		Number string `xml:"Number"`
		Date   string `xml:"Date"`
	} `xml:"Document"`
	LeaseEnd string     `xml:"LeaseEnd"`
	Deadline string     `xml:"Deadline"`
	Vehicle  []pVehicle `xml:"Vehicle"`
	Lessor   pParty     `xml:"Lessor"`
	Lessee   pParty     `xml:"Lessee"`
}

// Result documents.

type rApplications struct {
	XMLName     xml.Name `xml:"urn:sep-sim:v1:data Applications"`
	Application []rApp   `xml:"Application"`
}

type rDoc struct {
	Name   string `xml:"Name"`
	Number string `xml:"Number"`
	Date   string `xml:"Date"`
}

type rParty struct {
	Role   string `xml:"Role"`
	Inn    string `xml:"Inn"`
	Ogrn   string `xml:"Ogrn"`
	Name   string `xml:"Name"`
	Status string `xml:"Status"`
}

type rApp struct {
	Number   string     `xml:"Number"`
	Type     string     `xml:"Type"`
	Status   string     `xml:"Status"`
	Created  string     `xml:"Created"`
	Updated  string     `xml:"Updated"`
	Executed string     `xml:"Executed,omitempty"`
	Deadline string     `xml:"Deadline"`
	Document *rDoc      `xml:"Document,omitempty"`
	LeaseEnd string     `xml:"LeaseEnd,omitempty"`
	Vehicle  []pVehicle `xml:"Vehicle"`
	Party    []rParty   `xml:"Party"`
}

const dateLayout = "2006-01-02"

// checkPayload reads the payload as SEP would on arrival: an unreadable document is a
// request error at once, while business rules are checked when the request is processed.
func checkPayload(reqType string, payload []byte) error {
	_, err := decodePayload(reqType, payload)
	return err
}

func decodePayload(reqType string, payload []byte) (any, error) {
	var v any
	switch reqType {
	case "GetApplications":
		v = &pGetApplications{}
	case "GetApplication":
		v = &pGetApplication{}
	case "ConfirmApplication":
		v = &pConfirm{}
	case "CreateLeaseApplication":
		v = &pLease{}
	default:
		return nil, errors.New("unknown request type")
	}
	if err := xml.Unmarshal(payload, v); err != nil {
		return nil, err
	}
	return v, nil
}

// reject is a business error found while processing.
type reject struct{ sepError }

func (r reject) Error() string { return r.Code }

func rejectf(code, format string, args ...any) error {
	return reject{sepError{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// process runs a queued request once; s.mu is held.
func (s *Sim) process(q *queued, now time.Time) {
	q.processed = true
	v, err := decodePayload(q.reqType, q.payload)
	var apps []*Application
	if err == nil {
		switch p := v.(type) {
		case *pGetApplications:
			apps, err = s.listApps(q.sender, p)
		case *pGetApplication:
			apps, err = s.findApps(q.sender, p)
		case *pConfirm:
			apps, err = s.confirm(q.sender, p, now)
		case *pLease:
			apps, err = s.createLease(q.sender, p, now)
		}
	}
	var rj reject
	switch {
	case errors.As(err, &rj):
		q.state, q.errors = StateRejected, []sepError{rj.sepError}
		return
	case err != nil:
		q.state, q.errors = StateRejected, []sepError{{Code: "XML_READ_ERROR", Message: err.Error()}}
		return
	}
	doc := rApplications{}
	for _, a := range apps {
		doc.Application = append(doc.Application, s.render(a))
	}
	out, err := xml.Marshal(doc)
	if err != nil {
		q.state, q.errors = StateRejected, []sepError{{Code: "INTERNAL", Message: err.Error()}}
		return
	}
	q.state, q.result = StateCompleted, append([]byte(xml.Header), out...)
}

func (s *Sim) render(a *Application) rApp {
	r := rApp{
		Number: a.Number, Type: a.Type, Status: a.Status,
		Created: a.Created.Format(time.RFC3339), Updated: a.Updated.Format(time.RFC3339),
		Deadline: a.Deadline.Format(dateLayout),
	}
	if !a.Executed.IsZero() {
		r.Executed = a.Executed.Format(time.RFC3339)
	}
	if a.Type == TypeLease {
		r.Document = &rDoc{Name: a.DocName, Number: a.DocNumber, Date: a.DocDate.Format(dateLayout)}
		r.LeaseEnd = a.LeaseEnd.Format(dateLayout)
	}
	for _, e := range a.EPTS {
		v := pVehicle{Epts: e}
		if veh := s.vehicles[e]; veh != nil {
			v.Vin = veh.VIN
		}
		r.Vehicle = append(r.Vehicle, v)
	}
	for _, p := range a.Parties {
		r.Party = append(r.Party, rParty{Role: p.Role, Inn: p.INN, Ogrn: p.OGRN, Name: p.Name, Status: p.Status})
	}
	return r
}

func isParty(a *Application, inn string) bool {
	for _, p := range a.Parties {
		if p.INN == inn {
			return true
		}
	}
	return false
}

func sortApps(apps []*Application) {
	sort.Slice(apps, func(i, j int) bool { return apps[i].Number < apps[j].Number })
}

func (s *Sim) listApps(sender string, p *pGetApplications) ([]*Application, error) {
	if p.Inn != sender {
		return nil, rejectf("ACCESS_DENIED", "Запрос заявлений другой организации запрещён")
	}
	from, err1 := time.Parse(dateLayout, p.From)
	to, err2 := time.Parse(dateLayout, p.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return nil, rejectf("PERIOD_INVALID", "Неверный период запроса")
	}
	var out []*Application
	for _, a := range s.apps {
		d := a.Created.Truncate(24 * time.Hour)
		if isParty(a, sender) && !d.Before(from) && !d.After(to) {
			out = append(out, a)
		}
	}
	sortApps(out)
	return out, nil
}

func (s *Sim) findApps(sender string, p *pGetApplication) ([]*Application, error) {
	var out []*Application
	switch {
	case p.Number != "":
		a := s.apps[p.Number]
		if a == nil {
			return nil, rejectf("APPLICATION_NOT_FOUND", "Заявление %s не найдено", p.Number)
		}
		if !isParty(a, sender) {
			return nil, rejectf("ACCESS_DENIED", "Организация не является стороной заявления %s", p.Number)
		}
		out = append(out, a)
	case p.Epts != "":
		for _, a := range s.apps {
			for _, e := range a.EPTS {
				if e == p.Epts && isParty(a, sender) {
					out = append(out, a)
					break
				}
			}
		}
		if len(out) == 0 {
			return nil, rejectf("APPLICATION_NOT_FOUND", "Заявления по ЭПТС %s не найдены", p.Epts)
		}
	default:
		return nil, rejectf("QUERY_EMPTY", "Не указан номер заявления или ЭПТС")
	}
	sortApps(out)
	return out, nil
}

func (s *Sim) confirm(sender string, p *pConfirm, now time.Time) ([]*Application, error) {
	a := s.apps[p.Number]
	if a == nil {
		return nil, rejectf("APPLICATION_NOT_FOUND", "Заявление %s не найдено", p.Number)
	}
	if !isParty(a, sender) {
		return nil, rejectf("ACCESS_DENIED", "Организация не является стороной заявления %s", p.Number)
	}
	var party *Party
	for i := range a.Parties {
		if a.Parties[i].INN == p.Inn {
			party = &a.Parties[i]
		}
	}
	if party == nil {
		return nil, rejectf("PARTY_NOT_FOUND", "Сторона %s не участвует в заявлении", p.Inn)
	}
	if p.Status != PartyConfirmed && p.Status != PartyRejected {
		return nil, rejectf("STATUS_INVALID", "Статус подтверждения: Confirmed или Rejected")
	}
	rec := s.codes[strings.TrimSpace(p.Code)]
	if rec == nil || rec.app != a.Number || rec.inn != p.Inn {
		return nil, rejectf("CODE_UNKNOWN", "Неверный код подтверждения")
	}
	if rec.used {
		return nil, rejectf("CODE_USED", "Код подтверждения уже использован")
	}
	if a.Status != AppPending {
		return nil, rejectf("APPLICATION_CLOSED", "Заявление %s уже в статусе «%s»", a.Number, a.Status)
	}
	if now.Truncate(24 * time.Hour).After(a.Deadline) {
		return nil, rejectf("DEADLINE_PASSED", "Срок подтверждения заявления истёк %s", a.Deadline.Format("02.01.2006"))
	}
	rec.used = true
	party.Status = p.Status
	a.Updated = now
	s.settle(a, now)
	return []*Application{a}, nil
}

// settle moves an application to its final status once the parties have spoken: rejected
// by any, executed when every party confirmed.
func (s *Sim) settle(a *Application, now time.Time) {
	all := true
	for _, p := range a.Parties {
		if p.Status == PartyRejected {
			a.Status = AppRejected
			return
		}
		if p.Status != PartyConfirmed {
			all = false
		}
	}
	if !all {
		return
	}
	a.Status, a.Executed = AppExecuted, now
	for _, e := range a.EPTS {
		v := s.vehicles[e]
		if v == nil {
			continue
		}
		switch a.Type {
		case TypeOwnershipChange:
			v.OwnerINN, v.LesseeINN = partyINN(a, RoleNewOwner), ""
		case TypeLease:
			v.LesseeINN = partyINN(a, RoleLessee)
		}
	}
	// SEP tells the parties it knows a mailbox for.
	sent := map[string]bool{}
	for _, p := range a.Parties {
		to := p.Email
		if to == "" {
			if pt := s.participants[p.INN]; pt != nil {
				to = pt.Email
			}
		}
		if to == "" || sent[to] {
			continue
		}
		sent[to] = true
		for _, e := range a.EPTS {
			s.sendLetter(to, executedLetter(a, s.vehicles[e], e))
		}
	}
}

func partyINN(a *Application, role string) string {
	for _, p := range a.Parties {
		if p.Role == role {
			return p.INN
		}
	}
	return ""
}

func (s *Sim) createLease(sender string, p *pLease, now time.Time) ([]*Application, error) {
	if p.Lessor.Inn != sender {
		return nil, rejectf("ACCESS_DENIED", "Заявление на лизинг подаёт лизингодатель")
	}
	lessor, lessee := s.participants[p.Lessor.Inn], s.participants[p.Lessee.Inn]
	if lessee == nil {
		return nil, rejectf("LESSEE_UNKNOWN", "Лизингополучатель с ИНН %s не зарегистрирован в СЭП", p.Lessee.Inn)
	}
	if len(p.Vehicle) == 0 {
		return nil, rejectf("VEHICLES_EMPTY", "Не указаны ЭПТС")
	}
	docDate, err1 := time.Parse(dateLayout, p.Document.Date)
	leaseEnd, err2 := time.Parse(dateLayout, p.LeaseEnd)
	deadline, err3 := time.Parse(dateLayout, p.Deadline)
	if err1 != nil || err2 != nil || err3 != nil || p.Document.Number == "" {
		return nil, rejectf("DOCUMENT_INVALID", "Не заполнены реквизиты договора, срок лизинга или срок подтверждения")
	}
	if deadline.Before(now.Truncate(24 * time.Hour)) {
		return nil, rejectf("DEADLINE_INVALID", "Срок подтверждения в прошлом")
	}
	if p.Lessor.Status != PartyConfirmed && p.Lessor.Status != PartyPending {
		return nil, rejectf("STATUS_INVALID", "Статус лизингодателя: Confirmed или Pending")
	}
	if p.Lessee.Status != PartyNotApplicable && p.Lessee.Status != PartyPending {
		return nil, rejectf("STATUS_INVALID", "Статус лизингополучателя: NotApplicable или Pending")
	}
	if strings.TrimSpace(p.Lessee.Email) == "" {
		return nil, rejectf("EMAIL_REQUIRED", "Не указана почта для кода подтверждения лизингополучателя")
	}
	var epts []string
	for _, pv := range p.Vehicle {
		v := s.vehicles[pv.Epts]
		switch {
		case v == nil:
			return nil, rejectf("VEHICLE_NOT_FOUND", "ЭПТС %s не найден", pv.Epts)
		case v.OwnerINN != sender:
			return nil, rejectf("NOT_OWNER", "Лизингодатель не является собственником по ЭПТС %s", pv.Epts)
		case v.LesseeINN != "":
			return nil, rejectf("ALREADY_LEASED", "По ЭПТС %s уже внесены сведения о лизинге", pv.Epts)
		case s.openAppFor(pv.Epts) != "":
			return nil, rejectf("APPLICATION_EXISTS", "По ЭПТС %s есть заявление на согласовании", pv.Epts)
		}
		epts = append(epts, pv.Epts)
	}
	a := &Application{
		Number: s.nextNumber("L", now), Type: TypeLease, Status: AppPending,
		Created: now, Updated: now, Deadline: deadline, EPTS: epts,
		DocName: p.Document.Name, DocNumber: p.Document.Number, DocDate: docDate, LeaseEnd: leaseEnd,
		Parties: []Party{
			{Role: RoleLessor, INN: lessor.INN, OGRN: lessor.OGRN, Name: lessor.Name, Status: p.Lessor.Status},
			{Role: RoleLessee, INN: lessee.INN, OGRN: lessee.OGRN, Name: lessee.Name, Status: p.Lessee.Status,
				Email: strings.TrimSpace(p.Lessee.Email)},
		},
	}
	if a.Parties[0].Status != PartyConfirmed {
		a.Parties[0].Email = lessor.Email
	}
	s.apps[a.Number] = a
	for i := range a.Parties {
		if a.Parties[i].Status != PartyConfirmed {
			s.issueCode(a, &a.Parties[i])
		}
	}
	return []*Application{a}, nil
}
