package hubsvc_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/hubsvc"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/tenants"
	"github.com/stykovka/stykovka/wsdl/hubws"
)

const (
	retAdmin, retDesk, retPass = "Администратор", "Портье", "пароль"
	nsHub                      = "http://stykovka.ru/hub"
)

// retentionServer is the Hub service on a real tenants registry (bbolt), tenant "hotel-a"
// with an administrator and a front-desk user, and tenant "hotel-b" with its administrator.
func retentionServer(t *testing.T, o hubsvc.Options) (*httptest.Server, *tenants.Registry) {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := tenants.New(st, clk)
	for _, tn := range []string{"hotel-a", "hotel-b"} {
		if _, err := reg.AddTenant(ctx, tn, "Гостиница", ""); err != nil {
			t.Fatal(err)
		}
		if err := reg.AddUser(ctx, tn, retAdmin+" "+tn, retPass, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.AddUser(ctx, "hotel-a", retDesk, retPass, false); err != nil {
		t.Fatal(err)
	}
	if o.Clock == nil {
		o.Clock = clk
	}
	if o.Retention == nil {
		o.Retention = reg
	}
	h := soap.NewHandler(soap.Options{Auth: reg, Location: reg.Location, Clock: clk, Logger: slog.New(slog.DiscardHandler)},
		hubsvc.NewWith(o))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, reg
}

type hubFault struct{ Code, Message string }

// hubCall posts a SOAP 1.1 request and decodes the response element into out, or returns
// the fault's detail.
func hubCall(t *testing.T, base, user, op, params string, out any) *hubFault {
	t.Helper()
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:h="` + nsHub + `"><soap:Body><h:` + op + `>` +
		params + `</h:` + op + `></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, base+"/ws/Hub", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+nsHub+`#Hub:`+op+`"`)
	req.SetBasicAuth(user, retPass)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var e struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
			Fault *struct {
				Detail struct {
					Error hubFault `xml:"http://stykovka.ru/hub Error"`
				} `xml:"detail"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(raw, &e); err != nil {
		t.Fatalf("%s: %d %v\n%s", op, res.StatusCode, err, raw)
	}
	if e.Body.Fault != nil {
		return &e.Body.Fault.Detail.Error
	}
	if err := xml.Unmarshal(e.Body.Inner, out); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	return nil
}

func TestRetentionOperations(t *testing.T) {
	srv, reg := retentionServer(t, hubsvc.Options{Profile: "on-prem", PersonalDataAllowed: true})
	ctx := context.Background()

	var got hubws.GetRetentionResponse
	if f := hubCall(t, srv.URL, retDesk, "GetRetention", "", &got); f != nil {
		t.Fatalf("GetRetention by the front desk: %+v", f)
	}
	want := hubws.Retention{Hours: 72, DefaultHours: 72, MinHours: 1, MaxHours: 2160, Profile: "on-prem", PersonalDataAllowed: true}
	if got.Return_ == nil || *got.Return_ != want {
		t.Fatalf("GetRetention = %+v, want %+v", got.Return_, want)
	}

	// Only an administrator changes it, within 1 hour .. 90 days; 0 restores the default.
	var set hubws.SetRetentionResponse
	if f := hubCall(t, srv.URL, retDesk, "SetRetention", "<h:Hours>24</h:Hours>", &set); f == nil || f.Code != "HUB_ADMIN_REQUIRED" {
		t.Fatalf("SetRetention by the front desk: %+v", f)
	}
	for _, bad := range []string{"-1", "2161", "x"} {
		if f := hubCall(t, srv.URL, retAdmin+" hotel-a", "SetRetention", "<h:Hours>"+bad+"</h:Hours>", &set); f == nil {
			t.Errorf("SetRetention(%s) accepted", bad)
		}
	}
	if f := hubCall(t, srv.URL, retAdmin+" hotel-a", "SetRetention", "<h:Hours>24</h:Hours>", &set); f != nil || set.Return_.Hours != 24 {
		t.Fatalf("SetRetention(24): %+v %+v", f, set.Return_)
	}
	if d, _ := reg.Retention(ctx, "hotel-a"); d != 24*time.Hour {
		t.Fatalf("the registry holds %v", d)
	}
	if d, _ := reg.Retention(ctx, "hotel-b"); d != tenants.DefaultRetention {
		t.Fatalf("another tenant changed: %v", d)
	}
	hubCall(t, srv.URL, retDesk, "GetRetention", "", &got)
	if got.Return_.Hours != 24 {
		t.Fatalf("GetRetention after the change: %+v", got.Return_)
	}
	if f := hubCall(t, srv.URL, retAdmin+" hotel-a", "SetRetention", "<h:Hours>0</h:Hours>", &set); f != nil || set.Return_.Hours != 72 {
		t.Fatalf("SetRetention(0): %+v %+v", f, set.Return_)
	}
}

func TestRetentionWithoutStore(t *testing.T) {
	srv, _ := retentionServer(t, hubsvc.Options{Retention: nilRetention{}})
	var got hubws.GetRetentionResponse
	if f := hubCall(t, srv.URL, retDesk, "GetRetention", "", &got); f == nil || f.Code != "TENANT_NOT_FOUND" {
		t.Fatalf("errors of the store reach the caller: %+v", f)
	}
	h := soap.NewHandler(soap.Options{Auth: oneUser{}, Logger: slog.New(slog.DiscardHandler)}, hubsvc.New(clock.Real{}))
	bare := httptest.NewServer(h)
	defer bare.Close()
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:h="` + nsHub + `"><soap:Body><h:GetRetention/></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, bare.URL+"/ws/Hub", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+nsHub+`#Hub:GetRetention"`)
	req.SetBasicAuth("Администратор", "пароль")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "HUB_RETENTION_UNAVAILABLE") {
		t.Fatalf("Hub without a retention store: %d %s", res.StatusCode, b)
	}
}

type nilRetention struct{}

func (nilRetention) Retention(context.Context, string) (time.Duration, error) {
	return 0, tenants.ErrNoTenant
}

func (nilRetention) SetRetention(context.Context, string, time.Duration) (time.Duration, error) {
	return 0, tenants.ErrNoTenant
}

// ---- independent clients (npm soap, python3-zeep), SOAP 1.1 and 1.2, every operation ----

func runRetentionClient(t *testing.T, name string, args ...string) map[string]any {
	t.Helper()
	srv, _ := retentionServer(t, hubsvc.Options{Profile: "ru-cloud", PersonalDataAllowed: true})
	root, _ := filepath.Abs("../..")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], srv.URL, retAdmin+" hotel-a", retDesk, retPass)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(root, "infra", "node_modules"))
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

// expectClient checks dotted paths of the JSON in both bindings.
func expectClient(t *testing.T, name string, res map[string]any, want map[string]string) {
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
					v = nil
					if i < len(c) {
						v = c[i]
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

var clientWant = map[string]string{
	"ping":                          "pong; tenant=hotel-a; time=2026-03-02T12:00:00",
	"versions.0.Service":            "Hub",
	"versions.0.Version":            hubsvc.Version,
	"before.Hours":                  "72",
	"before.DefaultHours":           "72",
	"before.MinHours":               "1",
	"before.MaxHours":               "2160",
	"before.Profile":                "ru-cloud",
	"before.PersonalDataAllowed":    "true",
	"set.Hours":                     "36",
	"after.Hours":                   "36",
	"reset.Hours":                   "72",
	"deskFault.code":                "$faultcode",
	"deskFault.detailCode":          "HUB_ADMIN_REQUIRED",
	"deskFault.detailMessage":       hubsvc.ErrAdminRequired.Message,
	"rangeFault.detailCode":         "TENANT_RETENTION_INVALID",
	"rangeFault.detailMessage":      tenants.ErrRetentionInvalid.Message,
	"deskReads.PersonalDataAllowed": "true",
	"deskReads.Hours":               "72",
	"rangeFault.code":               "$faultcode",
	"versions.1":                    "<nil>",
}

func TestIndependentClientNodeSoap(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: install Node.js, then npm ci --prefix infra")
	}
	res := runRetentionClient(t, "npm soap", node, "testdata/soapclient.js")
	expectClient(t, "npm soap", res, clientWant)
}

func TestIndependentClientZeep(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zeep").Run(); err != nil {
		t.Fatal("python3-zeep is not installed: apt-get install -y python3-zeep")
	}
	res := runRetentionClient(t, "zeep", python, "testdata/zeepclient.py")
	expectClient(t, "zeep", res, clientWant)
}
