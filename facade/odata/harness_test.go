package odata_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/odata/catalogs"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
)

// users of the test authenticator: name → password, tenant.
var users = map[string][2]string{
	"admin":         {"secret-a", "hotel-a"},
	"Администратор": {"пароль", "hotel-a"}, // 1C sends Cyrillic user names as UTF-8
	"other":         {"secret-b", "hotel-b"},
}

type testAuth struct{}

func (testAuth) Authenticate(_ context.Context, user, password string) (auth.Principal, error) {
	u, ok := users[user]
	if !ok || u[0] != password {
		return auth.Principal{}, apperr.New(apperr.Unauthorized, "AUTH_FAILED", "Неверное имя пользователя или пароль")
	}
	return auth.Principal{Tenant: u[1], User: user}, nil
}

// syncBuffer collects logs written from handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// countingStore counts the items Query returns, to check the scan bound.
type countingStore struct {
	store.Store
	items atomic.Int64
}

func (c *countingStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := c.Store.Query(ctx, q)
	c.items.Add(int64(len(p.Items)))
	return p, err
}

type env struct {
	t      *testing.T
	srv    *httptest.Server
	st     *boltstore.Store
	count  *countingStore
	dbPath string
	legal  *legal.Service
	logs   *syncBuffer
	clk    *clock.Fake
}

// newEnv starts the OData handler over a real bbolt file and local sealer, with
// Catalog_LegalEntities, a test document set and a test information register.
func newEnv(t *testing.T, tune func(*odata.Options)) *env {
	t.Helper()
	return newEnvWith(t, tune, nil)
}

// newEnvWith is newEnv with more sets, built over the same (counting) store.
func newEnvWith(t *testing.T, tune func(*odata.Options), extra func(store.Store) []*odata.EntitySet) *env {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewFake(time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(dir, "hub.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	seal, err := localsealer.Open(filepath.Join(dir, "keys", "local.key"))
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	logs := &syncBuffer{}
	svc := legal.New(cs, seal, clk)
	opts := odata.Options{
		Auth:   testAuth{},
		Clock:  clk,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tune != nil {
		tune(&opts)
	}
	sets := []*odata.EntitySet{catalogs.LegalEntities(svc), documentSet(cs), ratesSet(cs)}
	if extra != nil {
		sets = append(sets, extra(cs)...)
	}
	h := odata.NewHandler(opts, sets...)
	mux := http.NewServeMux()
	mux.Handle("/odata/standard.odata/", h)
	mux.Handle("/odata/standard.odata", h)
	srv := httptest.NewServer(mux)
	e := &env{t: t, srv: srv, st: st, count: cs, dbPath: filepath.Join(dir, "hub.db"), legal: svc, logs: logs, clk: clk}
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return e
}

const base = "/odata/standard.odata/"

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, not JSON: %v\n%s", r.status, err, r.body)
	}
	return m
}

// do sends a request as user ("" sends no credentials). path is relative to the server.
func (e *env) do(method, path, user string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if user != "" {
		req.SetBasicAuth(user, users[user][0])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// get is a JSON GET as admin of hotel-a that must succeed.
func (e *env) get(path string) map[string]any {
	e.t.Helper()
	r := e.do("GET", path, "admin", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s: %d\n%s", path, r.status, r.body)
	}
	return r.json(e.t)
}

// createLegal makes a legal entity through the domain service and returns its Ref.
func (e *env) createLegal(tenant, code, name, inn string) string {
	e.t.Helper()
	c := legal.Changes{Code: &code, Description: &name}
	if inn != "" {
		c.INN = &inn
	}
	le, err := e.legal.Create(context.Background(), tenant, "", c)
	if err != nil {
		e.t.Fatal(err)
	}
	return le.Ref
}

func values(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	vs, ok := m["value"].([]any)
	if !ok {
		t.Fatalf("no value array in %v", m)
	}
	out := make([]map[string]any, len(vs))
	for i, v := range vs {
		out[i] = v.(map[string]any)
	}
	return out
}

func names(t *testing.T, m map[string]any, prop string) []string {
	t.Helper()
	var out []string
	for _, v := range values(t, m) {
		s, _ := v[prop].(string)
		out = append(out, s)
	}
	return out
}

// ---- a test document set: Document_GuestInvoice with tabular part Items, over the store ----

type docRecord struct {
	Number       string    `json:"number"`
	Date         time.Time `json:"date"`
	Posted       bool      `json:"posted"`
	DeletionMark bool      `json:"del"`
	Org          string    `json:"org"`
	Comment      string    `json:"comment"`
	Items        []docItem `json:"items"`
}

type docItem struct {
	Description string `json:"d"`
	Quantity    int64  `json:"q"`
	Price       string `json:"p"`
}

type docSource struct{ st store.Store }

func documentSet(st store.Store) *odata.EntitySet {
	return &odata.EntitySet{
		Name: "Document_GuestInvoice",
		Kind: odata.Document,
		Properties: []odata.Property{
			odata.Ref("Organization", catalogs.LegalEntitiesSet),
			{Name: "Comment", Type: odata.EdmString},
		},
		TabularParts: []odata.TabularPart{{Name: "Items", Properties: []odata.Property{
			{Name: "Description", Type: odata.EdmString},
			{Name: "Quantity", Type: odata.EdmInt32},
			{Name: "Price", Type: odata.EdmDecimal},
		}}},
		Source: docSource{st},
	}
}

func (d docSource) scoped(tenant string) store.Store {
	ts, err := store.ForTenant(d.st, tenant)
	if err != nil {
		panic(err)
	}
	return ts
}

func docEntity(it store.Item) (odata.Entity, error) {
	var r docRecord
	if err := json.Unmarshal(it.Data, &r); err != nil {
		return nil, err
	}
	ref, _ := odata.ParseGUID(it.SK)
	org, _ := odata.ParseGUID(r.Org)
	rows := make([]odata.Entity, len(r.Items))
	for i, x := range r.Items {
		p, _ := decimal.NewFromString(x.Price)
		rows[i] = odata.Entity{"LineNumber": int64(i + 1), "Description": x.Description, "Quantity": x.Quantity, "Price": p}
	}
	return odata.Entity{
		"Ref_Key": ref, "DataVersion": odata.DataVersion(it.Version), "DeletionMark": r.DeletionMark,
		"Number": r.Number, "Date": r.Date, "Posted": r.Posted, "Organization_Key": org,
		"Comment": r.Comment, "Items": rows,
	}, nil
}

func (d docSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	it, err := d.scoped(tenant).Get(ctx, "DOC", key.Ref().String())
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(apperr.NotFound, "DOC_NOT_FOUND", "Документ не найден")
	}
	if err != nil {
		return nil, err
	}
	return docEntity(it)
}

func (d docSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	p, err := d.scoped(tenant).Query(ctx, store.Query{PK: "DOC", Desc: req.Desc, Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next}
	for _, it := range p.Items {
		e, err := docEntity(it)
		if err != nil {
			return odata.ListPage{}, err
		}
		out.Entities = append(out.Entities, e)
	}
	return out, nil
}

func applyDoc(r *docRecord, e odata.Entity) {
	for k, v := range e {
		switch k {
		case "Number":
			r.Number, _ = v.(string)
		case "Date":
			r.Date, _ = v.(time.Time)
		case "DeletionMark":
			r.DeletionMark, _ = v.(bool)
		case "Comment":
			r.Comment, _ = v.(string)
		case "Organization_Key":
			g, _ := v.(odata.GUID)
			r.Org = g.String()
		case "Items":
			rows, _ := v.([]odata.Entity)
			r.Items = nil
			for _, row := range rows {
				var it docItem
				it.Description, _ = row["Description"].(string)
				it.Quantity, _ = row["Quantity"].(int64)
				p, _ := row["Price"].(decimal.Decimal)
				it.Price = p.String()
				r.Items = append(r.Items, it)
			}
		}
	}
}

func (d docSource) Create(ctx context.Context, tenant string, e odata.Entity) (odata.Entity, error) {
	ref, _ := e["Ref_Key"].(odata.GUID)
	if ref.IsZero() {
		ref = odata.NewGUID()
	}
	var r docRecord
	applyDoc(&r, e)
	data, _ := json.Marshal(r)
	it, err := d.scoped(tenant).Put(ctx, store.Item{PK: "DOC", SK: ref.String(), Data: data}, store.NotExists())
	if err != nil {
		return nil, err
	}
	return docEntity(it)
}

func (d docSource) change(ctx context.Context, tenant string, key odata.Key, ifMatch string, fn func(*docRecord)) (odata.Entity, error) {
	expect, err := odata.ExpectedVersion(ifMatch)
	if err != nil {
		return nil, err
	}
	it, err := store.Mutate(ctx, d.scoped(tenant), "DOC", key.Ref().String(), func(cur *store.Item) (store.Item, error) {
		if cur == nil {
			return store.Item{}, apperr.New(apperr.NotFound, "DOC_NOT_FOUND", "Документ не найден")
		}
		if expect != 0 && cur.Version != expect {
			return store.Item{}, odata.ErrPreconditionFailed
		}
		var r docRecord
		if err := json.Unmarshal(cur.Data, &r); err != nil {
			return store.Item{}, err
		}
		fn(&r)
		next := *cur
		next.Data, _ = json.Marshal(r)
		return next, nil
	})
	if err != nil {
		return nil, err
	}
	return docEntity(it)
}

func (d docSource) Update(ctx context.Context, tenant string, key odata.Key, patch odata.Entity, ifMatch string) (odata.Entity, error) {
	return d.change(ctx, tenant, key, ifMatch, func(r *docRecord) { applyDoc(r, patch) })
}

func (d docSource) Delete(ctx context.Context, tenant string, key odata.Key, ifMatch string) error {
	_, err := d.change(ctx, tenant, key, ifMatch, func(*docRecord) {})
	if err != nil {
		return err
	}
	return d.scoped(tenant).Delete(ctx, "DOC", key.Ref().String())
}

func (d docSource) Post(ctx context.Context, tenant string, key odata.Key, ifMatch string) (odata.Entity, error) {
	return d.change(ctx, tenant, key, ifMatch, func(r *docRecord) { r.Posted = true })
}

func (d docSource) Unpost(ctx context.Context, tenant string, key odata.Key, ifMatch string) (odata.Entity, error) {
	return d.change(ctx, tenant, key, ifMatch, func(r *docRecord) { r.Posted = false })
}

// ---- a read-only information register keyed by (Period, Currency) ----

type rateSource struct{ st store.Store }

func ratesSet(st store.Store) *odata.EntitySet {
	return &odata.EntitySet{
		Name: "InformationRegister_ExchangeRates",
		Kind: odata.InformationRegister,
		Key:  []string{"Period", "Currency"},
		Properties: []odata.Property{
			{Name: "Period", Type: odata.EdmDateTime},
			{Name: "Currency", Type: odata.EdmString},
			{Name: "Rate", Type: odata.EdmDecimal},
		},
		Source: rateSource{st},
	}
}

func rateSK(p time.Time, cur string) string { return p.Format(odata.DateTimeLayout) + "|" + cur }

func rateEntity(it store.Item) odata.Entity {
	p, _ := time.Parse(odata.DateTimeLayout, it.SK[:19])
	rate, _ := decimal.NewFromString(string(it.Data))
	return odata.Entity{"Period": p, "Currency": it.SK[20:], "Rate": rate}
}

func (s rateSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	ts, _ := store.ForTenant(s.st, tenant)
	p, _ := key.Value("Period").(time.Time)
	c, _ := key.Value("Currency").(string)
	it, err := ts.Get(ctx, "RATE", rateSK(p, c))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(apperr.NotFound, "RATE_NOT_FOUND", "Запись регистра не найдена")
	}
	if err != nil {
		return nil, err
	}
	return rateEntity(it), nil
}

func (s rateSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	ts, _ := store.ForTenant(s.st, tenant)
	p, err := ts.Query(ctx, store.Query{PK: "RATE", Desc: req.Desc, Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next}
	for _, it := range p.Items {
		out.Entities = append(out.Entities, rateEntity(it))
	}
	return out, nil
}

func (e *env) putRate(tenant string, p time.Time, cur, rate string) {
	e.t.Helper()
	ts, _ := store.ForTenant(e.st, tenant)
	if _, err := ts.Put(context.Background(), store.Item{PK: "RATE", SK: rateSK(p, cur), Data: []byte(rate)}); err != nil {
		e.t.Fatal(err)
	}
}
