package emis

import (
	"time"
)

// Script is the alphabet in which the PMS receives guests' names (a legal-entity setting).
type Script string

// Scripts.
const (
	Latin    Script = "Latin"
	Cyrillic Script = "Cyrillic"
)

// DateLayout is the layout of every date of the document model (a civil date, no zone).
const DateLayout = "2006-01-02"

// Name is a person's name in one script.
type Name struct {
	Surname    string `json:"surname,omitempty" validate:"max=100,nocontrol"`
	Given      string `json:"given,omitempty" validate:"max=100,nocontrol"` // first and middle names of a foreigner
	Patronymic string `json:"patronymic,omitempty" validate:"max=100,nocontrol"`
}

func (n Name) empty() bool { return n.Surname == "" && n.Given == "" && n.Patronymic == "" }

// Identity is the identity document.
type Identity struct {
	// TypeCode is the document kind in the Federal Tax Service's list of identity documents
	// (СПДУЛ), which arrival-notice software takes: see DocumentTypes.
	TypeCode  string `json:"type_code,omitempty" validate:"omitempty,len=2,numeric"`
	Series    string `json:"series,omitempty" validate:"max=30,nocontrol"`
	Number    string `json:"number,omitempty" validate:"max=30,nocontrol"`
	IssuedOn  string `json:"issued_on,omitempty" validate:"omitempty,datetime=2006-01-02"`
	ExpiresOn string `json:"expires_on,omitempty" validate:"omitempty,datetime=2006-01-02"`
	Issuer    string `json:"issuer,omitempty" validate:"max=200,nocontrol"`
	// Nationality is an ISO 3166-1 alpha-3 code (ICAO 9303 codes such as XXA pass too).
	Nationality string `json:"nationality,omitempty" validate:"omitempty,len=3,alpha,uppercase"`
	Cyrillic    Name   `json:"cyrillic"`
	Latin       Name   `json:"latin"`
	Sex         string `json:"sex,omitempty" validate:"omitempty,oneof=M F"`
	BirthDate   string `json:"birth_date,omitempty" validate:"omitempty,datetime=2006-01-02"`
	BirthPlace  string `json:"birth_place,omitempty" validate:"max=200,nocontrol"`
}

// DocumentTypes are the identity document codes of the FNS list (СПДУЛ) the hub knows.
var DocumentTypes = map[string]string{
	"03": "Свидетельство о рождении",
	"10": "Паспорт иностранного гражданина",
	"12": "Вид на жительство в Российской Федерации",
	"15": "Разрешение на временное проживание в Российской Федерации",
	"21": "Паспорт гражданина Российской Федерации",
	"22": "Загранпаспорт гражданина Российской Федерации",
	"23": "Свидетельство о рождении, выданное уполномоченным органом иностранного государства",
	"91": "Иные документы",
}

// StayKind is the kind of a document that allows a foreigner to stay.
type StayKind string

// Stay document kinds.
const (
	Visa StayKind = "visa"
	RVP  StayKind = "rvp"  // разрешение на временное проживание
	VNZh StayKind = "vnzh" // вид на жительство
)

// Stay is a visa, a temporary residence permit (РВП) or a residence permit (ВНЖ).
type Stay struct {
	Kind      StayKind `json:"kind" validate:"oneof=visa rvp vnzh"`
	Series    string   `json:"series,omitempty" validate:"max=30,nocontrol"`
	Number    string   `json:"number,omitempty" validate:"max=30,nocontrol"`
	ValidFrom string   `json:"valid_from,omitempty" validate:"omitempty,datetime=2006-01-02"`
	ValidTo   string   `json:"valid_to,omitempty" validate:"omitempty,datetime=2006-01-02"`
	Entries   string   `json:"entries,omitempty" validate:"omitempty,oneof=single double multiple"`
	// Selected marks the document the operator chose for this stay (EMIS lets the operator
	// pick one when a guest has several).
	Selected bool `json:"selected,omitempty"`
}

// MigrationCard is the migration card.
type MigrationCard struct {
	Series    string `json:"series,omitempty" validate:"max=30,nocontrol"`
	Number    string `json:"number,omitempty" validate:"max=30,nocontrol"`
	EntryDate string `json:"entry_date,omitempty" validate:"omitempty,datetime=2006-01-02"`
}

// Purposes of visit (the arrival notice's list), with their Russian names.
var Purposes = map[string]string{
	"official":     "Служебная",
	"tourism":      "Туризм",
	"business":     "Деловая",
	"study":        "Учёба",
	"work":         "Работа",
	"private":      "Частная",
	"transit":      "Транзит",
	"humanitarian": "Гуманитарная",
	"other":        "Другая",
}

// Visit is the purpose and period of the stay.
type Visit struct {
	Purpose string `json:"purpose,omitempty" validate:"omitempty,oneof=official tourism business study work private transit humanitarian other"`
	From    string `json:"from,omitempty" validate:"omitempty,datetime=2006-01-02"`
	To      string `json:"to,omitempty" validate:"omitempty,datetime=2006-01-02"`
}

// Documents are one person's documents as EMIS saved them.
type Documents struct {
	Identity      Identity       `json:"identity"`
	Stay          []Stay         `json:"stay,omitempty" validate:"max=10,dive"`
	MigrationCard *MigrationCard `json:"migration_card,omitempty"`
	Visit         Visit          `json:"visit"`
}

// Version is one saved state of a person's documents in EMIS. EMIS numbers the saves of a
// person from 1; a higher number replaces a lower one.
type Version struct {
	Number    int64     `validate:"min=1"`
	SavedAt   time.Time `validate:"required"`
	SessionID string    `validate:"omitempty,max=64,printascii"`
	BookingID string    `validate:"omitempty,max=64,nocontrol"`
	Documents Documents
}

// Warning is a finding of the checks. It travels with the data to the PMS and 1C and never
// contains personal data (it names fields, not their values).
type Warning struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"` // e.g. "stay[1].valid_to"
	Message string `json:"message"`         // Russian, for the operator
}

// Result is a person's documents as the PMS gets them: normalized, with the name in the
// legal entity's script, and with the warnings of the checks at the time of reading.
type Result struct {
	LegalEntity string    `json:"legal_entity"`
	PersonID    string    `json:"person_id"`
	BookingID   string    `json:"booking_id,omitempty"`
	Version     int64     `json:"version"`
	SavedAt     time.Time `json:"saved_at"`
	Script      Script    `json:"names_script"`
	Name        Name      `json:"name"` // in Script
	Documents   Documents `json:"documents"`
	Warnings    []Warning `json:"warnings"`
}
