package emis

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stykovka/stykovka/internal/emis/emisclient"
)

// The page has two forms: the scanner's (which only fills the page) and the documents' (whose
// default button, on Enter, is «Сохранить»).

// stayRows is how many visa/РВП/ВНЖ rows the page offers.
const stayRows = 3

// Form field names. Dates are <input type="date"> (yyyy-mm-dd); dd.mm.yyyy typed by hand is
// accepted too.
const (
	fDocType, fSeries, fNumber, fIssued, fExpires, fAuthority = "doc_type", "series", "number", "issued", "expires", "authority"
	fCitizenship, fGender, fBirthDate, fBirthPlace            = "citizenship", "gender", "birth_date", "birth_place"
	fLast, fFirst, fMiddle, fLastLat, fFirstLat, fMiddleLat   = "last_name", "first_name", "middle_name", "last_name_lat", "first_name_lat", "middle_name_lat"
	fStaySelected, fMCSeries, fMCNumber, fMCEntry             = "stay_selected", "mc_series", "mc_number", "mc_entry"
	fPurpose, fStayFrom, fStayTo, fAction, fSample            = "purpose", "stay_from", "stay_to", "action", "sample"
)

func stayField(i int, name string) string { return fmt.Sprintf("stay%d_%s", i, name) }

type option struct{ Value, Label string }

type pageData struct {
	PersonID                                                 string
	BookingID                                                string
	V                                                        map[string]string
	Stays                                                    []int
	Errors                                                   []string
	Saved                                                    int64
	DocTypes, Genders, StayTypes, Entries, Purposes, Samples []option
}

var (
	docTypes = []option{{"10", "Паспорт иностранного гражданина"}, {"21", "Паспорт гражданина РФ"},
		{"22", "Загранпаспорт гражданина РФ"}, {"12", "Вид на жительство в РФ"}, {"15", "Разрешение на временное проживание"},
		{"03", "Свидетельство о рождении"}, {"91", "Иной документ"}}
	genders   = []option{{"", "—"}, {"MALE", "Мужской"}, {"FEMALE", "Женский"}}
	stayTypes = []option{{"", "—"}, {"VISA", "Виза"}, {"RVP", "РВП"}, {"VNZH", "ВНЖ"}}
	entryOpts = []option{{"", "—"}, {"SINGLE", "Однократная"}, {"DOUBLE", "Двукратная"}, {"MULTIPLE", "Многократная"}}
	purposes  = []option{{"", "—"}, {"TOURISM", "Туризм"}, {"BUSINESS", "Деловая"}, {"OFFICIAL", "Служебная"},
		{"STUDY", "Учёба"}, {"WORK", "Работа"}, {"PRIVATE", "Частная"}, {"TRANSIT", "Транзит"},
		{"HUMANITARIAN", "Гуманитарная"}, {"OTHER", "Другая"}}
)

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"stay": stayField,
	"sel":  func(a, b string) bool { return a == b },
}).Parse(`<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>EMIS Service — документы гостя</title>
<style>body{font-family:sans-serif;margin:2em}fieldset{margin-bottom:1em}label{display:inline-block;margin:.2em .8em .2em 0}
.err{color:#b00}.ok{color:#070}table td{padding:.1em .4em}</style></head>
<body>
<h1>EMIS Service (симулятор)</h1>
<p>Системный ID: <b>{{.PersonID}}</b>{{if .BookingID}} · Номер брони: <b>{{.BookingID}}</b>{{end}}</p>
{{if .Saved}}<p class="ok" id="saved">Данные сохранены (версия {{.Saved}}) и переданы в PMS.</p>{{end}}
{{range .Errors}}<p class="err">{{.}}</p>{{end}}
<form method="post" accept-charset="utf-8"><fieldset><legend>Сканер</legend>
<label>Образец документа <select name="sample">{{range .Samples}}<option value="{{.Value}}">{{.Label}}</option>{{end}}</select></label>
<button type="submit" name="action" value="scan">Сканировать</button>
</fieldset></form>
<form method="post" accept-charset="utf-8">
<fieldset><legend>Документ, удостоверяющий личность</legend>
<label>Вид <select name="doc_type">{{range .DocTypes}}<option value="{{.Value}}"{{if sel .Value (index $.V "doc_type")}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<label>Серия <input name="series" value="{{index .V "series"}}" maxlength="30"></label>
<label>Номер <input name="number" value="{{index .V "number"}}" maxlength="30"></label><br>
<label>Дата выдачи <input type="date" name="issued" value="{{index .V "issued"}}"></label>
<label>Действителен до <input type="date" name="expires" value="{{index .V "expires"}}"></label>
<label>Кем выдан <input name="authority" value="{{index .V "authority"}}" maxlength="200" size="40"></label><br>
<label>Гражданство (ISO, 3 буквы) <input name="citizenship" value="{{index .V "citizenship"}}" maxlength="3" size="4"></label>
<label>Пол <select name="gender">{{range .Genders}}<option value="{{.Value}}"{{if sel .Value (index $.V "gender")}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<label>Дата рождения <input type="date" name="birth_date" value="{{index .V "birth_date"}}"></label>
<label>Место рождения <input name="birth_place" value="{{index .V "birth_place"}}" maxlength="200" size="30"></label>
</fieldset>
<fieldset><legend>ФИО</legend>
<label>Фамилия <input name="last_name" value="{{index .V "last_name"}}" maxlength="100"></label>
<label>Имя <input name="first_name" value="{{index .V "first_name"}}" maxlength="100"></label>
<label>Отчество <input name="middle_name" value="{{index .V "middle_name"}}" maxlength="100"></label><br>
<label>Surname <input name="last_name_lat" value="{{index .V "last_name_lat"}}" maxlength="100"></label>
<label>Given names <input name="first_name_lat" value="{{index .V "first_name_lat"}}" maxlength="100"></label>
<label>Patronymic <input name="middle_name_lat" value="{{index .V "middle_name_lat"}}" maxlength="100"></label>
</fieldset>
<fieldset><legend>Визы, РВП, ВНЖ (отметьте документ для этого пребывания)</legend>
<table><tr><th>Выбрана</th><th>Вид</th><th>Серия</th><th>Номер</th><th>С</th><th>По</th><th>Въезды</th></tr>
{{range $i := .Stays}}<tr>
<td><input type="radio" name="stay_selected" value="{{$i}}"{{if sel (index $.V "stay_selected") (printf "%d" $i)}} checked{{end}}></td>
<td><select name="{{stay $i "type"}}">{{range $.StayTypes}}<option value="{{.Value}}"{{if sel .Value (index $.V (stay $i "type"))}} selected{{end}}>{{.Label}}</option>{{end}}</select></td>
<td><input name="{{stay $i "series"}}" value="{{index $.V (stay $i "series")}}" maxlength="30" size="5"></td>
<td><input name="{{stay $i "number"}}" value="{{index $.V (stay $i "number")}}" maxlength="30" size="10"></td>
<td><input type="date" name="{{stay $i "from"}}" value="{{index $.V (stay $i "from")}}"></td>
<td><input type="date" name="{{stay $i "to"}}" value="{{index $.V (stay $i "to")}}"></td>
<td><select name="{{stay $i "entries"}}">{{range $.Entries}}<option value="{{.Value}}"{{if sel .Value (index $.V (stay $i "entries"))}} selected{{end}}>{{.Label}}</option>{{end}}</select></td>
</tr>{{end}}</table>
</fieldset>
<fieldset><legend>Миграционная карта</legend>
<label>Серия <input name="mc_series" value="{{index .V "mc_series"}}" maxlength="30" size="5"></label>
<label>Номер <input name="mc_number" value="{{index .V "mc_number"}}" maxlength="30"></label>
<label>Дата въезда <input type="date" name="mc_entry" value="{{index .V "mc_entry"}}"></label>
</fieldset>
<fieldset><legend>Пребывание</legend>
<label>Цель визита <select name="purpose">{{range .Purposes}}<option value="{{.Value}}"{{if sel .Value (index $.V "purpose")}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<label>С <input type="date" name="stay_from" value="{{index .V "stay_from"}}"></label>
<label>По <input type="date" name="stay_to" value="{{index .V "stay_to"}}"></label>
</fieldset>
<button type="submit" name="action" value="save">Сохранить</button>
</form>
</body></html>
`))

func (s *Server) render(w http.ResponseWriter, status int, sess *session, v map[string]string, errs []string, saved int64) {
	d := pageData{PersonID: sess.PersonID, BookingID: sess.BookingID, V: v, Errors: errs, Saved: saved,
		DocTypes: docTypes, Genders: genders, StayTypes: stayTypes, Entries: entryOpts, Purposes: purposes}
	for i := 0; i < stayRows; i++ {
		d.Stays = append(d.Stays, i)
	}
	for _, smp := range samples {
		d.Samples = append(d.Samples, option{smp.key, smp.label})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}

func notFound(w http.ResponseWriter) {
	http.Error(w, "Сеанс не найден или истёк", http.StatusNotFound)
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	sess, err := s.sessionOf(r)
	if err != nil {
		notFound(w)
		return
	}
	v := map[string]string{}
	if doc, ok := s.latest(sess); ok {
		v = formValues(doc)
	} else if sess.GuestName != "" {
		if strings.IndexFunc(sess.GuestName, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) >= 0 {
			v[fLast] = sess.GuestName
		} else {
			v[fLastLat] = sess.GuestName
		}
	}
	s.render(w, http.StatusOK, sess, v, nil, 0)
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	sess, err := s.sessionOf(r)
	if err != nil {
		notFound(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Форма слишком велика или повреждена", http.StatusRequestEntityTooLarge)
		return
	}
	if r.PostForm.Get(fAction) == "scan" {
		smp, ok := sampleByKey(r.PostForm.Get(fSample))
		if !ok {
			s.render(w, http.StatusBadRequest, sess, flatten(r.PostForm), []string{"Неизвестный образец документа"}, 0)
			return
		}
		s.render(w, http.StatusOK, sess, formValues(smp.doc(dateOf(s.clk.Now()))), nil, 0)
		return
	}
	doc, errs := documentFromForm(r.PostForm)
	if len(errs) > 0 {
		s.render(w, http.StatusUnprocessableEntity, sess, flatten(r.PostForm), errs, 0)
		return
	}
	v := s.save(sess, doc)
	s.render(w, http.StatusOK, sess, formValues(doc), nil, v.Version)
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func flatten(f url.Values) map[string]string {
	v := map[string]string{}
	for k := range f {
		v[k] = f.Get(k)
	}
	return v
}

// documentFromForm reads the posted form into EMIS's document format, checking what a real
// EMIS form would: dates, lengths, known options.
func documentFromForm(f url.Values) (emisclient.Document, []string) {
	var errs []string
	get := func(name, label string, max int) string {
		s := strings.TrimSpace(f.Get(name))
		if utf8.RuneCountInString(s) > max || strings.ContainsFunc(s, unicode.IsControl) || !utf8.ValidString(s) {
			errs = append(errs, "Поле «"+label+"»: не длиннее "+strconv.Itoa(max)+" символов, без управляющих символов")
			return ""
		}
		return s
	}
	date := func(name, label string) string {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			return ""
		}
		for _, layout := range []string{"2006-01-02", emisclient.WireDate} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.Format(emisclient.WireDate)
			}
		}
		errs = append(errs, "Поле «"+label+"»: неверная дата")
		return ""
	}
	choice := func(name, label string, opts []option) string {
		s := f.Get(name)
		for _, o := range opts {
			if o.Value == s {
				return s
			}
		}
		errs = append(errs, "Поле «"+label+"»: недопустимое значение")
		return ""
	}
	d := emisclient.Document{
		Identity: emisclient.Identity{
			DocType: choice(fDocType, "Вид документа", docTypes), Series: get(fSeries, "Серия", 30), Number: get(fNumber, "Номер", 30),
			IssueDate: date(fIssued, "Дата выдачи"), ExpiryDate: date(fExpires, "Действителен до"),
			Authority: get(fAuthority, "Кем выдан", 200), Citizenship: strings.ToUpper(get(fCitizenship, "Гражданство", 3)),
			LastName: get(fLast, "Фамилия", 100), FirstName: get(fFirst, "Имя", 100), MiddleName: get(fMiddle, "Отчество", 100),
			LastNameLat: get(fLastLat, "Surname", 100), FirstNameLat: get(fFirstLat, "Given names", 100),
			MiddleNameLat: get(fMiddleLat, "Patronymic", 100), Gender: choice(fGender, "Пол", genders),
			BirthDate: date(fBirthDate, "Дата рождения"), BirthPlace: get(fBirthPlace, "Место рождения", 200),
		},
		VisitPurpose: choice(fPurpose, "Цель визита", purposes),
		StayFrom:     date(fStayFrom, "Пребывание с"), StayTo: date(fStayTo, "Пребывание по"),
	}
	if c := d.Identity.Citizenship; c != "" && (len(c) != 3 || strings.IndexFunc(c, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0) {
		errs = append(errs, "Гражданство: три латинские буквы кода ISO 3166-1 (например, DEU)")
	}
	sel := f.Get(fStaySelected)
	for i := 0; i < stayRows; i++ {
		st := emisclient.StayDocument{
			Type: choice(stayField(i, "type"), "Вид визы/РВП/ВНЖ", stayTypes), Series: get(stayField(i, "series"), "Серия визы", 30),
			Number: get(stayField(i, "number"), "Номер визы", 30), ValidFrom: date(stayField(i, "from"), "Виза с"),
			ValidTo: date(stayField(i, "to"), "Виза по"), Entries: choice(stayField(i, "entries"), "Въезды", entryOpts),
			Selected: sel == strconv.Itoa(i),
		}
		if st.Type == "" {
			if st.Number != "" || st.Selected {
				errs = append(errs, fmt.Sprintf("Строка %d виз: не выбран вид документа", i+1))
			}
			continue
		}
		d.StayDocuments = append(d.StayDocuments, st)
	}
	mc := emisclient.MigrationCard{Series: get(fMCSeries, "Серия миграционной карты", 30),
		Number: get(fMCNumber, "Номер миграционной карты", 30), EntryDate: date(fMCEntry, "Дата въезда")}
	if mc != (emisclient.MigrationCard{}) {
		d.MigrationCard = &mc
	}
	return d, errs
}

// formValues fills the form from a document (dates to yyyy-mm-dd for the date inputs).
func formValues(d emisclient.Document) map[string]string {
	iso := func(s string) string {
		if t, err := time.Parse(emisclient.WireDate, s); err == nil {
			return t.Format("2006-01-02")
		}
		return s
	}
	id := d.Identity
	v := map[string]string{
		fDocType: id.DocType, fSeries: id.Series, fNumber: id.Number, fIssued: iso(id.IssueDate), fExpires: iso(id.ExpiryDate),
		fAuthority: id.Authority, fCitizenship: id.Citizenship, fGender: id.Gender, fBirthDate: iso(id.BirthDate),
		fBirthPlace: id.BirthPlace, fLast: id.LastName, fFirst: id.FirstName, fMiddle: id.MiddleName,
		fLastLat: id.LastNameLat, fFirstLat: id.FirstNameLat, fMiddleLat: id.MiddleNameLat,
		fPurpose: d.VisitPurpose, fStayFrom: iso(d.StayFrom), fStayTo: iso(d.StayTo),
	}
	for i, st := range d.StayDocuments {
		if i >= stayRows {
			break
		}
		v[stayField(i, "type")], v[stayField(i, "series")], v[stayField(i, "number")] = st.Type, st.Series, st.Number
		v[stayField(i, "from")], v[stayField(i, "to")], v[stayField(i, "entries")] = iso(st.ValidFrom), iso(st.ValidTo), st.Entries
		if st.Selected {
			v[fStaySelected] = strconv.Itoa(i)
		}
	}
	if mc := d.MigrationCard; mc != nil {
		v[fMCSeries], v[fMCNumber], v[fMCEntry] = mc.Series, mc.Number, iso(mc.EntryDate)
	}
	return v
}

var indexTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>Симулятор EMIS</title></head><body>
<h1>Симулятор EMIS Service</h1>
<p>Учётных записей интеграции: {{.Accounts}} · открытых сеансов: {{.Sessions}} · обратных вызовов отправлено: {{.Callbacks}}</p>
<p>Неисправности: <code>GET/POST /_sim/faults</code> (JSON: wrong_credentials, server_errors, callback_delay в наносекундах, callback_repeat, callback_replay).</p>
<pre>{{.Faults}}</pre>
</body></html>
`))

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	d := struct {
		Accounts, Sessions, Callbacks int
		Faults                        string
	}{len(s.accounts), len(s.sessions), len(s.callbacks), fmt.Sprintf("%+v", s.faults)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexTmpl.Execute(w, d)
}
