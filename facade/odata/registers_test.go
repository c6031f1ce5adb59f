package odata_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// ---- a periodic information register of asset statuses, published by PeriodicRegister ----
//
// What a domain writes to publish such a register: the record layout, Records over it (one
// store query) and the EntitySet.

const assetStatuses = "InformationRegister_AssetStatuses"

type statusRecord struct {
	Asset       string    `json:"asset"`
	Period      time.Time `json:"period"`
	Status      string    `json:"status"`
	Application string    `json:"app"`
}

// assetStatusRecords keeps one partition per asset sorted by period (then application), and
// every record in GSI1 for a walk of the whole register.
type assetStatusRecords struct{ st store.Store }

func statusSK(period time.Time, app string) string {
	return period.Format(odata.DateTimeLayout) + "#" + app
}

func (a assetStatusRecords) Records(ctx context.Context, tenant string, q odata.RecordsQuery) (odata.ListPage, error) {
	ts, err := store.ForTenant(a.st, tenant)
	if err != nil {
		return odata.ListPage{}, err
	}
	sq := store.Query{Index: store.GSI1, PK: "ASTAT", Desc: q.Desc, Limit: q.Limit, Cursor: q.Cursor}
	if len(q.Dims) > 0 {
		asset, _ := q.Dims[0].(odata.GUID)
		sq = store.Query{PK: "ASTAT#" + asset.String(), Desc: q.Desc, Limit: q.Limit, Cursor: q.Cursor}
		if !q.From.IsZero() {
			sq.From = q.From.Format(odata.DateTimeLayout)
		}
		if !q.To.IsZero() {
			sq.To = q.To.Format(odata.DateTimeLayout) + "#\U0010FFFF"
		}
	}
	p, err := ts.Query(ctx, sq)
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: p.Next}
	for _, it := range p.Items {
		var r statusRecord
		if err := json.Unmarshal(it.Data, &r); err != nil {
			return odata.ListPage{}, err
		}
		asset, _ := odata.ParseGUID(r.Asset)
		out.Entities = append(out.Entities, odata.Entity{
			"Period": r.Period, "Asset_Key": asset, "Status": r.Status, "Application": r.Application,
		})
	}
	return out, nil
}

func statusProps() []odata.Property {
	return []odata.Property{
		{Name: "Period", Type: odata.EdmDateTime},
		{Name: "Asset_Key", Type: odata.EdmGuid},
		{Name: "Status", Type: odata.EdmString},
		{Name: "Application", Type: odata.EdmString},
	}
}

func assetStatusSet(st store.Store) *odata.EntitySet {
	reg := odata.NewPeriodicRegister(assetStatusRecords{st}, "Asset_Key")
	return &odata.EntitySet{
		Name:          assetStatuses,
		Kind:          odata.InformationRegister,
		Key:           []string{"Period", "Asset_Key"},
		Properties:    statusProps(),
		Indexes:       reg.Indexes(),
		Dimensions:    []string{"Asset_Key"},
		VirtualTables: []odata.VirtualTable{odata.VirtualSliceLast, odata.VirtualSliceFirst},
		Source:        reg,
	}
}

// statusRecordsSet is the same records published as the records set of a register subordinate
// to a recorder (InformationRegister_X_RecordType), to which 1C binds the slices.
func statusRecordsSet(st store.Store) *odata.EntitySet {
	es := assetStatusSet(st)
	es.Name = "InformationRegister_StatusHistory_RecordType"
	return es
}

func (e *env) putStatus(tenant, asset string, period time.Time, status, app string) {
	e.t.Helper()
	ts, _ := store.ForTenant(e.st, tenant)
	data, _ := json.Marshal(statusRecord{Asset: asset, Period: period, Status: status, Application: app})
	sk := statusSK(period, app)
	if _, err := ts.Put(context.Background(), store.Item{PK: "ASTAT#" + asset, SK: sk, GSI1PK: "ASTAT", GSI1SK: asset + "#" + sk, Data: data}); err != nil {
		e.t.Fatal(err)
	}
}

// ---- an accumulation register of guests' bonus points: movements in the store, totals
// computed by the source within MaxScan ----

const guestPoints = "AccumulationRegister_GuestPoints"

type movement struct {
	Recorder string    `json:"rec"`
	Line     int64     `json:"line"`
	Period   time.Time `json:"period"`
	Kind     string    `json:"kind"` // Receipt or Expense
	Guest    string    `json:"guest"`
	Hotel    string    `json:"hotel"`
	Points   string    `json:"points"`
}

type pointsSource struct{ st store.Store }

func pointsSet(st store.Store, name string, tables ...odata.VirtualTable) *odata.EntitySet {
	return &odata.EntitySet{
		Name: name,
		Kind: odata.AccumulationRegister,
		Key:  []string{"Recorder_Key", "LineNumber"},
		Properties: []odata.Property{
			{Name: "Recorder_Key", Type: odata.EdmGuid},
			{Name: "LineNumber", Type: odata.EdmInt64},
			{Name: "Period", Type: odata.EdmDateTime},
			{Name: "RecordType", Type: odata.EdmString},
			{Name: "Guest_Key", Type: odata.EdmGuid},
			{Name: "Hotel", Type: odata.EdmString},
			{Name: "Points", Type: odata.EdmDecimal},
		},
		Dimensions:    []string{"Guest_Key", "Hotel"},
		Resources:     []string{"Points"},
		VirtualTables: tables,
		Source:        pointsSource{st},
	}
}

func movementEntity(it store.Item) (odata.Entity, error) {
	var m movement
	if err := json.Unmarshal(it.Data, &m); err != nil {
		return nil, err
	}
	rec, _ := odata.ParseGUID(m.Recorder)
	guest, _ := odata.ParseGUID(m.Guest)
	pts, _ := decimal.NewFromString(m.Points)
	return odata.Entity{"Recorder_Key": rec, "LineNumber": m.Line, "Period": m.Period, "RecordType": m.Kind,
		"Guest_Key": guest, "Hotel": m.Hotel, "Points": pts}, nil
}

func (p pointsSource) Get(ctx context.Context, tenant string, key odata.Key) (odata.Entity, error) {
	ts, _ := store.ForTenant(p.st, tenant)
	rec, _ := key.Value("Recorder_Key").(odata.GUID)
	line, _ := key.Value("LineNumber").(int64)
	it, err := ts.Get(ctx, "PTS", fmt.Sprintf("%s#%06d", rec, line))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(apperr.NotFound, "PTS_NOT_FOUND", "Движение не найдено")
	}
	if err != nil {
		return nil, err
	}
	return movementEntity(it)
}

func (p pointsSource) List(ctx context.Context, tenant string, req odata.ListRequest) (odata.ListPage, error) {
	ts, _ := store.ForTenant(p.st, tenant)
	pg, err := ts.Query(ctx, store.Query{PK: "PTS", Desc: req.Desc, Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return odata.ListPage{}, err
	}
	out := odata.ListPage{Next: pg.Next}
	for _, it := range pg.Items {
		e, err := movementEntity(it)
		if err != nil {
			return odata.ListPage{}, err
		}
		out.Entities = append(out.Entities, e)
	}
	return out, nil
}

// movements reads the movements the condition selects, at most maxScan of them.
func (p pointsSource) movements(ctx context.Context, tenant string, cond *odata.Filter, maxScan int) ([]odata.Entity, error) {
	var out []odata.Entity
	cursor, read := "", 0
	for {
		pg, err := p.List(ctx, tenant, odata.ListRequest{Limit: min(100, maxScan-read+1), Cursor: cursor})
		if err != nil {
			return nil, err
		}
		if read += len(pg.Entities); read > maxScan {
			return nil, fmt.Errorf("movements: %w", odata.ErrScanLimit)
		}
		for _, e := range pg.Entities {
			if cond.Match(e) {
				out = append(out, e)
			}
		}
		if pg.Next == "" {
			return out, nil
		}
		cursor = pg.Next
	}
}

// totals groups movements by dims and sums each with add (nil: not counted).
type totals struct {
	dims []string
	rows map[string]odata.Entity
}

func newTotals(dims []string) *totals { return &totals{dims: dims, rows: map[string]odata.Entity{}} }

func (t *totals) row(m odata.Entity) odata.Entity {
	var parts []string
	for _, d := range t.dims {
		parts = append(parts, fmt.Sprint(m[d]))
	}
	k := strings.Join(parts, "|")
	r := t.rows[k]
	if r == nil {
		r = odata.Entity{}
		for _, d := range t.dims {
			r[d] = m[d]
		}
		t.rows[k] = r
	}
	return r
}

func add(r odata.Entity, name string, v decimal.Decimal) {
	cur, _ := r[name].(decimal.Decimal)
	r[name] = cur.Add(v)
}

// sorted returns the rows in the order of their dimensions, leaving out those whose every
// named resource is zero (1C leaves out empty balances).
func (t *totals) sorted(nonZero ...string) []odata.Entity {
	keys := make([]string, 0, len(t.rows))
	for k := range t.rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []odata.Entity
	for _, k := range keys {
		r := t.rows[k]
		keep := len(nonZero) == 0
		for _, n := range nonZero {
			if v, _ := r[n].(decimal.Decimal); !v.IsZero() {
				keep = true
			}
		}
		if keep {
			out = append(out, r)
		}
	}
	return out
}

func signed(m odata.Entity) decimal.Decimal {
	v := m["Points"].(decimal.Decimal)
	if m["RecordType"] == "Expense" {
		return v.Neg()
	}
	return v
}

func period(m odata.Entity) time.Time { return m["Period"].(time.Time) }

func (p pointsSource) Balance(ctx context.Context, tenant string, req odata.BalanceRequest) ([]odata.Entity, error) {
	ms, err := p.movements(ctx, tenant, req.Condition, req.MaxScan)
	if err != nil {
		return nil, err
	}
	t := newTotals(req.Dimensions)
	for _, m := range ms {
		if req.Period.IsZero() || period(m).Before(req.Period) {
			add(t.row(m), "PointsBalance", signed(m))
		}
	}
	return t.sorted("PointsBalance"), nil
}

func (p pointsSource) turnovers(ctx context.Context, tenant string, req odata.TurnoversRequest, opening bool) ([]odata.Entity, error) {
	ms, err := p.movements(ctx, tenant, req.Condition, req.MaxScan)
	if err != nil {
		return nil, err
	}
	t := newTotals(req.Dimensions)
	for _, m := range ms {
		at := period(m)
		switch {
		case !req.StartPeriod.IsZero() && at.Before(req.StartPeriod):
			if opening {
				r := t.row(m)
				add(r, "PointsOpeningBalance", signed(m))
				add(r, "PointsClosingBalance", signed(m))
			}
		case req.EndPeriod.IsZero() || !at.After(req.EndPeriod):
			r := t.row(m)
			add(r, "PointsTurnover", signed(m))
			if m["RecordType"] == "Expense" {
				add(r, "PointsExpense", m["Points"].(decimal.Decimal))
			} else {
				add(r, "PointsReceipt", m["Points"].(decimal.Decimal))
			}
			if opening {
				add(r, "PointsClosingBalance", signed(m))
			}
		}
	}
	if opening {
		return t.sorted("PointsOpeningBalance", "PointsReceipt", "PointsExpense", "PointsClosingBalance"), nil
	}
	return t.sorted("PointsReceipt", "PointsExpense"), nil
}

func (p pointsSource) Turnovers(ctx context.Context, tenant string, req odata.TurnoversRequest) ([]odata.Entity, error) {
	return p.turnovers(ctx, tenant, req, false)
}

func (p pointsSource) BalanceAndTurnovers(ctx context.Context, tenant string, req odata.TurnoversRequest) ([]odata.Entity, error) {
	return p.turnovers(ctx, tenant, req, true)
}

func (e *env) putMovement(tenant string, m movement) {
	e.t.Helper()
	ts, _ := store.ForTenant(e.st, tenant)
	data, _ := json.Marshal(m)
	if _, err := ts.Put(context.Background(), store.Item{PK: "PTS", SK: fmt.Sprintf("%s#%06d", m.Recorder, m.Line), Data: data}); err != nil {
		e.t.Fatal(err)
	}
}

// vtEnv is the test service with the registers above mounted beside the usual sets.
func vtEnv(t *testing.T, tune func(*odata.Options)) *env {
	t.Helper()
	return newEnvWith(t, tune, func(st store.Store) []*odata.EntitySet {
		return []*odata.EntitySet{
			assetStatusSet(st),
			statusRecordsSet(st),
			pointsSet(st, guestPoints, odata.VirtualBalance, odata.VirtualTurnovers, odata.VirtualBalanceAndTurnovers),
			pointsSet(st, "AccumulationRegister_GuestVisits", odata.VirtualTurnovers), // a register of turnovers
		}
	})
}
