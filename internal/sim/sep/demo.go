package sepsim

import (
	"fmt"
	"time"
)

// Demo participants. The INNs and OGRNs carry valid check digits.
const (
	DemoLessorINN  = "7701000001" // the leasing company, the hub's demo tenant
	DemoLessorOGRN = "1027700000019"
	DemoDealerINN  = "7727000013"
	DemoDealerOGRN = "1027700000020"
	DemoLesseeINN  = "5031000024"
	DemoLesseeOGRN = "1055000000032"
	// DemoMailbox is where SEP writes to the leasing company: the hub's inbound address.
	DemoMailbox = "sep@demo-leasing.example"
	// DemoTechMailbox is the leasing company's technical mailbox for lessee codes.
	DemoTechMailbox = "sep-tech@demo-leasing.example"
)

// DemoParticipants returns the demo organisations (without keys: the hub's organisation
// key is registered with SetPublicKey).
func DemoParticipants() []Participant {
	return []Participant{
		{INN: DemoLessorINN, OGRN: DemoLessorOGRN, Name: "ООО «Демо Лизинг»", Email: DemoMailbox},
		{INN: DemoDealerINN, OGRN: DemoDealerOGRN, Name: "ООО «Скан-Дилер»", Email: "sep@dealer.example"},
		{INN: DemoLesseeINN, OGRN: DemoLesseeOGRN, Name: "ООО «Магистраль-Перевозки»", Email: "sep@magistral.example"},
	}
}

// DemoVehicles returns the demo trucks: the first two belong to the dealer (and get
// ownership-change applications from LoadDemo), the third already to the leasing company.
func DemoVehicles() []Vehicle {
	return []Vehicle{
		{EPTS: "164301000000101", VIN: "YS2R4X20005399401", Make: "SCANIA", Model: "R440 A4X2NA", OwnerINN: DemoDealerINN},
		{EPTS: "164301000000102", VIN: "YS2R4X20005399402", Make: "SCANIA", Model: "S500 A4X2NB", OwnerINN: DemoDealerINN},
		{EPTS: "164301000000103", VIN: "YS2G4X20005399403", Make: "SCANIA", Model: "G410 B6X4HZ", OwnerINN: DemoLessorINN},
	}
}

// LoadDemo adds the demo participants and vehicles and lets the dealer start an ownership
// change to the leasing company for each of its trucks, which e-mails the codes. It returns
// the application numbers.
func (s *Sim) LoadDemo() ([]string, error) {
	for _, p := range DemoParticipants() {
		if _, ok := s.participant(p.INN); !ok {
			s.AddParticipant(p)
		}
	}
	var numbers []string
	deadline := s.clk.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 14)
	for _, v := range DemoVehicles() {
		s.AddVehicle(v)
		if v.OwnerINN != DemoDealerINN {
			continue
		}
		n, err := s.CreateOwnershipChange(v.EPTS, DemoLessorINN, deadline)
		if err != nil {
			return nil, fmt.Errorf("sepsim: demo: %w", err)
		}
		numbers = append(numbers, n)
	}
	return numbers, nil
}

func (s *Sim) participant(inn string) (Participant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.participants[inn]
	if p == nil {
		return Participant{}, false
	}
	return *p, true
}
