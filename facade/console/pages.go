package console

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/sep"
)

// listLimit bounds the rows of each list on a page: a console page stays small and quick on
// a slow front-desk PC; 1C has the full registers.
const listLimit = 100

// badge is a status shown as a coloured label with its text (and a sign), never colour alone.
type badge struct {
	Text  string
	Class string // st-red, st-blue, st-green, st-gray, st-amber
	Sign  string // ✖ ● ✔ … for readers who do not tell the colours apart
}

func badgeOf(class, text string) badge {
	signs := map[string]string{"st-red": "✖", "st-blue": "●", "st-green": "✔", "st-gray": "○", "st-amber": "▲"}
	return badge{Text: text, Class: class, Sign: signs[class]}
}

// ---- overview

type overviewView struct {
	Cards []card
}

type card struct {
	Title, Href string
	Lines       []string
	State       badge
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ctx := r.Context()
	v := c.base(r, "overview", "Сводка")
	var cards []card

	sc := card{Title: "СЭП — электронные паспорта", Href: Prefix + "sep"}
	if n, err := c.h.Sep.Counts(ctx, p.Tenant); err == nil {
		sc.Lines = []string{fmt.Sprintf("Писем к обработке: %d", n.Letters), fmt.Sprintf("Запросов ждут ответа СЭП: %d", n.Waiting),
			fmt.Sprintf("Смен собственника не исполнено: %d", n.Ownership)}
		sc.State = badgeOf("st-green", "в порядке")
		if n.Letters > 0 || n.Waiting > 0 {
			sc.State = badgeOf("st-blue", "есть работа")
		}
	} else {
		sc.State, sc.Lines = badgeOf("st-red", "ошибка"), []string{apperr.As(err).Message}
	}
	cards = append(cards, sc)

	nc := card{Title: "«Мои счета» (Новотелеком)", Href: Prefix + "novotelecom"}
	if pend, err := c.h.Novotelecom.Pending(ctx, p.Tenant, novotelecom.ListRequest{Limit: 1000}); err == nil {
		sum := money.FromInt(0)
		for _, r := range pend.Items {
			sum = sum.Add(r.Sum)
		}
		nc.Lines = append(nc.Lines, fmt.Sprintf("Реестров к приёму: %d на сумму %s", len(pend.Items), fmtMoney(sum)))
		nc.State = badgeOf("st-green", "в порядке")
		if len(pend.Items) > 0 {
			nc.State = badgeOf("st-blue", "есть реестры к приёму")
		}
	}
	if ss, err := c.h.Novotelecom.Sessions(ctx, p.Tenant, novotelecom.ListRequest{Limit: 1}); err == nil && len(ss.Items) > 0 {
		s := ss.Items[0]
		nc.Lines = append(nc.Lines, "Последний обмен: "+c.fmtTime(p.Tenant, s.Started)+" — "+sessionBadge(s.State).Text)
		if s.State == novotelecom.SessionFailed {
			nc.State = badgeOf("st-red", "последний обмен с ошибкой")
		}
	} else if err == nil {
		nc.Lines = append(nc.Lines, "Обменов ещё не было")
	}
	cards = append(cards, nc)

	kc := card{Title: "Контур — бонусные баллы", Href: Prefix + "kontur", State: badgeOf("st-green", "в порядке")}
	if page, err := c.h.Kontur.ListWriteOffs(ctx, p.Tenant, kontur.WriteOffQuery{Order: kontur.NewestFirst, Limit: listLimit}); err == nil {
		pending, failed := 0, 0
		for _, wo := range page.Items {
			if wo.State.Pending() {
				pending++
			}
			if wo.State == kontur.StateFailed {
				failed++
			}
		}
		kc.Lines = []string{fmt.Sprintf("Последних списаний: %d, в работе: %d, отказов: %d", len(page.Items), pending, failed)}
		if pending > 0 {
			kc.State = badgeOf("st-blue", "есть списания в работе")
		}
	}
	cards = append(cards, kc)

	ec := card{Title: "EMIS — документы гостей", Href: Prefix + "emis", State: badgeOf("st-green", "в порядке")}
	if n, err := c.h.Emis.PendingDeliveries(ctx, p.Tenant); err == nil {
		ec.Lines = append(ec.Lines, fmt.Sprintf("Доставок в PMS в очереди: %d", n))
	}
	if dead, err := c.h.Emis.DeadLetters(ctx, p.Tenant); err == nil {
		ec.Lines = append(ec.Lines, fmt.Sprintf("Не доставлено в PMS: %d", len(dead)))
		if len(dead) > 0 {
			ec.State = badgeOf("st-red", "есть недоставленные")
		}
	}
	cards = append(cards, ec)

	bc := card{Title: "Сканеры документов", Href: Prefix + "bridge", State: badgeOf("st-green", "в порядке")}
	if devs, err := c.h.Bridge.Devices(ctx, p.Tenant); err == nil {
		active, last := 0, time.Time{}
		for _, d := range devs {
			if !d.Revoked {
				active++
			}
			if d.LastSeen.After(last) {
				last = d.LastSeen
			}
		}
		bc.Lines = []string{fmt.Sprintf("Рабочих мест: %d", active), "Последняя связь: " + c.fmtTime(p.Tenant, last)}
		if active == 0 {
			bc.State = badgeOf("st-gray", "не подключены")
		}
	}
	cards = append(cards, bc)

	cards = append(cards, card{Title: "Состояние внешних систем", Href: Prefix + "health",
		Lines: []string{"Адреса систем, последние обмены, задания по расписанию"}, State: badgeOf("st-gray", "подробно")})
	v.Data = overviewView{Cards: cards}
	c.render(w, r, http.StatusOK, "overview", v)
}

// ---- SEP

type sepView struct {
	Configured   bool
	Counts       sep.Counts
	Legend       []legendRow
	Entries      []sepRow
	Letters      []letterRow
	Organisation string
	HasOrg       bool
}

type legendRow struct {
	Badge badge
	Count int
	Hint  string
}

type sepRow struct {
	ID, Created, Type, Subject, Organisation, QueueID, Queued, Answered, Errors string
	Status                                                                      badge
	Attempts                                                                    int
}

type letterRow struct {
	Received, Subject, EPTS, Application, Status string
}

func sepBadge(s sep.Status) badge {
	switch s.Color() {
	case "red":
		return badgeOf("st-red", string(s))
	case "blue":
		return badgeOf("st-blue", string(s))
	case "green":
		return badgeOf("st-green", string(s))
	}
	return badgeOf("st-gray", string(s))
}

var sepTypes = map[sep.RequestType]string{
	sep.ReqApplications: "Заявления за период",
	sep.ReqApplication:  "Данные заявления",
	sep.ReqConfirm:      "Подтверждение заявления",
	sep.ReqLease:        "Заявление о лизинге",
}

func (c *Console) sepPage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ctx := r.Context()
	v := c.base(r, "sep", "СЭП: очередь запросов")
	d := sepView{Configured: c.h.Cfg.Sep.URL != ""}
	var err error
	if d.Counts, err = c.h.Sep.Counts(ctx, p.Tenant); err != nil {
		c.fail(w, r, err)
		return
	}
	q, err := c.h.Sep.Queue(ctx, p.Tenant, sep.QueueQuery{PageRequest: sep.PageRequest{Limit: listLimit, Desc: true}})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	counts := map[sep.Status]int{}
	for _, e := range q.Items {
		counts[e.Status]++
		row := sepRow{ID: e.ID, Created: c.fmtTime(p.Tenant, e.Created), Type: sepTypes[e.Type], Subject: e.Subject,
			Organisation: e.OrganisationINN, QueueID: e.QueueID, Queued: c.fmtTime(p.Tenant, e.Queued),
			Answered: c.fmtTime(p.Tenant, e.Answered), Status: sepBadge(e.Status), Attempts: e.Attempts}
		if row.Type == "" {
			row.Type = string(e.Type)
		}
		var msgs []string
		for _, re := range e.Errors {
			msgs = append(msgs, strings.TrimSpace(re.Code+" "+re.Message))
		}
		row.Errors = strings.Join(msgs, "; ")
		d.Entries = append(d.Entries, row)
	}
	for _, s := range []struct {
		st   sep.Status
		hint string
	}{
		{sep.StatusXMLError, "СЭП не прочитал запрос: исправьте данные и отправьте снова"},
		{sep.StatusRequestError, "СЭП отказал в запросе: причина в колонке «Ошибки»"},
		{sep.StatusQueued, "Запрос в очереди СЭП: ответ — не ранее чем через 60 секунд"},
		{sep.StatusAnswered, "Ответ получен и записан в регистры"},
		{sep.StatusPending, "Запрос ещё не отправлен (СЭП недоступен — повторим)"},
	} {
		d.Legend = append(d.Legend, legendRow{Badge: sepBadge(s.st), Count: counts[s.st], Hint: s.hint})
	}
	letters, err := c.h.Sep.Letters(ctx, p.Tenant, sep.LetterQuery{ToProcess: true, PageRequest: sep.PageRequest{Limit: listLimit}})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, l := range letters.Items {
		d.Letters = append(d.Letters, letterRow{Received: c.fmtTime(p.Tenant, l.Received), Subject: l.Subject,
			EPTS: l.EPTS, Application: l.ApplicationNumber, Status: l.Status})
	}
	if st, err := c.h.Sep.Settings(ctx, p.Tenant); err == nil && len(st.Organisations) > 0 {
		d.HasOrg = true
		d.Organisation = st.Organisations[0].Name + " (ИНН " + st.Organisations[0].INN + ")"
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "sep", v)
}

func (c *Console) sepOrg(r *http.Request, tenant string) (string, error) {
	st, err := c.h.Sep.Settings(r.Context(), tenant)
	if err != nil {
		return "", err
	}
	if len(st.Organisations) == 0 {
		return "", sep.ErrNotConfigured
	}
	return st.Organisations[0].INN, nil
}

// sepRequestLetters asks SEP for the applications of the letters to process («Запрос данных
// заявления» for each).
func (c *Console) sepRequestLetters(r *http.Request, tenant string) (string, string, error) {
	back := Prefix + "sep"
	org, err := c.sepOrg(r, tenant)
	if err != nil {
		return back, "", err
	}
	letters, err := c.h.Sep.Letters(r.Context(), tenant, sep.LetterQuery{ToProcess: true, PageRequest: sep.PageRequest{Limit: 50}})
	if err != nil {
		return back, "", err
	}
	var ids []string
	for _, l := range letters.Items {
		if l.EPTS != "" {
			ids = append(ids, l.ID)
		}
	}
	if len(ids) == 0 {
		return back, "Писем к обработке нет: запрашивать нечего", nil
	}
	entries, err := c.h.Sep.RequestLetterData(r.Context(), tenant, sep.LetterDataRequest{OrganisationINN: org, LetterIDs: ids})
	if err != nil {
		return back, "", err
	}
	return back, fmt.Sprintf("Отправлено запросов данных заявлений: %d", len(entries)), nil
}

// sepRequestPeriod asks SEP for the organisation's applications of the last 30 days.
func (c *Console) sepRequestPeriod(r *http.Request, tenant string) (string, string, error) {
	back := Prefix + "sep"
	org, err := c.sepOrg(r, tenant)
	if err != nil {
		return back, "", err
	}
	now := c.h.Deps.Clock.Now().In(c.h.Tenants.Location(tenant))
	from := now.AddDate(0, 0, -30)
	e, err := c.h.Sep.RequestApplications(r.Context(), tenant, sep.PeriodRequest{OrganisationINN: org, From: from, To: now})
	if err != nil {
		return back, "", err
	}
	return back, "Запрос «" + e.Subject + "» — " + string(e.Status), nil
}

// sepPoll asks SEP now for the results that are due (no sooner than 60 s after a queue number).
func (c *Console) sepPoll(r *http.Request, tenant string) (string, string, error) {
	back := Prefix + "sep"
	if c.h.Cfg.Sep.URL == "" {
		return back, "", apperr.New(apperr.Unavailable, "SEP_NOT_CONFIGURED", "Адрес СЭП не настроен: опрос невозможен")
	}
	rep, err := c.h.Sep.PollTenant(r.Context(), tenant)
	if err != nil {
		return back, "", err
	}
	if rep.Due == 0 {
		return back, "Опрошено: 0 — ни один запрос ещё не готов (ответ не ранее чем через 60 секунд после номера очереди)", nil
	}
	return back, fmt.Sprintf("Опрошено запросов: %d, обработано: %d", rep.Due, rep.Worked), nil
}

// ---- Novotelecom

type ntView struct {
	Configured    bool
	Settings      string
	Sessions      []sessionRow
	AwaitingCount int
	AwaitingSum   string
	Awaiting      []registryRow
	Folders       []folderView
	Errors        []ntErrorRow
}

type sessionRow struct {
	Started, Finished, Kind, Message string
	State                            badge
	Sent, Received, Awaiting, Errors int
}

type registryRow struct {
	ID, File, Kind, Folder, Date, Period, Sum, When, Diagnostic string
	Number                                                      int
	Count                                                       int64
	Status                                                      badge
}

type folderView struct {
	ID, Title, Hint string
	Rows            []registryRow
	More            bool
}

type ntErrorRow struct {
	At, File, Line, Message string
}

func sessionBadge(s novotelecom.SessionState) badge {
	switch s {
	case novotelecom.SessionDone:
		return badgeOf("st-green", "выполнен")
	case novotelecom.SessionFailed:
		return badgeOf("st-red", "ошибка")
	}
	return badgeOf("st-blue", "идёт")
}

func folderBadge(f novotelecom.Folder) badge {
	switch f {
	case novotelecom.FolderErrors, novotelecom.FolderRejected:
		return badgeOf("st-red", f.Title())
	case novotelecom.FolderAwaiting, novotelecom.FolderAccepting, novotelecom.FolderSent, novotelecom.FolderOutgoing, novotelecom.FolderIncoming:
		return badgeOf("st-blue", f.Title())
	case novotelecom.FolderAccepted, novotelecom.FolderProcessed:
		return badgeOf("st-green", f.Title())
	}
	return badgeOf("st-gray", f.Title())
}

func (c *Console) registryRow(tenant string, reg novotelecom.Registry) registryRow {
	row := registryRow{ID: reg.ID, File: reg.File, Kind: string(reg.Kind), Folder: reg.Folder.Title(), Number: reg.Number,
		Count: reg.Count, Sum: fmtMoney(reg.Sum), Status: folderBadge(reg.Folder), Diagnostic: reg.Diagnostic}
	if !reg.Date.IsZero() {
		row.Date = reg.Date.Format("02.01.2006")
	}
	if !reg.Period.IsZero() {
		row.Period = reg.Period.String()
	}
	when := reg.Created
	switch {
	case !reg.Accepted.IsZero():
		when = reg.Accepted
	case !reg.Received.IsZero():
		when = reg.Received
	case !reg.Sent.IsZero():
		when = reg.Sent
	}
	row.When = c.fmtTime(tenant, when)
	if len(reg.Errors) > 0 {
		row.Diagnostic = strings.TrimSpace(row.Diagnostic + " " + strings.Join(reg.Errors, "; "))
	}
	return row
}

func (c *Console) novotelecomPage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ctx := r.Context()
	v := c.base(r, "novotelecom", "«Мои счета»: обмен с Новотелекомом")
	d := ntView{Configured: c.h.Cfg.Novotelecom.BaseURL != ""}
	if st, err := c.h.Novotelecom.Settings(ctx, p.Tenant); err == nil {
		d.Settings = "обмен по запросу"
		if st.ExchangeEvery > 0 {
			d.Settings = fmt.Sprintf("обмен каждые %d мин и по запросу", st.ExchangeEvery)
		}
	} else {
		d.Settings = apperr.As(err).Message
	}
	ss, err := c.h.Novotelecom.Sessions(ctx, p.Tenant, novotelecom.ListRequest{Limit: 20})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, s := range ss.Items {
		row := sessionRow{Started: c.fmtTime(p.Tenant, s.Started), Finished: c.fmtTime(p.Tenant, s.Finished),
			Kind: "по расписанию", State: sessionBadge(s.State), Sent: s.Sent, Received: s.Received,
			Awaiting: s.Awaiting, Errors: s.Errors, Message: s.Message}
		if s.Manual {
			row.Kind = "по запросу"
		}
		if s.Error != "" {
			row.Message = strings.TrimSpace(s.Error + " (" + s.ErrorCode + ")")
		}
		d.Sessions = append(d.Sessions, row)
	}
	pend, err := c.h.Novotelecom.Pending(ctx, p.Tenant, novotelecom.ListRequest{Limit: 1000})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sum := money.FromInt(0)
	for _, reg := range pend.Items {
		sum = sum.Add(reg.Sum)
		if len(d.Awaiting) < listLimit {
			d.Awaiting = append(d.Awaiting, c.registryRow(p.Tenant, reg))
		}
	}
	d.AwaitingCount, d.AwaitingSum = len(pend.Items), fmtMoney(sum)
	for _, f := range []struct {
		id, title, hint string
		folders         []novotelecom.Folder
	}{
		{"outgoing", "Исходящие", "ждут следующего обмена", []novotelecom.Folder{novotelecom.FolderOutgoing}},
		{"sent", "Отправлены", "на сервере Новотелекома; «Обработаны» — Новотелеком их принял",
			[]novotelecom.Folder{novotelecom.FolderSent, novotelecom.FolderProcessed}},
		{"incoming", "Входящие", "получены от Новотелекома: к приёму, принятые, ответы",
			[]novotelecom.Folder{novotelecom.FolderIncoming, novotelecom.FolderAwaiting, novotelecom.FolderAccepting,
				novotelecom.FolderAccepted, novotelecom.FolderAnswers}},
		{"errors", "Ошибки", "наши файлы, которые Новотелеком отклонил, и полученные файлы с ошибками",
			[]novotelecom.Folder{novotelecom.FolderErrors, novotelecom.FolderRejected}},
	} {
		fv := folderView{ID: f.id, Title: f.title, Hint: f.hint}
		for _, folder := range f.folders {
			page, err := c.h.Novotelecom.Registries(ctx, p.Tenant, novotelecom.RegistriesRequest{Folder: folder,
				ListRequest: novotelecom.ListRequest{Limit: listLimit}})
			if err != nil {
				c.fail(w, r, err)
				return
			}
			for _, reg := range page.Items {
				fv.Rows = append(fv.Rows, c.registryRow(p.Tenant, reg))
			}
			fv.More = fv.More || page.Next != ""
		}
		d.Folders = append(d.Folders, fv)
	}
	errs, err := c.h.Novotelecom.Errors(ctx, p.Tenant, novotelecom.ListRequest{Limit: 50})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, e := range errs.Items {
		row := ntErrorRow{At: c.fmtTime(p.Tenant, e.At), File: e.File, Message: e.Message}
		if e.Line >= 0 && e.File != "" {
			row.Line = strconv.FormatInt(e.Line, 10)
		}
		d.Errors = append(d.Errors, row)
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "novotelecom", v)
}

func (c *Console) novotelecomExchange(r *http.Request, tenant string) (string, string, error) {
	back := Prefix + "novotelecom"
	s, err := c.h.Novotelecom.RunExchange(r.Context(), tenant, time.Time{})
	if err != nil {
		return back, "", err
	}
	msg := s.Message
	if msg == "" {
		msg = fmt.Sprintf("Передано файлов: %d, принято: %d", s.Sent, s.Received)
	}
	return back, "Обмен выполнен. " + msg, nil
}

func (c *Console) novotelecomAccept(r *http.Request, tenant string) (string, string, error) {
	back := Prefix + "novotelecom"
	id := r.PostForm.Get("registry")
	doc, err := c.h.Novotelecom.Accept(r.Context(), tenant, novotelecom.AcceptRequest{RegistryID: id})
	if err != nil {
		return back, "", err
	}
	return back + "#awaiting", fmt.Sprintf("Реестр %s принят: %s, строк %d на сумму %s", doc.File, doc.Title, doc.Count, fmtMoney(doc.Sum)), nil
}

// ---- Kontur

type konturView struct {
	Configured bool
	Legend     []legendRow
	Rows       []writeOffRow
}

type writeOffRow struct {
	Created, RequestID, Folio, Card, PaymentType, Amount, Reason, OperationID string
	State                                                                     badge
}

func writeOffBadge(s kontur.State) badge {
	switch s {
	case kontur.StateRecorded:
		return badgeOf("st-green", s.Name())
	case kontur.StateFailed:
		return badgeOf("st-red", s.Name())
	case kontur.StateCancelled:
		return badgeOf("st-gray", s.Name())
	}
	return badgeOf("st-blue", s.Name())
}

func (c *Console) konturPage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	v := c.base(r, "kontur", "Контур: списания бонусных баллов")
	d := konturView{Configured: c.h.Cfg.Kontur.BaseURL != ""}
	page, err := c.h.Kontur.ListWriteOffs(r.Context(), p.Tenant, kontur.WriteOffQuery{Order: kontur.NewestFirst, Limit: listLimit})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	counts := map[kontur.State]int{}
	for _, wo := range page.Items {
		counts[wo.State]++
		row := writeOffRow{Created: c.fmtTime(p.Tenant, wo.Created), RequestID: wo.RequestID, Folio: wo.FolioID,
			Card: wo.CardMasked, PaymentType: wo.PaymentName, Amount: fmtMoney(wo.Amount) + " " + wo.Currency,
			OperationID: wo.OperationID, State: writeOffBadge(wo.State)}
		if wo.Reason != "" {
			row.Reason = wo.Reason + " (" + wo.ReasonCode + ")"
		}
		d.Rows = append(d.Rows, row)
	}
	for _, s := range []kontur.State{kontur.StateRequested, kontur.StateDebiting, kontur.StateRecorded, kontur.StateFailed,
		kontur.StateCancelling, kontur.StateCancelled} {
		d.Legend = append(d.Legend, legendRow{Badge: writeOffBadge(s), Count: counts[s]})
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "kontur", v)
}

// ---- EMIS

type emisView struct {
	Configured bool
	Pending    int
	Rows       []emisRow
	Dead       []deadRow
	Warnings   int
}

type emisRow struct {
	Person, Legal, Booking, Session, Saved, Name, Document string
	Version                                                int64
	Delivery                                               badge
	Warnings                                               []string
}

type deadRow struct {
	ID, Person, Created, Died, Error string
	Version                          int64
	Attempts                         int
}

func (c *Console) emisPage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ctx := r.Context()
	v := c.base(r, "emis", "EMIS: документы гостей")
	d := emisView{Configured: c.h.Cfg.Emis.BaseURL != ""}
	page, err := c.h.Emis.Activity(ctx, p.Tenant, listLimit, "")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, a := range page.Items {
		row := emisRow{Person: a.PersonID, Legal: a.LegalEntity, Booking: a.BookingID, Session: a.SessionID,
			Saved: c.fmtTime(p.Tenant, a.SavedAt), Name: a.NameMasked, Document: a.DocumentMasked, Version: a.Version}
		switch {
		case a.Delivered:
			row.Delivery = badgeOf("st-green", "доставлено в PMS")
		case a.Queued:
			row.Delivery = badgeOf("st-blue", "в очереди в PMS")
		default:
			row.Delivery = badgeOf("st-gray", "не отправлялось")
		}
		for _, wr := range a.Warnings {
			row.Warnings = append(row.Warnings, wr.Message)
		}
		if len(a.Warnings) > 0 {
			d.Warnings++
		}
		d.Rows = append(d.Rows, row)
	}
	if d.Pending, err = c.h.Emis.PendingDeliveries(ctx, p.Tenant); err != nil {
		c.fail(w, r, err)
		return
	}
	dead, err := c.h.Emis.DeadLetters(ctx, p.Tenant)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, dl := range dead {
		d.Dead = append(d.Dead, deadRow{ID: dl.ID, Person: dl.PersonID, Version: dl.Version, Attempts: dl.Attempts,
			Created: c.fmtTime(p.Tenant, dl.Created), Died: c.fmtTime(p.Tenant, dl.Died), Error: dl.LastError})
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "emis", v)
}

// ---- scanner bridge

type bridgeView struct {
	Rows []deviceRow
}

type deviceRow struct {
	Name, ID, Created, LastSeen, Ago string
	State                            badge
}

func (c *Console) bridgePage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	v := c.base(r, "bridge", "Сканеры документов: рабочие места")
	devs, err := c.h.Bridge.Devices(r.Context(), p.Tenant)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	now := c.h.Deps.Clock.Now()
	var d bridgeView
	for _, dev := range devs {
		row := deviceRow{Name: dev.Name, ID: dev.ID, Created: c.fmtTime(p.Tenant, dev.Created), LastSeen: c.fmtTime(p.Tenant, dev.LastSeen)}
		switch {
		case dev.Revoked:
			row.State = badgeOf("st-gray", "отключено "+c.fmtTime(p.Tenant, dev.RevokedAt))
		case dev.LastSeen.IsZero():
			row.State = badgeOf("st-amber", "ещё не выходило на связь")
		case now.Sub(dev.LastSeen) > 24*time.Hour:
			row.State = badgeOf("st-amber", "давно не было на связи")
		default:
			row.State = badgeOf("st-green", "на связи")
		}
		if !dev.LastSeen.IsZero() {
			row.Ago = ago(now.Sub(dev.LastSeen))
		}
		d.Rows = append(d.Rows, row)
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "bridge", v)
}

// ---- health

type healthView struct {
	Systems   []systemRow
	Jobs      []jobRow
	Scheduler bool
	Metrics   bool
	Profile   string
	Adapters  string
	Version   string
	Clock     string
}

type systemRow struct {
	Name, Address, Last, When string
	State                     badge
}

type jobRow struct {
	Name, Every, Last, Next string
	State                   badge
}

func (c *Console) healthPage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ctx := r.Context()
	v := c.base(r, "health", "Состояние внешних систем")
	cfg := c.h.Cfg
	d := healthView{Metrics: c.o.Metrics, Profile: c.h.Deps.Deployment.Profile, Adapters: c.h.Deps.Adapters, Version: c.o.Version, Clock: c.fmtTime(p.Tenant, c.h.Deps.Clock.Now())}

	sepRow := systemRow{Name: "СЭП (электронные паспорта)", Address: hostOf(cfg.Sep.URL)}
	if hist, err := c.h.Sep.History(ctx, p.Tenant, sep.PageRequest{Limit: 1, Desc: true}); err == nil && len(hist.Items) > 0 {
		hr := hist.Items[0]
		sepRow.Last, sepRow.When = hr.Operation+" → "+hr.Answer, c.fmtTime(p.Tenant, hr.Time)
	} else if err != nil {
		sepRow.Last = apperr.As(err).Message
	}
	if errs, err := c.h.Sep.Errors(ctx, p.Tenant, sep.PageRequest{Limit: 1, Desc: true}); err == nil && len(errs.Items) > 0 {
		e := errs.Items[0]
		sepRow.Last = strings.TrimSpace(sepRow.Last + "; последняя ошибка " + c.fmtTime(p.Tenant, e.Time) + ": " + e.Code)
	}
	d.Systems = append(d.Systems, withState(sepRow, cfg.Sep.URL != ""))

	ntRow := systemRow{Name: "«Мои счета» (Новотелеком)", Address: hostOf(cfg.Novotelecom.BaseURL)}
	ntState := ""
	if ss, err := c.h.Novotelecom.Sessions(ctx, p.Tenant, novotelecom.ListRequest{Limit: 1}); err == nil && len(ss.Items) > 0 {
		s := ss.Items[0]
		ntRow.Last, ntRow.When = "обмен: "+sessionBadge(s.State).Text+" — "+s.Message, c.fmtTime(p.Tenant, s.Started)
		if s.State == novotelecom.SessionFailed {
			ntRow.Last = "обмен: ошибка — " + s.Error + " (" + s.ErrorCode + ")"
			ntState = "fail"
		}
	}
	ntRow = withState(ntRow, cfg.Novotelecom.BaseURL != "")
	if ntState == "fail" {
		ntRow.State = badgeOf("st-red", "последний обмен с ошибкой")
	}
	d.Systems = append(d.Systems, ntRow)

	kRow := systemRow{Name: "Контур (бонусные баллы)", Address: hostOf(cfg.Kontur.BaseURL)}
	if page, err := c.h.Kontur.ListWriteOffs(ctx, p.Tenant, kontur.WriteOffQuery{Order: kontur.NewestFirst, Limit: 1}); err == nil && len(page.Items) > 0 {
		wo := page.Items[0]
		kRow.Last, kRow.When = "списание: "+wo.State.Name(), c.fmtTime(p.Tenant, wo.Updated)
	}
	d.Systems = append(d.Systems, withState(kRow, cfg.Kontur.BaseURL != ""))

	eRow := systemRow{Name: "EMIS (документы гостей)", Address: hostOf(cfg.Emis.BaseURL)}
	if n, err := c.h.Emis.PendingDeliveries(ctx, p.Tenant); err == nil {
		eRow.Last = fmt.Sprintf("доставок в PMS в очереди: %d", n)
	}
	if dead, err := c.h.Emis.DeadLetters(ctx, p.Tenant); err == nil {
		eRow.Last += fmt.Sprintf(", не доставлено: %d", len(dead))
	}
	eRow = withState(eRow, cfg.Emis.BaseURL != "")
	d.Systems = append(d.Systems, eRow)

	bRow := systemRow{Name: "Сканеры документов (мост)", Address: "звонят в хаб сами"}
	if devs, err := c.h.Bridge.Devices(ctx, p.Tenant); err == nil {
		last := time.Time{}
		for _, dev := range devs {
			if dev.LastSeen.After(last) {
				last = dev.LastSeen
			}
		}
		bRow.Last, bRow.When = fmt.Sprintf("рабочих мест: %d", len(devs)), c.fmtTime(p.Tenant, last)
		bRow.State = badgeOf("st-green", "принимает загрузки")
		if len(devs) == 0 {
			bRow.State = badgeOf("st-gray", "не подключены")
		}
	}
	d.Systems = append(d.Systems, bRow)

	if c.o.Jobs != nil {
		d.Scheduler = true
		jobs := c.o.Jobs()
		sort.Slice(jobs, func(i, j int) bool { return jobs[i].Job < jobs[j].Job })
		for _, j := range jobs {
			row := jobRow{Name: j.Job, Every: every(j.Every), Last: c.fmtTime(p.Tenant, j.LastSlot), Next: c.fmtTime(p.Tenant, j.Next)}
			switch {
			case j.Running:
				row.State = badgeOf("st-blue", "выполняется")
			case j.LastSlot.IsZero():
				row.State = badgeOf("st-gray", "ещё не запускалось")
			case j.LastErr != "":
				// The text may name other tenants: it is in the server's log, not here.
				row.State = badgeOf("st-red", "последний запуск с ошибкой (подробности — в журнале сервера)")
			default:
				row.State = badgeOf("st-green", "успешно")
			}
			d.Jobs = append(d.Jobs, row)
		}
	}
	v.Data = d
	c.render(w, r, http.StatusOK, "health", v)
}

func withState(s systemRow, configured bool) systemRow {
	if configured {
		s.State = badgeOf("st-green", "настроена")
	} else {
		s.State, s.Address = badgeOf("st-gray", "не настроена"), "адрес не задан"
	}
	if s.When == "" {
		s.When = "—"
	}
	return s
}

// hostOf shows where an outside system is without paths or credentials: scheme://host.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func every(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("каждые %d ч", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("каждые %d мин", d/time.Minute)
	}
	return "каждые " + d.String()
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "меньше минуты назад"
	case d < time.Hour:
		return fmt.Sprintf("%d мин назад", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d ч назад", int(d/time.Hour))
	}
	return fmt.Sprintf("%d дн назад", int(d/(24*time.Hour)))
}

// fmtMoney writes an amount as Russian users read it: 12 345,67.
func fmtMoney(d money.Decimal) string {
	s := d.Round(2).String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	var b strings.Builder
	for i, ch := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString("\u00a0")
		}
		b.WriteRune(ch)
	}
	out := b.String() + "," + frac
	if neg {
		out = "−" + out
	}
	return out
}
