package bridge

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/regula"
)

// Kinds of reads.
const (
	KindIdentity  = "identity"  // a passport or identity card: the identity document
	KindVisa      = "visa"      // a Russian visa: a stay document
	KindResidence = "residence" // a Russian residence permit (ВНЖ): identity and stay document
)

// Read is a Regula result mapped to the EMIS document model: the part of the documents this
// read carries, and what the reader found.
type Read struct {
	Kind         string
	DocumentName string // Regula's name of the document type
	// Documents holds Identity for identity and residence reads, Stay[0] for visa and
	// residence reads.
	Documents emis.Documents
	// Warnings are the read's own findings (chip checks, disagreements, unreadable fields).
	// The checks of the document model (emis.Review) come on top when the read is attached.
	Warnings      []emis.Warning
	Disagreements []Disagreement
	// VisaPassport is the passport number a visa names, to compare with the guest's passport.
	VisaPassport string
	// Portrait is the holder's photo, if the read carries one.
	Portrait *regula.Image
}

// Disagreement records a field whose sources disagreed: the value taken and the one left.
// Values are personal data: sealed at rest, never logged.
type Disagreement struct {
	Field        string `json:"field"`  // e.g. "identity.number"
	Label        string `json:"label"`  // Russian name of the field
	Source       string `json:"source"` // the source taken, e.g. "RFID"
	Value        string `json:"value"`
	OtherSource  string `json:"other_source"`
	OtherValue   string `json:"other_value"`
	ReaderMarked bool   `json:"reader_marked,omitempty"` // the reader's own comparison said so
}

// Warning codes of reads.
const (
	WarnSourcesDisagree   = "READ_SOURCES_DISAGREE"     // the chip (or MRZ) and the visual zone differ
	WarnChipNotRead       = "CHIP_NOT_READ"             // the document has a chip the reader did not read
	WarnChipPAFailed      = "CHIP_PA_FAILED"            // passive authentication failed: chip data not signed by the issuer
	WarnChipPANotDone     = "CHIP_PA_NOT_DONE"          // passive authentication not done (e.g. no issuer certificate)
	WarnChipAAFailed      = "CHIP_AA_FAILED"            // active authentication failed: the chip may be a clone
	WarnChipCAFailed      = "CHIP_CA_FAILED"            // chip authentication failed: the chip may be a clone
	WarnChipCloneNotDone  = "CHIP_CLONE_CHECK_NOT_DONE" // neither AA nor CA done
	WarnExpiryFlagged     = "READ_EXPIRY_FLAGGED"       // the reader says expired, the date is unreadable
	WarnFieldUnreadable   = "READ_FIELD_UNREADABLE"     // a value read is not usable (date, code, length)
	WarnDocTypeUnmapped   = "READ_DOC_TYPE_UNMAPPED"    // no FNS document code for this document type
	WarnStatusMissing     = "READ_STATUS_MISSING"       // the result has no check summary
	WarnVisaPassport      = "VISA_PASSPORT_MISMATCH"    // the visa names another passport than the guest's
	WarnPortraitDropped   = "READ_PORTRAIT_DROPPED"     // a photo arrived, the hub does not keep photos
	WarnPortraitTooLarge  = "READ_PORTRAIT_TOO_LARGE"   // a photo over maxPortrait was not kept
	codeNotFinished       = "READ_NOT_FINISHED"
	codeTimeout           = "READ_TIMEOUT"
	codeStatusError       = "READ_STATUS_ERROR"
	codeVisaForeign       = "READ_VISA_NOT_RUSSIAN"
	codeNothingRead       = "READ_NO_DATA"
	codeDocumentNotUsable = "READ_DOC_NOT_SUPPORTED"
)

func refused(code, msg string) *apperr.Error {
	return apperr.New(apperr.Invalid, code, msg)
}

// MapRead maps a parsed result to the document model. It refuses (an *apperr.Error whose code
// starts with READ_) a read whose processing did not finish, one whose overall status is an
// error for a reason the hub does not report as a warning, a foreign visa and a result with
// no document data. now is the reader's "today" for two-digit years.
func MapRead(r *regula.Result, now time.Time) (Read, error) {
	if err := acceptable(r); err != nil {
		return Read{}, err
	}
	m := mapper{r: r, now: now}
	return m.run()
}

// acceptable applies the refusal rules.
func acceptable(r *regula.Result) error {
	switch r.Finished {
	case regula.NotFinished:
		return refused(codeNotFinished,
			"Сканер не закончил обработку документа (ProcessingFinished = 0): данные неполные. Отсканируйте документ ещё раз")
	case regula.FinishedByTimeout:
		return refused(codeTimeout,
			"Обработка документа прервана по тайм-ауту сканера: данные могут быть неполными. Отсканируйте документ ещё раз")
	}
	st := r.Status
	if st == nil || st.Overall != regula.CheckError {
		return nil
	}
	// The overall status is an error. Expiry and the chip's authentication travel as warnings;
	// anything else failing refuses the read.
	var failed []string
	o := st.OpticalDetails
	for _, c := range []struct {
		check regula.Check
		name  string
	}{
		{o.DocType, "распознавание типа документа"}, {o.ImageQA, "качество изображения"}, {o.MRZ, "MRZ (машиносчитываемая зона)"},
		{o.Security, "защитные элементы (подлинность)"}, {o.Text, "текстовые поля"},
		{st.RFIDDetails.BAC, "доступ к чипу (BAC)"}, {st.RFIDDetails.PACE, "доступ к чипу (PACE)"}, {st.RFIDDetails.TA, "аутентификация терминала (TA)"},
		{st.Portrait, "сравнение портрета"}, {st.StopList, "стоп-лист"},
	} {
		if c.check == regula.CheckError {
			failed = append(failed, c.name)
		}
	}
	if len(failed) == 0 {
		onlyWarned := o.Expiry == regula.CheckError || st.RFIDDetails.PA == regula.CheckError ||
			st.RFIDDetails.AA == regula.CheckError || st.RFIDDetails.CA == regula.CheckError
		if onlyWarned {
			return nil
		}
		return refused(codeStatusError, "Общий результат проверок сканера — ошибка (без подробностей): документ не принят. Отсканируйте его ещё раз")
	}
	return refused(codeStatusError, "Общий результат проверок сканера — ошибка: не пройдены проверки: "+strings.Join(failed, ", ")+
		". Документ не принят: проверьте документ и отсканируйте его ещё раз")
}

type mapper struct {
	r    *regula.Result
	now  time.Time
	out  Read
	rfid bool // some value came from the chip
}

func (m *mapper) warn(code, field, msg string) {
	m.out.Warnings = append(m.out.Warnings, emis.Warning{Code: code, Field: field, Message: msg})
}

// pick returns the chosen value of field type t in the script, recording disagreements under
// path.
func (m *mapper) pick(t int, cyrillic bool, path, label string) (string, bool) {
	f, ok := m.r.Text(t, cyrillic)
	if !ok {
		return "", false
	}
	p, ok := f.Pick()
	if !ok {
		return "", false
	}
	if p.Source == regula.SourceRFID {
		m.rfid = true
	}
	for _, d := range p.Disagree {
		m.out.Disagreements = append(m.out.Disagreements, Disagreement{Field: path, Label: label, Source: p.Source,
			Value: p.Value, OtherSource: d.Source, OtherValue: d.Value, ReaderMarked: readerMarked(f, p.Source, d.Source)})
	}
	if len(p.Disagree) > 0 {
		var others []string
		for _, d := range p.Disagree {
			others = append(others, sourceName(d.Source))
		}
		m.warn(WarnSourcesDisagree, path, fmt.Sprintf("Поле «%s»: %s расходится с данными (%s); взято значение из источника «%s». Сверьте с документом",
			label, strings.Join(others, ", "), sourceName(p.Source), sourceName(p.Source)))
	}
	return p.Value, true
}

func readerMarked(f regula.Field, a, b string) bool {
	for _, c := range f.Comparisons {
		if ((c.Left == a && c.Right == b) || (c.Left == b && c.Right == a)) && c.Status == regula.CheckError {
			return true
		}
	}
	return false
}

func sourceName(s string) string {
	switch s {
	case regula.SourceRFID:
		return "чип (RFID)"
	case regula.SourceMRZ:
		return "MRZ"
	case regula.SourceVisual:
		return "визуальная зона"
	case regula.SourceBarcode:
		return "штрихкод"
	}
	if s == "" {
		return "сканер"
	}
	return s
}

// text picks a text value that fits max runes; a longer one is reported and left out.
func (m *mapper) text(t int, cyrillic bool, path, label string, max int) string {
	v, ok := m.pick(t, cyrillic, path, label)
	if !ok {
		return ""
	}
	v = strings.Join(strings.Fields(v), " ")
	if utf8.RuneCountInString(v) > max {
		m.warn(WarnFieldUnreadable, path, fmt.Sprintf("Поле «%s» длиннее %d символов: не принято, введите его вручную", label, max))
		return ""
	}
	return v
}

// either picks the field in the wanted script, falling back to the other.
func (m *mapper) either(t int, cyrillicFirst bool, path, label string, max int) string {
	if v := m.text(t, cyrillicFirst, path, label, max); v != "" {
		return v
	}
	return m.text(t, !cyrillicFirst, path, label, max)
}

func (m *mapper) date(t int, kind int, path, label string) string {
	v, ok := m.pick(t, false, path, label)
	if !ok {
		return ""
	}
	d, ok := regula.ParseDate(v, kind, m.now)
	if !ok {
		m.warn(WarnFieldUnreadable, path, "Дата «"+label+"» прочитана в неизвестном формате: введите её вручную (настройте dateFormat сканера: yyyy-MM-dd)")
		return ""
	}
	return d.Format(emis.DateLayout)
}

// country normalizes an ICAO 9303 code ("D" is Germany, fillers dropped).
func country(v string) (string, bool) {
	v = strings.ToUpper(strings.Trim(strings.TrimSpace(v), "<"))
	if v == "D" {
		v = "DEU"
	}
	if len(v) != 3 {
		return "", false
	}
	for _, r := range v {
		if r < 'A' || r > 'Z' {
			return "", false
		}
	}
	return v, true
}

func (m *mapper) issuingState() string {
	if m.r.DocType != nil {
		if c, ok := country(m.r.DocType.ICAOCode); ok {
			return c
		}
	}
	for _, cyr := range []bool{false, true} {
		if f, ok := m.r.Text(regula.FieldIssuingStateCode, cyr); ok {
			if p, ok := f.Pick(); ok {
				if c, ok := country(p.Value); ok {
					return c
				}
			}
		}
	}
	return ""
}

func (m *mapper) classCode() string {
	if f, ok := m.r.Text(regula.FieldDocumentClassCode, false); ok {
		if p, ok := f.Pick(); ok {
			return strings.ToUpper(strings.Trim(p.Value, "< "))
		}
	}
	if len(m.r.MRZ) > 0 && len(m.r.MRZ[0]) >= 2 {
		return strings.ToUpper(strings.TrimRight(m.r.MRZ[0][:2], "<"))
	}
	return ""
}

// Regula document types by the hub's kinds.
var (
	passportTypes = map[int]bool{11: true, 13: true, 14: true, 17: true, 26: true, 27: true, 146: true, 179: true,
		198: true, 199: true, 200: true, 201: true, 202: true, 203: true, 204: true, 218: true}
	idCardTypes = map[int]bool{12: true, 20: true, 21: true, 22: true, 23: true, 28: true, 75: true, 97: true, 98: true,
		106: true, 121: true, 159: true, 212: true, 213: true, 216: true}
	visaTypes      = map[int]bool{29: true, 30: true, 101: true, 178: true}
	residenceTypes = map[int]bool{16: true, 24: true, 215: true}
)

// category is "passport", "id", "visa", "residence" or "".
func (m *mapper) category() string {
	if d := m.r.DocType; d != nil {
		switch {
		case passportTypes[d.Type]:
			return "passport"
		case idCardTypes[d.Type]:
			return "id"
		case visaTypes[d.Type]:
			return "visa"
		case residenceTypes[d.Type]:
			return "residence"
		}
	}
	switch c := m.classCode(); {
	case strings.HasPrefix(c, "P"):
		return "passport"
	case strings.HasPrefix(c, "V"):
		return "visa"
	case strings.HasPrefix(c, "I"), strings.HasPrefix(c, "A"), strings.HasPrefix(c, "C"):
		return "id"
	}
	return ""
}

func (m *mapper) run() (Read, error) {
	r := m.r
	if len(r.Fields) == 0 {
		return Read{}, refused(codeNothingRead, "Сканер не прочитал ни одного поля документа: отсканируйте документ ещё раз")
	}
	if r.DocType != nil {
		m.out.DocumentName = r.DocType.Name
	}
	if r.Status == nil {
		m.warn(WarnStatusMissing, "", "В результате сканера нет сводки проверок: подлинность документа и чипа не подтверждена")
	}
	state := m.issuingState()
	switch cat := m.category(); cat {
	case "visa":
		if state != "" && state != "RUS" {
			return Read{}, refused(codeVisaForeign, "Отсканирована виза другого государства ("+state+
				"): для постановки на учёт нужна российская виза. Отсканируйте российскую визу или паспорт")
		}
		m.out.Kind = KindVisa
		m.visa()
	case "residence":
		if state != "RUS" {
			m.out.Kind = KindIdentity
			m.identity(cat, state)
			break
		}
		m.out.Kind = KindResidence
		m.identity(cat, state)
		m.residence()
	case "passport", "id":
		m.out.Kind = KindIdentity
		m.identity(cat, state)
	default:
		// Unknown type: take it as an identity document without a type code.
		m.out.Kind = KindIdentity
		m.identity("", state)
	}
	m.chip()
	m.out.Portrait = r.Portrait
	if err := validateDocs(m.out.Documents); err != nil {
		return Read{}, apperr.Wrap(err, apperr.Internal, "BRIDGE_MAP_INVALID", "Документ со сканера не удалось привести к модели данных")
	}
	return m.out, nil
}

func (m *mapper) identity(cat, state string) {
	id := &m.out.Documents.Identity
	class := m.classCode()
	switch {
	case cat == "passport" && state == "RUS" && strings.HasPrefix(class, "PN"):
		id.TypeCode = "21"
	case cat == "passport" && state == "RUS":
		id.TypeCode = "22"
	case cat == "passport":
		id.TypeCode = "10"
	case cat == "residence" && state == "RUS":
		id.TypeCode = "12"
	case cat == "id", cat == "residence":
		id.TypeCode = "91"
	default:
		m.warn(WarnDocTypeUnmapped, "identity.type_code",
			"Тип документа не определён сканером: выберите вид документа (код ФНС) вручную")
	}
	russian := state == "RUS"
	number := m.text(regula.FieldDocumentNumber, false, "identity.number", "Номер документа", 30)
	series := m.text(regula.FieldDocumentSeries, false, "identity.series", "Серия документа", 30)
	series = strings.ReplaceAll(series, " ", "")
	number = strings.ReplaceAll(number, " ", "")
	switch id.TypeCode {
	case "21": // series 4 digits + number 6 digits
		if series == "" && len(number) == 10 && allDigits(number) {
			series, number = number[:4], number[4:]
		}
	case "22": // series 2 digits + number 7 digits
		if series == "" && len(number) == 9 && allDigits(number) {
			series, number = number[:2], number[2:]
		}
	}
	id.Series, id.Number = series, number
	id.IssuedOn = m.date(regula.FieldDateOfIssue, regula.PastDate, "identity.issued_on", "Дата выдачи")
	id.ExpiresOn = m.date(regula.FieldDateOfExpiry, regula.FutureDate, "identity.expires_on", "Действителен до")
	id.BirthDate = m.date(regula.FieldDateOfBirth, regula.PastDate, "identity.birth_date", "Дата рождения")
	id.Issuer = m.either(regula.FieldAuthority, russian, "identity.issuer", "Кем выдан", 200)
	id.BirthPlace = m.either(regula.FieldPlaceOfBirth, russian, "identity.birth_place", "Место рождения", 200)
	if v, ok := m.pick(regula.FieldNationalityCode, false, "identity.nationality", "Гражданство"); ok {
		if c, ok := country(v); ok {
			id.Nationality = c
		} else {
			m.warn(WarnFieldUnreadable, "identity.nationality", "Код гражданства прочитан не как код ISO 3166-1: выберите гражданство вручную")
		}
	}
	if v, ok := m.pick(regula.FieldSex, false, "identity.sex", "Пол"); ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "M", "М", "MALE", "МУЖ":
			id.Sex = "M"
		case "F", "Ж", "FEMALE", "ЖЕН":
			id.Sex = "F"
		}
	}
	// Names. The MRZ of a Russian internal passport uses its own transliteration (Q for Я):
	// its Latin name is not taken; the hub transliterates by ICAO 9303 when Latin is wanted.
	if id.TypeCode != "21" {
		id.Latin.Surname = m.text(regula.FieldSurname, false, "identity.latin.surname", "Фамилия (латиница)", 100)
		given := m.text(regula.FieldGivenNames, false, "identity.latin.given", "Имя (латиница)", 100)
		if mid := m.text(regula.FieldMiddleName, false, "identity.latin.given", "Второе имя (латиница)", 100); mid != "" {
			given = strings.TrimSpace(given + " " + mid)
		}
		id.Latin.Given = given
		if russian {
			id.Latin.Patronymic = m.text(regula.FieldFathersName, false, "identity.latin.patronymic", "Отчество (латиница)", 100)
		}
	}
	id.Cyrillic.Surname = m.text(regula.FieldSurname, true, "identity.cyrillic.surname", "Фамилия (кириллица)", 100)
	id.Cyrillic.Given = m.text(regula.FieldGivenNames, true, "identity.cyrillic.given", "Имя (кириллица)", 100)
	if id.Cyrillic.Given == "" {
		id.Cyrillic.Given = m.text(regula.FieldGivenNamesNational, true, "identity.cyrillic.given", "Имя (кириллица)", 100)
	}
	id.Cyrillic.Patronymic = m.text(regula.FieldFathersName, true, "identity.cyrillic.patronymic", "Отчество (кириллица)", 100)
	if id.Cyrillic.Patronymic == "" {
		id.Cyrillic.Patronymic = m.text(regula.FieldFathersNameNational, true, "identity.cyrillic.patronymic", "Отчество (кириллица)", 100)
	}
	if m.r.Status != nil && m.r.Status.OpticalDetails.Expiry == regula.CheckError && id.ExpiresOn == "" {
		m.warn(WarnExpiryFlagged, "identity.expires_on",
			"Сканер отметил документ как просроченный, а дату окончания действия прочитать не удалось: проверьте срок действия")
	}
}

// visa fills Stay[0] from a Russian visa, and the purpose of the visit from its type.
func (m *mapper) visa() {
	st := emis.Stay{Kind: emis.Visa, Selected: true}
	st.Number = strings.ReplaceAll(m.text(regula.FieldDocumentNumber, false, "visa.number", "Номер визы", 30), " ", "")
	if st.Number == "" {
		st.Number = strings.ReplaceAll(m.text(regula.FieldVisaNumber, false, "visa.number", "Номер визы", 30), " ", "")
	}
	st.Series = strings.ReplaceAll(m.text(regula.FieldDocumentSeries, false, "visa.series", "Серия визы", 30), " ", "")
	st.ValidFrom = m.date(regula.FieldVisaValidFrom, regula.FutureDate, "visa.valid_from", "Виза действует с")
	st.ValidTo = m.date(regula.FieldVisaValidUntil, regula.FutureDate, "visa.valid_to", "Виза действует до")
	if st.ValidTo == "" {
		st.ValidTo = m.date(regula.FieldDateOfExpiry, regula.FutureDate, "visa.valid_to", "Виза действует до")
	}
	if v := m.either(regula.FieldNumberOfEntries, true, "visa.entries", "Кратность", 30); v != "" {
		st.Entries = entries(v)
	}
	m.out.Documents.Stay = []emis.Stay{st}
	if v := m.either(regula.FieldVisaType, true, "visit.purpose", "Вид визы", 100); v != "" {
		m.out.Documents.Visit.Purpose = purposeOf(v)
	}
	m.out.VisaPassport = strings.ReplaceAll(m.text(regula.FieldPassportNumber, false, "visa.passport_number", "Номер паспорта в визе", 30), " ", "")
	if st.Number == "" {
		m.warn(WarnFieldUnreadable, "visa.number", "Номер визы не прочитан: введите его вручную")
	}
}

// residence adds the ВНЖ as a stay document (the identity part is filled already).
func (m *mapper) residence() {
	id := m.out.Documents.Identity
	m.out.Documents.Stay = []emis.Stay{{Kind: emis.VNZh, Series: id.Series, Number: id.Number, ValidFrom: id.IssuedOn,
		ValidTo: id.ExpiresOn, Selected: true}}
}

func entries(v string) string {
	u := strings.ToUpper(v)
	switch {
	case strings.Contains(u, "MULT"), strings.Contains(u, "МНОГО"), u == "M":
		return "multiple"
	case strings.Contains(u, "ДВУ"), strings.Contains(u, "DOUBLE"), strings.TrimLeft(u, "0") == "2":
		return "double"
	case strings.Contains(u, "ОДНО"), strings.Contains(u, "SINGLE"), strings.TrimLeft(u, "0") == "1":
		return "single"
	}
	return ""
}

func purposeOf(v string) string {
	u := strings.ToUpper(v)
	for _, p := range []struct{ key, purpose string }{
		{"ТУРИСТ", "tourism"}, {"TOURIS", "tourism"}, {"ДЕЛОВ", "business"}, {"BUSINESS", "business"},
		{"УЧЕБ", "study"}, {"STUD", "study"}, {"РАБОЧ", "work"}, {"WORK", "work"}, {"ЧАСТН", "private"},
		{"PRIVATE", "private"}, {"ТРАНЗИТ", "transit"}, {"TRANSIT", "transit"}, {"ГУМАНИТАР", "humanitarian"},
		{"HUMANITAR", "humanitarian"}, {"СЛУЖЕБ", "official"}, {"OFFICIAL", "official"},
	} {
		if strings.Contains(u, p.key) {
			return p.purpose
		}
	}
	return ""
}

func allDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// chip turns the chip's state into warnings.
func (m *mapper) chip() {
	r := m.r
	hasChip := r.ChipPage > 0 || (r.DocType != nil && r.DocType.RFIDPresence > 0)
	if !m.rfid {
		// Did any field carry a chip value at all (even one not chosen)?
		for _, f := range r.Fields {
			for _, v := range f.Values {
				if v.Source == regula.SourceRFID {
					m.rfid = true
				}
			}
		}
	}
	if hasChip && !m.rfid {
		m.warn(WarnChipNotRead, "chip",
			"В документе есть чип, но он не прочитан: данные взяты из визуальной зоны и MRZ без проверки подписи эмитента. Если возможно, отсканируйте документ ещё раз")
		return
	}
	if !m.rfid || r.Status == nil {
		return
	}
	d := r.Status.RFIDDetails
	switch d.PA {
	case regula.CheckError:
		m.warn(WarnChipPAFailed, "chip.pa",
			"Пассивная аутентификация (PA) не пройдена: подпись эмитента под данными чипа не подтверждена — данные могли быть изменены")
	case regula.CheckNotDone, regula.CheckAbsent:
		m.warn(WarnChipPANotDone, "chip.pa",
			"Пассивная аутентификация (PA) не выполнена (например, нет сертификата эмитента): подлинность данных чипа не подтверждена")
	}
	if d.AA == regula.CheckError {
		m.warn(WarnChipAAFailed, "chip.aa", "Активная аутентификация (AA) не пройдена: чип может быть копией")
	}
	if d.CA == regula.CheckError {
		m.warn(WarnChipCAFailed, "chip.ca", "Аутентификация чипа (CA) не пройдена: чип может быть копией")
	}
	if d.AA != regula.CheckOK && d.CA != regula.CheckOK && d.AA != regula.CheckError && d.CA != regula.CheckError {
		m.warn(WarnChipCloneNotDone, "chip", "Проверка чипа на копирование (AA или CA) не выполнена")
	}
}
