package soap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
)

// Defaults of Options.
const (
	DefaultMaxBody  = 1 << 20
	DefaultMaxDepth = 64
	DefaultTimeout  = 30 * time.Second
)

// Moscow is the default tenant time zone: Moscow time has been UTC+3 all year since 2014,
// and a fixed zone needs no tz database (Lambda images may lack one).
var Moscow = time.FixedZone("MSK", 3*60*60)

// Options configure the handler. Auth is required.
type Options struct {
	// Auth checks the Basic credentials of every request, WSDL included (ONEC.md 12).
	Auth auth.Authenticator
	// PublicURL is the hub's public base URL, e.g. "https://hub.example.ru" or
	// "https://abc.execute-api.eu-central-1.amazonaws.com/prod"; the WSDL's address is
	// PublicURL + "/ws/" + Name. When empty it is derived from each request, trusting these
	// headers, in this order of precedence:
	//   - Forwarded (RFC 7239): proto= and host= of its first element;
	//   - X-Forwarded-Proto and X-Forwarded-Host (first value), X-Forwarded-Prefix (a path);
	//   - X-GoLambdaProxy-ApiGatewayContext, the API Gateway request context that
	//     aws-lambda-go-api-proxy passes: its domainName, and its stage as the path prefix
	//     when the domain is the gateway's own (*.execute-api.*) and the stage not $default;
	//   - otherwise the request's Host, and https when it came over TLS.
	// Forged headers can only change the address a client is told about itself (the WSDL is
	// sent with Cache-Control: no-store); values that are not a plain scheme, host or path
	// are ignored.
	PublicURL string
	// MaxBody bounds a request body (default 1 MiB); larger ones get 413 with a fault.
	MaxBody int64
	// MaxDepth bounds element nesting in a request (default 64).
	MaxDepth int
	// Timeout bounds one call (default 30 s); past it the caller gets a fault and the
	// operation's context is cancelled.
	Timeout time.Duration
	// Location gives a tenant's time zone for xs:dateTime (ONEC.md 10); default Moscow.
	Location func(tenant string) *time.Location
	// Clock measures call durations for the log (default the wall clock).
	Clock clock.Clock
	// Logger gets one record per fault (and per call at debug level); default slog.Default().
	Logger *slog.Logger
}

type handler struct {
	opts     Options
	services map[string]*Service // by lower-case name
}

// NewHandler returns the handler of the given services. Mount it at "/ws/": it serves
//
//	GET  /ws/<Name>?wsdl, ?WSDL, /ws/<Name>.1cws?wsdl   the WSDL (any GET of a service URL)
//	POST /ws/<Name>, /ws/<Name>.1cws (query ignored)     calls, SOAP 1.1 and 1.2
//
// with the service name matched case-insensitively. It panics on a nil Auth, a service not
// made by NewService, or two services of the same name: wiring mistakes.
func NewHandler(opts Options, services ...*Service) http.Handler {
	if opts.Auth == nil {
		panic("soap: Options.Auth is required")
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Location == nil {
		opts.Location = func(string) *time.Location { return Moscow }
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	h := &handler{opts: opts, services: map[string]*Service{}}
	for _, s := range services {
		if s == nil || s.contract == nil {
			panic("soap: services must be made by NewService")
		}
		key := strings.ToLower(s.Name)
		if h.services[key] != nil {
			panic("soap: two services named " + s.Name)
		}
		h.services[key] = s
	}
	return auth.Basic(opts.Auth, h.denied)(h)
}

// requestVersion is the SOAP version a refusal is written in: the request's, when it has one.
func requestVersion(r *http.Request) *version {
	v, _ := versionOf(r.Header.Get("Content-Type"))
	return v
}

// denied writes the auth middleware's refusal as a fault of the request's version.
func (h *handler) denied(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
	h.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "soap: access denied",
		slog.String("code", e.Code), slog.String("path", r.URL.Path))
	writeFault(w, requestVersion(r), deniedStatus(e), e)
}

// serviceName returns <Name> of …/<Name> or …/<Name>.1cws.
func serviceName(path string) string {
	name := path[strings.LastIndexByte(path, '/')+1:]
	if len(name) > 5 && strings.EqualFold(name[len(name)-5:], ".1cws") {
		name = name[:len(name)-5]
	}
	return name
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := requestVersion(r)
	wrote := false
	defer func() {
		// Never a bare panic: whatever broke, the caller gets a fault.
		if p := recover(); p != nil {
			h.opts.Logger.Error("soap: panic", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			if !wrote {
				writeFault(w, v, http.StatusInternalServerError, apperr.As(fmt.Errorf("panic: %v", p)))
			}
		}
	}()
	svc := h.services[strings.ToLower(serviceName(r.URL.Path))]
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if svc == nil {
			wrote = true
			writeFault(w, soap11, http.StatusNotFound, unknownService(r))
			return
		}
		body := svc.contract.render(h.location(r, svc))
		hd := w.Header()
		hd.Set("Content-Type", "text/xml; charset=utf-8")
		hd.Set("Content-Length", strconv.Itoa(len(body)))
		hd.Set("Cache-Control", "no-store")
		wrote = true
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	case http.MethodPost:
		wrote = h.call(w, r, svc)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		wrote = true
		writeFault(w, v, http.StatusMethodNotAllowed, apperr.New(apperr.Invalid, "SOAP_METHOD",
			"Метод "+clip(r.Method, 20)+" не поддерживается: WSDL читается GET-запросом, операции вызываются POST-запросом"))
	}
}

func unknownService(r *http.Request) *apperr.Error {
	return apperr.New(apperr.NotFound, "SOAP_UNKNOWN_SERVICE", "Веб-сервис «"+clip(serviceName(r.URL.Path), 60)+"» не опубликован")
}

// call answers a POST. It reports whether it wrote a response (it always does, unless the
// client went away before the answer was ready).
func (h *handler) call(w http.ResponseWriter, r *http.Request, svc *Service) bool {
	began := h.opts.Clock.Now()
	v, err := versionOf(r.Header.Get("Content-Type"))
	if err != nil {
		h.fault(w, r, v, http.StatusInternalServerError, apperr.As(err), svc, "", began)
		return true
	}
	if svc == nil {
		h.fault(w, r, v, http.StatusNotFound, unknownService(r), nil, "", began)
		return true
	}
	if r.ContentLength > h.opts.MaxBody {
		h.fault(w, r, v, http.StatusRequestEntityTooLarge, tooLarge(h.opts.MaxBody), svc, "", began)
		return true
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.fault(w, r, v, http.StatusRequestEntityTooLarge, tooLarge(h.opts.MaxBody), svc, "", began)
			return true
		}
		h.fault(w, r, v, http.StatusInternalServerError, apperr.Wrap(err, apperr.Invalid, codeMalformed,
			"Не удалось прочитать тело запроса"), svc, "", began)
		return true
	}
	env, err := parseEnvelope(data, v, h.opts.MaxDepth)
	if err != nil {
		h.fault(w, r, v, http.StatusInternalServerError, apperr.As(err), svc, "", began)
		return true
	}
	// Dispatch by the body element whatever its prefix (ONEC.md 8); SOAPAction and action=
	// are only hints, and clients disagree on them, so they are not checked.
	decl := svc.contract.Ops[env.op.Local]
	if decl == nil || env.op.Space != svc.Namespace {
		h.fault(w, r, v, http.StatusInternalServerError, invalid(codeUnknownOp,
			"Операция «"+clip(env.op.Local, 60)+"» ("+clip(env.op.Space, 80)+") не найдена в веб-сервисе «"+svc.Name+"»"), svc, "", began)
		return true
	}
	body, err := checkBody(env.body, decl.Req, svc.Namespace)
	if err != nil {
		h.fault(w, r, v, http.StatusInternalServerError, apperr.As(err), svc, decl.Name, began)
		return true
	}
	p, _ := auth.FromContext(r.Context())
	c := &Call{Principal: p, Service: svc.Name, Operation: decl.Name, Location: h.opts.Location(p.Tenant), body: body}
	if c.Location == nil {
		c.Location = Moscow
	}
	resp, err := h.run(r.Context(), svc.ops[decl.Name], c)
	if err != nil {
		if r.Context().Err() != nil && !errors.Is(err, errTimeout) {
			h.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "soap: client went away",
				slog.String("service", svc.Name), slog.String("op", decl.Name), slog.String("tenant", p.Tenant))
			return false
		}
		h.fault(w, r, v, http.StatusInternalServerError, apperr.As(err), svc, decl.Name, began)
		return true
	}
	enc := encoder{buf: make([]byte, 0, 1024), loc: c.Location}
	enc.buf = append(enc.buf, `<soap:Envelope xmlns:soap="`...)
	enc.buf = append(enc.buf, v.ns...)
	enc.buf = append(enc.buf, `"><soap:Header/><soap:Body>`...)
	if err := enc.response(svc.Namespace, decl.Resp, resp); err != nil {
		h.fault(w, r, v, http.StatusInternalServerError, apperr.Wrap(err, apperr.Internal, "SOAP_ENCODE",
			"Внутренняя ошибка сервиса: ответ не соответствует описанию веб-сервиса"), svc, decl.Name, began)
		return true
	}
	enc.buf = append(enc.buf, `</soap:Body></soap:Envelope>`...)
	hd := w.Header()
	hd.Set("Content-Type", v.contentType)
	hd.Set("Content-Length", strconv.Itoa(len(enc.buf)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(enc.buf)
	if h.opts.Logger.Enabled(r.Context(), slog.LevelDebug) {
		h.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "soap: call",
			slog.String("service", svc.Name), slog.String("op", decl.Name), slog.String("tenant", p.Tenant),
			slog.String("soap", v.name), slog.Duration("took", h.opts.Clock.Now().Sub(began)))
	}
	return true
}

func tooLarge(limit int64) *apperr.Error {
	return apperr.New(apperr.TooLarge, codeTooLarge, "Запрос больше допустимого размера ("+strconv.FormatInt(limit>>10, 10)+" КБ)")
}

var errTimeout = apperr.New(apperr.Unavailable, "SOAP_TIMEOUT", "Превышено время обработки запроса")

// run calls op with the time bound. The operation runs in its own goroutine so that an
// operation that ignores its context cannot hold the caller past the bound, and a panic in
// it becomes an internal fault.
func (h *handler) run(ctx context.Context, op Operation, c *Call) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	defer cancel()
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1) // buffered: a late operation must not block forever
	go func() {
		defer func() {
			if p := recover(); p != nil {
				h.opts.Logger.Error("soap: operation panicked", slog.String("service", c.Service),
					slog.String("op", c.Operation), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				done <- result{err: apperr.As(fmt.Errorf("panic in %s.%s: %v", c.Service, c.Operation, p))}
			}
		}()
		v, err := op(ctx, c)
		done <- result{v, err}
	}()
	select {
	case res := <-done:
		if res.err != nil && errors.Is(res.err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, errTimeout
		}
		return res.v, res.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, errTimeout
		}
		return nil, ctx.Err()
	}
}

// fault logs e and writes it.
func (h *handler) fault(w http.ResponseWriter, r *http.Request, v *version, status int, e *apperr.Error, svc *Service, op string, began time.Time) {
	level := slog.LevelWarn
	if e.Kind == apperr.Internal {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("code", e.Code), slog.Int("status", status), slog.String("soap", v.name),
		slog.Duration("took", h.opts.Clock.Now().Sub(began))}
	if svc != nil {
		attrs = append(attrs, slog.String("service", svc.Name))
	}
	if op != "" {
		attrs = append(attrs, slog.String("op", op))
	}
	if p, ok := auth.FromContext(r.Context()); ok {
		attrs = append(attrs, slog.String("tenant", p.Tenant))
	}
	if e.Kind == apperr.Internal && e.Err != nil {
		attrs = append(attrs, slog.String("cause", e.Err.Error()))
	}
	h.opts.Logger.LogAttrs(r.Context(), level, "soap: fault", attrs...)
	writeFault(w, v, status, e)
}

// location returns the public URL of svc for r (see Options.PublicURL).
func (h *handler) location(r *http.Request, svc *Service) string {
	if h.opts.PublicURL != "" {
		return h.opts.PublicURL + "/ws/" + svc.Name
	}
	scheme, host, prefix := "http", r.Host, ""
	if r.TLS != nil {
		scheme = "https"
	}
	if gw := r.Header.Get("X-GoLambdaProxy-ApiGatewayContext"); gw != "" {
		var ctx struct {
			Stage      string `json:"stage"`
			DomainName string `json:"domainName"`
		}
		if json.Unmarshal([]byte(gw), &ctx) == nil && validHost(ctx.DomainName) {
			scheme, host = "https", ctx.DomainName
			if ctx.Stage != "" && ctx.Stage != "$default" && strings.Contains(ctx.DomainName, ".execute-api.") && validPath("/"+ctx.Stage) {
				prefix = "/" + ctx.Stage
			}
		}
	}
	if fwd := r.Header.Get("Forwarded"); fwd != "" {
		first, _, _ := strings.Cut(fwd, ",")
		for _, pair := range strings.Split(first, ";") {
			k, val, _ := strings.Cut(strings.TrimSpace(pair), "=")
			val = strings.Trim(val, `"`)
			switch strings.ToLower(k) {
			case "proto":
				if val == "http" || val == "https" {
					scheme = val
				}
			case "host":
				if validHost(val) {
					host = val
				}
			}
		}
	} else {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if fh := firstValue(r.Header.Get("X-Forwarded-Host")); validHost(fh) {
			host = fh
		}
	}
	if p := strings.TrimRight(firstValue(r.Header.Get("X-Forwarded-Prefix")), "/"); p != "" && validPath(p) {
		prefix = p
	}
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host + prefix + "/ws/" + svc.Name
}

func firstValue(s string) string {
	first, _, _ := strings.Cut(s, ",")
	return strings.TrimSpace(first)
}

// validHost accepts host[:port] made of letters, digits, '.', '-', and IPv6 brackets.
func validHost(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// validPath accepts an absolute path of unreserved URL characters.
func validPath(s string) bool {
	if !strings.HasPrefix(s, "/") || len(s) > 200 || strings.Contains(s, "//") {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '/', c == '-', c == '_', c == '.', c == '~':
		default:
			return false
		}
	}
	return true
}
