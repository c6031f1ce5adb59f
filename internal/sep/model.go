package sep

import (
	"context"
	"errors"
	"time"
)

// RequestType is the kind of a request to SEP.
type RequestType string

// Request types of the SEP protocol (INTEGRATIONS.md §4).
const (
	ReqApplications RequestType = "GetApplications"        // applications of a period
	ReqApplication  RequestType = "GetApplication"         // one application by number, or those of an EPTS
	ReqConfirm      RequestType = "ConfirmApplication"     // a party's confirmation with its one-time code
	ReqLease        RequestType = "CreateLeaseApplication" // a new lease application
)

// Status is a request's status as 1C shows it (the seed's four, plus the moment before the
// first answer).
type Status string

// Request statuses.
const (
	StatusPending      Status = "Ожидает отправки"
	StatusXMLError     Status = "Ошибка чтения XML"
	StatusRequestError Status = "Ошибка запроса"
	StatusQueued       Status = "Получен номер очереди"
	StatusAnswered     Status = "Получен ответ"
)

// Color is the text colour a console shows the status in (red, red, blue, green).
func (s Status) Color() string {
	switch s {
	case StatusXMLError, StatusRequestError:
		return "red"
	case StatusQueued:
		return "blue"
	case StatusAnswered:
		return "green"
	}
	return "gray"
}

// Stage is where a queue entry is in its life.
type Stage string

// Stages.
const (
	StageSend   Stage = "send"   // SendRequest still to succeed
	StagePoll   Stage = "poll"   // queue number received; GetResult until an answer
	StageDone   Stage = "done"   // answer received (completed or rejected by SEP)
	StageFailed Stage = "failed" // refused at sending, or given up after MaxAttempts
)

// Outcome is how an entry ended.
type Outcome string

// Outcomes.
const (
	OutcomeNone      Outcome = ""
	OutcomeCompleted Outcome = "Completed" // SEP processed it; Result applied
	OutcomeRejected  Outcome = "Rejected"  // SEP processed and rejected it (errors)
	OutcomeRefused   Outcome = "Refused"   // SEP refused SendRequest (a fault that resending cannot fix)
	OutcomeGaveUp    Outcome = "GaveUp"    // too many failed attempts
)

// AppType is an application's type.
type AppType string

// Application types.
const (
	OwnershipChange AppType = "OwnershipChange"
	Lease           AppType = "Lease"
)

// PartyStatus is a party's confirmation of an application.
type PartyStatus string

// Party statuses.
const (
	PartyPending       PartyStatus = "Pending"
	PartyConfirmed     PartyStatus = "Confirmed"
	PartyNotApplicable PartyStatus = "NotApplicable"
	PartyRejected      PartyStatus = "Rejected"
)

// Party roles.
const (
	RoleCurrentOwner = "CurrentOwner"
	RoleNewOwner     = "NewOwner"
	RoleLessor       = "Lessor"
	RoleLessee       = "Lessee"
)

// Application statuses as SEP names them.
const (
	AppPending  = "На согласовании"
	AppExecuted = "Исполнен"
	AppRejected = "Отклонен"
)

// Asset statuses (the periodic register «Статусы основных средств (СЭП)»).
const (
	AssetOwned  = "В собственности"
	AssetLeased = "В лизинге"
)

// Vehicle names a passport: EPTS number and, when known, VIN.
type Vehicle struct {
	EPTS string `json:"epts"`
	VIN  string `json:"vin,omitempty"`
}

// Party is one side of an application.
type Party struct {
	Role   string      `json:"role"`
	INN    string      `json:"inn"`
	OGRN   string      `json:"ogrn,omitempty"`
	Name   string      `json:"name,omitempty"`
	Status PartyStatus `json:"status"`
}

// Application is an application as SEP reports it.
type Application struct {
	Number   string    `json:"number"`
	Type     AppType   `json:"type"`
	Status   string    `json:"status"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	Executed time.Time `json:"executed,omitzero"`
	Deadline time.Time `json:"deadline,omitzero"`
	// Lease document (Lease only).
	DocName   string    `json:"docName,omitempty"`
	DocNumber string    `json:"docNumber,omitempty"`
	DocDate   time.Time `json:"docDate,omitzero"`
	LeaseEnd  time.Time `json:"leaseEnd,omitzero"`
	Vehicles  []Vehicle `json:"vehicles"`
	Parties   []Party   `json:"parties"`
}

// Party returns the party with the role.
func (a Application) Party(role string) (Party, bool) {
	for _, p := range a.Parties {
		if p.Role == role {
			return p, true
		}
	}
	return Party{}, false
}

// Final reports whether the application is executed or rejected.
func (a Application) Final() bool { return a.Status == AppExecuted || a.Status == AppRejected }

// Request bodies: what the domain asks SEP; the Gateway renders them as payloads.

// Body is a request body.
type Body interface{ RequestType() RequestType }

// ApplicationsQuery asks for the applications of an organisation created in a period.
type ApplicationsQuery struct {
	INN      string
	From, To time.Time // dates, inclusive
}

// ApplicationQuery asks for one application by number, or for those of an EPTS.
type ApplicationQuery struct {
	Number string
	EPTS   string
}

// Confirmation sets a party's status with the party's one-time code.
type Confirmation struct {
	Number   string
	PartyINN string
	Status   PartyStatus
	Code     string
}

// LeaseProposal creates a lease application.
type LeaseProposal struct {
	DocName, DocNumber string
	DocDate, LeaseEnd  time.Time
	Deadline           time.Time
	Vehicles           []Vehicle
	Lessor, Lessee     Party
	// LesseeEmail receives the lessee's confirmation code.
	LesseeEmail string
}

// RequestType implementations.
func (ApplicationsQuery) RequestType() RequestType { return ReqApplications }
func (ApplicationQuery) RequestType() RequestType  { return ReqApplication }
func (Confirmation) RequestType() RequestType      { return ReqConfirm }
func (LeaseProposal) RequestType() RequestType     { return ReqLease }

// Request is what SendRequest carries: a signed payload.
type Request struct {
	Type            RequestType
	ClientRequestID string // the queue entry's id; SEP answers a repeat with the same QueueId
	SenderINN       string
	SenderOGRN      string
	Payload         []byte
	Signature       []byte // detached signature of Payload
}

// ResultState is GetResult's answer.
type ResultState string

// Result states.
const (
	ResultTooEarly  ResultState = "TooEarly"
	ResultInProcess ResultState = "InProcess"
	ResultCompleted ResultState = "Completed"
	ResultRejected  ResultState = "Rejected"
)

// Result is GetResult's answer, decoded.
type Result struct {
	State        ResultState
	Applications []Application // Completed
	Errors       []RemoteError // Rejected
}

// RemoteError is an error SEP reported.
type RemoteError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Gateway is the SEP adapter (one implementation per protocol: internal/sep/sepsoap).
// Implementations are safe for concurrent use and honour ctx.
type Gateway interface {
	// Encode renders a body as the payload document SEP reads and the sender signs.
	Encode(b Body) ([]byte, error)
	// SendRequest queues a request and returns its queue number.
	SendRequest(ctx context.Context, r Request) (queueID string, err error)
	// GetResult asks for the result of a queued request.
	GetResult(ctx context.Context, queueID string) (Result, error)
}

// ErrMalformed is wrapped by Gateway errors when SEP's answer could not be read
// (status «Ошибка чтения XML»).
var ErrMalformed = errors.New("sep: malformed answer")

// FaultError is SEP refusing a call (a SOAP Fault). Client faults are about the request and
// come back the same when it is resent; server faults may pass.
type FaultError struct {
	Code    string
	Message string
	Server  bool
}

func (e *FaultError) Error() string { return "sep fault " + e.Code + ": " + e.Message }

// Signer makes the detached signatures of payloads for an organisation of a tenant.
type Signer interface {
	Sign(ctx context.Context, tenant, inn string, payload []byte) ([]byte, error)
	// PublicKey returns what SEP verifies the organisation's signatures with (created on
	// first use), to be registered with SEP.
	PublicKey(ctx context.Context, tenant, inn string) ([]byte, error)
}

// Message is an e-mail to a person.
type Message struct {
	ID      string // stable id: a resend of the same notification replaces, never duplicates
	To      string
	Subject string
	Text    string
}

// Notifier sends e-mail to people (SES in AWS, an outbox folder locally).
type Notifier interface {
	Notify(ctx context.Context, tenant string, m Message) error
}
