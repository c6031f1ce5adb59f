// Package emisclient is the hub's adapter for the EMIS Service integration API: the one place
// that knows its wire format. The real API is not public; this is the protocol the simulator
// (internal/sim/emis) speaks, so moving to the real one changes this package only.
//
// The protocol (JSON over HTTPS, v1):
//
//	POST {base}/api/v1/sessions                        Basic auth: integration login:password
//	     {"personId","bookingId","guestName","callbackUrl"}
//	  → 201 {"sessionId","url","expiresAt"}              url: the page the operator opens
//	GET  {base}/api/v1/persons/{personId}/changes?since=N
//	  → 200 {"personId","versions":[{"version","savedAt","sessionId","bookingId","document"}]}
//	POST {callbackUrl}                                   EMIS → hub when the operator saves
//	     X-Emis-Signature: t=…,v1=…  (package hooksig, the tenant's EMIS secret)
//	     {"event":"documents.saved","sessionId","personId","version","savedAt","bookingId","document"}
//
// 401/403 mean the integration credentials were refused; 5xx and network failures mean EMIS is
// unavailable. Dates are dd.mm.yyyy, enumerations are upper-case words; the adapter turns them
// into the domain model (ISO dates, lower-case codes) and refuses what it cannot map.
package emisclient

import "time"

// API paths.
const (
	PathSessions = "/api/v1/sessions"
	PathPersons  = "/api/v1/persons/" // + person id + PathChanges
	PathChanges  = "/changes"
	EventSaved   = "documents.saved"
	WireDate     = "02.01.2006"
)

// SessionRequest is the body of POST /api/v1/sessions.
type SessionRequest struct {
	PersonID    string `json:"personId"`
	BookingID   string `json:"bookingId,omitempty"`
	GuestName   string `json:"guestName,omitempty"`
	CallbackURL string `json:"callbackUrl"`
}

// SessionResponse is its answer.
type SessionResponse struct {
	SessionID string    `json:"sessionId"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// VersionWire is one saved version of a person's documents.
type VersionWire struct {
	Version   int64     `json:"version"`
	SavedAt   time.Time `json:"savedAt"`
	SessionID string    `json:"sessionId,omitempty"`
	BookingID string    `json:"bookingId,omitempty"`
	Document  Document  `json:"document"`
}

// ChangesResponse is the answer of GET …/changes.
type ChangesResponse struct {
	PersonID string        `json:"personId"`
	Versions []VersionWire `json:"versions"`
}

// Callback is the body EMIS posts to the callback URL.
type Callback struct {
	Event    string `json:"event"`
	PersonID string `json:"personId"`
	VersionWire
}

// Document is a person's documents in EMIS's format.
type Document struct {
	Identity      Identity       `json:"identityDocument"`
	StayDocuments []StayDocument `json:"stayDocuments,omitempty"`
	MigrationCard *MigrationCard `json:"migrationCard,omitempty"`
	VisitPurpose  string         `json:"visitPurpose,omitempty"` // TOURISM, BUSINESS, …
	StayFrom      string         `json:"stayFrom,omitempty"`
	StayTo        string         `json:"stayTo,omitempty"`
}

// Identity is the identity document.
type Identity struct {
	DocType       string `json:"docType,omitempty"` // FNS (СПДУЛ) code, e.g. "10"
	Series        string `json:"series,omitempty"`
	Number        string `json:"number,omitempty"`
	IssueDate     string `json:"issueDate,omitempty"`
	ExpiryDate    string `json:"expiryDate,omitempty"`
	Authority     string `json:"authority,omitempty"`
	Citizenship   string `json:"citizenship,omitempty"` // ISO 3166-1 alpha-3
	LastName      string `json:"lastName,omitempty"`
	FirstName     string `json:"firstName,omitempty"`
	MiddleName    string `json:"middleName,omitempty"`
	LastNameLat   string `json:"lastNameLat,omitempty"`
	FirstNameLat  string `json:"firstNameLat,omitempty"`
	MiddleNameLat string `json:"middleNameLat,omitempty"`
	Gender        string `json:"gender,omitempty"` // MALE, FEMALE
	BirthDate     string `json:"birthDate,omitempty"`
	BirthPlace    string `json:"birthPlace,omitempty"`
}

// StayDocument is a visa, an РВП or a ВНЖ.
type StayDocument struct {
	Type      string `json:"type"` // VISA, RVP, VNZH
	Series    string `json:"series,omitempty"`
	Number    string `json:"number,omitempty"`
	ValidFrom string `json:"validFrom,omitempty"`
	ValidTo   string `json:"validTo,omitempty"`
	Entries   string `json:"entries,omitempty"` // SINGLE, DOUBLE, MULTIPLE
	Selected  bool   `json:"selected,omitempty"`
}

// MigrationCard is the migration card.
type MigrationCard struct {
	Series    string `json:"series,omitempty"`
	Number    string `json:"number,omitempty"`
	EntryDate string `json:"entryDate,omitempty"`
}
