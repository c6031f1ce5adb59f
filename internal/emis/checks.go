package emis

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/emis/translit"
)

// Warning codes. The checks run "on the fly" whenever documents are read or delivered, so
// that a document that expires between two reads is reported on the second.
const (
	WarnDocExpired          = "DOC_EXPIRED"             // identity document past its expiry
	WarnDocExpiresInStay    = "DOC_EXPIRES_DURING_STAY" // identity document expires before the stay ends
	WarnDocTypeUnknown      = "DOC_TYPE_UNKNOWN"        // type code not in DocumentTypes
	WarnVisaSelectedExpired = "VISA_SELECTED_EXPIRED"   // several visas, the selected one expired
	WarnStayExpired         = "STAY_DOC_EXPIRED"        // the (only or selected) visa/РВП/ВНЖ expired
	WarnStayNotYetValid     = "STAY_DOC_NOT_YET_VALID"  // its validity starts after today
	WarnStayBeyondValidity  = "STAY_BEYOND_VALIDITY"    // the stay ends after the document does
	WarnStayNotSelected     = "STAY_DOC_NOT_SELECTED"   // several documents, none selected
	WarnStaySeveralSelected = "STAY_DOC_SEVERAL_SELECTED"
	WarnMigrationCard       = "MIGRATION_CARD_REQUIRED" // foreigner, not exempt, no card
	WarnFieldMissing        = "FIELD_MISSING"           // a field the arrival notice needs is empty
	WarnFieldTooLong        = "FIELD_TOO_LONG"          // longer than the arrival notice allows
	WarnDatesInconsistent   = "DATES_INCONSISTENT"
	WarnNameTransliterated  = "NAME_TRANSLITERATED" // the name in the PMS's script was derived
	WarnNameUntranslatable  = "NAME_UNTRANSLATABLE" // some letters could not be transliterated
	WarnEmisUnavailable     = "EMIS_UNAVAILABLE"    // GetDocuments: stored data shown, EMIS not asked
)

// MigrationCardExempt are the citizenships whose holders need no migration card (Belarus by
// the Union State agreement; Armenia, Kyrgyzstan and Kazakhstan as EAEU members entering for a
// stay the seed's rule covers). Holders of an РВП or a ВНЖ are exempt whatever their
// citizenship.
var MigrationCardExempt = map[string]bool{"BLR": true, "ARM": true, "KGZ": true, "KAZ": true}

// Limit is a field length limit of the arrival notice (уведомление о прибытии иностранного
// гражданина), counted in characters after trimming spaces.
type Limit struct {
	Field string // path, as in Warning.Field
	Label string // Russian
	Max   int
}

// NoticeLimits are the limits the hub applies. A longer value is kept as it is and reported
// with FIELD_TOO_LONG: the operator shortens it as the notice's rules say, the hub never
// truncates.
var NoticeLimits = []Limit{
	{"name.surname", "Фамилия", 35},
	{"name.given", "Имя", 35},
	{"name.patronymic", "Отчество", 35},
	{"identity.cyrillic.surname", "Фамилия (кириллица)", 35},
	{"identity.cyrillic.given", "Имя (кириллица)", 35},
	{"identity.cyrillic.patronymic", "Отчество (кириллица)", 35},
	{"identity.latin.surname", "Фамилия (латиница)", 35},
	{"identity.latin.given", "Имя (латиница)", 35},
	{"identity.latin.patronymic", "Отчество (латиница)", 35},
	{"identity.series", "Серия документа", 4},
	{"identity.number", "Номер документа", 9},
	{"stay[].series", "Серия визы/РВП/ВНЖ", 4},
	{"stay[].number", "Номер визы/РВП/ВНЖ", 9},
	{"migration_card.series", "Серия миграционной карты", 4},
	{"migration_card.number", "Номер миграционной карты", 7},
}

func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(DateLayout, s)
	return t, err == nil
}

// dateOf is the civil date of t in loc, at UTC midnight, comparable with parseDate's.
func dateOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// before reports whether date a is set and strictly before b (set).
func before(a string, b time.Time) bool {
	t, ok := parseDate(a)
	return ok && t.Before(b)
}

func fmtDate(t time.Time) string { return t.Format("02.01.2006") }

var stayNames = map[StayKind]string{Visa: "виза", RVP: "РВП", VNZh: "ВНЖ"}

// Review renders the name in script and checks the documents as of today (a civil date at
// UTC midnight). It never changes d: every finding is a warning.
func Review(d Documents, script Script, today time.Time) (Name, []Warning) {
	var w warnings
	name := renderName(d.Identity, script, &w)
	checkIdentity(d, today, &w)
	checkStay(d, today, &w)
	checkMigrationCard(d, &w)
	checkLimits(d, name, &w)
	return name, w.list
}

type warnings struct{ list []Warning }

func (w *warnings) add(code, field, msg string) {
	w.list = append(w.list, Warning{Code: code, Field: field, Message: msg})
}

// renderName picks the name in script, transliterating from the other script part by part
// where the wanted one is empty.
func renderName(id Identity, script Script, w *warnings) Name {
	want, other, conv := id.Latin, id.Cyrillic, translit.ToLatin
	if script == Cyrillic {
		want, other, conv = id.Cyrillic, id.Latin, translit.ToCyrillic
	}
	out := want
	converted, unknown := false, false
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&out.Surname, other.Surname}, {&out.Given, other.Given}, {&out.Patronymic, other.Patronymic},
	} {
		if *p.dst != "" || p.src == "" {
			continue
		}
		r := conv(p.src)
		*p.dst, converted, unknown = r.Text, true, unknown || !r.OK()
	}
	if converted {
		if script == Cyrillic {
			w.add(WarnNameTransliterated, "name",
				"ФИО на кириллице получено из латиницы по обратному правилу ICAO 9303 (Е/Ё/Э, Ь и Ъ не восстанавливаются): проверьте написание по документу")
		} else {
			w.add(WarnNameTransliterated, "name", "ФИО латиницей получено транслитерацией из кириллицы по ICAO 9303")
		}
	}
	if unknown {
		w.add(WarnNameUntranslatable, "name", "В ФИО есть буквы, которые не удалось транслитерировать: они оставлены как есть")
	}
	return out
}

func checkIdentity(d Documents, today time.Time, w *warnings) {
	id := d.Identity
	if id.TypeCode != "" && DocumentTypes[id.TypeCode] == "" {
		w.add(WarnDocTypeUnknown, "identity.type_code", "Неизвестный код вида документа, удостоверяющего личность")
	}
	if id.Cyrillic.Surname == "" && id.Latin.Surname == "" {
		w.add(WarnFieldMissing, "identity.surname", "Не заполнена фамилия")
	}
	if id.Number == "" {
		w.add(WarnFieldMissing, "identity.number", "Не заполнен номер документа, удостоверяющего личность")
	}
	if id.BirthDate == "" {
		w.add(WarnFieldMissing, "identity.birth_date", "Не заполнена дата рождения")
	}
	if id.Nationality == "" {
		w.add(WarnFieldMissing, "identity.nationality", "Не заполнено гражданство: нельзя проверить, нужна ли миграционная карта")
	}
	if exp, ok := parseDate(id.ExpiresOn); ok {
		if exp.Before(today) {
			w.add(WarnDocExpired, "identity.expires_on", "Срок действия документа, удостоверяющего личность, истёк "+fmtDate(exp))
		} else if before(id.ExpiresOn, mustDate(d.Visit.To)) {
			w.add(WarnDocExpiresInStay, "identity.expires_on",
				"Срок действия документа, удостоверяющего личность, истекает до окончания пребывания ("+fmtDate(exp)+")")
		}
	}
	if birth, ok := parseDate(id.BirthDate); ok {
		if birth.After(today) || before(id.IssuedOn, birth) {
			w.add(WarnDatesInconsistent, "identity.birth_date", "Дата рождения позже сегодняшней или позже даты выдачи документа")
		}
	}
	if before(id.ExpiresOn, mustDate(id.IssuedOn)) {
		w.add(WarnDatesInconsistent, "identity.expires_on", "Дата окончания действия документа раньше даты выдачи")
	}
	if before(d.Visit.To, mustDate(d.Visit.From)) {
		w.add(WarnDatesInconsistent, "visit.to", "Окончание пребывания раньше его начала")
	}
}

// mustDate parses a date for comparisons; an empty or bad one compares as the zero time, which
// before() never reports.
func mustDate(s string) time.Time {
	t, ok := parseDate(s)
	if !ok {
		return time.Time{}
	}
	return t
}

func checkStay(d Documents, today time.Time, w *warnings) {
	if len(d.Stay) == 0 {
		return
	}
	sel := -1
	selected := 0
	visas := 0
	for i, s := range d.Stay {
		if s.Selected {
			selected++
			if sel < 0 {
				sel = i
			}
		}
		if s.Kind == Visa {
			visas++
		}
	}
	switch {
	case selected > 1:
		w.add(WarnStaySeveralSelected, "stay", "Выбрано несколько виз/РВП/ВНЖ: выберите один документ для этого пребывания")
	case selected == 0 && len(d.Stay) > 1:
		w.add(WarnStayNotSelected, "stay", "У гостя несколько виз/РВП/ВНЖ, но ни один документ не выбран")
	case selected == 0:
		sel = 0 // the only document is the one
	}
	if sel < 0 || selected > 1 {
		return
	}
	s := d.Stay[sel]
	field := fmt.Sprintf("stay[%d]", sel)
	kind := stayNames[s.Kind]
	if to, ok := parseDate(s.ValidTo); ok && to.Before(today) {
		if s.Kind == Visa && visas > 1 {
			msg := "Выбрана просроченная виза (действовала по " + fmtDate(to) + ")"
			if valid := validVisa(d.Stay, sel, today); valid >= 0 {
				msg += fmt.Sprintf(": у гостя есть действующая виза (документ %d) — выберите её", valid+1)
			} else {
				msg += ": действующей визы среди документов гостя нет"
			}
			w.add(WarnVisaSelectedExpired, field+".valid_to", msg)
		} else {
			w.add(WarnStayExpired, field+".valid_to", "Срок действия документа «"+kind+"» истёк "+fmtDate(to))
		}
	} else if ok && before(s.ValidTo, mustDate(d.Visit.To)) {
		w.add(WarnStayBeyondValidity, field+".valid_to", "Пребывание заканчивается позже срока действия документа «"+kind+"» ("+fmtDate(to)+")")
	}
	if from, ok := parseDate(s.ValidFrom); ok && from.After(today) {
		w.add(WarnStayNotYetValid, field+".valid_from", "Документ «"+kind+"» начинает действовать только "+fmtDate(from))
	}
	if s.ValidFrom != "" && before(s.ValidTo, mustDate(s.ValidFrom)) {
		w.add(WarnDatesInconsistent, field+".valid_to", "Окончание действия документа «"+kind+"» раньше начала")
	}
}

// validVisa returns the index of a visa other than skip that is valid today, or -1.
func validVisa(stay []Stay, skip int, today time.Time) int {
	for i, s := range stay {
		if i == skip || s.Kind != Visa {
			continue
		}
		if to, ok := parseDate(s.ValidTo); ok && !to.Before(today) {
			if from, ok := parseDate(s.ValidFrom); !ok || !from.After(today) {
				return i
			}
		}
	}
	return -1
}

func checkMigrationCard(d Documents, w *warnings) {
	nat := d.Identity.Nationality
	if nat == "" || nat == "RUS" || MigrationCardExempt[nat] {
		return
	}
	for _, s := range d.Stay {
		if s.Kind == RVP || s.Kind == VNZh {
			return
		}
	}
	if d.MigrationCard == nil || d.MigrationCard.Number == "" {
		w.add(WarnMigrationCard, "migration_card",
			"Нужна миграционная карта: гражданство не освобождает от неё (освобождены Беларусь, Армения, Киргизия, Казахстан) и у гостя нет РВП или ВНЖ")
	}
}

func checkLimits(d Documents, name Name, w *warnings) {
	values := map[string][]string{
		"name.surname":                 {name.Surname},
		"name.given":                   {name.Given},
		"name.patronymic":              {name.Patronymic},
		"identity.cyrillic.surname":    {d.Identity.Cyrillic.Surname},
		"identity.cyrillic.given":      {d.Identity.Cyrillic.Given},
		"identity.cyrillic.patronymic": {d.Identity.Cyrillic.Patronymic},
		"identity.latin.surname":       {d.Identity.Latin.Surname},
		"identity.latin.given":         {d.Identity.Latin.Given},
		"identity.latin.patronymic":    {d.Identity.Latin.Patronymic},
		"identity.series":              {d.Identity.Series},
		"identity.number":              {d.Identity.Number},
	}
	for _, s := range d.Stay {
		values["stay[].series"] = append(values["stay[].series"], s.Series)
		values["stay[].number"] = append(values["stay[].number"], s.Number)
	}
	if mc := d.MigrationCard; mc != nil {
		values["migration_card.series"] = []string{mc.Series}
		values["migration_card.number"] = []string{mc.Number}
	}
	for _, l := range NoticeLimits {
		for i, v := range values[l.Field] {
			if utf8.RuneCountInString(strings.TrimSpace(v)) <= l.Max {
				continue
			}
			field := l.Field
			if strings.Contains(field, "[]") {
				field = strings.Replace(field, "[]", fmt.Sprintf("[%d]", i), 1)
			}
			w.add(WarnFieldTooLong, field, fmt.Sprintf("Поле «%s» длиннее %d символов, допустимых в уведомлении о прибытии", l.Label, l.Max))
		}
	}
}
