// Package sepsoap is the hub's SEP adapter: a SOAP 1.1 document/literal client of the
// protocol in INTEGRATIONS.md §4 (as internal/sim/sep serves it), implementing sep.Gateway.
// When the real АС «СЭП» contract is plugged in, this package is what changes.
//
// It is a small client on net/http and encoding/xml rather than github.com/tiaguinho/gosoap
// (v1.4.4 is in go.mod), because the queue needs what gosoap lacks (STACK.md): a context per
// call (the poller's Lambda deadline; gosoap only has http.Client.Timeout), faults sent with
// HTTP 500 parsed into SEP's error code (gosoap reports "unexpected status code"), elements in
// xs:sequence order (gosoap's map params come out in random order), base64Binary payloads
// (gosoap encodes strings only), a bound on the size of answers (gosoap reads any body), no
// WSDL fetch before the first call, and no dump of bodies — which carry codes and e-mails —
// to stdout. The envelope is two operations of four to six fields: a few typed structs.
package sepsoap

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/sep"
)

// Namespaces and actions of the protocol.
const (
	NS        = "urn:sep-sim:v1"
	DataNS    = "urn:sep-sim:v1:data"
	soapEnvNS = "http://schemas.xmlsoap.org/soap/envelope/"
	// MaxAnswer bounds an answer's size; larger ones are malformed.
	MaxAnswer = 8 << 20
	dateFmt   = "2006-01-02"
)

// Client calls SEP. It is safe for concurrent use.
type Client struct {
	endpoint string
	hc       *http.Client
}

var _ sep.Gateway = (*Client)(nil)

// New returns a client of the service at endpoint (the WSDL's soap:address). hc may be nil:
// a client with a 30 s timeout is used; calls are also bounded by their context.
func New(endpoint string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{endpoint: endpoint, hc: hc}
}

type sendRequest struct {
	XMLName         xml.Name `xml:"urn:sep-sim:v1 SendRequest"`
	RequestType     string   `xml:"RequestType"`
	ClientRequestID string   `xml:"ClientRequestId"`
	SenderINN       string   `xml:"SenderInn"`
	SenderOGRN      string   `xml:"SenderOgrn"`
	Payload         string   `xml:"Payload"`
	Signature       string   `xml:"Signature"`
}

type getResult struct {
	XMLName xml.Name `xml:"urn:sep-sim:v1 GetResult"`
	QueueID string   `xml:"QueueId"`
}

// SendRequest queues a signed request and returns its queue number.
func (c *Client) SendRequest(ctx context.Context, r sep.Request) (string, error) {
	body, err := c.call(ctx, "SendRequest", sendRequest{
		RequestType: string(r.Type), ClientRequestID: r.ClientRequestID, SenderINN: r.SenderINN, SenderOGRN: r.SenderOGRN,
		Payload: base64.StdEncoding.EncodeToString(r.Payload), Signature: base64.StdEncoding.EncodeToString(r.Signature),
	})
	if err != nil {
		return "", err
	}
	return decodeSendResponse(body)
}

// GetResult asks for the result of a queued request.
func (c *Client) GetResult(ctx context.Context, queueID string) (sep.Result, error) {
	body, err := c.call(ctx, "GetResult", getResult{QueueID: queueID})
	if err != nil {
		return sep.Result{}, err
	}
	return decodeResultResponse(body)
}

// call posts an envelope and returns the answer's body, or a *sep.FaultError, an error
// wrapping sep.ErrMalformed, or a transport error.
func (c *Client) call(ctx context.Context, op string, payload any) (_ []byte, err error) {
	defer func(start time.Time) { metrics.Call("sep", op, start, err) }(time.Now())
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soap:Envelope xmlns:soap="` + soapEnvNS + `"><soap:Body>`)
	if err := xml.NewEncoder(&b).Encode(payload); err != nil {
		return nil, fmt.Errorf("sepsoap: encode %s: %w", op, err)
	}
	b.WriteString(`</soap:Body></soap:Envelope>`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, &b)
	if err != nil {
		return nil, fmt.Errorf("sepsoap: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+NS+`#`+op+`"`)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sepsoap: %s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("sepsoap: %s: read answer: %w", op, err)
	}
	if len(body) > MaxAnswer {
		return nil, fmt.Errorf("sepsoap: %s: answer over %d bytes: %w", op, MaxAnswer, sep.ErrMalformed)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return body, nil
	case resp.StatusCode == http.StatusInternalServerError:
		// SOAP 1.1 sends faults with 500; a 500 without one is the server's trouble.
		if f := decodeFault(body); f != nil {
			return nil, f
		}
		return nil, fmt.Errorf("sepsoap: %s: HTTP 500 without a SOAP fault", op)
	default:
		return nil, fmt.Errorf("sepsoap: %s: HTTP %d", op, resp.StatusCode)
	}
}

type soapFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Sep *struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"urn:sep-sim:v1 SepFault"`
	} `xml:"detail"`
}

type respEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Fault  *soapFault  `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
		Send   *sendResp   `xml:"urn:sep-sim:v1 SendRequestResponse"`
		Result *resultResp `xml:"urn:sep-sim:v1 GetResultResponse"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type sendResp struct {
	QueueID string `xml:"QueueId"`
}

type resultResp struct {
	State  string `xml:"State"`
	Result string `xml:"Result"`
	Errors struct {
		Error []struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
	} `xml:"Errors"`
}

func unmarshal(data []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		e, err := htmlindex.Get(label)
		if err != nil {
			return nil, err
		}
		return e.NewDecoder().Reader(in), nil
	}
	return d.Decode(v)
}

func decodeEnvelope(body []byte) (*respEnvelope, error) {
	var env respEnvelope
	if err := unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("sepsoap: %w: %v", sep.ErrMalformed, err)
	}
	if env.Body.Fault != nil {
		return nil, faultOf(env.Body.Fault)
	}
	return &env, nil
}

func decodeFault(body []byte) *sep.FaultError {
	var env respEnvelope
	if unmarshal(body, &env) != nil || env.Body.Fault == nil {
		return nil
	}
	return faultOf(env.Body.Fault)
}

func faultOf(f *soapFault) *sep.FaultError {
	out := &sep.FaultError{Code: "SOAP_FAULT", Message: clip(f.String, 500)}
	// faultcode is a QName: soap:Server / soap:Client with any prefix.
	_, local, _ := strings.Cut(f.Code, ":")
	if local == "" {
		local = f.Code
	}
	out.Server = local != "Client"
	if d := f.Detail.Sep; d != nil && d.Code != "" {
		out.Code, out.Message = clip(d.Code, 64), clip(d.Message, 500)
	}
	return out
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("sepsoap: %w: %s", sep.ErrMalformed, fmt.Sprintf(format, args...))
}

// decodeSendResponse reads SendRequestResponse.
func decodeSendResponse(body []byte) (string, error) {
	env, err := decodeEnvelope(body)
	if err != nil {
		return "", err
	}
	if env.Body.Send == nil {
		return "", malformed("no SendRequestResponse")
	}
	id := strings.TrimSpace(env.Body.Send.QueueID)
	if id == "" || len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return "", malformed("bad QueueId")
	}
	return id, nil
}

// decodeResultResponse reads GetResultResponse and its result document.
func decodeResultResponse(body []byte) (sep.Result, error) {
	env, err := decodeEnvelope(body)
	if err != nil {
		return sep.Result{}, err
	}
	r := env.Body.Result
	if r == nil {
		return sep.Result{}, malformed("no GetResultResponse")
	}
	out := sep.Result{State: sep.ResultState(strings.TrimSpace(r.State))}
	switch out.State {
	case sep.ResultTooEarly, sep.ResultInProcess:
		return out, nil
	case sep.ResultRejected:
		for _, e := range r.Errors.Error {
			out.Errors = append(out.Errors, sep.RemoteError{Code: clip(e.Code, 64), Message: clip(e.Message, 500)})
		}
		if len(out.Errors) == 0 {
			out.Errors = []sep.RemoteError{{Code: "REJECTED", Message: "СЭП отклонил запрос без указания причины"}}
		}
		return out, nil
	case sep.ResultCompleted:
		doc, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(r.Result), ""))
		if err != nil {
			return sep.Result{}, malformed("Result is not base64")
		}
		if out.Applications, err = decodeApplications(doc); err != nil {
			return sep.Result{}, err
		}
		return out, nil
	}
	return sep.Result{}, malformed("unknown result state %.20q", r.State)
}
