package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/regula"
)

// Version is the bridge's version, sent as its User-Agent (set at build time).
var Version = "dev"

// Agent is a running bridge.
type Agent struct {
	cfg    Config
	q      *Queue
	log    *slog.Logger
	client *http.Client
	st     *state

	ingestMu sync.Mutex // one read minimized at a time: memory stays small
	guestMu  sync.Mutex
	guest    Guest
	guestAt  time.Time
}

// Guest is the guest a read belongs to.
type Guest struct {
	PersonID    string `json:"personId"`
	LegalEntity string `json:"legalEntity,omitempty"`
	BookingID   string `json:"bookingId,omitempty"`
}

// New opens the bridge's queue. It makes no network calls.
func New(cfg Config, log *slog.Logger) (*Agent, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q, err := OpenQueue(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("очередь в %s: %w", cfg.DataDir, err)
	}
	if cfg.WatchDir != "" {
		for _, d := range []string{cfg.WatchDir, filepath.Join(cfg.WatchDir, "done"), filepath.Join(cfg.WatchDir, "rejected")} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, fmt.Errorf("папка результатов сканера: %w", err)
			}
		}
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConns: 2, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 15 * time.Second, ResponseHeaderTimeout: cfg.Timeout.Duration}
	return &Agent{cfg: cfg, q: q, log: log, st: newState(q),
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout.Duration,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// Queue is the agent's queue (for tests and the status page).
func (a *Agent) Queue() *Queue { return a.q }

// Run serves the local endpoint, polls the folder and sends the queue until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	if a.cfg.Listen != "" {
		ln, err := net.Listen("tcp", a.cfg.Listen)
		if err != nil {
			return fmt.Errorf("занять адрес %s: %w", a.cfg.Listen, err)
		}
		srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
			WriteTimeout: 5 * time.Minute, MaxHeaderBytes: 16 << 10}
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		go func() {
			defer wg.Done()
			<-ctx.Done()
			shut, c := context.WithTimeout(context.Background(), 5*time.Second)
			defer c()
			_ = srv.Shutdown(shut)
		}()
	}
	if a.cfg.WatchDir != "" {
		wg.Add(1)
		go func() { defer wg.Done(); a.poll(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); a.send(ctx) }()
	a.log.Info("bridge started", "version", Version, "queued", a.q.Len(), "listen", a.cfg.Listen, "watch", a.cfg.WatchDir != "")
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		cancel()
	}
	wg.Wait()
	return err
}

// Rejection is why a read was not queued (shown to the reader software and written beside a
// rejected file).
type Rejection struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (r *Rejection) Error() string { return r.Code + ": " + r.Message }

func reject(code, msg string) *Rejection { return &Rejection{Code: code, Message: msg} }

// Ingested is what happened to a read taken from a source.
type Ingested struct {
	Status        string `json:"status"` // "queued" or "duplicate"
	TransactionID string `json:"transactionId"`
	Seq           uint64 `json:"seq,omitempty"`
}

// Ingest minimizes a raw result, names its guest and queues it durably. override is the
// guest the source named (HTTP query); the result's passBackObject, then the current guest
// (POST /guest), then the default legal entity fill what it leaves empty.
func (a *Agent) Ingest(r io.Reader, source string, override Guest) (Ingested, error) {
	a.ingestMu.Lock()
	defer a.ingestMu.Unlock()
	m, err := regula.Minimize(r, regula.MinimizeOptions{MaxInput: a.cfg.MaxInputMB << 20, Portrait: a.cfg.Images})
	switch {
	case errors.Is(err, regula.ErrTooLarge):
		return Ingested{}, reject("READ_TOO_LARGE", fmt.Sprintf("Результат сканера больше %d МиБ (или после отбора данных больше 2 МиБ)", a.cfg.MaxInputMB))
	case err != nil:
		return Ingested{}, reject("READ_INVALID", "Это не результат обработки Regula Document Reader: "+err.Error())
	}
	res, err := regula.Parse(m.Data)
	if err != nil {
		return Ingested{}, reject("READ_INVALID", err.Error())
	}
	g := a.guestFor(override, m.PassBack)
	if g.PersonID == "" {
		return Ingested{}, reject("GUEST_NOT_SELECTED", "Не выбран гость: передайте personId (параметр запроса, passBackObject результата сканера или POST /guest перед сканированием)")
	}
	if !refRe.MatchString(g.PersonID) || (g.BookingID != "" && !refRe.MatchString(g.BookingID)) {
		return Ingested{}, reject("GUEST_INVALID", "personId и bookingId: до 64 латинских букв, цифр и знаков . _ : -")
	}
	if g.LegalEntity == "" {
		return Ingested{}, reject("LEGAL_ENTITY_NOT_SET", "Не указана организация: задайте legalEntity в файле настроек моста или в запросе")
	}
	if !refRe.MatchString(g.LegalEntity) {
		return Ingested{}, reject("LEGAL_ENTITY_INVALID", "legalEntity: ссылка на организацию в хабе")
	}
	tx := res.TransactionID
	if tx == "" {
		sum := sha256.Sum256(m.Data)
		tx = "sha256:" + hex.EncodeToString(sum[:])
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(wire.Upload{TransactionID: tx, LegalEntity: g.LegalEntity, PersonID: g.PersonID, BookingID: g.BookingID,
		ReadAt: time.Now().UTC().Truncate(time.Second), Result: m.Data}); err != nil {
		return Ingested{}, err
	}
	body := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if len(body) > wire.MaxUpload {
		return Ingested{}, reject("READ_TOO_LARGE", "Чтение больше 2 МиБ после отбора данных: выключите images в настройках")
	}
	seq, dup, err := a.q.Add(tx, body)
	if err != nil {
		return Ingested{}, fmt.Errorf("очередь: %w", err)
	}
	if dup {
		a.log.Info("read already queued or delivered", "tx", tx, "source", source)
		return Ingested{Status: "duplicate", TransactionID: tx}, nil
	}
	docName := ""
	if res.DocType != nil {
		docName = res.DocType.Name
	}
	a.st.event(tx, source, g.PersonID, "queued", docName, "", nil)
	a.log.Info("read queued", "tx", tx, "seq", seq, "source", source, "dropped_containers", m.Dropped)
	return Ingested{Status: "queued", TransactionID: tx, Seq: seq}, nil
}

// guestFor merges the sources of the guest.
func (a *Agent) guestFor(override Guest, passBack json.RawMessage) Guest {
	g := override
	var pb Guest
	if len(passBack) > 0 {
		_ = json.Unmarshal(passBack, &pb)
	}
	a.guestMu.Lock()
	cur := a.guest
	if time.Since(a.guestAt) > a.cfg.GuestTTL.Duration {
		cur = Guest{}
	}
	a.guestMu.Unlock()
	for _, src := range []Guest{pb, cur} {
		if g.PersonID == "" {
			g.PersonID, g.BookingID = src.PersonID, src.BookingID
			if g.LegalEntity == "" {
				g.LegalEntity = src.LegalEntity
			}
		}
	}
	if g.LegalEntity == "" {
		g.LegalEntity = pb.LegalEntity
	}
	if g.LegalEntity == "" {
		g.LegalEntity = a.cfg.LegalEntity
	}
	return g
}

// SetGuest makes g the current guest for reads that name none, for GuestTTL.
func (a *Agent) SetGuest(g Guest) {
	a.guestMu.Lock()
	a.guest, a.guestAt = g, time.Now()
	a.guestMu.Unlock()
}

// ---- sending ----

// outcome classes of an attempt.
const (
	sentOK = iota
	sentRefused
	sentRetry
	sentReplayed // the hub saw this very signature (a restart within the same second): re-sign next second
)

func (a *Agent) send(ctx context.Context) {
	failures := 0
	for {
		e, ok, err := a.q.Head()
		if err != nil {
			a.log.Error("queue read failed", "err", err)
			if !sleep(ctx, a.cfg.BackoffBase.Duration) {
				return
			}
			continue
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-a.q.Wake():
				continue
			}
		}
		class, o, detail := a.attempt(ctx, e)
		if ctx.Err() != nil {
			return
		}
		switch class {
		case sentOK:
			if err := a.q.Delivered(e); err != nil {
				a.log.Error("queue update failed", "err", err)
				if !sleep(ctx, a.cfg.BackoffBase.Duration) {
					return
				}
				continue
			}
			failures = 0
			a.st.hubOK()
			a.st.event(e.TxID, "", "", o.Status, o.DocumentName, "", o.Warnings)
			a.log.Info("read delivered", "tx", e.TxID, "seq", e.Seq, "status", o.Status, "warnings", len(o.Warnings))
		case sentRefused:
			reason := fmt.Sprintf("%s\n%s\n%s", time.Now().Format(time.RFC3339), o.Code, o.Message)
			if err := a.q.Rejected(e, reason); err != nil {
				a.log.Error("queue update failed", "err", err)
				if !sleep(ctx, a.cfg.BackoffBase.Duration) {
					return
				}
				continue
			}
			failures = 0
			a.st.hubOK()
			a.st.event(e.TxID, "", "", "refused", o.DocumentName, o.Code+": "+o.Message, nil)
			a.log.Warn("read refused by the hub", "tx", e.TxID, "seq", e.Seq, "code", o.Code)
		case sentReplayed:
			next := time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)
			if !sleep(ctx, time.Until(next)) {
				return
			}
		default:
			failures++
			wait := backoff(a.cfg.BackoffBase.Duration, a.cfg.MaxBackoff.Duration, failures)
			a.st.hubDown(detail, wait)
			a.log.Warn("hub unreachable, will retry", "tx", e.TxID, "seq", e.Seq, "problem", detail, "retry_in", wait.String())
			if !sleep(ctx, wait) {
				return
			}
		}
	}
}

// backoff is base·2^(n−1), capped, with ±20 % jitter so that the front desks of a hotel do not
// retry in step.
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	j := time.Duration(float64(d) * (rand.Float64()*0.4 - 0.2))
	return max0(d + j)
}

func max0(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return 10 * time.Millisecond
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// attempt posts one read, signed now.
func (a *Agent) attempt(ctx context.Context, e Entry) (int, wire.Outcome, string) {
	url := a.cfg.HubURL + wire.Path + "?tenant=" + a.cfg.Tenant
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(e.Body))
	if err != nil {
		return sentRetry, wire.Outcome{}, err.Error()
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "stykovka-bridge/"+Version)
	req.Header.Set(wire.DeviceHeader, a.cfg.DeviceID)
	req.Header.Set(hooksig.Header, hooksig.Sign([]byte(a.cfg.Secret), time.Now(), e.Body))
	resp, err := a.client.Do(req)
	if err != nil {
		return sentRetry, wire.Outcome{}, "нет связи с хабом: " + netProblem(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	var o wire.Outcome
	_ = json.Unmarshal(body, &o)
	switch resp.StatusCode {
	case http.StatusOK:
		if o.Status == "" {
			o.Status = wire.StatusAttached
		}
		return sentOK, o, ""
	case http.StatusUnprocessableEntity, http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
		if o.Code == "" {
			var we wire.Error
			_ = json.Unmarshal(body, &we)
			o.Code, o.Message = we.Code, we.Message
		}
		if o.Code == "" {
			o.Code = fmt.Sprintf("HTTP_%d", resp.StatusCode)
		}
		return sentRefused, o, ""
	}
	var we wire.Error
	_ = json.Unmarshal(body, &we)
	if resp.StatusCode == http.StatusConflict && we.Code == "HOOK_REPLAYED" {
		return sentReplayed, o, ""
	}
	problem := fmt.Sprintf("хаб ответил HTTP %d", resp.StatusCode)
	if we.Code != "" {
		problem += " " + we.Code + ": " + we.Message
	}
	return sentRetry, o, problem
}

func netProblem(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "тайм-аут"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + ": " + oe.Err.Error()
	}
	return err.Error()
}
