package agent

import (
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Handler is the local endpoint:
//
//	POST   /reads?personId=…&legalEntity=…&bookingId=…  a Regula result (JSON body) → 202 queued,
//	                                                   200 duplicate, 400/413 refused
//	POST   /guest {"personId","bookingId","legalEntity"} the guest at the desk, for reads that
//	                                                   name none (valid GuestTTL)
//	DELETE /guest                                      no current guest
//	GET    /status                                     the bridge's state (JSON)
//	GET    /                                           the status page for the front desk
//
// Requests must come to a loopback host name (a web page cannot rebind a name to 127.0.0.1
// and post reads) and POSTs must be application/json (a web page cannot send that without
// asking first).
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reads", a.postRead)
	mux.HandleFunc("POST /guest", a.postGuest)
	mux.HandleFunc("DELETE /guest", func(w http.ResponseWriter, r *http.Request) {
		a.SetGuest(Guest{})
		writeJSON(w, http.StatusOK, map[string]string{"status": "cleared"})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.Status())
	})
	mux.HandleFunc("GET /{$}", a.page)
	return localOnly(mux)
}

// Status is the bridge's state.
func (a *Agent) Status() Status {
	a.guestMu.Lock()
	var g *Guest
	if a.guest.PersonID != "" && time.Since(a.guestAt) <= a.cfg.GuestTTL.Duration {
		cp := a.guest
		g = &cp
	}
	a.guestMu.Unlock()
	return a.st.snapshot(g)
}

func localOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if ip := net.ParseIP(host); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
			writeJSON(w, http.StatusForbidden, Rejection{Code: "HOST_NOT_LOCAL", Message: "Мост принимает запросы только по адресу 127.0.0.1"})
			return
		}
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeJSON(w, http.StatusUnsupportedMediaType, Rejection{Code: "CONTENT_TYPE", Message: "Нужен Content-Type: application/json"})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (a *Agent) postRead(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g := Guest{PersonID: q.Get("personId"), LegalEntity: q.Get("legalEntity"), BookingID: q.Get("bookingId")}
	res, err := a.Ingest(r.Body, "http", g)
	var rej *Rejection
	switch {
	case errors.As(err, &rej):
		status := http.StatusBadRequest
		if rej.Code == "READ_TOO_LARGE" {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, rej)
	case err != nil:
		a.log.Error("read not queued", "err", err)
		writeJSON(w, http.StatusInternalServerError, Rejection{Code: "QUEUE_FAILED", Message: "Не удалось записать чтение в очередь: повторите запрос"})
	case res.Status == "duplicate":
		writeJSON(w, http.StatusOK, res)
	default:
		writeJSON(w, http.StatusAccepted, res)
	}
}

func (a *Agent) postGuest(w http.ResponseWriter, r *http.Request) {
	var g Guest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil || !refRe.MatchString(g.PersonID) ||
		(g.BookingID != "" && !refRe.MatchString(g.BookingID)) || (g.LegalEntity != "" && !refRe.MatchString(g.LegalEntity)) {
		writeJSON(w, http.StatusBadRequest, Rejection{Code: "GUEST_INVALID",
			Message: `Тело: {"personId":"…","bookingId":"…","legalEntity":"…"}; идентификаторы — до 64 латинских букв, цифр и знаков . _ : -`})
		return
	}
	a.SetGuest(g)
	writeJSON(w, http.StatusOK, map[string]any{"status": "set", "validFor": a.cfg.GuestTTL.String()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"t": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("02.01.2006 15:04:05")
	},
	"status": func(s string) string {
		return map[string]string{"queued": "в очереди", "attached": "принято хабом", "duplicate": "уже было принято",
			"refused": "отклонено хабом", "rejected": "не принято мостом"}[s]
	},
}).Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Мост сканера документов</title>
<style>body{font-family:sans-serif;margin:1.5em}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.ok{color:#070}.down{color:#b00}.warn{color:#a60}</style></head><body>
<h1>Мост сканера документов</h1>
<p>Хаб: {{if eq .Hub "ok"}}<b class="ok">на связи</b>{{else if eq .Hub "down"}}<b class="down">нет связи с {{t .DownSince}}</b> — {{.HubProblem}}; следующая попытка {{t .NextRetry}}{{else}}ещё не обращались{{end}}.
В очереди: <b>{{.Queued}}</b>. Последняя доставка: {{t .LastDeliver}}.</p>
<p>Текущий гость: {{with .Guest}}ID {{.PersonID}}{{if .BookingID}}, бронирование {{.BookingID}}{{end}}{{else}}не выбран{{end}}.</p>
<table><tr><th>Время</th><th>Гость (ID)</th><th>Документ</th><th>Состояние</th><th>Замечания</th></tr>
{{range .Events}}<tr><td>{{t .At}}</td><td>{{.PersonID}}</td><td>{{.DocumentName}}</td><td>{{status .Status}}{{if .Reason}}<br><span class="down">{{.Reason}}</span>{{end}}</td>
<td>{{range .Warnings}}<div class="warn">{{.Message}}</div>{{end}}</td></tr>
{{else}}<tr><td colspan="5">Чтений пока не было</td></tr>{{end}}
</table><p><small>Версия {{.Version}}</small></p></body></html>`))

func (a *Agent) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, a.Status())
}
