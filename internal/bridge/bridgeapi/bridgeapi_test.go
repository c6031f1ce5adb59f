package bridgeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/bridgeapi"
	"github.com/stykovka/stykovka/internal/bridge/bridgetest"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/regula"
	"github.com/stykovka/stykovka/wsdl/bridgews"
)

var t0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

const (
	admin  = "Администратор"
	desk   = "Портье"
	pass   = "пароль-гостиницы"
	person = "160848"
)

type stack struct {
	t   *testing.T
	clk *clock.Fake
	hub *bridgetest.Hub
	srv *httptest.Server
	ho  bridgetest.Hotel
}

// newStack serves the Bridge SOAP service and the upload webhook over one HTTP server, with a
// hotel whose guest 160848 has a scanned passport (the chip and the visual zone disagree) and
// a visa.
func newStack(t *testing.T) *stack {
	s := &stack{t: t, clk: clock.NewFake(t0)}
	s.hub = bridgetest.New(t, bridgetest.Options{Clock: s.clk})
	mux := http.NewServeMux()
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	mux.Handle("/ws/", soap.NewHandler(soap.Options{Auth: s.hub.Tenants, Location: s.hub.Tenants.Location, Clock: s.clk},
		bridgeapi.New(s.hub.Service, bridgeapi.Options{PublicURL: s.srv.URL})))
	mux.Handle(wire.Path, bridge.Handler(s.hub.Service))
	s.ho = s.hub.AddHotel("hotel-a", "Cyrillic")
	ctx := context.Background()
	if err := s.hub.Tenants.AddUser(ctx, s.ho.Tenant, admin, pass, true); err != nil {
		t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(ctx, s.ho.Tenant, desk, pass, false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"passport_rfid_disagrees.json", "visa.json"} {
		m, err := regula.Minimize(bytes.NewReader(bridgetest.Sample(t, name)), regula.MinimizeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := regula.Parse(m.Data)
		body := bridgetest.Body(t, wire.Upload{TransactionID: r.TransactionID, LegalEntity: s.ho.Legal, PersonID: person,
			BookingID: "473024", ReadAt: s.clk.Now(), Result: m.Data})
		if st, out := s.ho.Post(t, s.srv.URL, s.clk.Now(), body); st != http.StatusOK {
			t.Fatalf("%s: %d %s", name, st, out)
		}
		s.clk.Advance(time.Minute)
	}
	return s
}

const nsBridge = "http://stykovka.ru/bridge"

func el(name, value string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value))
	return "<b:" + name + ">" + b.String() + "</b:" + name + ">"
}

type fault struct {
	Code   string `xml:"faultcode"`
	Detail struct {
		Error struct{ Code, Message string } `xml:"Error"`
	} `xml:"detail"`
}

// call sends a SOAP 1.1 call and decodes the response element into out, or returns the fault.
func (s *stack) call(user, op, params string, out any) *fault {
	s.t.Helper()
	env := `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:b="` +
		nsBridge + `"><soap:Body><b:` + op + `>` + params + `</b:` + op + `></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/ws/Bridge", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+nsBridge+`#Bridge:`+op+`"`)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
			Fault *fault `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(raw, &e); err != nil {
		s.t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	if e.Body.Fault != nil {
		return e.Body.Fault
	}
	if err := xml.Unmarshal(e.Body.Inner, out); err != nil {
		s.t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	return nil
}

func TestOperations(t *testing.T) {
	s := newStack(t)
	var en bridgews.EnrollDeviceResponse
	if f := s.call(admin, "EnrollDevice", el("Name", "Стойка 2"), &en); f != nil {
		t.Fatalf("enroll: %+v", f)
	}
	e := en.Return_
	if e.Device.Name != "Стойка 2" || len(e.Secret) < 40 || e.Tenant != s.ho.Tenant ||
		e.UploadURL != s.srv.URL+"/bridge/reads?tenant=hotel-a" || !strings.HasPrefix(e.Device.DeviceId, "dev-") {
		t.Errorf("enrollment %+v %+v", e, e.Device)
	}
	var list bridgews.ListDevicesResponse
	if f := s.call(admin, "ListDevices", "", &list); f != nil || len(list.Return_.Item) != 2 {
		t.Fatalf("list: %+v %+v", f, list.Return_)
	}
	if got := list.Return_.Item[1]; got.DeviceId != s.ho.Device || got.LastSeen.IsZero() {
		t.Errorf("the uploading device %+v", got)
	}
	var rev bridgews.RevokeDeviceResponse
	if f := s.call(admin, "RevokeDevice", el("DeviceId", e.Device.DeviceId), &rev); f != nil || !rev.Return_.Revoked {
		t.Errorf("revoke %+v %+v", f, rev.Return_)
	}
	// The front desk may read documents, not manage devices.
	for _, op := range []string{"EnrollDevice", "RevokeDevice", "ListDevices"} {
		params := map[string]string{"EnrollDevice": el("Name", "x"), "RevokeDevice": el("DeviceId", s.ho.Device)}[op]
		if f := s.call(desk, op, params, &struct{}{}); f == nil || f.Detail.Error.Code != "BRIDGE_ADMIN_REQUIRED" {
			t.Errorf("%s by the front desk: %+v", op, f)
		}
	}
	var docs bridgews.GetScannedDocumentsResponse
	if f := s.call(desk, "GetScannedDocuments", el("LegalEntity", s.ho.Legal)+el("PersonId", person), &docs); f != nil {
		t.Fatalf("documents: %+v", f)
	}
	d := docs.Return_
	if d.Identity == nil || d.Identity.Number != "U2345678" || d.Identity.TypeCode != "10" || d.Identity.TypeName != "Паспорт иностранного гражданина" ||
		d.Identity.ExpiryDate.String() != "2030-01-15T00:00:00" || d.Surname == "" || d.NamesScript != "Cyrillic" ||
		len(d.StayDocuments.Item) != 1 || d.StayDocuments.Item[0].Number != "251234567" || d.VisitPurposeName != "Туризм" ||
		len(d.Disagreements.Item) != 2 || d.Disagreements.Item[0].OtherValue != "U2845678" || (d.Portrait != nil && len(*d.Portrait) > 0) {
		t.Errorf("documents %+v %+v", d, d.Identity)
	}
	if f := s.call(desk, "GetScannedDocuments", el("LegalEntity", s.ho.Legal)+el("PersonId", "999"), &docs); f == nil || f.Detail.Error.Code != "BRIDGE_NO_DOCUMENTS" {
		t.Errorf("no documents: %+v", f)
	}
}

// Every operation of Bridge is called by two SOAP clients none of us wrote, through the SOAP
// 1.1 and the SOAP 1.2 port: npm soap 1.13.0 (infra/node_modules) and Debian's python3-zeep.
func clientRun(t *testing.T, name string, args ...string) (map[string]any, *stack) {
	t.Helper()
	s := newStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], s.srv.URL, admin, pass, s.ho.Legal, person)...)
	root := bridgetest.RepoRoot(t)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(root, "infra", "node_modules"), "TZ=UTC")
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
	return res, s
}

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

func expectClient(t *testing.T, name string, res map[string]any, s *stack, extra map[string]string) {
	t.Helper()
	g, err := s.hub.Service.GuestDocuments(context.Background(), s.ho.Tenant, s.ho.Legal, person)
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range g.Result.Warnings {
		warns = append(warns, w.Code)
	}
	want := map[string]string{
		"enrolled.revoked":         "false",
		"enrolled.secretLen":       "43",
		"enrolled.url":             s.srv.URL + "/bridge/reads?tenant=hotel-a",
		"enrolled.tenant":          "hotel-a",
		"docs.PersonId":            person,
		"docs.Version":             "2",
		"docs.Surname":             g.Result.Name.Surname,
		"docs.NamesScript":         "Cyrillic",
		"docs.TypeCode":            "10",
		"docs.Number":              "U2345678",
		"docs.DocumentName":        "Austria - ePassport (2014)",
		"docs.Purpose":             "Туризм",
		"docs.Warnings":            strings.Join(warns, ","),
		"docs.Disagreements":       "identity.number:RFID>VISUAL,identity.expires_on:RFID>VISUAL",
		"revoked.revoked":          "true",
		"unknownDevice.code":       "$serverfault", // NotFound
		"unknownDevice.detailCode": "BRIDGE_DEVICE_NOT_FOUND",
		"noDocuments.detailCode":   "BRIDGE_NO_DOCUMENTS",
	}
	for k, v := range extra {
		want[k] = v
	}
	for _, binding := range []string{"soap11", "soap12"} {
		for path, w := range want {
			w = strings.ReplaceAll(w, "$serverfault", map[string]string{"soap11": "soap:Server", "soap12": "soap:Receiver"}[binding])
			if got := fmt.Sprint(lookup(res[binding], path)); got != w {
				t.Errorf("%s %s: %s = %q, want %q", name, binding, path, got, w)
			}
		}
		id := fmt.Sprint(lookup(res[binding], "enrolled.id"))
		if !strings.HasPrefix(id, "dev-") || fmt.Sprint(lookup(res[binding], "revoked.id")) != id {
			t.Errorf("%s %s: enrolled %s", name, binding, id)
		}
		if devs := fmt.Sprint(lookup(res[binding], "devices")); !strings.Contains(devs, id) || !strings.Contains(devs, s.ho.Device) {
			t.Errorf("%s %s: devices %s", name, binding, devs)
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
	if _, err := os.Stat(filepath.Join(bridgetest.RepoRoot(t), "infra", "node_modules", "soap", "package.json")); err != nil {
		t.Fatal("npm soap is not installed: run npm ci --prefix infra")
	}
	res, s := clientRun(t, "npm soap", node, "testdata/soapclient.js")
	expectClient(t, "npm soap", res, s, map[string]string{
		"docs.BirthDate": "1979-06-04T00:00:00.000Z",
		"docs.Stay":      "251234567:single:2025-09-30T00:00:00.000Z",
	})
}

func TestIndependentClientZeep(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zeep").Run(); err != nil {
		t.Fatal("python3-zeep is not installed: apt-get install -y python3-zeep (it runs with " + python + ")")
	}
	res, s := clientRun(t, "zeep", python, "testdata/zeepclient.py")
	expectClient(t, "zeep", res, s, map[string]string{
		"docs.BirthDate": "1979-06-04T00:00:00",
		"docs.Stay":      "251234567:single:2025-09-30T00:00:00",
	})
}
