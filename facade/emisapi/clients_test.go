package emisapi_test

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

	"github.com/stykovka/stykovka/wsdl/emisws"
)

// Every operation of Emis is called by two SOAP clients none of us wrote, through the SOAP 1.1
// and the SOAP 1.2 port (see facade/soap/clients_test.go for the setup):
//   - npm soap 1.13.0, pinned in infra/package.json (npm ci --prefix infra);
//   - Debian's python3-zeep (apt-get install -y python3-zeep), run with /usr/bin/python3.
// The hub holds hotel A's guest with documents saved through the simulator's page; a Cyrillic
// administrator logs in. Where the clients differ (npm soap reads xs:dateTime as a JS Date,
// printed in UTC with TZ=UTC; zeep as a naive datetime) the expectation says so.

const unsavedPerson = "999001"

// clientRun prepares the stack and runs one client script against it.
func clientRun(t *testing.T, name string, args ...string) (map[string]any, *stack, *hotel) {
	t.Helper()
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор", "Портье")
	s.soap(a.desk, a.pass, "SaveGuest", el("PersonId", "160848")+el("BookingId", "473024")).Decode(t, &emisws.SaveGuestResponse{})
	var started emisws.StartDocumentsResponse
	s.soap(a.desk, a.pass, "StartDocuments", el("LegalEntity", a.legal)+el("PersonId", "160848")).Decode(t, &started)
	s.operatorSaves(started.Return_, huber)
	s.sim.Flush()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], s.srv.URL, a.admin, a.pass, a.legal, "160848", unsavedPerson)...)
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
	return res, s, a
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

// expectClient checks both bindings' results.
func expectClient(t *testing.T, name string, res map[string]any, s *stack, a *hotel, extra map[string]string) {
	t.Helper()
	want := map[string]string{
		"legal.0.Ref":             a.legal,
		"legal.0.NamesScript":     "Cyrillic",
		"legal.0.Description":     "ООО «Гостиница hotel-a»",
		"legal.1":                 "<nil>",
		"saved":                   "true",
		"unsaved.code":            "$faultcode",
		"unsaved.detailCode":      "EMIS_PERSON_NOT_SAVED",
		"docs.PersonId":           "160848",
		"docs.Version":            "1",
		"docs.Surname":            "ХУБЕР",
		"docs.Number":             huber.number,
		"docs.Nationality":        "DEU",
		"docs.StayCount":          "2",
		"docs.Stay0Selected":      "true",
		"docs.MigrationCard":      huber.mcNumber,
		"docs.Purpose":            "Туризм",
		"docs.Warnings":           "NAME_TRANSLITERATED,VISA_SELECTED_EXPIRED",
		"configured":              "48",
		"settings.RetentionHours": "48",
		"settings.EmisSecretSet":  "true",
		"settings.PMSHookURL":     s.srv.URL + "/hooks/pms?tenant=hotel-a",
		"settings.PMSWebhookURL":  a.pms.srv.URL + "/stykovka",
		"dead":                    "0",
		"redeliver.code":          "$serverfault", // NotFound: not the caller's fault of form
		"redeliver.detailCode":    "EMIS_DEAD_LETTER_NOT_FOUND",
	}
	for k, v := range extra {
		want[k] = v
	}
	for _, binding := range []string{"soap11", "soap12"} {
		for path, w := range want {
			w = strings.ReplaceAll(w, "$faultcode", map[string]string{"soap11": "soap:Client", "soap12": "soap:Sender"}[binding])
			w = strings.ReplaceAll(w, "$serverfault", map[string]string{"soap11": "soap:Server", "soap12": "soap:Receiver"}[binding])
			if got := fmt.Sprint(lookup(res[binding], path)); got != w {
				t.Errorf("%s %s: %s = %q, want %q", name, binding, path, got, w)
			}
		}
		if u := fmt.Sprint(lookup(res[binding], "started")); !strings.HasPrefix(u, s.sim.URL()+"/s/") {
			t.Errorf("%s %s: StartDocuments = %q, want a page of the simulator", name, binding, u)
		}
		if m := fmt.Sprint(lookup(res[binding], "unsaved.message")); !strings.Contains(m, "Сохраните гостя") {
			t.Errorf("%s %s: unsaved fault message %q", name, binding, m)
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
	res, s, a := clientRun(t, "npm soap", node, "testdata/soapclient.js")
	expectClient(t, "npm soap", res, s, a, map[string]string{
		"docs.BirthDate":    "1982-08-14T00:00:00.000Z",
		"docs.Stay0ValidTo": "2025-06-01T00:00:00.000Z",
	})
}

func TestIndependentClientZeep(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zeep").Run(); err != nil {
		t.Fatal("python3-zeep is not installed: apt-get install -y python3-zeep (it runs with " + python + ")")
	}
	res, s, a := clientRun(t, "zeep", python, "testdata/zeepclient.py")
	expectClient(t, "zeep", res, s, a, map[string]string{
		"docs.BirthDate":    "1982-08-14T00:00:00",
		"docs.Stay0ValidTo": "2025-06-01T00:00:00",
	})
}
