package sepsim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
)

var t0 = time.Date(2025, 7, 7, 9, 0, 0, 0, time.UTC)

// rig is a simulator on a real HTTP server with the demo participants, the leasing
// company's key and a raw SOAP client.
type rig struct {
	t    *testing.T
	clk  *clock.Fake
	sim  *Sim
	url  string
	priv ed25519.PrivateKey
	seq  int
}

func newRig(t *testing.T, opts Options) *rig {
	clk := clock.NewFake(t0)
	opts.Clock = clk
	s := New(opts)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	for _, p := range DemoParticipants() {
		s.AddParticipant(p)
	}
	for _, v := range DemoVehicles() {
		s.AddVehicle(v)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	if err := s.SetPublicKey(DemoLessorINN, pub); err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, clk: clk, sim: s, url: srv.URL + Path, priv: priv}
}

func (r *rig) post(body string) (int, string) {
	r.t.Helper()
	env := `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` + body + `</s:Body></s:Envelope>`
	resp, err := http.Post(r.url, "text/xml; charset=utf-8", strings.NewReader(env))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// send posts SendRequest with a payload signed by the leasing company (or sig if given).
func (r *rig) send(reqType, clientID, payload string, sig []byte) (int, string) {
	r.t.Helper()
	if sig == nil {
		sig = ed25519.Sign(r.priv, []byte(payload))
	}
	return r.post(fmt.Sprintf(`<m:SendRequest xmlns:m="%s"><m:RequestType>%s</m:RequestType><m:ClientRequestId>%s</m:ClientRequestId>`+
		`<m:SenderInn>%s</m:SenderInn><m:SenderOgrn>%s</m:SenderOgrn><m:Payload>%s</m:Payload><m:Signature>%s</m:Signature></m:SendRequest>`,
		NS, reqType, clientID, DemoLessorINN, DemoLessorOGRN, base64.StdEncoding.EncodeToString([]byte(payload)),
		base64.StdEncoding.EncodeToString(sig)))
}

func (r *rig) queue(reqType, payload string) string {
	r.t.Helper()
	r.seq++
	code, body := r.send(reqType, fmt.Sprintf("c-%d", r.seq), payload, nil)
	var env struct {
		Body struct {
			Resp struct {
				QueueID string `xml:"QueueId"`
			} `xml:"SendRequestResponse"`
		} `xml:"Body"`
	}
	if code != 200 || xml.Unmarshal([]byte(body), &env) != nil || env.Body.Resp.QueueID == "" {
		r.t.Fatalf("SendRequest: %d %s", code, body)
	}
	return env.Body.Resp.QueueID
}

type result struct {
	State  string `xml:"Body>GetResultResponse>State"`
	Result string `xml:"Body>GetResultResponse>Result"`
	Errors []struct {
		Code string `xml:"Code"`
	} `xml:"Body>GetResultResponse>Errors>Error"`
	Fault string `xml:"Body>Fault>detail>SepFault>Code"`
}

func (r *rig) result(qid string) result {
	r.t.Helper()
	_, body := r.post(fmt.Sprintf(`<GetResult xmlns="%s"><QueueId>%s</QueueId></GetResult>`, NS, qid))
	var res result
	if err := xml.Unmarshal([]byte(body), &res); err != nil {
		r.t.Fatalf("GetResult answer: %v\n%s", err, body)
	}
	return res
}

// await advances past the minimum delay and returns the result.
func (r *rig) await(qid string) result {
	r.clk.Advance(time.Minute)
	return r.result(qid)
}

func (r *rig) apps(res result) string {
	b, err := base64.StdEncoding.DecodeString(res.Result)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

func TestWSDLIsServedWithItsAddress(t *testing.T) {
	r := newRig(t, Options{})
	resp, err := http.Get(r.url + "?wsdl")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var defs struct {
		Service struct {
			Port struct {
				Address struct {
					Location string `xml:"location,attr"`
				} `xml:"address"`
			} `xml:"port"`
		} `xml:"service"`
		Ops []struct {
			Name string `xml:"name,attr"`
		} `xml:"portType>operation"`
	}
	if err := xml.Unmarshal(b, &defs); err != nil {
		t.Fatal(err)
	}
	if defs.Service.Port.Address.Location != r.url || len(defs.Ops) != 2 {
		t.Fatalf("WSDL: %+v", defs)
	}
}

func TestResultsComeOnlyAfterTheMinimumDelay(t *testing.T) {
	r := newRig(t, Options{ProcessingTime: 30 * time.Second})
	qid := r.queue("GetApplications", `<GetApplications xmlns="urn:sep-sim:v1:data"><Inn>7701000001</Inn><From>2025-07-01</From><To>2025-07-31</To></GetApplications>`)
	if got := r.result(qid).State; got != StateTooEarly {
		t.Fatalf("at once: %s", got)
	}
	r.clk.Advance(time.Minute)
	if got := r.result(qid).State; got != StateInProcess {
		t.Fatalf("after 60 s: %s", got)
	}
	r.clk.Advance(30 * time.Second)
	if got := r.result(qid).State; got != StateCompleted {
		t.Fatalf("after 90 s: %s", got)
	}
	early := r.sim.EarlyResultCalls()
	if len(early) != 1 || early[0].QueueID != qid || early[0].SinceQueued != 0 {
		t.Fatalf("violations recorded: %+v", early)
	}
}

func TestSendRequestChecks(t *testing.T) {
	r := newRig(t, Options{})
	payload := `<GetApplication xmlns="urn:sep-sim:v1:data"><Epts>164301000000101</Epts></GetApplication>`
	// The same client request id is the same request: same queue number.
	a := r.queue("GetApplication", payload)
	code, body := r.send("GetApplication", "c-1", payload, nil)
	if code != 200 || !strings.Contains(body, a) {
		t.Fatalf("repeat: %d %s", code, body)
	}
	for name, tc := range map[string]struct {
		reqType, clientID, payload string
		sig                        []byte
		fault                      string
	}{
		"reused id":       {"GetApplication", "c-1", `<GetApplication xmlns="urn:sep-sim:v1:data"><Number>X</Number></GetApplication>`, nil, "CLIENT_ID_REUSED"},
		"bad signature":   {"GetApplication", "c-9", payload, []byte("forged"), "SIGNATURE_INVALID"},
		"unknown type":    {"Delete", "c-9", payload, nil, "REQUEST_TYPE_UNKNOWN"},
		"unreadable xml":  {"GetApplication", "c-9", `<GetApplication`, nil, "XML_READ_ERROR"},
		"wrong root":      {"GetApplication", "c-9", `<Other xmlns="urn:sep-sim:v1:data"/>`, nil, "XML_READ_ERROR"},
		"empty client id": {"GetApplication", "", payload, nil, "CLIENT_ID_INVALID"},
	} {
		code, body := r.send(tc.reqType, tc.clientID, tc.payload, tc.sig)
		if code != 500 || !strings.Contains(body, "<Code>"+tc.fault+"</Code>") || !strings.Contains(body, "soap:Client") {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
}

func TestOwnershipChangeWithOneTimeCode(t *testing.T) {
	r := newRig(t, Options{})
	epts := DemoVehicles()[0].EPTS
	number, err := r.sim.CreateOwnershipChange(epts, DemoLessorINN, t0.AddDate(0, 0, 5))
	if err != nil {
		t.Fatal(err)
	}
	out := r.sim.Outbox()
	if len(out) != 1 || out[0].To != DemoMailbox {
		t.Fatalf("outbox: %d letters", len(out))
	}
	code := r.codeIn(out[0])
	confirm := func(c string) result {
		return r.await(r.queue("ConfirmApplication", fmt.Sprintf(`<ConfirmApplication xmlns="urn:sep-sim:v1:data"><Number>%s</Number>`+
			`<Inn>%s</Inn><Status>Confirmed</Status><Code>%s</Code></ConfirmApplication>`, number, DemoLessorINN, c)))
	}
	if res := confirm("000000"); res.State != StateRejected || res.Errors[0].Code != "CODE_UNKNOWN" {
		t.Fatalf("unknown code: %+v", res)
	}
	res := confirm(code)
	if res.State != StateCompleted || !strings.Contains(r.apps(res), "<Status>Исполнен</Status>") {
		t.Fatalf("confirm: %+v %s", res, r.apps(res))
	}
	if v, _ := r.sim.Vehicle(epts); v.OwnerINN != DemoLessorINN {
		t.Fatalf("owner: %+v", v)
	}
	if res := confirm(code); res.State != StateRejected || res.Errors[0].Code != "CODE_USED" {
		t.Fatalf("used code: %+v", res)
	}
	// Both parties learn that it is executed.
	out = r.sim.Outbox()
	if len(out) != 3 || !strings.Contains(out[1].Subject, "исполнено") || out[1].To == out[2].To {
		t.Fatalf("outbox after: %d letters", len(out))
	}
}

func TestLeaseNeedsOwnershipAndTheLesseesCode(t *testing.T) {
	r := newRig(t, Options{})
	lease := func(epts string) result {
		return r.await(r.queue("CreateLeaseApplication", fmt.Sprintf(`<CreateLeaseApplication xmlns="urn:sep-sim:v1:data">`+
			`<Document><Name>Приложение</Name><Number>ДЛ-1</Number><Date>2025-07-01</Date></Document><LeaseEnd>2028-07-01</LeaseEnd>`+
			`<Deadline>2025-07-17</Deadline><Vehicle><Epts>%s</Epts><Vin></Vin></Vehicle>`+
			`<Lessor><Inn>%s</Inn><Ogrn>%s</Ogrn><Name>Л</Name><Status>Confirmed</Status></Lessor>`+
			`<Lessee><Inn>%s</Inn><Ogrn>%s</Ogrn><Name>П</Name><Status>NotApplicable</Status><Email>%s</Email></Lessee>`+
			`</CreateLeaseApplication>`, epts, DemoLessorINN, DemoLessorOGRN, DemoLesseeINN, DemoLesseeOGRN, DemoTechMailbox)))
	}
	if res := lease(DemoVehicles()[0].EPTS); res.State != StateRejected || res.Errors[0].Code != "NOT_OWNER" {
		t.Fatalf("dealer's truck: %+v", res)
	}
	epts := DemoVehicles()[2].EPTS // the leasing company's own
	res := lease(epts)
	if res.State != StateCompleted {
		t.Fatalf("lease: %+v", res)
	}
	var doc rApplications
	if err := xml.Unmarshal([]byte(r.apps(res)), &doc); err != nil || len(doc.Application) != 1 {
		t.Fatalf("result: %v %s", err, r.apps(res))
	}
	app := doc.Application[0]
	if app.Status != AppPending || app.Party[0].Status != PartyConfirmed || app.Party[1].Status != PartyNotApplicable {
		t.Fatalf("application: %+v", app)
	}
	out := r.sim.Outbox()
	if len(out) != 1 || out[0].To != DemoTechMailbox {
		t.Fatalf("outbox: %d letters", len(out))
	}
	code := r.codeIn(out[0])
	res = r.await(r.queue("ConfirmApplication", fmt.Sprintf(`<ConfirmApplication xmlns="urn:sep-sim:v1:data"><Number>%s</Number>`+
		`<Inn>%s</Inn><Status>Confirmed</Status><Code>%s</Code></ConfirmApplication>`, app.Number, DemoLesseeINN, code)))
	if res.State != StateCompleted || !strings.Contains(r.apps(res), AppExecuted) {
		t.Fatalf("lessee confirmation: %+v", res)
	}
	if v, _ := r.sim.Vehicle(epts); v.LesseeINN != DemoLesseeINN {
		t.Fatalf("vehicle: %+v", v)
	}
	if res := lease(epts); res.State != StateRejected || res.Errors[0].Code != "ALREADY_LEASED" {
		t.Fatalf("second lease: %+v", res)
	}
}

// codeIn returns the code SEP issued for the letter (the hub's parser reads letters; its
// tests run on this simulator's letters).
func (r *rig) codeIn(l Letter) string {
	r.t.Helper()
	r.sim.mu.Lock()
	defer r.sim.mu.Unlock()
	for code, rec := range r.sim.codes {
		if rec.email == l.To && strings.Contains(l.Subject, rec.app) {
			return code
		}
	}
	r.t.Fatalf("no code for letter %q", l.Subject)
	return ""
}

func TestFaultSwitches(t *testing.T) {
	r := newRig(t, Options{})
	payload := `<GetApplications xmlns="urn:sep-sim:v1:data"><Inn>7701000001</Inn><From>2025-07-01</From><To>2025-07-31</To></GetApplications>`
	qid := r.queue("GetApplications", payload)

	put := func(f Faults) {
		b, _ := json.Marshal(f)
		req, _ := http.NewRequest(http.MethodPut, strings.TrimSuffix(r.url, Path)+"/admin/faults", bytes.NewReader(b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("admin: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	put(Faults{MalformedXML: true})
	if _, body := r.send("GetApplications", "c-77", payload, nil); xml.Unmarshal([]byte(body), new(any)) == nil {
		t.Fatalf("answer not malformed: %s", body)
	}
	put(Faults{RequestErrors: true})
	if code, body := r.send("GetApplications", "c-78", payload, nil); code != 500 || !strings.Contains(body, "soap:Server") {
		t.Fatalf("request error: %d %s", code, body)
	}
	put(Faults{LoseResults: true})
	if res := r.await(qid); res.Fault != "QUEUE_NOT_FOUND" {
		t.Fatalf("lost result: %+v", res)
	}
	put(Faults{})
	if res := r.result(qid); res.State != StateCompleted {
		t.Fatalf("healthy again: %+v", res)
	}
	// Slow: the answer waits; a client that gives up first gets nothing.
	r.sim.SetFaults(Faults{Slow: 5 * time.Second})
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := c.Post(r.url, "text/xml", strings.NewReader("<x/>")); err == nil {
		t.Fatal("slow answer came in time")
	}
}

func TestOutboxDirGetsEveryLetter(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, Options{OutboxDir: dir})
	if _, err := r.sim.LoadDemo(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 2 || len(r.sim.Outbox()) != 2 {
		t.Fatalf("files: %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if !bytes.Equal(b, r.sim.Outbox()[0].Raw) {
		t.Fatal("file differs from the outbox letter")
	}
}
