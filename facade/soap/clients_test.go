package soap_test

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

// The facade's WSDLs and calls are checked with two SOAP clients none of us wrote:
//   - npm soap 1.13.0, pinned in infra/package.json (npm ci --prefix infra);
//   - Debian's python3-zeep (apt-get install -y python3-zeep), run with /usr/bin/python3.
// Each loads the Hub and Probe WSDLs over HTTP with Basic auth (a Cyrillic user name), calls
// every operation through the SOAP 1.1 and the SOAP 1.2 port, and prints JSON, checked here
// value by value. Where the clients differ (npm soap reads xs:decimal as a JS number and
// xs:dateTime as a JS Date in UTC; zeep reads an empty string as None) the expectation says so.

func runClient(t *testing.T, name string, args ...string) map[string]any {
	t.Helper()
	srv := server(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], srv.URL, user, password)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules(t))
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
	return res
}

// expect checks dotted paths of the JSON (numbers index arrays) against their printed values.
func expect(t *testing.T, name string, res map[string]any, want map[string]string) {
	t.Helper()
	for _, binding := range []string{"soap11", "soap12"} {
		for path, w := range want {
			w = strings.ReplaceAll(w, "$faultcode", map[string]string{"soap11": "soap:Client", "soap12": "soap:Sender"}[binding])
			var v any = res[binding]
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
			if got := fmt.Sprint(v); got != w {
				t.Errorf("%s %s: %s = %q, want %q", name, binding, path, got, w)
			}
		}
	}
	if t.Failed() {
		b, _ := json.Marshal(res)
		t.Logf("%s printed %s", name, b)
	}
}

// common are the values both clients must read the same way.
var common = map[string]string{
	"ping":                wantPong,
	"versions.0.Service":  "Hub",
	"versions.0.Version":  "1.1",
	"versions.1.Service":  "Probe",
	"versions.1.Version":  "2.1",
	"versions.2":          "<nil>",
	"echo.record.Text":    "Счёт <1> & «2»",
	"echo.record.Flag":    "false",
	"echo.record.Count":   "0",
	"echo.lineCount":      "2",
	"fault.code":          "$faultcode",
	"fault.message":       "Неверный запрос <пробы> & «кавычки»",
	"fault.detailCode":    "PROBE_INVALID",
	"fault.detailMessage": "Неверный запрос <пробы> & «кавычки»",
}

func with(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range common {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// nodeModules is infra/node_modules of this module.
func nodeModules(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "infra", "node_modules")
}

func TestIndependentClientNodeSoap(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: install Node.js (apt-get install -y nodejs), then npm ci --prefix infra")
	}
	if _, err := os.Stat(filepath.Join(nodeModules(t), "soap", "package.json")); err != nil {
		t.Fatal("npm soap is not installed: run npm ci --prefix infra")
	}
	res := runClient(t, "npm soap", node, "testdata/soapclient.js")
	expect(t, "npm soap", res, with(map[string]string{
		"echo.record.Amount":              "0.1",
		"echo.record.Total":               "1234.8",
		"echo.record.When":                "2025-03-02T23:30:00.000Z",
		"echo.record.Data":                "AAEC",
		"echo.record.Lines.Item.1.Name":   "",
		"echo.record.Lines.Item.1.Amount": "1234.5",
		"zeroes.return.Text":              "",
		"zeroes.return.Amount":            "0",
		"zeroes.return.When":              "0001-01-01T00:00:00.000Z",
		"zeroes.return.Flag":              "false",
		"zeroes.return.Count":             "0",
		"zeroes.return.Total":             "0",
		"fault.status":                    "500",
	}))
}

func TestIndependentClientZeep(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zeep").Run(); err != nil {
		t.Fatal("python3-zeep is not installed: apt-get install -y python3-zeep (it runs with " + python + ")")
	}
	res := runClient(t, "zeep", python, "testdata/zeepclient.py")
	expect(t, "zeep", res, with(map[string]string{
		"echo.record.Amount":         "0.1",
		"echo.record.Total":          "1234.80",
		"echo.record.When":           "2025-03-02T23:30:00",
		"echo.record.Data":           "[0 1 2]",
		"echo.record.Note":           "<nil>",
		"echo.record.Lines.1.Name":   "<nil>",
		"echo.record.Lines.1.Amount": "1234.50",
		"zeroes.record.Text":         "<nil>",
		"zeroes.record.Amount":       "0",
		"zeroes.record.When":         "0001-01-01T00:00:00",
		"zeroes.record.Flag":         "false",
		"zeroes.record.Count":        "0",
		"zeroes.record.Total":        "0",
		"zeroes.record.Lines":        "[]",
		"zeroes.stamp":               "<nil>",
	}))
}
