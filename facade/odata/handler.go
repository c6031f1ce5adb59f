package odata

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
)

// Root is the path of the service, as 1C publishes it.
const Root = "/odata/standard.odata"

// Defaults of Options.
const (
	DefaultMaxBody  = 1 << 20
	DefaultMaxScan  = 2000
	DefaultPageSize = 1000
)

// Options configure the handler.
type Options struct {
	// Auth checks HTTP Basic credentials and names the tenant (required).
	Auth   auth.Authenticator
	Clock  clock.Clock  // nil: the wall clock
	Logger *slog.Logger // nil: slog.Default()
	// MaxBody is the largest request body in bytes (413 beyond); 0: DefaultMaxBody.
	MaxBody int64
	// MaxScan is the most entities one request reads from a source; 0: DefaultMaxScan.
	// See the package documentation.
	MaxScan int
	// PageSize is the most rows in one response; more come by odata.nextLink;
	// 0: DefaultPageSize (capped at MaxScan).
	PageSize int
	// PublicURL is the public base of the hub (e.g. "https://hub.example.ru/base"), used in
	// links. Empty: taken from the request — X-Forwarded-Proto, X-Forwarded-Host and
	// X-Forwarded-Prefix when a proxy or API Gateway sets them, else the request's scheme,
	// Host and the path before /odata/standard.odata.
	PublicURL string
}

type handler struct {
	opts  Options
	sets  map[string]*entitySet
	order []*entitySet
	meta  []byte
	log   *slog.Logger
}

// NewHandler returns the OData service for sets, to be mounted at "/odata/standard.odata/"
// (and "/odata/standard.odata"); it reads the full request path. Every request needs HTTP
// Basic credentials; a caller sees only its own tenant's data.
//
// Invalid registrations (duplicate or misnamed sets, references to sets not given here) and
// a nil Auth are programming errors and make NewHandler panic, as http.ServeMux does for
// conflicting patterns; Validate reports the same problems as an error.
func NewHandler(opts Options, sets ...*EntitySet) http.Handler {
	if opts.Auth == nil {
		panic("odata: Options.Auth is required")
	}
	byName, order, err := compile(sets)
	if err != nil {
		panic(err)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxScan <= 0 {
		opts.MaxScan = DefaultMaxScan
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	opts.PageSize = min(opts.PageSize, opts.MaxScan)
	h := &handler{opts: opts, sets: byName, order: order, meta: metadataDocument(order), log: opts.Logger}
	return h.recoverer(auth.Basic(opts.Auth, h.denied)(http.HandlerFunc(h.serve)))
}

// denied answers a refused authentication in odata.error shape with 1C's access code 20
// (ONEC 22).
func (h *handler) denied(w http.ResponseWriter, r *http.Request, err *apperr.Error) {
	f := requestFormat(r)
	status, code, e := classify(err)
	if e.Kind == apperr.Internal || e.Kind == apperr.Unavailable {
		h.log.Error("odata: authentication failed", "code", e.Code, "err", e.Err)
	} else {
		status, code = http.StatusUnauthorized, codeAccess
		if e.Kind == apperr.Forbidden {
			status = http.StatusForbidden
		}
	}
	writeError(w, f, status, code, e)
}

// recoverer turns a panic into a 500 answer: a bug must not take the process down.
func (h *handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.Error("odata: panic", "method", r.Method, "panic", fmt.Sprint(v))
				writeError(w, requestFormat(r), http.StatusInternalServerError, codeInternal,
					apperr.New(apperr.Internal, "INTERNAL", "Внутренняя ошибка сервиса"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// requestFormat is the negotiated format, falling back to Atom when it cannot be told.
func requestFormat(r *http.Request) format {
	q, _ := parseQueryString(r.URL.RawQuery)
	f, _ := negotiate(q, r.Header.Get("Accept"))
	return f
}

// request is one call in progress.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	tenant string
	q      url.Values
	f      format
	root   string
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	rq := &request{w: w, r: r, ctx: r.Context(), tenant: p.Tenant, f: requestFormat(r)}
	err := h.route(rq)
	if err == nil {
		return
	}
	status, code, e := classify(err)
	if status >= 500 {
		h.log.Error("odata: request failed", "method", r.Method, "status", status, "code", e.Code, "tenant", rq.tenant, "err", e.Err)
	} else {
		h.log.Info("odata: request refused", "method", r.Method, "status", status, "code", e.Code, "tenant", rq.tenant)
	}
	writeError(w, rq.f, status, code, e)
}

func (h *handler) route(rq *request) error {
	r := rq.r
	q, err := parseQueryString(r.URL.RawQuery)
	if err != nil {
		return badRequest("ODATA_OPTION", "Неверная строка параметров запроса")
	}
	rq.q = q
	f, ok := negotiate(q, r.Header.Get("Accept"))
	if !ok && q.Get("$format") != "" {
		return badRequest("ODATA_OPTION", "Неизвестный формат $format="+clip(q.Get("$format"))+"; поддерживаются json и atom")
	}
	rq.f = f
	ep := r.URL.EscapedPath()
	i := strings.Index(ep, Root)
	rest := ""
	if i >= 0 {
		rest = ep[i+len(Root):]
	}
	if i < 0 || (rest != "" && rest[0] != '/') {
		return notFound("ODATA_PATH", "Адрес не относится к стандартному интерфейсу OData")
	}
	rq.root = h.root(r, ep[:i])
	var segs []string
	for _, s := range strings.Split(strings.Trim(rest, "/"), "/") {
		if s == "" {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil {
			return badRequest("ODATA_PATH", "Неверный адрес ресурса")
		}
		segs = append(segs, u)
	}
	method := r.Method
	if method == http.MethodPost {
		// Clients behind proxies that drop verbs tunnel them (X-HTTP-Method: MERGE).
		if m := strings.ToUpper(r.Header.Get("X-HTTP-Method")); m == "MERGE" || m == "PATCH" || m == "PUT" || m == "DELETE" {
			method = m
		}
	}
	switch {
	case len(segs) == 0:
		if err := onlyGet(method); err != nil {
			return err
		}
		ct := "application/atomsvc+xml;charset=utf-8"
		if rq.f.json() {
			ct = jsonType(rq.f)
		}
		return h.write(rq, http.StatusOK, ct, serviceDocument(rq.root, rq.f, h.order))
	case segs[0] == "$metadata" && len(segs) == 1:
		if err := onlyGet(method); err != nil {
			return err
		}
		return h.write(rq, http.StatusOK, "application/xml;charset=utf-8", h.meta)
	case segs[0] == "$batch":
		return unsupported("ODATA_BATCH", "Пакетные запросы ($batch) не поддерживаются")
	}
	name, keyText, hasKey, err := splitSegment(segs[0])
	if err != nil {
		return err
	}
	s := h.sets[name]
	if s == nil {
		return notFound("ODATA_SET", "Не найден набор сущностей «"+clip(name)+"»")
	}
	if !hasKey {
		switch {
		case len(segs) == 2 && segs[1] == "$count":
			if err := onlyGet(method); err != nil {
				return err
			}
			return h.count(rq, s)
		case len(segs) > 1 && isVirtualCall(segs[1]):
			// A Condition may hold "/" (it was split off with the segments): rejoin.
			return h.virtual(rq, s, method, strings.Join(segs[1:], "/"))
		case len(segs) > 1:
			return notFound("ODATA_PATH", "Неверный адрес ресурса")
		case method == http.MethodGet:
			return h.list(rq, s)
		case method == http.MethodPost:
			return h.create(rq, s)
		}
		return methodNotAllowed(method)
	}
	key, serr := parseKey(keyText, s.typ)
	if serr != nil {
		return badRequest("ODATA_KEY", "Ошибка в ключе (позиция "+strconv.Itoa(serr.pos)+"): "+serr.msg)
	}
	if len(segs) == 1 {
		switch method {
		case http.MethodGet:
			return h.get(rq, s, key)
		case http.MethodPatch, "MERGE", http.MethodPut:
			// PUT is applied as a partial update too: 1C clients send whole objects, and the
			// hub never clears what a client did not send (write-only secrets above all).
			return h.update(rq, s, key)
		case http.MethodDelete:
			return h.delete(rq, s, key)
		}
		return methodNotAllowed(method)
	}
	if len(segs) == 2 {
		switch seg := segs[1]; {
		case seg == "Post" || seg == "Unpost":
			if method != http.MethodPost {
				return methodNotAllowed(method)
			}
			return h.post(rq, s, key, seg == "Post")
		case s.typ.byNav[seg] != nil:
			if err := onlyGet(method); err != nil {
				return err
			}
			return h.navigate(rq, s, key, s.typ.byNav[seg])
		}
	}
	return notFound("ODATA_PATH", "Неверный адрес ресурса: обращение к свойствам, кроме ссылок, не поддерживается")
}

// parseQueryString splits the query at "&" only: OData values such as
// $format=application/json;odata=nometadata contain ";", which url.ParseQuery refuses.
func parseQueryString(raw string) (url.Values, error) {
	q := url.Values{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		q[key] = append(q[key], val)
	}
	return q, nil
}

func onlyGet(method string) error {
	if method != http.MethodGet {
		return methodNotAllowed(method)
	}
	return nil
}

func methodNotAllowed(method string) error {
	return apperr.New(apperr.NotImplemented, "ODATA_METHOD", "Метод "+clip(method)+" не поддерживается для этого ресурса")
}

// splitSegment splits "Name(key)" into its parts.
func splitSegment(seg string) (name, key string, hasKey bool, err error) {
	i := strings.IndexByte(seg, '(')
	if i < 0 {
		return seg, "", false, nil
	}
	if !strings.HasSuffix(seg, ")") {
		return "", "", false, badRequest("ODATA_KEY", "Ключ сущности должен быть в скобках: Набор(guid'…')")
	}
	return seg[:i], seg[i+1 : len(seg)-1], true, nil
}

// root is the service root URL, with a trailing slash.
func (h *handler) root(r *http.Request, pathPrefix string) string {
	if h.opts.PublicURL != "" {
		return strings.TrimRight(h.opts.PublicURL, "/") + Root + "/"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if fh := firstValue(r.Header.Get("X-Forwarded-Host")); fh != "" && validHost(fh) {
		host = fh
	}
	if fp := firstValue(r.Header.Get("X-Forwarded-Prefix")); strings.HasPrefix(fp, "/") && validPath(fp) {
		pathPrefix = strings.TrimRight(fp, "/")
	}
	return scheme + "://" + host + pathPrefix + Root + "/"
}

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}

func validHost(s string) bool {
	if len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return s != ""
}

func validPath(s string) bool {
	if len(s) > 255 {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c > '~' || strings.ContainsRune(`"'<>\?#`, c) {
			return false
		}
	}
	return true
}

func jsonType(f format) string {
	switch f {
	case fmtJSONNone:
		return "application/json;odata=nometadata;charset=utf-8"
	case fmtJSONFull:
		return "application/json;odata=fullmetadata;charset=utf-8"
	}
	return "application/json;odata=minimalmetadata;charset=utf-8"
}

func (h *handler) write(rq *request, status int, contentType string, body []byte) error {
	hd := rq.w.Header()
	hd.Set("DataServiceVersion", "3.0")
	hd.Set("Content-Type", contentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(status)
	if rq.r.Method != http.MethodHead {
		_, _ = rq.w.Write(body)
	}
	return nil
}

func (h *handler) renderer(rq *request, q *query) *renderer {
	rd := &renderer{root: rq.root, f: rq.f, now: h.opts.Clock.Now(), sets: h.sets, refs: map[string]Entity{}}
	if q != nil {
		rd.sel, rd.exp = q.sel, q.expand
	}
	return rd
}

// writeEntity answers with one entity of s.
func (h *handler) writeEntity(rq *request, status int, s *entitySet, e Entity, q *query) error {
	rd := h.renderer(rq, q)
	if q != nil {
		if err := h.expand(rq, rd, s, []Entity{e}); err != nil {
			return err
		}
	}
	if rq.f.json() {
		return h.write(rq, status, jsonType(rq.f), rd.jsonSingle(s, e))
	}
	return h.write(rq, status, "application/atom+xml;type=entry;charset=utf-8", rd.atomSingle(s, e))
}

// expand reads the targets of expanded references, once per target.
func (h *handler) expand(rq *request, rd *renderer, s *entitySet, rows []Entity) error {
	for nav := range rd.exp {
		p := s.typ.byNav[nav]
		if p == nil {
			continue // a tabular part: already inline
		}
		target := h.sets[p.Target]
		for _, e := range rows {
			g, _ := e[p.Name].(GUID)
			k := p.Target + "|" + g.String()
			if _, done := rd.refs[k]; done || g.IsZero() {
				continue
			}
			t, err := target.src.Get(rq.ctx, rq.tenant, Key{{Name: "Ref_Key", Value: g}})
			if err != nil && apperr.As(err).Kind != apperr.NotFound {
				return err
			}
			rd.refs[k] = t
		}
	}
	return nil
}

// getEntity reads one entity of s; rows of a tabular-part set come from their owner.
func (h *handler) getEntity(rq *request, s *entitySet, key Key) (Entity, error) {
	if s.parent == nil {
		return s.src.Get(rq.ctx, rq.tenant, key)
	}
	owner, err := s.src.Get(rq.ctx, rq.tenant, Key{{Name: "Ref_Key", Value: key.Ref()}})
	if err != nil {
		return nil, err
	}
	line, _ := key.Value("LineNumber").(int64)
	for _, row := range rowsOf(s.tab, owner) {
		if n, _ := row["LineNumber"].(int64); n == line {
			return row, nil
		}
	}
	return nil, notFound("ODATA_NOT_FOUND", "Строка табличной части не найдена")
}

func (h *handler) get(rq *request, s *entitySet, key Key) error {
	q, err := parseQuery(rq.q, s)
	if err != nil {
		return err
	}
	e, err := h.getEntity(rq, s, key)
	if err != nil {
		return err
	}
	return h.writeEntity(rq, http.StatusOK, s, e, q)
}

func (h *handler) navigate(rq *request, s *entitySet, key Key, p *Property) error {
	e, err := h.getEntity(rq, s, key)
	if err != nil {
		return err
	}
	g, _ := e[p.Name].(GUID)
	if g.IsZero() {
		return notFound("ODATA_NOT_FOUND", "Ссылка «"+p.navName()+"» пуста")
	}
	target := h.sets[p.Target]
	q, err := parseQuery(rq.q, target)
	if err != nil {
		return err
	}
	t, err := target.src.Get(rq.ctx, rq.tenant, Key{{Name: "Ref_Key", Value: g}})
	if err != nil {
		return err
	}
	return h.writeEntity(rq, http.StatusOK, target, t, q)
}

// walker starts a bounded walk of s along pl.
func (h *handler) walker(rq *request, s *entitySet, pl plan, q *query) *walker {
	return &walker{s: s, tenant: rq.tenant, pl: pl, filter: q.filter, maxScan: h.opts.MaxScan}
}

// collect walks the whole path, keeping every match; it fails when the path holds more than
// MaxScan entities.
func (h *handler) collect(rq *request, s *entitySet, pl plan, q *query, what string, keep bool) ([]Entity, int, error) {
	w := h.walker(rq, s, pl, q)
	var rows []Entity
	n := 0
	_, done, err := w.run(rq.ctx, position{}, func(e Entity) error {
		n++
		if keep {
			rows = append(rows, e)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if !done {
		return nil, 0, tooBroad(s, what, h.opts.MaxScan)
	}
	return rows, n, nil
}

func (h *handler) count(rq *request, s *entitySet) error {
	q, err := parseQuery(rq.q, s)
	if err != nil {
		return err
	}
	pl := makePlan(s, q)
	_, n, err := h.collect(rq, s, pl, q, "Подсчёт количества ($count)", false)
	if err != nil {
		return err
	}
	return h.write(rq, http.StatusOK, "text/plain;charset=utf-8", []byte(strconv.Itoa(n)))
}

// list answers a collection read (see the package documentation for the rules).
func (h *handler) list(rq *request, s *entitySet) error {
	q, err := parseQuery(rq.q, s)
	if err != nil {
		return err
	}
	pl := makePlan(s, q)
	limit := h.opts.PageSize
	if q.top >= 0 && q.top < limit {
		limit = q.top
	}
	var rows []Entity
	var count *int
	next := ""
	if q.inlineCount || !pl.ordered {
		// The whole result is needed (for the count or to sort it): bounded by MaxScan.
		what := "Подсчёт количества ($inlinecount)"
		if !pl.ordered {
			what = "Сортировка по неиндексированному свойству ($orderby)"
		}
		all, n, err := h.collect(rq, s, pl, q, what, true)
		if err != nil {
			return err
		}
		if !pl.ordered {
			sortRows(all, q.orderby)
		}
		if q.inlineCount {
			count = &n
		}
		from := min(q.skip, len(all))
		rows = all[from:min(len(all), from+limit)]
		if shown := from + len(rows); shown < len(all) && (q.top < 0 || len(rows) < q.top) {
			next = h.nextLink(rq, map[string]string{"$skip": strconv.Itoa(shown), "$top": remainingTop(q, len(rows)), "$skiptoken": ""})
		}
	} else {
		qid := queryID(s.name, rq.q.Get("$filter"), rq.q.Get("$orderby"))
		pos := position{Left: q.skip}
		if q.skiptoken != "" {
			if pos, err = parseToken(q.skiptoken); err != nil {
				return err
			}
			if pos.Query != qid {
				return badRequest("ODATA_SKIPTOKEN", "Параметр $skiptoken относится к другому запросу: повторите запрос с начала")
			}
		}
		left := pos.Left
		if limit > 0 {
			w := h.walker(rq, s, pl, q)
			w.want = func() int { return left + limit - len(rows) }
			end, done, err := w.run(rq.ctx, pos, func(e Entity) error {
				if left > 0 {
					left--
					return nil
				}
				rows = append(rows, e)
				if len(rows) >= limit {
					return errStop
				}
				return nil
			})
			if err != nil {
				return err
			}
			if !done && (q.top < 0 || len(rows) < q.top) {
				end.Left, end.Query = left, qid
				next = h.nextLink(rq, map[string]string{"$skip": "", "$top": remainingTop(q, len(rows)), "$skiptoken": end.token()})
			}
		}
	}
	rd := h.renderer(rq, q)
	if err := h.expand(rq, rd, s, rows); err != nil {
		return err
	}
	if rq.f.json() {
		return h.write(rq, http.StatusOK, jsonType(rq.f), rd.jsonFeed(s, rows, count, next))
	}
	return h.write(rq, http.StatusOK, "application/atom+xml;type=feed;charset=utf-8", rd.atomFeed(s, rows, count, next))
}

func remainingTop(q *query, shown int) string {
	if q.top < 0 {
		return ""
	}
	return strconv.Itoa(q.top - shown)
}

// nextLink is the request's URL with some options replaced ("" removes one).
func (h *handler) nextLink(rq *request, set map[string]string) string {
	q := url.Values{}
	for k, v := range rq.q {
		q[k] = v
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	u := *rq.r.URL
	base := strings.TrimSuffix(rq.root, "/")
	ep := u.EscapedPath()
	rest := ep[strings.Index(ep, Root)+len(Root):]
	return base + rest + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

func (h *handler) writerOf(s *entitySet) (Writer, error) {
	if s.parent != nil {
		// 1C's own answer to the same request.
		return nil, unsupported("ODATA_TABULAR_WRITE", "Создание строк табличной части напрямую не поддерживается; записывайте табличную часть вместе с объектом")
	}
	if s.writer == nil {
		return nil, apperr.New(apperr.NotImplemented, "ODATA_METHOD", "Набор «"+s.name+"» доступен только для чтения")
	}
	return s.writer, nil
}

func (h *handler) create(rq *request, s *entitySet) error {
	wr, err := h.writerOf(s)
	if err != nil {
		return err
	}
	data, err := readBody(rq.r, h.opts.MaxBody)
	if err != nil {
		return err
	}
	e, err := decodeEntity(data, s.typ)
	if err != nil {
		return err
	}
	stored, err := wr.Create(rq.ctx, rq.tenant, e)
	if err != nil {
		return err
	}
	loc := rq.root + url.PathEscape(s.name) + keyPath(s.typ, keyOf(s.typ, stored))
	rq.w.Header().Set("Location", loc)
	return h.writeEntity(rq, http.StatusCreated, s, stored, nil)
}

func (h *handler) update(rq *request, s *entitySet, key Key) error {
	wr, err := h.writerOf(s)
	if err != nil {
		return err
	}
	data, err := readBody(rq.r, h.opts.MaxBody)
	if err != nil {
		return err
	}
	patch, err := decodeEntity(data, s.typ)
	if err != nil {
		return err
	}
	// Clients send back the key they read; only a different one is a mistake.
	for _, kv := range key {
		if v, ok := patch[kv.Name]; ok {
			if c, ok := compare(normalize(v), normalize(kv.Value)); !ok || c != 0 {
				return badRequest("ODATA_BODY", "Свойство ключа «"+kv.Name+"» нельзя изменить")
			}
			delete(patch, kv.Name)
		}
	}
	stored, err := wr.Update(rq.ctx, rq.tenant, key, patch, cleanIfMatch(rq.r.Header.Get("If-Match")))
	if err != nil {
		return err
	}
	if strings.Contains(rq.r.Header.Get("Prefer"), "return-no-content") {
		rq.w.Header().Set("DataServiceVersion", "3.0")
		rq.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return h.writeEntity(rq, http.StatusOK, s, stored, nil)
}

func (h *handler) delete(rq *request, s *entitySet, key Key) error {
	wr, err := h.writerOf(s)
	if err != nil {
		return err
	}
	if err := wr.Delete(rq.ctx, rq.tenant, key, cleanIfMatch(rq.r.Header.Get("If-Match"))); err != nil {
		return err
	}
	rq.w.Header().Set("DataServiceVersion", "3.0")
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) post(rq *request, s *entitySet, key Key, post bool) error {
	if s.poster == nil || s.parent != nil {
		return apperr.New(apperr.NotImplemented, "ODATA_METHOD", "Проведение не поддерживается для набора «"+s.name+"»")
	}
	ifMatch := cleanIfMatch(rq.r.Header.Get("If-Match"))
	var e Entity
	var err error
	if post {
		e, err = s.poster.Post(rq.ctx, rq.tenant, key, ifMatch)
	} else {
		e, err = s.poster.Unpost(rq.ctx, rq.tenant, key, ifMatch)
	}
	if err != nil {
		return err
	}
	return h.writeEntity(rq, http.StatusOK, s, e, nil)
}
