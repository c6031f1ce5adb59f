package emisclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/metrics"
)

// Limits.
const (
	maxResponse = 1 << 20 // an answer of EMIS
	// MaxVersions bounds the versions one changes answer may carry.
	MaxVersions = 100
	timeout     = 20 * time.Second
)

// Client talks to one EMIS server. It is safe for concurrent use.
type Client struct {
	base *url.URL
	http *http.Client
}

var _ emis.Client = (*Client)(nil)

// New returns a client for the EMIS server at baseURL. hc may be nil (a client with a 20 s
// timeout is used).
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("emisclient: base URL %q is not an absolute http(s) URL", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	return &Client{base: u, http: hc}, nil
}

// OpenSession opens a document session for one person.
func (c *Client) OpenSession(ctx context.Context, a emis.Account, r emis.SessionRequest) (emis.Session, error) {
	body, _ := json.Marshal(SessionRequest{PersonID: r.PersonID, BookingID: r.BookingID, GuestName: r.Surname, CallbackURL: r.CallbackURL})
	var out SessionResponse
	if err := c.do(ctx, a, http.MethodPost, c.base.JoinPath(PathSessions).String(), body, http.StatusCreated, &out); err != nil {
		return emis.Session{}, err
	}
	if out.SessionID == "" || out.URL == "" {
		return emis.Session{}, errors.New("emisclient: session answer without id or url")
	}
	u, err := url.Parse(out.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return emis.Session{}, errors.New("emisclient: session url is not http(s)")
	}
	return emis.Session{ID: out.SessionID, URL: out.URL, ExpiresAt: out.ExpiresAt}, nil
}

// Changes returns the versions of a person's documents after since.
func (c *Client) Changes(ctx context.Context, a emis.Account, personID string, since int64) ([]emis.Version, error) {
	u := c.base.JoinPath(PathPersons, personID, PathChanges)
	u.RawQuery = url.Values{"since": {strconv.FormatInt(since, 10)}}.Encode()
	var out ChangesResponse
	if err := c.do(ctx, a, http.MethodGet, u.String(), nil, http.StatusOK, &out); err != nil {
		return nil, err
	}
	if out.PersonID != personID {
		return nil, errors.New("emisclient: changes of another person")
	}
	if len(out.Versions) > MaxVersions {
		return nil, errors.New("emisclient: too many versions in one answer")
	}
	vs := make([]emis.Version, 0, len(out.Versions))
	for _, w := range out.Versions {
		v, err := versionOf(w)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

func (c *Client) do(ctx context.Context, a emis.Account, method, u string, body []byte, want int, out any) (err error) {
	op := "changes"
	if method == http.MethodPost {
		op = "open_session"
	}
	defer func(start time.Time) { metrics.Call("emis", op, start, err) }(time.Now())
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(a.Login, a.Password)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The error names the URL, which carries the person id but no personal data.
		return fmt.Errorf("%w: %v", emis.ErrUpstreamDown, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("%w: reading answer: %v", emis.ErrUpstreamDown, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: HTTP %d", emis.ErrUpstreamAuth, resp.StatusCode)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: HTTP %d", emis.ErrUpstreamDown, resp.StatusCode)
	case resp.StatusCode != want:
		// The body is not quoted: it may echo personal data.
		return fmt.Errorf("emisclient: %s %s: HTTP %d", method, req.URL.Path, resp.StatusCode)
	}
	if len(data) > maxResponse {
		return errors.New("emisclient: answer too large")
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("emisclient: answer is not the expected JSON: %w", err)
	}
	return nil
}

// ParseCallback decodes an EMIS callback body into the domain model. Unknown fields are
// ignored (EMIS may add some); unknown enumeration values and bad dates are refused.
func (c *Client) ParseCallback(body []byte) (emis.Callback, error) { return ParseCallback(body) }

// ParseCallback is Client.ParseCallback, usable without a client.
func ParseCallback(body []byte) (emis.Callback, error) {
	if len(body) > emis.MaxCallbackBody {
		return emis.Callback{}, errors.New("emisclient: callback too large")
	}
	var cb Callback
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&cb); err != nil {
		return emis.Callback{}, fmt.Errorf("emisclient: callback is not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return emis.Callback{}, errors.New("emisclient: data after the callback object")
	}
	if cb.Event != EventSaved {
		return emis.Callback{}, errors.New("emisclient: unknown callback event")
	}
	v, err := versionOf(cb.VersionWire)
	if err != nil {
		return emis.Callback{}, err
	}
	return emis.Callback{SessionID: cb.SessionID, PersonID: cb.PersonID, Version: v}, nil
}

func versionOf(w VersionWire) (emis.Version, error) {
	d, err := documentsOf(w.Document)
	if err != nil {
		return emis.Version{}, err
	}
	return emis.Version{Number: w.Version, SavedAt: w.SavedAt, SessionID: w.SessionID, BookingID: w.BookingID, Documents: d}, nil
}

// Enumerations: EMIS word → domain code.
var (
	genders  = map[string]string{"": "", "MALE": "M", "FEMALE": "F"}
	stayKind = map[string]emis.StayKind{"VISA": emis.Visa, "RVP": emis.RVP, "VNZH": emis.VNZh}
	entries  = map[string]string{"": "", "SINGLE": "single", "DOUBLE": "double", "MULTIPLE": "multiple"}
	purposes = map[string]string{"": "", "OFFICIAL": "official", "TOURISM": "tourism", "BUSINESS": "business",
		"STUDY": "study", "WORK": "work", "PRIVATE": "private", "TRANSIT": "transit",
		"HUMANITARIAN": "humanitarian", "OTHER": "other"}
)

// mapper converts fields and keeps the first error, naming the field but never the value.
type mapper struct{ err error }

func (m *mapper) date(field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" || m.err != nil {
		return ""
	}
	t, err := time.Parse(WireDate, s)
	if err != nil {
		m.err = fmt.Errorf("emisclient: %s is not a dd.mm.yyyy date", field)
		return ""
	}
	return t.Format(emis.DateLayout)
}

func (m *mapper) enum(field, s string, values map[string]string) string {
	v, ok := values[strings.ToUpper(strings.TrimSpace(s))]
	if !ok && m.err == nil {
		m.err = fmt.Errorf("emisclient: unknown %s", field)
	}
	return v
}

func documentsOf(w Document) (emis.Documents, error) {
	var m mapper
	id := w.Identity
	t := strings.TrimSpace
	d := emis.Documents{
		Identity: emis.Identity{
			TypeCode: t(id.DocType), Series: t(id.Series), Number: t(id.Number),
			IssuedOn: m.date("identityDocument.issueDate", id.IssueDate), ExpiresOn: m.date("identityDocument.expiryDate", id.ExpiryDate),
			Issuer: t(id.Authority), Nationality: strings.ToUpper(t(id.Citizenship)),
			Cyrillic:  emis.Name{Surname: t(id.LastName), Given: t(id.FirstName), Patronymic: t(id.MiddleName)},
			Latin:     emis.Name{Surname: t(id.LastNameLat), Given: t(id.FirstNameLat), Patronymic: t(id.MiddleNameLat)},
			Sex:       m.enum("identityDocument.gender", id.Gender, genders),
			BirthDate: m.date("identityDocument.birthDate", id.BirthDate), BirthPlace: t(id.BirthPlace),
		},
		Visit: emis.Visit{
			Purpose: m.enum("visitPurpose", w.VisitPurpose, purposes),
			From:    m.date("stayFrom", w.StayFrom), To: m.date("stayTo", w.StayTo),
		},
	}
	if len(w.StayDocuments) > 10 {
		return emis.Documents{}, errors.New("emisclient: more than 10 stay documents")
	}
	for i, s := range w.StayDocuments {
		f := fmt.Sprintf("stayDocuments[%d]", i)
		kind, ok := stayKind[strings.ToUpper(t(s.Type))]
		if !ok && m.err == nil {
			m.err = fmt.Errorf("emisclient: unknown %s.type", f)
		}
		d.Stay = append(d.Stay, emis.Stay{
			Kind: kind, Series: t(s.Series), Number: t(s.Number),
			ValidFrom: m.date(f+".validFrom", s.ValidFrom), ValidTo: m.date(f+".validTo", s.ValidTo),
			Entries: m.enum(f+".entries", s.Entries, entries), Selected: s.Selected,
		})
	}
	if mc := w.MigrationCard; mc != nil && (mc.Series != "" || mc.Number != "" || mc.EntryDate != "") {
		d.MigrationCard = &emis.MigrationCard{Series: t(mc.Series), Number: t(mc.Number),
			EntryDate: m.date("migrationCard.entryDate", mc.EntryDate)}
	}
	return d, m.err
}

// WireDocument converts the domain model back to EMIS's format (for tests and the simulator's
// fixtures). It is the inverse of the mapping ParseCallback applies.
func WireDocument(d emis.Documents) Document {
	date := func(s string) string {
		if t, err := time.Parse(emis.DateLayout, s); err == nil {
			return t.Format(WireDate)
		}
		return s
	}
	rev := func(v string, values map[string]string) string {
		for k, x := range values {
			if x == v {
				return k
			}
		}
		return v
	}
	id := d.Identity
	w := Document{
		Identity: Identity{DocType: id.TypeCode, Series: id.Series, Number: id.Number,
			IssueDate: date(id.IssuedOn), ExpiryDate: date(id.ExpiresOn), Authority: id.Issuer, Citizenship: id.Nationality,
			LastName: id.Cyrillic.Surname, FirstName: id.Cyrillic.Given, MiddleName: id.Cyrillic.Patronymic,
			LastNameLat: id.Latin.Surname, FirstNameLat: id.Latin.Given, MiddleNameLat: id.Latin.Patronymic,
			Gender: rev(id.Sex, genders), BirthDate: date(id.BirthDate), BirthPlace: id.BirthPlace},
		VisitPurpose: rev(d.Visit.Purpose, purposes), StayFrom: date(d.Visit.From), StayTo: date(d.Visit.To),
	}
	for _, s := range d.Stay {
		w.StayDocuments = append(w.StayDocuments, StayDocument{Type: strings.ToUpper(string(s.Kind)), Series: s.Series,
			Number: s.Number, ValidFrom: date(s.ValidFrom), ValidTo: date(s.ValidTo), Entries: rev(s.Entries, entries), Selected: s.Selected})
	}
	if mc := d.MigrationCard; mc != nil {
		w.MigrationCard = &MigrationCard{Series: mc.Series, Number: mc.Number, EntryDate: date(mc.EntryDate)}
	}
	return w
}
