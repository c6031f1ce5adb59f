package novotelecomapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every operation of Novotelecom is called by two SOAP clients none of us wrote, through the
// SOAP 1.1 and the SOAP 1.2 port (see facade/soap/clients_test.go for the setup):
//   - npm soap 1.13.0, pinned in infra/package.json (npm ci --prefix infra);
//   - Debian's python3-zeep (apt-get install -y python3-zeep), run with /usr/bin/python3.
// Each port plays the seed's cycle as its own housing company (Cyrillic administrators), so
// both see the same answers: settings, the three registries built, an exchange with the
// simulator, the broken registry's error with file and line, the pending list in two pages,
// an acceptance and its refused repeat, a file's content. Where the clients differ (npm soap
// reads xs:decimal and xs:int as JS numbers and xs:dateTime as a JS Date, printed in UTC with
// TZ=UTC; zeep reads decimals exactly and dates as naive datetimes) the expectation says so.

func clientRun(t *testing.T, name string, args ...string) map[string]any {
	t.Helper()
	s := newStack(t)
	a, b := s.addTSZH("tszh-11"), s.addTSZH("tszh-12")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], s.srv.URL,
		a.admin, a.pass, a.login, a.password, b.admin, b.pass, b.login, b.password)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules(t), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s", name, err, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s printed no JSON: %v\n%s", name, err, out)
	}
	// What the clients did is what the hub and the server hold.
	for _, c := range []*tszh{a, b} {
		if ups := s.sim.Uploads(c.login); len(ups) != 3 {
			t.Errorf("%s: the server received %d files, want services, debts and meters", c.id, len(ups))
		}
	}
	return res
}

func nodeModules(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "infra", "node_modules")
}

// lookup follows a dotted path (numbers index arrays) in the printed JSON.
func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[k]
		case []any:
			i, _ := strconv.Atoi(k)
			if i < len(c) {
				v = c[i]
			} else {
				v = nil
			}
		default:
			v = nil
		}
	}
	return v
}

// common are the values both clients read the same way.
var common = map[string]string{
	"before":                 "false",
	"settings.Configured":    "true",
	"settings.Coding":        "city",
	"settings.CodingName":    "по кодам «Города»",
	"settings.LoginSet":      "true",
	"settings.PasswordSet":   "true",
	"settings.ReportDetails": "true",
	"settings.ExchangeEvery": "60",
	"settings.Charset":       "CP1251",
	"services.File":          "Services_20180621_001.txt",
	"services.Kind":          "SERVICES",
	"services.Count":         "2",
	"debts.File":             "Debts_20180621_001.txt",
	"debts.Id":               "Debts_20180621_001.txt",
	"debts.Folder":           "outgoing",
	"debts.Number":           "1",
	"debts.Count":            "4",
	"meters.File":            "Meters_20180601_001.txt",
	"meters.Count":           "1",
	"session.State":          "done",
	"session.StateName":      "завершён",
	"session.Manual":         "true",
	"session.Sent":           "3",
	"session.Received":       "6",
	"session.Awaiting":       "2",
	"session.Rejected":       "1",
	"session.Answers":        "3",
	"session.Errors":         "1",
	"session.Message":        "Передано файлов: 3, принято: 6, с ошибками: 1, реестров к приёму: 2",
	"session.Details":        "9",
	"errors.0.File":          "Payments_20180621_007.txt",
	"errors.0.Line":          "1",
	"errors.0.Message":       "строка: 1, неизв.лиц.счёт: 8032067",
	"errors.0.Direction":     "in",
	"errors.1":               "<nil>",
	"pending.0.File":         "Payments_20180622_002.txt",
	"pending.0.Kind":         "PAYMENTS",
	"pending.0.Folder":       "awaiting",
	"pending.0.Number":       "2",
	"pending.0.Count":        "1",
	"pending.1.File":         "Readings_20180622_001.txt",
	"pending.1.Count":        "2",
	"pending.2":              "<nil>",
	"pendingNext":            "true",
	"document.Type":          "PaymentsRegistry",
	"document.Title":         `Реестр "Мои счета"`,
	"document.File":          "Payments_20180622_002.txt",
	"document.Number":        "2",
	"document.Count":         "1",
	"document.Comment":       "Принято из 'Мои Счета'",
	"document.Confirmation":  "Confirm_20180621_001.txt",
	"again.code":             "$server",
	"again.detailCode":       "NOVOTELECOM_ALREADY_ACCEPTED",
	"file.File":              "Debts_20180621_001.txt",
	"file.Charset":           "CP1251",
	"file.Header":            "#MS1;DEBTS;001;21.06.2018;052018;4;1745.40;CP1251;",
	"file.Size":              "198",
}

func expectClient(t *testing.T, name string, res map[string]any, extra map[string]string) {
	t.Helper()
	want := map[string]string{}
	for k, v := range common {
		want[k] = v
	}
	for k, v := range extra {
		want[k] = v
	}
	for _, binding := range []string{"soap11", "soap12"} {
		for path, w := range want {
			// A conflict with the stored state is not a malformed request: Server in 1.1,
			// Receiver in 1.2.
			w = strings.ReplaceAll(w, "$server", map[string]string{"soap11": "soap:Server", "soap12": "soap:Receiver"}[binding])
			if got := fmt.Sprint(lookup(res[binding], path)); got != w {
				t.Errorf("%s %s: %s = %q, want %q", name, binding, path, got, w)
			}
		}
		if m := fmt.Sprint(lookup(res[binding], "again.message")); !strings.Contains(m, "уже принят") {
			t.Errorf("%s %s: the repeated acceptance's message %q", name, binding, m)
		}
		if id := fmt.Sprint(lookup(res[binding], "pending.0.Id")); len(id) != 64 {
			t.Errorf("%s %s: a received registry's id %q, want its SHA-256", name, binding, id)
		}
	}
	if t.Failed() {
		b, _ := json.Marshal(res)
		t.Logf("%s printed %s", name, b)
	}
}

func TestIndependentClientNodeSoap(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: install Node.js (apt-get install -y nodejs), then npm ci --prefix infra")
	}
	if _, err := os.Stat(filepath.Join(nodeModules(t), "soap", "package.json")); err != nil {
		t.Fatal("npm soap is not installed: run npm ci --prefix infra")
	}
	res := clientRun(t, "npm soap", node, "testdata/soapclient.js")
	expectClient(t, "npm soap", res, map[string]string{
		"settings.Updated":  "2018-06-21T16:00:00.000Z", // 16:00 in Novosibirsk, without an offset: read as UTC
		"session.Started":   "2018-06-21T16:00:00.000Z",
		"debts.Date":        "2018-06-21T00:00:00.000Z",
		"debts.Period":      "2018-05-01T00:00:00.000Z",
		"debts.Sum":         "1745.4",
		"meters.Sum":        "345.12",
		"meters.Period":     "2018-05-01T00:00:00.000Z",
		"pending.0.Sum":     "100",
		"pending.0.Date":    "2018-06-22T00:00:00.000Z",
		"pending.1.Sum":     "433.45",
		"document.Sum":      "100",
		"document.Date":     "2018-06-22T00:00:00.000Z",
		"session.ErrorCode": "",
	})
}

func TestIndependentClientZeep(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zeep").Run(); err != nil {
		t.Fatal("python3-zeep is not installed: apt-get install -y python3-zeep (it runs with " + python + ")")
	}
	res := clientRun(t, "zeep", python, "testdata/zeepclient.py")
	expectClient(t, "zeep", res, map[string]string{
		"settings.Updated":  "2018-06-21T16:00:00",
		"session.Started":   "2018-06-21T16:00:00",
		"debts.Date":        "2018-06-21T00:00:00",
		"debts.Period":      "2018-05-01T00:00:00",
		"debts.Sum":         "1745.40",
		"meters.Sum":        "345.120",
		"meters.Period":     "2018-05-01T00:00:00",
		"pending.0.Sum":     "100.00",
		"pending.0.Date":    "2018-06-22T00:00:00",
		"pending.1.Sum":     "433.450",
		"document.Sum":      "100.00",
		"document.Date":     "2018-06-22T00:00:00",
		"session.ErrorCode": "<nil>",
	})
}
