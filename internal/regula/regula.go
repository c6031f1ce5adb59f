// Package regula reads the processing result of a Regula document reader: the JSON that the
// Regula Document Reader web API answers to POST /api/process (ProcessResponse) and that the
// reader software on a front-desk PC writes for each scanned document.
//
// The shape follows Regula's public OpenAPI description (github.com/regulaforensics/
// DocumentReader-web-openapi: p-process.yml, rt.yml, rt-status.yml, rt-text.yml,
// rt-doc-type-old.yml, rt-images.yml, common.yml, e-text-field-type.yml) and the enums of
// regulaforensics/document-reader-typings:
//
//	{
//	  "ChipPage": 1,                         RfidLocation: 0 none, 1 data page, 2 back page/inlay
//	  "ProcessingFinished": 1,               0 not finished, 1 finished, 2 finished by timeout
//	  "TransactionInfo": {"TransactionID": "…", "DateTime": "…", "ComputerName": "…", "UserName": "…"},
//	  "ContainerList": {"Count": 4, "List": [
//	    {"result_type": 33, "Status": {"overallStatus": 1, "optical": 1, "rfid": 1, "portrait": 2,
//	        "stopList": 2, "detailsOptical": {"overallStatus", "docType", "expiry", "imageQA", "mrz",
//	        "pagesCount", "security", "text"}, "detailsRFID": {"overallStatus", "AA", "BAC", "CA",
//	        "PA", "PACE", "TA"}}},
//	    {"result_type": 9,  "OneCandidate": {"DocumentName", "ID", "P", "RFID_Presence",
//	        "FDSIDList": {"ICAOCode", "dType", "dFormat", "dMRZ", "dDescription", "dYear", "dCountryName"}}},
//	    {"result_type": 8,  "CandidatesList": {"RecResult": 0, "Candidates": [OneCandidate…]}},
//	    {"result_type": 36, "Text": {"status", "validityStatus", "comparisonStatus",
//	        "availableSourceList": [{"source", "validityStatus"}],
//	        "fieldList": [{"fieldType": 2, "fieldName": "Document Number", "lcid": 0,
//	            "status", "validityStatus", "comparisonStatus", "value": "…",
//	            "valueList": [{"source": "MRZ"|"VISUAL"|"RFID"|"BARCODE"…, "value", "originalValue",
//	                "pageIndex", "probability"}],
//	            "validityList": [{"source", "status"}],
//	            "comparisonList": [{"sourceLeft", "sourceRight", "status"}]}]}},
//	    {"result_type": 37, "Images": {"fieldList": [{"fieldType": 201, "fieldName": "Portrait",
//	        "valueList": [{"source", "value": "<base64>", "originalValue", "pageIndex", "lightIndex", "containerType"}]}]}}
//	  ]}
//	}
//
// Check results are 0 error, 1 OK, 2 not done. Text field types and document types are
// Regula's numeric codes (FieldDocumentNumber = 2, FieldDateOfExpiry = 3, … DocTypePassport =
// 11, …); lcid is a Windows language id (0 for Latin, 1049 Russian). Multi-line values (MRZ
// lines, field type 51) separate lines with '^'.
//
// What the public description leaves open, and what this package does about it:
//   - Dates: "value" is converted to the reader's configured dateFormat (default: the system
//     locale of the machine running the reader). ParseDate accepts yyyy-MM-dd, dd.MM.yyyy,
//     MM/dd/yyyy and MRZ-style yyMMdd; configure the reader with dateFormat "yyyy-MM-dd" (or
//     "dd.MM.yyyy") to be unambiguous.
//   - Key order inside a container is not specified: Minimize streams every container without
//     assuming where result_type comes.
//   - Older desktop SDKs write the container list without the ProcessResponse wrapper; Parse
//     and Minimize accept a bare {"List": […]} (or {"ContainerList": …} without
//     TransactionInfo) too, and then the result has no TransactionID.
//
// Parse reads a result (at most MaxResultSize bytes) into Result; Minimize streams a raw
// result of any size (up to a limit) and keeps only what the hub needs: status, document type,
// text fields, and — only when asked — the portrait. Page images, the transaction log and the
// PC's user and computer names never leave it.
package regula

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits.
const (
	// MaxResultSize bounds a result as the hub takes it (after Minimize).
	MaxResultSize = 2 << 20
	// MaxFields bounds the text fields of one result, MaxValues the values of one field.
	MaxFields = 1000
	MaxValues = 64
	// MaxValueLen bounds one text value in bytes.
	MaxValueLen = 4096
	// MaxIDLen bounds the transaction id.
	MaxIDLen = 128
)

// Errors. Messages never quote the input: it holds personal data.
var (
	ErrTooLarge = errors.New("regula: result larger than the limit")
	ErrInvalid  = errors.New("regula: not a Regula processing result")
)

// Result types (ContainerList item "result_type").
const (
	ResultDocumentImage          = 1
	ResultMRZText                = 3
	ResultBarcodes               = 5
	ResultVisualGraphics         = 6
	ResultDocumentTypeCandidates = 8
	ResultDocumentType           = 9
	ResultLexicalAnalysis        = 15
	ResultVisualText             = 17
	ResultBarcodeText            = 18
	ResultBarcodeGraphics        = 19
	ResultAuthenticity           = 20
	ResultImageQuality           = 30
	ResultStatus                 = 33
	ResultText                   = 36
	ResultImages                 = 37
	ResultEncryptedRCL           = 49
	ResultLicense                = 50
	ResultDocumentPosition       = 85
	ResultRFIDText               = 102
	ResultRFIDGraphics           = 103
)

// ProcessingFinished values.
const (
	NotFinished       = 0
	Finished          = 1
	FinishedByTimeout = 2
)

// Check is a check result.
type Check int

// Check results. CheckAbsent marks a check the result does not carry at all.
const (
	CheckError      Check = 0
	CheckOK         Check = 1
	CheckNotDone    Check = 2
	CheckAbsent     Check = -1
	checkUnknownMin       = 3
)

func (c Check) String() string {
	switch c {
	case CheckError:
		return "error"
	case CheckOK:
		return "ok"
	case CheckNotDone:
		return "not done"
	case CheckAbsent:
		return "absent"
	}
	return fmt.Sprintf("check(%d)", int(c))
}

// UnmarshalJSON reads an integer check result; other values are refused.
func (c *Check) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*c = CheckAbsent
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil || n < 0 || n >= checkUnknownMin {
		return fmt.Errorf("%w: check result is not 0, 1 or 2", ErrInvalid)
	}
	*c = Check(n)
	return nil
}

// Sources of text values.
const (
	SourceMRZ      = "MRZ"
	SourceVisual   = "VISUAL"
	SourceBarcode  = "BARCODE"
	SourceRFID     = "RFID"
	SourceMagnetic = "MAGNETIC"
	SourceExternal = "EXTERNAL"
)

// Text field types (Regula eVisualFieldType) the hub reads.
const (
	FieldDocumentClassCode    = 0
	FieldIssuingStateCode     = 1
	FieldDocumentNumber       = 2
	FieldDateOfExpiry         = 3
	FieldDateOfIssue          = 4
	FieldDateOfBirth          = 5
	FieldPlaceOfBirth         = 6
	FieldPersonalNumber       = 7
	FieldSurname              = 8
	FieldGivenNames           = 9
	FieldNationality          = 11
	FieldSex                  = 12
	FieldAuthority            = 24
	FieldSurnameAndGivenNames = 25
	FieldNationalityCode      = 26
	FieldPassportNumber       = 27
	FieldVisaID               = 29
	FieldDocumentClassName    = 37
	FieldIssuingStateName     = 38
	FieldMRZStrings           = 51
	FieldDocumentSeries       = 56
	FieldVisaType             = 100
	FieldVisaValidFrom        = 101
	FieldVisaValidUntil       = 102
	FieldDurationOfStay       = 103
	FieldNumberOfEntries      = 104
	FieldGivenNamesNational   = 127
	FieldFathersName          = 129
	FieldFathersNameNational  = 130
	FieldMiddleName           = 146
	FieldVisaNumber           = 196
)

// Graphic field types.
const (
	GraphicPortrait = 201
)

// Document types (FDSIDList.dType) the hub tells apart.
const (
	DocTypeNotDefined               = 0
	DocTypePassport                 = 11
	DocTypeIdentityCard             = 12
	DocTypeDiplomaticPassport       = 13
	DocTypeServicePassport          = 14
	DocTypeIdentityCardForResidence = 16
	DocTypeTravelDocument           = 17
	DocTypeNationalIdentityCard     = 20
	DocTypeResidencePermitCard      = 24
	DocTypeEmergencyPassport        = 26
	DocTypeAliensPassport           = 27
	DocTypeVisaID2                  = 29
	DocTypeVisaID3                  = 30
	DocTypeImmigrantVisa            = 101
	DocTypeRefugeeTravelDocument    = 146
	DocTypeVisa                     = 178
	DocTypeTemporaryPassport        = 179
	DocTypePassportChild            = 199
	DocTypeResidencePermit          = 215
)

// Well-known LCIDs.
const (
	LCIDLatin   = 0
	LCIDRussian = 1049
)

// cyrillicLCIDs are the language ids of Cyrillic-script languages Regula reports.
var cyrillicLCIDs = map[int]bool{
	1049: true, // Russian
	1058: true, // Ukrainian
	1059: true, // Belarusian
	1026: true, // Bulgarian
	1071: true, // Macedonian
	3098: true, // Serbian (Cyrillic)
	1087: true, // Kazakh
	1088: true, // Kyrgyz
	1092: true, // Tatar
	1104: true, // Mongolian
	1064: true, // Tajik
	2092: true, // Azeri (Cyrillic)
	2115: true, // Uzbek (Cyrillic)
}

// Result is a parsed processing result.
type Result struct {
	TransactionID string
	DateTime      string // as the reader wrote it
	// Finished is ProcessingFinished: NotFinished, Finished or FinishedByTimeout (-1: absent).
	Finished int
	// ChipPage is where the chip is: 0 none, 1 data page, 2 back page (-1: absent).
	ChipPage int
	// Status is nil when the result carries no status container.
	Status *Status
	// DocType is the chosen document type (result type 9, else the best candidate of type 8
	// when its recognition succeeded); nil when neither is present.
	DocType *DocType
	Fields  []Field
	// MRZ holds the lines of the machine readable zone (field type 51), if read.
	MRZ []string
	// Portrait is the holder's photo, present only when the result carries images.
	Portrait *Image
}

// Status is the check summary (result type 33).
type Status struct {
	Overall  Check
	Optical  Check
	Portrait Check
	RFID     Check
	StopList Check
	// OpticalDetails and RFIDDetails hold CheckAbsent where the result has no details.
	OpticalDetails OpticalDetails
	RFIDDetails    RFIDDetails
}

// OpticalDetails are the optical checks (detailsOptical).
type OpticalDetails struct {
	Overall    Check
	DocType    Check
	Expiry     Check
	ImageQA    Check
	MRZ        Check
	Security   Check
	Text       Check
	PagesCount int
}

// RFIDDetails are the chip checks (detailsRFID): PA passive authentication (the data's
// signature), AA active and CA chip authentication (the chip is not a clone), BAC and PACE
// the access protocols, TA terminal authentication.
type RFIDDetails struct {
	Overall Check
	AA      Check
	BAC     Check
	CA      Check
	PA      Check
	PACE    Check
	TA      Check
}

// DocType is a document type candidate.
type DocType struct {
	Name         string  // DocumentName, e.g. "Germany - ePassport (2017)"
	ID           int     // Regula's template id
	Probability  float64 // P
	RFIDPresence int     // RfidLocation
	ICAOCode     string  // issuing state
	Type         int     // dType: DocTypePassport, DocTypeVisa, …
	Format       int     // dFormat: 0 ID1, 1 ID2, 2 ID3, …
	HasMRZ       bool
	Description  string
	Year         string
	CountryName  string
}

// Field is one text field of result type 36.
type Field struct {
	Type        int
	Name        string
	LCID        int
	Status      Check
	Validity    Check
	Comparison  Check
	Value       string // the reader's most confident value
	Values      []Value
	Validities  []SourceCheck
	Comparisons []Comparison
}

// Value is one source's reading of a field.
type Value struct {
	Source        string
	Value         string
	OriginalValue string
	PageIndex     int
	Probability   int
}

// SourceCheck is the validity of a field's values from one source.
type SourceCheck struct {
	Source string
	Status Check
}

// Comparison is the comparison of a field's values from two sources.
type Comparison struct {
	Left, Right string
	Status      Check
}

// Image is a graphic field value.
type Image struct {
	Source string
	Data   []byte // decoded
}

// Cyrillic reports whether the field is in a Cyrillic-script language: by its lcid or, when
// the lcid is the default (0), by its letters — every value with letters has Cyrillic ones (a
// field with an MRZ value in Latin and a visual one in Cyrillic, such as the sex "F"/"Ж" of a
// Russian passport, stays a Latin field).
func (f Field) Cyrillic() bool {
	if cyrillicLCIDs[f.LCID] {
		return true
	}
	if f.LCID != LCIDLatin {
		return false
	}
	values := []string{f.Value}
	for _, v := range f.Values {
		values = append(values, v.Value)
	}
	cyr := false
	for _, v := range values {
		switch letters(v) {
		case scriptLatin:
			return false
		case scriptCyrillic:
			cyr = true
		}
	}
	return cyr
}

const (
	scriptNone = iota
	scriptLatin
	scriptCyrillic
)

// letters says whether s has Cyrillic letters, else other letters, else none.
func letters(s string) int {
	kind := scriptNone
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			return scriptCyrillic
		case unicode.IsLetter(r):
			kind = scriptLatin
		}
	}
	return kind
}

// FieldsOf returns the fields of type t, in result order.
func (r *Result) FieldsOf(t int) []Field {
	var out []Field
	for _, f := range r.Fields {
		if f.Type == t {
			out = append(out, f)
		}
	}
	return out
}

// Text returns the first field of type t in the wanted script (cyrillic or not), if any.
func (r *Result) Text(t int, cyrillic bool) (Field, bool) {
	for _, f := range r.Fields {
		if f.Type == t && f.Cyrillic() == cyrillic {
			return f, true
		}
	}
	return Field{}, false
}

// ---- wire shapes ----

type wireResponse struct {
	ChipPage           *int            `json:"ChipPage"`
	ProcessingFinished *int            `json:"ProcessingFinished"`
	TransactionInfo    *wireTxInfo     `json:"TransactionInfo"`
	ContainerList      *wireContainers `json:"ContainerList"`
	List               []wireContainer `json:"List"` // a bare container list
}

type wireTxInfo struct {
	TransactionID string `json:"TransactionID"`
	DateTime      string `json:"DateTime"`
}

type wireContainers struct {
	List []wireContainer `json:"List"`
}

type wireContainer struct {
	ResultType     *int            `json:"result_type"`
	Status         *wireStatus     `json:"Status"`
	OneCandidate   *wireCandidate  `json:"OneCandidate"`
	CandidatesList *wireCandidates `json:"CandidatesList"`
	Text           *wireText       `json:"Text"`
	Images         *wireImages     `json:"Images"`
}

type wireStatus struct {
	OverallStatus  Check        `json:"overallStatus"`
	Optical        Check        `json:"optical"`
	Portrait       Check        `json:"portrait"`
	RFID           Check        `json:"rfid"`
	StopList       Check        `json:"stopList"`
	DetailsOptical *wireOptical `json:"detailsOptical"`
	DetailsRFID    *wireRFID    `json:"detailsRFID"`
}

type wireOptical struct {
	OverallStatus Check `json:"overallStatus"`
	DocType       Check `json:"docType"`
	Expiry        Check `json:"expiry"`
	ImageQA       Check `json:"imageQA"`
	MRZ           Check `json:"mrz"`
	PagesCount    int   `json:"pagesCount"`
	Security      Check `json:"security"`
	Text          Check `json:"text"`
}

// UnmarshalJSON reads a check the result leaves out as CheckAbsent, not as 0 (an error).
func (w *wireOptical) UnmarshalJSON(b []byte) error {
	type plain wireOptical
	a := CheckAbsent
	p := plain{OverallStatus: a, DocType: a, Expiry: a, ImageQA: a, MRZ: a, Security: a, Text: a}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*w = wireOptical(p)
	return nil
}

type wireRFID struct {
	OverallStatus Check `json:"overallStatus"`
	AA            Check `json:"AA"`
	BAC           Check `json:"BAC"`
	CA            Check `json:"CA"`
	PA            Check `json:"PA"`
	PACE          Check `json:"PACE"`
	TA            Check `json:"TA"`
}

// UnmarshalJSON reads a check the result leaves out as CheckAbsent.
func (w *wireRFID) UnmarshalJSON(b []byte) error {
	type plain wireRFID
	a := CheckAbsent
	p := plain{OverallStatus: a, AA: a, BAC: a, CA: a, PA: a, PACE: a, TA: a}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*w = wireRFID(p)
	return nil
}

type wireCandidate struct {
	DocumentName string   `json:"DocumentName"`
	ID           int      `json:"ID"`
	P            float64  `json:"P"`
	RFIDPresence int      `json:"RFID_Presence"`
	FDSIDList    *wireFDS `json:"FDSIDList"`
}

type wireFDS struct {
	ICAOCode     string `json:"ICAOCode"`
	DType        int    `json:"dType"`
	DFormat      int    `json:"dFormat"`
	DMRZ         bool   `json:"dMRZ"`
	DDescription string `json:"dDescription"`
	DYear        string `json:"dYear"`
	DCountryName string `json:"dCountryName"`
}

type wireCandidates struct {
	RecResult  int             `json:"RecResult"`
	Candidates []wireCandidate `json:"Candidates"`
}

type wireText struct {
	FieldList []wireField `json:"fieldList"`
}

type wireField struct {
	FieldType        *int             `json:"fieldType"`
	FieldName        string           `json:"fieldName"`
	LCID             int              `json:"lcid"`
	Status           Check            `json:"status"`
	ValidityStatus   Check            `json:"validityStatus"`
	ComparisonStatus Check            `json:"comparisonStatus"`
	Value            string           `json:"value"`
	ValueList        []wireValue      `json:"valueList"`
	ValidityList     []wireValidity   `json:"validityList"`
	ComparisonList   []wireComparison `json:"comparisonList"`
}

type wireValue struct {
	Source        string `json:"source"`
	Value         string `json:"value"`
	OriginalValue string `json:"originalValue"`
	PageIndex     int    `json:"pageIndex"`
	Probability   int    `json:"probability"`
}

type wireValidity struct {
	Source string `json:"source"`
	Status Check  `json:"status"`
}

type wireComparison struct {
	SourceLeft  string `json:"sourceLeft"`
	SourceRight string `json:"sourceRight"`
	Status      Check  `json:"status"`
}

type wireImages struct {
	FieldList []struct {
		FieldType int `json:"fieldType"`
		ValueList []struct {
			Source string `json:"source"`
			Value  []byte `json:"value"` // base64
		} `json:"valueList"`
	} `json:"fieldList"`
}

// Parse reads a processing result. It refuses input larger than MaxResultSize, anything but
// one JSON object, and values beyond the package's limits; a result without any container is
// not a processing result either.
func Parse(data []byte) (*Result, error) {
	if len(data) > MaxResultSize {
		return nil, ErrTooLarge
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrInvalid)
	}
	if err := strictKeys(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var w wireResponse
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrInvalid)
	}
	list := w.List
	if w.ContainerList != nil {
		list = w.ContainerList.List
	}
	if w.ContainerList == nil && w.List == nil {
		return nil, fmt.Errorf("%w: no ContainerList", ErrInvalid)
	}
	r := &Result{Finished: -1, ChipPage: -1}
	if w.ProcessingFinished != nil {
		r.Finished = *w.ProcessingFinished
		if r.Finished < NotFinished || r.Finished > FinishedByTimeout {
			return nil, fmt.Errorf("%w: ProcessingFinished is not 0, 1 or 2", ErrInvalid)
		}
	}
	if w.ChipPage != nil {
		r.ChipPage = *w.ChipPage
		if r.ChipPage < 0 || r.ChipPage > 2 {
			return nil, fmt.Errorf("%w: ChipPage is not 0, 1 or 2", ErrInvalid)
		}
	}
	if ti := w.TransactionInfo; ti != nil {
		if err := checkID(ti.TransactionID); err != nil {
			return nil, err
		}
		r.TransactionID = ti.TransactionID
		if len(ti.DateTime) > 64 || hasControl(ti.DateTime) {
			return nil, fmt.Errorf("%w: TransactionInfo.DateTime", ErrInvalid)
		}
		r.DateTime = ti.DateTime
	}
	var candidates *wireCandidates
	for _, c := range list {
		if c.ResultType == nil {
			return nil, fmt.Errorf("%w: a container without result_type", ErrInvalid)
		}
		switch *c.ResultType {
		case ResultStatus:
			if c.Status != nil && r.Status == nil {
				r.Status = statusOf(c.Status)
			}
		case ResultDocumentType:
			if c.OneCandidate != nil && r.DocType == nil {
				d, err := docTypeOf(*c.OneCandidate)
				if err != nil {
					return nil, err
				}
				r.DocType = &d
			}
		case ResultDocumentTypeCandidates:
			if c.CandidatesList != nil && candidates == nil {
				candidates = c.CandidatesList
			}
		case ResultText:
			if c.Text == nil {
				continue
			}
			for _, wf := range c.Text.FieldList {
				f, err := fieldOf(wf)
				if err != nil {
					return nil, err
				}
				if len(r.Fields) == MaxFields {
					return nil, fmt.Errorf("%w: more than %d text fields", ErrInvalid, MaxFields)
				}
				r.Fields = append(r.Fields, f)
			}
		case ResultImages:
			if c.Images != nil && r.Portrait == nil {
				r.Portrait = portraitOf(c.Images)
			}
		}
	}
	if r.DocType == nil && candidates != nil && candidates.RecResult == 0 && len(candidates.Candidates) > 0 {
		d, err := docTypeOf(candidates.Candidates[0])
		if err != nil {
			return nil, err
		}
		r.DocType = &d
	}
	for _, f := range r.FieldsOf(FieldMRZStrings) {
		v := f.Value
		if v == "" && len(f.Values) > 0 {
			v = f.Values[0].Value
		}
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '^' || r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); line != "" {
				r.MRZ = append(r.MRZ, line)
			}
		}
		break
	}
	return r, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("JSON syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s has the wrong JSON type", te.Field)
	case errors.Is(err, ErrInvalid):
		return strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
	}
	return "malformed JSON"
}

func checkID(id string) error {
	if len(id) > MaxIDLen {
		return fmt.Errorf("%w: TransactionID longer than %d", ErrInvalid, MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("%w: TransactionID has characters other than printable ASCII", ErrInvalid)
		}
	}
	return nil
}

func hasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

func statusOf(w *wireStatus) *Status {
	s := &Status{Overall: w.OverallStatus, Optical: w.Optical, Portrait: w.Portrait, RFID: w.RFID, StopList: w.StopList,
		OpticalDetails: OpticalDetails{CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent, 0},
		RFIDDetails:    RFIDDetails{CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent, CheckAbsent},
	}
	if d := w.DetailsOptical; d != nil {
		s.OpticalDetails = OpticalDetails{Overall: d.OverallStatus, DocType: d.DocType, Expiry: d.Expiry, ImageQA: d.ImageQA,
			MRZ: d.MRZ, Security: d.Security, Text: d.Text, PagesCount: d.PagesCount}
	}
	if d := w.DetailsRFID; d != nil {
		s.RFIDDetails = RFIDDetails{Overall: d.OverallStatus, AA: d.AA, BAC: d.BAC, CA: d.CA, PA: d.PA, PACE: d.PACE, TA: d.TA}
	}
	return s
}

// UnmarshalJSON reads a check the result leaves out as CheckAbsent, not as 0 (an error).
func (w *wireStatus) UnmarshalJSON(b []byte) error {
	type plain wireStatus
	p := plain{OverallStatus: CheckAbsent, Optical: CheckAbsent, Portrait: CheckAbsent, RFID: CheckAbsent, StopList: CheckAbsent}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*w = wireStatus(p)
	return nil
}

func docTypeOf(c wireCandidate) (DocType, error) {
	d := DocType{Name: c.DocumentName, ID: c.ID, Probability: c.P, RFIDPresence: c.RFIDPresence}
	if f := c.FDSIDList; f != nil {
		d.ICAOCode, d.Type, d.Format, d.HasMRZ = f.ICAOCode, f.DType, f.DFormat, f.DMRZ
		d.Description, d.Year, d.CountryName = f.DDescription, f.DYear, f.DCountryName
	}
	for _, s := range []string{d.Name, d.ICAOCode, d.Description, d.Year, d.CountryName} {
		if len(s) > 512 || hasControl(s) || !utf8.ValidString(s) {
			return DocType{}, fmt.Errorf("%w: document type description", ErrInvalid)
		}
	}
	return d, nil
}

func fieldOf(w wireField) (Field, error) {
	if w.FieldType == nil {
		return Field{}, fmt.Errorf("%w: a text field without fieldType", ErrInvalid)
	}
	f := Field{Type: *w.FieldType, Name: w.FieldName, LCID: w.LCID, Status: w.Status, Validity: w.ValidityStatus,
		Comparison: w.ComparisonStatus, Value: w.Value}
	if len(w.ValueList) > MaxValues || len(w.ValidityList) > MaxValues || len(w.ComparisonList) > MaxValues {
		return Field{}, fmt.Errorf("%w: a text field with more than %d values", ErrInvalid, MaxValues)
	}
	if err := checkText(f.Name, 256); err != nil {
		return Field{}, err
	}
	if err := checkValue(f.Value); err != nil {
		return Field{}, err
	}
	for _, v := range w.ValueList {
		if err := checkSource(v.Source); err != nil {
			return Field{}, err
		}
		if err := checkValue(v.Value); err != nil {
			return Field{}, err
		}
		if err := checkValue(v.OriginalValue); err != nil {
			return Field{}, err
		}
		f.Values = append(f.Values, Value{Source: v.Source, Value: v.Value, OriginalValue: v.OriginalValue,
			PageIndex: v.PageIndex, Probability: v.Probability})
	}
	for _, v := range w.ValidityList {
		if err := checkSource(v.Source); err != nil {
			return Field{}, err
		}
		f.Validities = append(f.Validities, SourceCheck{Source: v.Source, Status: v.Status})
	}
	for _, c := range w.ComparisonList {
		if err := checkSource(c.SourceLeft); err != nil {
			return Field{}, err
		}
		if err := checkSource(c.SourceRight); err != nil {
			return Field{}, err
		}
		f.Comparisons = append(f.Comparisons, Comparison{Left: c.SourceLeft, Right: c.SourceRight, Status: c.Status})
	}
	return f, nil
}

// UnmarshalJSON reads a status the result leaves out as CheckAbsent.
func (w *wireField) UnmarshalJSON(b []byte) error {
	type plain wireField
	p := plain{Status: CheckAbsent, ValidityStatus: CheckAbsent, ComparisonStatus: CheckAbsent}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*w = wireField(p)
	return nil
}

func checkSource(s string) error {
	if s == "" || len(s) > 32 {
		return fmt.Errorf("%w: a value without a valid source", ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			return fmt.Errorf("%w: a value without a valid source", ErrInvalid)
		}
	}
	return nil
}

func checkValue(s string) error { return checkText(s, MaxValueLen) }

func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: a text value longer than %d bytes", ErrInvalid, max)
	}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return fmt.Errorf("%w: a text value with control characters", ErrInvalid)
		}
	}
	return nil
}

func portraitOf(w *wireImages) *Image {
	var best *Image
	for _, f := range w.FieldList {
		if f.FieldType != GraphicPortrait {
			continue
		}
		for _, v := range f.ValueList {
			if len(v.Value) == 0 {
				continue
			}
			img := &Image{Source: v.Source, Data: v.Value}
			if best == nil || (v.Source == SourceRFID && best.Source != SourceRFID) {
				best = img
			}
		}
	}
	return best
}

// knownKeys are the member names Parse reads (at any level).
var knownKeys = []string{
	"ChipPage", "ProcessingFinished", "TransactionInfo", "ContainerList", "List", "TransactionID", "DateTime",
	"result_type", "Status", "OneCandidate", "CandidatesList", "Text", "Images",
	"overallStatus", "optical", "portrait", "rfid", "stopList", "detailsOptical", "detailsRFID",
	"docType", "expiry", "imageQA", "mrz", "pagesCount", "security", "text", "AA", "BAC", "CA", "PA", "PACE", "TA",
	"DocumentName", "ID", "P", "RFID_Presence", "FDSIDList", "ICAOCode", "dType", "dFormat", "dMRZ", "dDescription",
	"dYear", "dCountryName", "RecResult", "Candidates", "fieldList", "fieldType", "fieldName", "lcid", "status",
	"validityStatus", "comparisonStatus", "value", "valueList", "validityList", "comparisonList", "source",
	"originalValue", "pageIndex", "probability", "sourceLeft", "sourceRight",
}

// strictKeys refuses what encoding/json would read in surprising ways: an object with two
// members whose names are equal ignoring case (encoding/json matches names case-insensitively
// and lets the last win), and null for a member Parse reads. Regula never writes them;
// refusing them keeps Parse and Minimize (which streams, matching names ignoring case too)
// reading the same result.
func strictKeys(data []byte) error {
	type frame struct {
		object, expectKey bool
		key               string
		keys              []string
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %s", ErrInvalid, jsonProblem(err))
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expectKey = true
				}
				continue
			}
			k, _ := tok.(string)
			for _, prev := range top.keys {
				if strings.EqualFold(prev, k) {
					return fmt.Errorf("%w: a member named twice", ErrInvalid)
				}
			}
			if len(top.keys) < 256 {
				top.keys = append(top.keys, k)
			}
			top.key, top.expectKey = k, false
			continue
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, expectKey: true})
			case '[':
				stack = append(stack, &frame{})
			case ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expectKey = true
				}
			}
		case nil:
			if top != nil && top.object && slices.ContainsFunc(knownKeys, func(k string) bool { return strings.EqualFold(k, top.key) }) {
				return fmt.Errorf("%w: member %q is null", ErrInvalid, top.key)
			}
			if top != nil && top.object {
				top.expectKey = true
			}
		default:
			if top != nil && top.object {
				top.expectKey = true
			}
		}
	}
}
