// Package agent is the scanner bridge that runs on a hotel's front-desk PC next to a Regula
// document reader (the command cmd/bridge is its thin main). It takes the reader's processing
// results from a watched folder and from a local HTTP endpoint on 127.0.0.1, keeps each read
// in a durable on-disk queue, and sends the queue to the hub in order, signed with the
// device's key, retrying with exponential backoff while the hub is unreachable.
//
// Guarantees:
//   - A read is acknowledged (its file moved to done/, or the local POST answered 202) only
//     after it is written to the queue and fsynced: a crash or kill -9 after that loses
//     nothing, a crash before it leaves the read where it came from.
//   - Reads go to the hub in the order they were acknowledged, one at a time.
//   - A read is sent until the hub has taken it, and never again after that: the queue
//     remembers delivered TransactionIDs (delivered.log, fsynced before the read's file is
//     removed), and the hub deduplicates by TransactionID too, so the one resend a crash
//     between "hub took it" and "log written" can cause changes nothing.
//
// Only what is needed leaves the PC: the result is minimized (package regula) — no page
// images, no transaction log, no PC user or computer name; the holder's photo only when the
// configuration says images: true.
package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Duration is a time.Duration written as "2s", "500ms", "5m" in the configuration file.
type Duration struct{ time.Duration }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`a duration is a string such as "2s" or "5m"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: write it as \"2s\", \"500ms\" or \"5m\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Config is the bridge's configuration: one JSON file (see README.md, «Сканер документов»).
type Config struct {
	// HubURL is the hub's base URL, e.g. "https://hub.example.ru" (the bridge posts to
	// HubURL + "/bridge/reads?tenant=" + Tenant).
	HubURL string `json:"hubUrl"`
	// Tenant, DeviceID and Secret come from the hub's enrolment (Bridge.EnrollDevice).
	Tenant   string `json:"tenant"`
	DeviceID string `json:"deviceId"`
	Secret   string `json:"secret"`
	// DataDir holds the queue (queue/, delivered.log) and the hub's refusals (rejected/).
	DataDir string `json:"dataDir"`
	// WatchDir is the folder the reader software writes its results to ("" turns the folder
	// source off). Taken files move to WatchDir/done, broken ones to WatchDir/rejected with a
	// reason file.
	WatchDir string `json:"watchDir"`
	// Listen is the local HTTP endpoint, a loopback address such as "127.0.0.1:8765" ("" turns
	// it off).
	Listen string `json:"listen"`
	// LegalEntity is the default legal entity (its ref in the hub) of reads that name none.
	LegalEntity string `json:"legalEntity"`
	// Images sends the holder's photo with the read (page images never leave the PC).
	Images bool `json:"images"`
	// LogFile is where the bridge logs ("" means the standard error).
	LogFile string `json:"logFile"`

	// Tuning; zero values take the defaults.
	PollInterval Duration `json:"pollInterval"` // folder poll period, default 2s
	Settle       Duration `json:"settle"`       // a file untouched this long is complete, default 1s
	BackoffBase  Duration `json:"backoffBase"`  // first retry delay, default 2s
	MaxBackoff   Duration `json:"maxBackoff"`   // longest retry delay, default 5m
	GuestTTL     Duration `json:"guestTtl"`     // how long POST /guest's guest is current, default 15m
	Timeout      Duration `json:"timeout"`      // one upload attempt, default 30s
	MaxInputMB   int64    `json:"maxInputMb"`   // largest raw result accepted, default 64
}

// Defaults.
const (
	defaultPoll     = 2 * time.Second
	defaultSettle   = time.Second
	defaultBackoff  = 2 * time.Second
	defaultMaxBack  = 5 * time.Minute
	defaultGuestTTL = 15 * time.Minute
	defaultTimeout  = 30 * time.Second
	defaultMaxInput = 64
)

var (
	tenantRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	refRe    = regexp.MustCompile(`^[0-9A-Za-z._:-]{1,64}$`)
)

// LoadConfig reads and checks a configuration file. Unknown keys are refused (a misspelt key
// would otherwise be silently ignored).
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("файл настроек %s: %w", path, err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // Notepad's UTF-8 BOM
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("файл настроек %s: %w", path, err)
	}
	if err := c.Check(); err != nil {
		return Config{}, fmt.Errorf("файл настроек %s: %w", path, err)
	}
	return c, nil
}

// Check validates the configuration and fills the defaults.
func (c *Config) Check() error {
	u, err := url.Parse(strings.TrimRight(c.HubURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return errors.New(`hubUrl: адрес хаба, например "https://hub.example.ru"`)
	}
	c.HubURL = u.String()
	if !tenantRe.MatchString(c.Tenant) {
		return errors.New("tenant: идентификатор абонента из ответа EnrollDevice (латиница, цифры, дефис)")
	}
	if !refRe.MatchString(c.DeviceID) {
		return errors.New("deviceId: идентификатор устройства из ответа EnrollDevice")
	}
	if len(c.Secret) < 32 || len(c.Secret) > 256 || strings.ContainsFunc(c.Secret, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return errors.New("secret: секрет устройства из ответа EnrollDevice (от 32 символов)")
	}
	if c.DataDir == "" {
		return errors.New("dataDir: папка для очереди чтений, например C:\\ProgramData\\Stykovka\\bridge")
	}
	if c.WatchDir == "" && c.Listen == "" {
		return errors.New("нет источника чтений: задайте watchDir (папка результатов сканера) и/или listen (127.0.0.1:порт)")
	}
	if c.Listen != "" {
		if err := loopback(c.Listen); err != nil {
			return err
		}
	}
	if c.LegalEntity != "" && !refRe.MatchString(c.LegalEntity) {
		return errors.New("legalEntity: ссылка на организацию в хабе (до 64 латинских букв, цифр и знаков . _ : -)")
	}
	def := func(d *Duration, v time.Duration) {
		if d.Duration <= 0 {
			d.Duration = v
		}
	}
	def(&c.PollInterval, defaultPoll)
	def(&c.Settle, defaultSettle)
	def(&c.BackoffBase, defaultBackoff)
	def(&c.MaxBackoff, defaultMaxBack)
	def(&c.GuestTTL, defaultGuestTTL)
	def(&c.Timeout, defaultTimeout)
	if c.MaxBackoff.Duration < c.BackoffBase.Duration {
		c.MaxBackoff = c.BackoffBase
	}
	if c.MaxInputMB <= 0 {
		c.MaxInputMB = defaultMaxInput
	}
	return nil
}

// loopback refuses a listen address other than 127.0.0.0/8, ::1 or localhost: the endpoint
// takes personal data without a password, so it must not be reachable from the network.
func loopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return errors.New(`listen: адрес вида "127.0.0.1:8765"`)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return errors.New("listen: только 127.0.0.1 (или ::1): локальный адрес принимает персональные данные без пароля и не должен быть доступен из сети")
	}
	return nil
}
