// Package konturhttp is the hub's client of Kontur's loyalty processing: the one adapter of
// kontur.Client, over the HTTP/JSON protocol the simulator (internal/sim/kontur) documents.
// Moving to Kontur's real API is a change in this package only.
//
// Every failure is classified for the exactly-once logic of package kontur:
//   - kontur.ErrNotApplied: Kontur answered with a refusal (4xx other than 408), or the
//     request never left the hub (connection refused, DNS, a context that ended before the
//     request was written);
//   - kontur.ErrUncertain: the request was written and then no usable answer came (timeout,
//     connection reset, 5xx, 408, an answer that cannot be read).
//
// Card numbers travel in request bodies only (never in URLs, where proxies log them) and
// appear in no error.
package konturhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/metrics"
)

// MaxResponse bounds the bytes read from an answer; every valid answer is far smaller.
const MaxResponse = 64 << 10

// Config configures a Client.
type Config struct {
	BaseURL string // e.g. https://kontur.example/ (the path prefix /api/v1 is added)
	APIKey  string // sent in X-Api-Key; a secret, never logged
	// Timeout bounds each request (connect, send, answer); default 10 s.
	Timeout time.Duration
	// HTTPClient is optional; by default the client has its own transport.
	HTTPClient *http.Client
}

// Client implements kontur.Client. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	key     string
	timeout time.Duration
	http    *http.Client
}

var _ kontur.Client = (*Client)(nil)

// New returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("konturhttp: base URL must be http(s)://host[/path]")
	}
	c := &Client{base: u, key: cfg.APIKey, timeout: cfg.Timeout, http: cfg.HTTPClient}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	if c.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32 // the hub talks to one host; keep connections for bursts
		c.http = &http.Client{Transport: t}
	}
	return c, nil
}

// Balance asks for a card's balances.
func (c *Client) Balance(ctx context.Context, card string) ([]kontur.Balance, error) {
	status, body, err := c.do(ctx, http.MethodPost, "/api/v1/balance", map[string]string{"card": card})
	if err != nil {
		return nil, err
	}
	return decodeBalance(status, body)
}

// Debit sends a debit under the operation id.
func (c *Client) Debit(ctx context.Context, req kontur.DebitRequest) (kontur.Operation, error) {
	status, body, err := c.do(ctx, http.MethodPost, "/api/v1/debits", map[string]string{
		"operationId": req.OperationID, "card": req.Card, "currency": req.Currency, "amount": req.Amount.String(),
	})
	if err != nil {
		return kontur.Operation{}, err
	}
	return decodeOperation(status, body)
}

// GetOperation asks for an operation by id.
func (c *Client) GetOperation(ctx context.Context, id string) (kontur.Operation, error) {
	status, body, err := c.do(ctx, http.MethodGet, "/api/v1/operations/"+url.PathEscape(id), nil)
	if err != nil {
		return kontur.Operation{}, err
	}
	return decodeOperation(status, body)
}

// Cancel reverses an operation (idempotent).
func (c *Client) Cancel(ctx context.Context, id string) (kontur.Operation, error) {
	status, body, err := c.do(ctx, http.MethodPost, "/api/v1/operations/"+url.PathEscape(id)+"/cancel", struct{}{})
	if err != nil {
		return kontur.Operation{}, err
	}
	return decodeOperation(status, body)
}

// do sends one request and reads the answer, classifying transport failures.
func (c *Client) do(ctx context.Context, method, path string, in any) (_ int, _ []byte, err error) {
	defer func(start time.Time) { metrics.Call("kontur", opOf(path), start, err) }(time.Now())
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	// wrote is set once the whole request has gone out: a failure before that means Kontur
	// cannot have acted on it.
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Api-Key", c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, transportError(err, wrote.Load())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return 0, nil, &kontur.RemoteError{Status: resp.StatusCode, Message: "answer cut off: " + cleanErr(err), Err: kontur.ErrUncertain}
	}
	if len(b) > MaxResponse {
		return 0, nil, &kontur.RemoteError{Status: resp.StatusCode, Message: "answer too large", Err: kontur.ErrUncertain}
	}
	return resp.StatusCode, b, nil
}

// opOf names a request for metrics without its ids (and never a card number).
func opOf(path string) string {
	switch {
	case path == "/api/v1/balance":
		return "balance"
	case path == "/api/v1/debits":
		return "debit"
	case strings.HasSuffix(path, "/cancel"):
		return "cancel"
	case strings.HasPrefix(path, "/api/v1/operations/"):
		return "operation"
	}
	return "other"
}

func transportError(err error, wrote bool) error {
	class := kontur.ErrUncertain
	if !wrote {
		class = kontur.ErrNotApplied
	}
	msg := cleanErr(err)
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "timeout"
	}
	return &kontur.RemoteError{Message: msg, Err: class}
}

// cleanErr describes a transport error without the URL (it names the operation id, which is
// fine, but keep messages short and uniform).
func cleanErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return ne.Op + ": " + ne.Err.Error()
	}
	return err.Error()
}
