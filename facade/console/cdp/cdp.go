// Package cdp drives a headless Chromium (Debian's package) over the Chrome DevTools
// Protocol, for the console's browser tests: open a page with the Basic credentials in every
// request, read the DOM, click, take full-page screenshots. It speaks the protocol over one
// WebSocket with plain JSON; nothing is downloaded.
package cdp

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// InstallHint says how to get Chromium when it is missing.
const InstallHint = "headless Chromium is not installed: run `make test-deps` (scripts/install-test-deps.sh, as root) or `apt-get install chromium`"

// Find returns the Chromium binary: $STYKOVKA_CHROMIUM, else chromium or chromium-browser on
// PATH, else /usr/bin/chromium.
func Find() (string, error) {
	if p := os.Getenv("STYKOVKA_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New(InstallHint)
}

// Browser is a running headless Chromium.
type Browser struct {
	cmd     *exec.Cmd
	dataDir string
	httpURL string // http://127.0.0.1:<port>
	done    chan struct{}
}

// Flags are the command line: headless, no sandbox (tests run as root), and none of the
// background connections that this machine's closed network refuses.
var Flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
	"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*",
	"--window-size=1280,900", "--lang=ru-RU",
}

var listening = regexp.MustCompile(`DevTools listening on ws://([^/\s]+)/`)

// Start runs Chromium with a fresh profile in dataDir (which it removes at Close).
func Start(ctx context.Context, dataDir string) (*Browser, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	args := append(append([]string(nil), Flags...), "--user-data-dir="+dataDir, "about:blank")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LANG=ru_RU.UTF-8")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (%s)", bin, err, InstallHint)
	}
	b := &Browser{cmd: cmd, dataDir: dataDir, done: make(chan struct{})}
	found := make(chan string, 1)
	var tail []string
	var tailMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := listening.FindStringSubmatch(line); m != nil && !sent {
				found <- m[1]
				sent = true
			}
			tailMu.Lock()
			if tail = append(tail, line); len(tail) > 20 {
				tail = tail[1:]
			}
			tailMu.Unlock()
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { cmd.Wait(); close(b.done) }()
	select {
	case addr := <-found:
		b.httpURL = "http://" + addr
		return b, nil
	case <-b.done:
		tailMu.Lock()
		defer tailMu.Unlock()
		return nil, fmt.Errorf("chromium exited before listening:\n%s", strings.Join(tail, "\n"))
	case <-time.After(30 * time.Second):
		b.Close()
		return nil, errors.New("chromium did not start its DevTools endpoint in 30 s")
	case <-ctx.Done():
		b.Close()
		return nil, ctx.Err()
	}
}

// Close stops Chromium and removes its profile.
func (b *Browser) Close() {
	if b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
	}
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
	}
	_ = os.RemoveAll(b.dataDir)
}

// Version is Chromium's "Browser" version string.
func (b *Browser) Version() (string, error) {
	var v struct{ Browser string }
	err := b.getJSON("/json/version", &v)
	return v.Browser, err
}

func (b *Browser) getJSON(path string, out any) error {
	resp, err := http.Get(b.httpURL + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

// Page connects to the browser's first page (the about:blank it started with).
func (b *Browser) Page() (*Page, error) {
	var targets []struct {
		Type                 string `json:"type"`
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := b.getJSON("/json/list", &targets); err != nil {
			return nil, err
		}
		for _, t := range targets {
			if t.Type == "page" && t.WebSocketDebuggerURL != "" {
				return connect(t.WebSocketDebuggerURL)
			}
		}
		if time.Now().After(deadline) {
			return nil, errors.New("chromium has no page target")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Page is one tab under control.
type Page struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	nextID  int
	pending map[int]chan message
	loads   chan struct{}
	closed  chan struct{}
	// Timeout bounds each navigation and call.
	Timeout time.Duration
}

type message struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func connect(wsURL string) (*Page, error) {
	cfg, err := websocket.NewConfig(wsURL, "http://127.0.0.1/")
	if err != nil {
		return nil, err
	}
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("devtools websocket: %w", err)
	}
	ws.MaxPayloadBytes = 64 << 20 // full-page screenshots
	p := &Page{ws: ws, pending: map[int]chan message{}, loads: make(chan struct{}, 16), closed: make(chan struct{}), Timeout: 30 * time.Second}
	go p.read()
	for _, m := range []string{"Page.enable", "Network.enable", "Runtime.enable"} {
		if err := p.Call(m, nil, nil); err != nil {
			ws.Close()
			return nil, err
		}
	}
	return p, nil
}

func (p *Page) read() {
	defer close(p.closed)
	for {
		var raw []byte
		if err := websocket.Message.Receive(p.ws, &raw); err != nil {
			return
		}
		var m message
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		if m.ID != 0 {
			p.mu.Lock()
			ch := p.pending[m.ID]
			delete(p.pending, m.ID)
			p.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		if m.Method == "Page.loadEventFired" {
			select {
			case p.loads <- struct{}{}:
			default:
			}
		}
	}
}

// Close closes the connection (the browser goes on until Browser.Close).
func (p *Page) Close() { p.ws.Close() }

// Call sends a DevTools command and decodes its result into out (nil: ignored).
func (p *Page) Call(method string, params any, out any) error {
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	ch := make(chan message, 1)
	p.pending[id] = ch
	p.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	b, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := websocket.Message.Send(p.ws, string(b)); err != nil {
		return err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-p.closed:
		return fmt.Errorf("%s: devtools connection closed", method)
	case <-time.After(p.Timeout):
		return fmt.Errorf("%s: no answer in %s", method, p.Timeout)
	}
}

// SetHeaders sends these headers with every request of the page (Authorization for Basic).
func (p *Page) SetHeaders(h map[string]string) error {
	return p.Call("Network.setExtraHTTPHeaders", map[string]any{"headers": h}, nil)
}

// BasicAuth sends user's Basic credentials with every request.
func (p *Page) BasicAuth(user, password string) error {
	return p.SetHeaders(map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))})
}

func (p *Page) drainLoads() {
	for {
		select {
		case <-p.loads:
		default:
			return
		}
	}
}

func (p *Page) waitLoad() error {
	select {
	case <-p.loads:
		return nil
	case <-p.closed:
		return errors.New("devtools connection closed")
	case <-time.After(p.Timeout):
		return fmt.Errorf("page did not load in %s", p.Timeout)
	}
}

// Navigate opens url and waits for its load event; it returns the HTTP status of the document.
func (p *Page) Navigate(url string) (int, error) {
	p.drainLoads()
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call("Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return 0, err
	}
	if res.ErrorText != "" {
		return 0, fmt.Errorf("navigate %s: %s", url, res.ErrorText)
	}
	if err := p.waitLoad(); err != nil {
		return 0, err
	}
	var status int
	err := p.Eval(`performance.getEntriesByType("navigation")[0].responseStatus || 0`, &status)
	return status, err
}

// Eval evaluates a JavaScript expression in the page and decodes its value into out.
func (p *Page) Eval(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("eval %q: %s %s", expr, res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description)
	}
	if out == nil || len(res.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// Text returns the visible text of the first element matching the CSS selector ("" if none).
func (p *Page) Text(selector string) (string, error) {
	var s string
	sel, _ := json.Marshal(selector)
	err := p.Eval(`(function(){var e=document.querySelector(`+string(sel)+`);return e?e.innerText:""})()`, &s)
	return s, err
}

// Click clicks the first element matching selector and, when it navigates (a form's button,
// a link), waits for the next page's load.
func (p *Page) Click(selector string, navigates bool) error {
	p.drainLoads()
	sel, _ := json.Marshal(selector)
	var ok bool
	if err := p.Eval(`(function(){var e=document.querySelector(`+string(sel)+`);if(!e)return false;e.click();return true})()`, &ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no element %s", selector)
	}
	if navigates {
		return p.waitLoad()
	}
	return nil
}

// Screenshot saves a PNG of the whole page (beyond the window's height) to path.
func (p *Page) Screenshot(path string) error {
	var lm struct {
		CSSContentSize struct {
			Width, Height float64
		} `json:"cssContentSize"`
	}
	if err := p.Call("Page.getLayoutMetrics", nil, &lm); err != nil {
		return err
	}
	w, h := lm.CSSContentSize.Width, lm.CSSContentSize.Height
	if w < 1 || h < 1 {
		w, h = 1280, 900
	}
	h = min(h, 12000)
	var res struct {
		Data string `json:"data"`
	}
	if err := p.Call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": w, "height": h, "scale": 1}}, &res); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}
