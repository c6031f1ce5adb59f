// Package sepsim simulates АС «СЭП», the electronic vehicle passport system, as the hub sees
// it (INTEGRATIONS.md §4): a SOAP 1.1 document/literal service with two operations,
//
//	SendRequest(RequestType, ClientRequestId, SenderInn, SenderOgrn, Payload, Signature) → QueueId
//	GetResult(QueueId) → TooEarly | InProcess | Completed + Result | Rejected + Errors
//
// served over real HTTP with its own WSDL (GET /sep?wsdl). Requests are processed
// asynchronously: a result may be asked for no sooner than 60 s after the queue number was
// issued, by the simulator's clock (injectable, so tests share one fake clock with the hub).
// The simulator records every call with its time, so tests can assert that no GetResult came
// early.
//
// It keeps participants (with their Ed25519 public keys: payloads carry a detached signature),
// vehicles and applications of two types, OwnershipChange and Lease, whose parties confirm
// with one-time codes that SEP e-mails; the letters go to a local outbox as raw MIME, the way
// SES stores inbound mail. Fault switches (malformed XML, request errors, slow answers, lost
// results) can be set at runtime, from Go or over HTTP (/admin/faults).
package sepsim

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
)

// Application types, party statuses and application statuses of the protocol.
const (
	TypeOwnershipChange = "OwnershipChange"
	TypeLease           = "Lease"

	PartyPending       = "Pending"
	PartyConfirmed     = "Confirmed"
	PartyNotApplicable = "NotApplicable"
	PartyRejected      = "Rejected"

	AppPending  = "На согласовании"
	AppExecuted = "Исполнен"
	AppRejected = "Отклонен"

	RoleCurrentOwner = "CurrentOwner"
	RoleNewOwner     = "NewOwner"
	RoleLessor       = "Lessor"
	RoleLessee       = "Lessee"
)

// Result states of GetResult.
const (
	StateTooEarly  = "TooEarly"
	StateInProcess = "InProcess"
	StateCompleted = "Completed"
	StateRejected  = "Rejected"
)

// Options configure a simulator; zero values take the defaults.
type Options struct {
	Clock clock.Clock // default: the wall clock
	// MinDelay is SEP's rule: GetResult before it has passed since the queue number answers
	// TooEarly and is recorded as a violation. Default 60 s.
	MinDelay time.Duration
	// ProcessingTime is how long after MinDelay a request stays InProcess. Default 0.
	ProcessingTime time.Duration
	// OutboxDir, when set, also receives every letter as <n>-<id>.eml (raw MIME), like the
	// S3 folder SES writes inbound mail to.
	OutboxDir string
	Log       *slog.Logger
}

// Participant is an organisation known to SEP.
type Participant struct {
	INN, OGRN, Name string
	// Email receives SEP's letters for this participant.
	Email string
	// PublicKey verifies the detached signatures of the participant's requests.
	PublicKey ed25519.PublicKey
}

// Vehicle is an electronic passport (ЭПТС).
type Vehicle struct {
	EPTS     string // 15 digits
	VIN      string // 17 characters; empty for vehicles without one
	Make     string
	Model    string
	OwnerINN string
	// LesseeINN is set while the vehicle is leased.
	LesseeINN string
}

// Party is one side of an application.
type Party struct {
	Role   string
	INN    string
	OGRN   string
	Name   string
	Status string
	// Email is where the party's confirmation code was sent.
	Email string
}

// Application is an application (заявление) in SEP.
type Application struct {
	Number   string
	Type     string
	Status   string
	Created  time.Time
	Updated  time.Time
	Executed time.Time // zero until executed
	Deadline time.Time // date by which every party must confirm
	EPTS     []string
	Parties  []Party
	// Lease document.
	DocName   string
	DocNumber string
	DocDate   time.Time
	LeaseEnd  time.Time
}

// Faults are the switches of injected failures; the zero value is a healthy service.
type Faults struct {
	// MalformedXML: answers are cut off in the middle of the XML.
	MalformedXML bool `json:"malformedXml"`
	// RequestErrors: every call is answered with a SOAP Fault (server error).
	RequestErrors bool `json:"requestErrors"`
	// Slow delays every answer by this much (real time, not the simulator's clock; in JSON,
	// nanoseconds).
	Slow time.Duration `json:"slow"`
	// LoseResults: GetResult answers that the queue number is unknown, as if SEP lost it.
	LoseResults bool `json:"loseResults"`
}

// Call is one recorded SOAP call.
type Call struct {
	Op              string // SendRequest or GetResult
	Time            time.Time
	QueueID         string
	ClientRequestID string
	RequestType     string
	SenderINN       string
	// SinceQueued is how long after its queue number a GetResult came.
	SinceQueued time.Duration
	// Answer: the QueueId state (TooEarly, InProcess, Completed, Rejected), "QueueId",
	// "Fault:<code>" or "Malformed".
	Answer string
}

// Letter is one e-mail SEP sent.
type Letter struct {
	ID      string
	Time    time.Time
	To      string
	Subject string
	Raw     []byte // RFC 5322 message, as SES stores it
}

// Sim is the simulator. It is safe for concurrent use.
type Sim struct {
	clk       clock.Clock
	minDelay  time.Duration
	procTime  time.Duration
	outboxDir string
	log       *slog.Logger
	prefix    string // distinguishes queue ids of simulator instances

	mu           sync.Mutex
	faults       Faults
	participants map[string]*Participant // by INN
	vehicles     map[string]*Vehicle     // by EPTS
	apps         map[string]*Application // by number
	appSeq       map[string]int          // by number prefix
	queue        map[string]*queued      // by queue id
	byClient     map[string]string       // sender INN + client request id → queue id
	codes        map[string]*codeRec     // by code
	outbox       []Letter
	calls        []Call
	seq          int
}

type queued struct {
	id        string
	received  time.Time
	reqType   string
	clientID  string
	sender    string
	payload   []byte
	processed bool
	state     string // Completed or Rejected once processed
	result    []byte
	errors    []sepError
}

type codeRec struct {
	app   string
	inn   string
	used  bool
	email string
}

type sepError struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// New returns an empty simulator.
func New(opts Options) *Sim {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.MinDelay == 0 {
		opts.MinDelay = 60 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	var p [3]byte
	_, _ = rand.Read(p[:])
	return &Sim{
		clk: opts.Clock, minDelay: opts.MinDelay, procTime: opts.ProcessingTime,
		outboxDir: opts.OutboxDir, log: opts.Log, prefix: hex.EncodeToString(p[:]),
		participants: map[string]*Participant{}, vehicles: map[string]*Vehicle{},
		apps: map[string]*Application{}, appSeq: map[string]int{}, queue: map[string]*queued{},
		byClient: map[string]string{}, codes: map[string]*codeRec{},
	}
}

// SetFaults replaces the fault switches.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the fault switches.
func (s *Sim) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// AddParticipant adds or replaces a participant.
func (s *Sim) AddParticipant(p Participant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := p
	s.participants[p.INN] = &cp
}

// SetPublicKey registers the key that verifies a participant's signatures (what a qualified
// certificate does in the real system).
func (s *Sim) SetPublicKey(inn string, key ed25519.PublicKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.participants[inn]
	if p == nil {
		return fmt.Errorf("sepsim: unknown participant %s", inn)
	}
	p.PublicKey = append(ed25519.PublicKey(nil), key...)
	return nil
}

// AddVehicle adds or replaces a vehicle.
func (s *Sim) AddVehicle(v Vehicle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := v
	s.vehicles[v.EPTS] = &cp
}

// Vehicle returns a vehicle by EPTS number.
func (s *Sim) Vehicle(epts string) (Vehicle, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vehicles[epts]
	if v == nil {
		return Vehicle{}, false
	}
	return *v, true
}

// Application returns a copy of an application.
func (s *Sim) Application(number string) (Application, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[number]
	if a == nil {
		return Application{}, false
	}
	return copyApp(a), true
}

// Applications returns copies of every application, by number.
func (s *Sim) Applications() []Application {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Application, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, copyApp(a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

func copyApp(a *Application) Application {
	c := *a
	c.EPTS = append([]string(nil), a.EPTS...)
	c.Parties = append([]Party(nil), a.Parties...)
	return c
}

// CreateOwnershipChange is what a dealer does in SEP's web interface: an application to move
// the vehicle from its owner to newOwnerINN, confirmed by the current owner, pending for the
// new one, whose code SEP e-mails to the new owner. It returns the application number.
func (s *Sim) CreateOwnershipChange(epts, newOwnerINN string, deadline time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vehicles[epts]
	if v == nil {
		return "", fmt.Errorf("sepsim: unknown EPTS %s", epts)
	}
	from, to := s.participants[v.OwnerINN], s.participants[newOwnerINN]
	if from == nil || to == nil {
		return "", fmt.Errorf("sepsim: owner %s or new owner %s is not a participant", v.OwnerINN, newOwnerINN)
	}
	if open := s.openAppFor(epts); open != "" {
		return "", fmt.Errorf("sepsim: EPTS %s already has open application %s", epts, open)
	}
	now := s.clk.Now().UTC()
	a := &Application{
		Number: s.nextNumber("OC", now), Type: TypeOwnershipChange, Status: AppPending,
		Created: now, Updated: now, Deadline: deadline.UTC(), EPTS: []string{epts},
		Parties: []Party{
			{Role: RoleCurrentOwner, INN: from.INN, OGRN: from.OGRN, Name: from.Name, Status: PartyConfirmed},
			{Role: RoleNewOwner, INN: to.INN, OGRN: to.OGRN, Name: to.Name, Status: PartyPending, Email: to.Email},
		},
	}
	s.apps[a.Number] = a
	s.issueCode(a, &a.Parties[1])
	return a.Number, nil
}

// openAppFor returns the number of an application on epts still pending, or "".
func (s *Sim) openAppFor(epts string) string {
	for _, a := range s.apps {
		if a.Status != AppPending {
			continue
		}
		for _, e := range a.EPTS {
			if e == epts {
				return a.Number
			}
		}
	}
	return ""
}

func (s *Sim) nextNumber(prefix string, now time.Time) string {
	s.appSeq[prefix]++
	return fmt.Sprintf("%s-%d-%06d", prefix, now.Year(), s.appSeq[prefix])
}

// issueCode creates the one-time code of a party and e-mails it with the application.
func (s *Sim) issueCode(a *Application, p *Party) {
	var code string
	for {
		code = randomDigits(6)
		if s.codes[code] == nil {
			break
		}
	}
	s.codes[code] = &codeRec{app: a.Number, inn: p.INN, email: p.Email}
	if p.Email == "" {
		return
	}
	for _, epts := range a.EPTS {
		s.sendLetter(p.Email, codeLetter(a, s.vehicles[epts], epts, code))
	}
}

// Outbox returns the letters sent so far, oldest first.
func (s *Sim) Outbox() []Letter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Letter(nil), s.outbox...)
}

// Calls returns the recorded SOAP calls, oldest first.
func (s *Sim) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// EarlyResultCalls returns the GetResult calls that came before MinDelay had passed since
// their queue number: violations of SEP's rule.
func (s *Sim) EarlyResultCalls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Op == "GetResult" && c.Answer == StateTooEarly {
			out = append(out, c)
		}
	}
	return out
}

// maxCalls bounds the call log of a long-running simulator (make run); tests see them all.
const maxCalls = 100_000

func (s *Sim) record(c Call) {
	if len(s.calls) >= maxCalls {
		s.calls = append(s.calls[:0], s.calls[maxCalls/2:]...)
	}
	s.calls = append(s.calls, c)
}

func (s *Sim) sendLetter(to string, l letterText) {
	s.seq++
	now := s.clk.Now().UTC()
	id := fmt.Sprintf("%s%06d", s.prefix, s.seq)
	raw := renderMIME(s.seq, id, to, l, now)
	s.outbox = append(s.outbox, Letter{ID: id, Time: now, To: to, Subject: l.subject, Raw: raw})
	if s.outboxDir == "" {
		return
	}
	// Written like SES writes to S3: whole files, one per message.
	name := filepath.Join(s.outboxDir, fmt.Sprintf("%06d-%s.eml", s.seq, id))
	if err := os.MkdirAll(s.outboxDir, 0o700); err == nil {
		tmp := name + ".tmp"
		if err = os.WriteFile(tmp, raw, 0o600); err == nil {
			err = os.Rename(tmp, name)
		}
		if err != nil {
			s.log.Error("sepsim: outbox write failed", "err", err)
		}
	}
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}
