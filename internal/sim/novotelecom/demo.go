package novotelecom

import (
	"bytes"
	"slices"
	"time"

	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
)

// DemoAccounts are the personal accounts of the demo registries: a tenant whose debts name
// them sees the demo payments accepted. 8032067 is not among them, as in the seed.
func DemoAccounts() []string { return []string{"8032001", "8032002", "8032003"} }

// DemoFiles are the registries the seed shows, as Novotelecom would send them:
//   - Payments_20180621_007.txt, whose first payment names the unknown account 8032067
//     ("строка: 1, неизв.лиц.счёт: 8032067"), in CP1251;
//   - Payments_20180622_002.txt, one payment of 100.00, in UTF-8 with a byte order mark;
//   - Readings_20180622_001.txt, two meter readings.
//
// The corrected Payments_20180621_007.txt (two payments, 1055.00, as in the seed's list of
// registries to accept) is DemoCorrection; SeedDemo makes the server send it once the hub
// rejects the broken one.
func DemoFiles() []File {
	return []File{
		{Name: "Payments_20180621_007.txt", Data: demoPayments(21, 7, []registry.Record{
			payment("8032067", "1000.00", 10, 15, "NT-0000000101"),
			payment("8032002", "55.00", 11, 40, "NT-0000000102"),
		}, registry.CP1251, false)},
		{Name: "Payments_20180622_002.txt", Data: demoPayments(22, 2, []registry.Record{
			payment("8032003", "100.00", 9, 5, "NT-0000000117"),
		}, "", true)},
		{Name: "Readings_20180622_001.txt", Data: build(registry.Header{Kind: registry.Readings, Number: 1,
			Date: registry.Date(2018, 6, 22), Charset: registry.CP1251}, []registry.Record{
			{Account: "8032001", Meter: "118843", Service: "201", Amount: money.MustParse("352.400"), Time: registry.Date(2018, 6, 20)},
			{Account: "8032002", Meter: "220417", Service: "202", Amount: money.MustParse("81.050"), Time: registry.Date(2018, 6, 21)},
		}, false)},
	}
}

// DemoCorrection is the corrected Payments_20180621_007.txt.
func DemoCorrection() File {
	return File{Name: "Payments_20180621_007.txt", Data: demoPayments(21, 7, []registry.Record{
		payment("8032001", "1000.00", 10, 15, "NT-0000000101"),
		payment("8032002", "55.00", 11, 40, "NT-0000000102"),
	}, registry.CP1251, false)}
}

// SeedDemo offers DemoFiles to login and arranges DemoCorrection.
func (s *Server) SeedDemo(login string) {
	for _, f := range DemoFiles() {
		s.Offer(login, f.Name, f.Data)
	}
	fix := DemoCorrection()
	s.mu.Lock()
	s.account(login).corrections[fix.Name] = fix.Data
	s.mu.Unlock()
}

func payment(account, amount string, hh, mm int, id string) registry.Record {
	return registry.Record{Account: account, Period: registry.Period{Year: 2018, Month: time.May},
		Amount: money.MustParse(amount), Time: time.Date(2018, 6, 21, hh, mm, 0, 0, time.UTC), ID: id}
}

func demoPayments(day, number int, recs []registry.Record, cs registry.Charset, bom bool) []byte {
	return build(registry.Header{Kind: registry.Payments, Number: number, Date: registry.Date(2018, 6, day), Charset: cs}, recs, bom)
}

// build writes a registry; an empty Charset leaves the header's charset empty ("detect"),
// with a UTF-8 byte order mark when bom is set.
func build(h registry.Header, recs []registry.Record, bom bool) []byte {
	declared := h.Charset
	if declared == "" {
		h.Charset = registry.UTF8
	}
	var buf bytes.Buffer
	if _, err := registry.Build(&buf, h, slices.Values(recs)); err != nil {
		panic("sim/novotelecom: demo registry: " + err.Error())
	}
	data := buf.Bytes()
	if declared == "" {
		data = bytes.Replace(data, []byte(";UTF-8;"), []byte(";;"), 1)
	}
	if bom {
		data = append([]byte("\xEF\xBB\xBF"), data...)
	}
	return data
}
