// Package httpclient is the hub's adapter to Novotelecom's «Мои счета» file exchange over
// HTTP: login, list, upload, download, delete (the protocol is described in package
// internal/sim/novotelecom, whose simulator speaks it). The real protocol is not public; a
// move to it is a change in this package only.
//
// Every request runs under its own timeout inside the caller's context, answers are read
// with size limits, and failures are classified for the exchange: Unauthorized (login
// refused), Unavailable (network, timeouts, 5xx, broken transfers — retried here a few times,
// then left for the next exchange), TooLarge, and Invalid or Conflict (an upload the server
// refuses for good). Nothing here logs, and no error carries a file's content.
package httpclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/metrics"
	"github.com/stykovka/stykovka/internal/novotelecom"
)

// Options tune the client; zero values take the defaults.
type Options struct {
	Timeout  time.Duration // per request (default 60 s)
	MaxFile  int64         // largest file downloaded (default blobs.MaxSize: what the hub can store)
	Attempts int           // tries of a failing idempotent request (default 3)
	Backoff  time.Duration // wait before the second try, doubled after (default 200 ms)
	HTTP     *http.Client  // default: a client with dial and header timeouts
}

// Client is the adapter; it implements novotelecom.Server and is safe for concurrent use.
type Client struct {
	base *url.URL
	opts Options
}

var _ novotelecom.Server = (*Client)(nil)

// maxJSON bounds a JSON answer (a listing of thousands of files fits easily).
const maxJSON = 8 << 20

// New returns a client for the server at baseURL (e.g. http://127.0.0.1:8090).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpclient: bad base URL %q", baseURL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.MaxFile <= 0 {
		opts.MaxFile = blobs.MaxSize
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       60 * time.Second,
		}}
	}
	return &Client{base: u, opts: opts}, nil
}

func (c *Client) url(parts ...string) string {
	u := *c.base
	u.Path += "/api/v1"
	for _, p := range parts {
		u.Path += "/" + p
	}
	u.RawPath = ""
	return u.String()
}

// Login logs in and returns a connection that logs in again by itself when its session
// expires.
func (c *Client) Login(ctx context.Context, login, password string) (novotelecom.Conn, error) {
	conn := &conn{c: c, login: login, password: password}
	if err := conn.relogin(ctx); err != nil {
		return nil, err
	}
	return conn, nil
}

type conn struct {
	c               *Client
	login, password string

	mu    sync.Mutex
	token string
}

func (k *conn) relogin(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"login": k.login, "password": k.password})
	var out struct {
		Token string `json:"token"`
	}
	err := k.c.retry(ctx, func(ctx context.Context) error {
		resp, err := k.c.do(ctx, http.MethodPost, k.c.url("login"), "", bytes.NewReader(body), nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			return novotelecom.ErrServerAuth(errors.New("login refused"))
		}
		if err := status(resp, "login"); err != nil {
			return err
		}
		return readJSON(resp, &out)
	})
	if err != nil {
		return err
	}
	if out.Token == "" {
		return novotelecom.ErrServerProtocol(errors.New("login: empty token"))
	}
	k.mu.Lock()
	k.token = out.Token
	k.mu.Unlock()
	return nil
}

// call runs one request, logging in again once if the session expired.
func (k *conn) call(ctx context.Context, fn func(ctx context.Context, token string) error) error {
	for attempt := 0; ; attempt++ {
		k.mu.Lock()
		tok := k.token
		k.mu.Unlock()
		err := k.c.retry(ctx, func(ctx context.Context) error { return fn(ctx, tok) })
		if !errors.Is(err, errExpired) {
			return err
		}
		if attempt > 0 {
			return novotelecom.ErrServerAuth(errors.New("session refused after a new login"))
		}
		if err := k.relogin(ctx); err != nil {
			return err
		}
	}
}

var errExpired = errors.New("httpclient: session expired")

type listedFile struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func (k *conn) List(ctx context.Context) ([]novotelecom.RemoteFile, error) {
	var out []novotelecom.RemoteFile
	err := k.call(ctx, func(ctx context.Context, tok string) error {
		resp, err := k.c.do(ctx, http.MethodGet, k.c.url("files"), tok, nil, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := status(resp, "list"); err != nil {
			return err
		}
		var body struct {
			Files []listedFile `json:"files"`
		}
		if err := readJSON(resp, &body); err != nil {
			return err
		}
		out = out[:0]
		for _, f := range body.Files {
			if f.ID == "" || f.Name == "" {
				return novotelecom.ErrServerProtocol(errors.New("list: a file without id or name"))
			}
			out = append(out, novotelecom.RemoteFile{ID: f.ID, Name: f.Name, Size: f.Size, SHA256: strings.ToLower(f.SHA256)})
		}
		return nil
	})
	return out, err
}

func (k *conn) Upload(ctx context.Context, name string, data []byte) (bool, error) {
	sum := sha256.Sum256(data)
	hdr := http.Header{"X-Content-Sha256": {hex.EncodeToString(sum[:])}, "Content-Type": {"text/plain"}}
	var dup bool
	err := k.call(ctx, func(ctx context.Context, tok string) error {
		resp, err := k.c.do(ctx, http.MethodPut, k.c.url("upload", url.PathEscape(name)), tok, bytes.NewReader(data), hdr)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusConflict:
			return novotelecom.ErrServerRefused(nil, "файл "+name+" с другим содержимым уже был передан")
		case http.StatusRequestEntityTooLarge:
			return novotelecom.ErrServerTooLarge(nil, name)
		case http.StatusBadRequest:
			return novotelecom.ErrServerRefused(nil, "файл "+name+" не принят ("+serverMessage(resp)+")")
		}
		if err := status(resp, "upload"); err != nil {
			return err
		}
		var body struct {
			Duplicate bool `json:"duplicate"`
		}
		if err := readJSON(resp, &body); err != nil {
			return err
		}
		dup = body.Duplicate
		return nil
	})
	return dup, err
}

func (k *conn) Download(ctx context.Context, f novotelecom.RemoteFile) ([]byte, error) {
	if f.Size > k.c.opts.MaxFile {
		return nil, novotelecom.ErrServerTooLarge(nil, f.Name)
	}
	var data []byte
	err := k.call(ctx, func(ctx context.Context, tok string) error {
		resp, err := k.c.do(ctx, http.MethodGet, k.c.url("files", url.PathEscape(f.ID)), tok, nil, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := status(resp, "download"); err != nil {
			return err
		}
		if resp.ContentLength > k.c.opts.MaxFile {
			return novotelecom.ErrServerTooLarge(nil, f.Name)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, k.c.opts.MaxFile+1))
		if err != nil {
			return novotelecom.ErrServerDown(fmt.Errorf("download %s: %w", f.ID, err))
		}
		if int64(len(b)) > k.c.opts.MaxFile {
			return novotelecom.ErrServerTooLarge(nil, f.Name)
		}
		// A transfer cut short or damaged is a transport failure: try again, never store it.
		if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
			return novotelecom.ErrServerDown(fmt.Errorf("download %s: %d of %d bytes", f.ID, len(b), resp.ContentLength))
		}
		sum := sha256.Sum256(b)
		got := hex.EncodeToString(sum[:])
		for _, want := range []string{resp.Header.Get("X-Content-SHA256"), f.SHA256} {
			if want != "" && !strings.EqualFold(want, got) {
				return novotelecom.ErrServerDown(fmt.Errorf("download %s: content does not match its digest", f.ID))
			}
		}
		data = b
		return nil
	})
	return data, err
}

func (k *conn) Delete(ctx context.Context, f novotelecom.RemoteFile) error {
	return k.call(ctx, func(ctx context.Context, tok string) error {
		resp, err := k.c.do(ctx, http.MethodDelete, k.c.url("files", url.PathEscape(f.ID)), tok, nil, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil // deleted already: what we wanted
		}
		return status(resp, "delete")
	})
}

// do sends one request under the per-request timeout. The response body is read by the
// caller within the same timeout: the context is cancelled when the body is closed.
func (c *Client) do(ctx context.Context, method, u, token string, body io.Reader, hdr http.Header) (_ *http.Response, err error) {
	defer func(start time.Time) { metrics.Call("novotelecom", opOf(method, u), start, err) }(time.Now())
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		cancel()
		return nil, novotelecom.ErrServerProtocol(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.opts.HTTP.Do(req)
	if err != nil {
		cancel()
		return nil, novotelecom.ErrServerDown(err)
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// opOf names a request for metrics (until the answer's headers): login, list, upload,
// download or delete.
func opOf(method, u string) string {
	switch method {
	case http.MethodPost:
		return "login"
	case http.MethodPut:
		return "upload"
	case http.MethodDelete:
		return "delete"
	}
	if strings.HasSuffix(u, "/files") {
		return "list"
	}
	return "download"
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// status classifies a non-2xx answer.
func status(resp *http.Response, op string) error {
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusUnauthorized:
		return errExpired
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return novotelecom.ErrServerDown(fmt.Errorf("%s: HTTP %d", op, resp.StatusCode))
	}
	return novotelecom.ErrServerRefused(fmt.Errorf("%s: HTTP %d", op, resp.StatusCode), serverMessage(resp))
}

// serverMessage is the server's short error text (kept to ASCII and 200 bytes: it may reach
// logs).
func serverMessage(resp *http.Response) string {
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body)
	msg := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, body.Error)
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return msg
}

func readJSON(resp *http.Response, v any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON+1))
	if err != nil {
		return novotelecom.ErrServerDown(err)
	}
	if len(b) > maxJSON {
		return novotelecom.ErrServerProtocol(errors.New("answer too large"))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return novotelecom.ErrServerProtocol(err)
	}
	return nil
}

// retry repeats fn while it fails with a transient error (Unavailable), with a doubling
// pause; every operation of the protocol is safe to repeat.
func (c *Client) retry(ctx context.Context, fn func(ctx context.Context) error) error {
	wait := c.opts.Backoff
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		var ae *apperr.Error
		if err == nil || attempt >= c.opts.Attempts || !errors.As(err, &ae) || ae.Kind != apperr.Unavailable {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return novotelecom.ErrServerDown(ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}
