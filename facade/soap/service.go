// Package soap is the SOAP half of the 1C facade: it serves each hub service's WSDL and
// answers its calls so that 1C:Enterprise, which imports the service as a WS-reference and
// calls it through a WSПрокси, sees a web service like one published by another 1C base
// (shared/ONEC.md 1–12).
//
// A service is its hand-written WSDL (package wsdl), the Go types gowsdl generates from it
// and one Operation per WSDL operation, usually made with Op:
//
//	svc := soap.MustService(wsdl.Kontur, "1.0", map[string]soap.Operation{
//		"Balance": soap.Op(func(ctx context.Context, c *soap.Call, req *konturws.Balance) (*konturws.BalanceResponse, error) {
//			b, err := domain.Balance(ctx, c.Principal.Tenant, req.Card)
//			…
//		}),
//	})
//	h := soap.NewHandler(soap.Options{Auth: users}, svc, …)
//
// The engine does the rest: Basic auth, content type and SOAP version, hostile-input limits,
// envelope parsing, dispatch, checking the request against the WSDL's schema, bounded call
// time, encoding the response as the WSDL declares it, and faults.
package soap

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/internal/apperr"
)

// Service is one SOAP service of the hub. Make it with NewService.
type Service struct {
	Name      string // from the WSDL's definitions/@name, e.g. "Hub"; the URL is /ws/<Name>
	Namespace string // the WSDL's targetNamespace
	Version   string // the interface version Hub.GetVersions reports
	WSDL      []byte // the WSDL as written; served with the address rewritten per request

	ops      map[string]Operation
	contract *contract
}

// Operation answers one call: it decodes the operation element (Call.Decode), does the work
// and returns the value of the OpResponse element — usually the generated *OpResponse
// struct — or an error, which becomes a fault (an *apperr.Error keeps its code and message;
// any other error is an internal one).
type Operation func(ctx context.Context, c *Call) (any, error)

// Call is one incoming call as an operation sees it.
type Call struct {
	Principal auth.Principal
	Service   string
	Operation string
	// Location is the tenant's time zone: xs:dateTime values without an offset are wall-clock
	// time there (ONEC.md 10). Convert request dates with xsd.DateTime.In(c.Location).
	Location *time.Location

	body []xml.Token
}

// Decode decodes the operation element into v, usually the generated request struct. The
// engine has already checked the element against the WSDL: required children are present
// and scalars are well-formed; elements sent as xsi:nil leave their fields nil.
func (c *Call) Decode(v any) error {
	d := xml.NewTokenDecoder(&tokens{toks: c.body})
	if err := d.Decode(v); err != nil {
		return apperr.Wrap(err, apperr.Invalid, "SOAP_BAD_REQUEST",
			"Не удалось разобрать параметры операции «"+c.Operation+"»")
	}
	return nil
}

type tokens struct {
	toks []xml.Token
	i    int
}

func (t *tokens) Token() (xml.Token, error) {
	if t.i >= len(t.toks) {
		return nil, io.EOF
	}
	t.i++
	return t.toks[t.i-1], nil
}

// Rule gives validator/v10 rules to a request type that carries no validate tags, as the
// generated types do not: Fields maps a Go field name to its rules, e.g.
// Rule{Type: konturws.WriteOff{}, Fields: map[string]string{"Card": "required,max=32"}}.
// Nested types get their own Rule.
type Rule struct {
	Type   any
	Fields map[string]string
}

// Op makes the typical operation: decode the request into Req, validate it with
// validator/v10 (its validate tags and the given rules), call fn, and return its response.
func Op[Req, Resp any](fn func(ctx context.Context, c *Call, req *Req) (*Resp, error), rules ...Rule) Operation {
	v := validator.New(validator.WithRequiredStructEnabled())
	for _, r := range rules {
		v.RegisterStructValidationMapRules(r.Fields, r.Type)
	}
	isStruct := reflect.TypeFor[Req]().Kind() == reflect.Struct
	return func(ctx context.Context, c *Call) (any, error) {
		req := new(Req)
		if err := c.Decode(req); err != nil {
			return nil, err
		}
		if isStruct {
			if err := v.StructCtx(ctx, req); err != nil {
				return nil, validationError(err)
			}
		}
		resp, err := fn(ctx, c, req)
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
}

// validationError turns validator's report into a Russian message naming the fields.
func validationError(err error) error {
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return apperr.Wrap(err, apperr.Internal, "SOAP_VALIDATOR", "Внутренняя ошибка проверки запроса")
	}
	var parts []string
	for _, fe := range ves {
		rule := fe.Tag()
		if fe.Param() != "" {
			rule += "=" + fe.Param()
		}
		parts = append(parts, "«"+fe.Field()+"» ("+rule+")")
	}
	return apperr.Wrap(err, apperr.Invalid, "SOAP_VALIDATION",
		"Неверные значения параметров: "+strings.Join(parts, ", "))
}

// NewService checks wsdl against the 1C style (ONEC.md 1–5) and that ops has exactly one
// operation for each operation it declares.
func NewService(wsdl []byte, version string, ops map[string]Operation) (*Service, error) {
	c, err := parseContract(wsdl)
	if err != nil {
		return nil, err
	}
	var problems []string
	for name := range c.Ops {
		if ops[name] == nil {
			problems = append(problems, "no Operation for "+name)
		}
	}
	for name := range ops {
		if c.Ops[name] == nil {
			problems = append(problems, "Operation "+name+" is not in the WSDL")
		}
	}
	if version == "" {
		problems = append(problems, "empty version")
	}
	if len(problems) > 0 {
		return nil, errors.New("soap: service " + c.Name + ": " + strings.Join(problems, "; "))
	}
	return &Service{Name: c.Name, Namespace: c.Namespace, Version: version, WSDL: wsdl, ops: ops, contract: c}, nil
}

// MustService is NewService for WSDLs embedded in the binary; it panics on error, which the
// service's tests catch.
func MustService(wsdl []byte, version string, ops map[string]Operation) *Service {
	s, err := NewService(wsdl, version, ops)
	if err != nil {
		panic(err)
	}
	return s
}
