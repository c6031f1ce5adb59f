package sepapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/sepws"
)

// Every operation of Sep is called by two SOAP clients none of us wrote, through the SOAP 1.1
// and the SOAP 1.2 port (see facade/soap/clients_test.go for the setup):
//   - npm soap 1.13.0, pinned in infra/package.json (npm ci --prefix infra);
//   - Debian's python3-zeep (apt-get install -y python3-zeep), run with /usr/bin/python3.
// The Go side prepares a leasing company in the middle of both flows (one truck owned and its
// lease registered in SEP with the lessee's code received, another truck's ownership change
// waiting for confirmation); a Cyrillic administrator logs in. The calls that send to SEP
// carry a RequestId, so the second binding repeats the first one's requests and must get the
// same answers. Where the clients differ (npm soap reads xs:dateTime as a JS Date, printed in
// UTC with TZ=UTC; zeep as a naive datetime) the expectation says so.

const (
	contract1 = "c0117ac7-0000-4000-8000-000000000001"
	contract2 = "c0117ac7-0000-4000-8000-000000000002"
)

// prepared is what the Go side did before the clients run.
type prepared struct {
	args                        map[string]string
	number2, code2              string
	lease, leaseNumber, entryID string
}

func prepare(t *testing.T, s *stack, l *leasing) prepared {
	t.Helper()
	s.configure(l)
	u, p := l.admin, l.pass
	vs := sepsim.DemoVehicles()
	mailboxes := []string{sepsim.DemoMailbox, sepsim.DemoTechMailbox}
	letterOf := func(number string) *sepws.Letter {
		var ls sepws.GetLettersResponse
		s.call(u, p, &sepws.GetLetters{}).Decode(t, &ls)
		for _, x := range ls.Return_.Item {
			if x.Application == number && x.Code != "" {
				return x
			}
		}
		t.Fatalf("no letter with a code for %s", number)
		return nil
	}
	var pr prepared
	// Truck 1: owned.
	n1, err := s.sim.CreateOwnershipChange(vs[0].EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 14))
	if err != nil {
		t.Fatal(err)
	}
	s.mailRoute(l.id, mailboxes...)
	s.job(hub.SepMailJob)
	var rld sepws.RequestLetterDataResponse
	s.call(u, p, &sepws.RequestLetterData{Organisation: sepsim.DemoLessorINN, Letters: &sepws.StringList{Item: []string{letterOf(n1).Id}}}).Decode(t, &rld)
	pr.entryID = rld.Return_.Item[0].Id
	s.advance(time.Minute)
	s.job(hub.SepPollerJob)
	s.call(u, p, &sepws.ConfirmOwnership{Number: n1, Status: "Confirmed"}).Decode(t, &sepws.ConfirmOwnershipResponse{})
	s.advance(time.Minute)
	s.job(hub.SepPollerJob)
	// Truck 2: an ownership change with its data, waiting for confirmation.
	pr.number2, err = s.sim.CreateOwnershipChange(vs[1].EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 14))
	if err != nil {
		t.Fatal(err)
	}
	s.mailRoute(l.id, mailboxes...)
	s.job(hub.SepMailJob)
	l2 := letterOf(pr.number2)
	pr.code2 = l2.Code
	s.call(u, p, &sepws.RequestLetterData{Organisation: sepsim.DemoLessorINN, Letters: &sepws.StringList{Item: []string{l2.Id}}}).Decode(t, &rld)
	s.advance(time.Minute)
	s.job(hub.SepPollerJob)
	// Truck 1's lease, registered by SEP; the lessee's code came to the technical mailbox.
	s.call(u, p, &sepws.SaveLeaseContract{Ref: contract1, Organisation: sepsim.DemoLessorINN, DocNumber: "ДЛ-2025/17",
		DocDate: date(2025, 7, 7), LeaseEnd: date(2028, 7, 7), LesseeINN: sepsim.DemoLesseeINN,
		Assets: &sepws.StringList{Item: []string{asset(0)}}}).Decode(t, &sepws.SaveLeaseContractResponse{})
	var lease sepws.SendLeaseResponse
	s.call(u, p, &sepws.SendLease{Contract: contract1, UseTechMailbox: true, Deadline: ptr(date(2025, 7, 21)), RequestId: ptr("go-lease-1")}).Decode(t, &lease)
	s.advance(time.Minute)
	s.job(hub.SepPollerJob)
	s.call(u, p, &sepws.SendLease{Contract: contract1, UseTechMailbox: true, RequestId: ptr("go-lease-1")}).Decode(t, &lease)
	pr.lease, pr.leaseNumber = lease.Return_.Id, lease.Return_.Number
	if pr.leaseNumber == "" {
		t.Fatalf("lease not registered: %+v", lease.Return_)
	}
	s.mailRoute(l.id, mailboxes...)
	s.job(hub.SepMailJob)
	pr.args = map[string]string{
		"organisation": sepsim.DemoLessorINN, "person": personIvanov, "personEmail": ivanovEmail,
		"asset": asset(2), "vin": vs[2].VIN, "epts": vs[2].EPTS, "epts2": vs[1].EPTS, "lesseeInn": sepsim.DemoLesseeINN,
		"contract1": contract1, "contract2": contract2, "letter2": l2.Id, "number2": pr.number2,
		"leaseRequest": "go-lease-1", "lease": pr.lease, "leaseCode": letterOf(pr.leaseNumber).Code, "entry": pr.entryID,
	}
	return pr
}

// clientRun prepares the stack and runs one client script against it.
func clientRun(t *testing.T, name string, args ...string) (map[string]any, *stack, *leasing, prepared) {
	t.Helper()
	s := newStack(t)
	l := s.addLeasing("leasing-a")
	pr := prepare(t, s, l)
	a, _ := json.Marshal(pr.args)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], s.srv.URL, l.admin, l.pass, string(a))...)
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
	return res, s, l, pr
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

// expectClient checks both bindings' results against the hub's state after the run.
func expectClient(t *testing.T, name string, res map[string]any, s *stack, l *leasing, pr prepared, extra map[string]string) {
	t.Helper()
	ctx := s.ctx
	waiting, err := s.hub.Sep.Queue(ctx, l.id, sep.QueueQuery{Waiting: true, PageRequest: sep.PageRequest{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := s.hub.Sep.Counts(ctx, l.id)
	if err != nil {
		t.Fatal(err)
	}
	letters, _ := s.hub.Sep.Letters(ctx, l.id, sep.LetterQuery{PageRequest: sep.PageRequest{Limit: 1000}})
	// The waiting requests are the five each binding sent (the same five: RequestId).
	if len(waiting.Items) != 5 {
		t.Errorf("%s: %d requests waiting, want 5 (one per operation that sends, repeated by RequestId)", name, len(waiting.Items))
	}
	want := map[string]string{
		"settings.Orgs":                   "1",
		"settings.TechMailbox":            sepsim.DemoTechMailbox,
		"settings.SepResponsible":         personSEP,
		"saved.Orgs":                      "1",
		"saved.TechMailbox":               sepsim.DemoTechMailbox,
		"keyLen":                          "32",
		"person.Ref":                      personIvanov,
		"person.Email":                    ivanovEmail,
		"asset.Ref":                       asset(2),
		"asset.EPTS":                      sepsim.DemoVehicles()[2].EPTS,
		"badRef.code":                     "$faultcode",
		"badRef.detailCode":               "SEP_REF_INVALID",
		"contract.Ref":                    contract2,
		"contract.Assets.0":               asset(2),
		"letters":                         strconv.Itoa(len(letters.Items)),
		"letterData.0.Status":             string(sep.StatusQueued),
		"letterData.0.StatusColor":        "blue",
		"letterData.1":                    "<nil>",
		"period.Subject":                  "Заявления за 01.07.2025–31.07.2025",
		"period.Status":                   string(sep.StatusQueued),
		"ownership.0.Number":              pr.number2,
		"ownership.0.Code":                pr.code2,
		"ownership.0.CurrentOwner":        sepsim.DemoDealerINN,
		"ownership.0.NewOwner":            sepsim.DemoLessorINN,
		"ownership.0.NewOwnerStatus":      "Pending",
		"ownership.0.Vehicles":            "1",
		"ownership.1":                     "<nil>",
		"application.Type":                "OwnershipChange",
		"application.Status":              sep.AppPending,
		"application.Parties":             "2",
		"unknownApp.code":                 "$serverfault", // NotFound: not the caller's fault of form
		"unknownApp.detailCode":           "SEP_APPLICATION_NOT_FOUND",
		"confirm.Status":                  string(sep.StatusQueued),
		"confirm.StatusColor":             "blue",
		"refresh.0.Status":                string(sep.StatusQueued),
		"candidates.0.Contract":           contract1,
		"candidates.0.Ready":              "false",
		"candidates.0.Lease":              pr.lease,
		"candidates.0.AssetStatus":        sep.AssetOwned,
		"candidates.1.Contract":           contract2,
		"candidates.1.Ready":              "false",
		"candidates.2":                    "<nil>",
		"lease.Id":                        pr.lease,
		"lease.Number":                    pr.leaseNumber,
		"lease.Status":                    sep.AppPending,
		"lease.UseTechMailbox":            "true",
		"lease.Vehicles":                  "1",
		"confirmLease.RequestStatus":      string(sep.StatusQueued),
		"confirmLease.RequestStatusColor": "blue",
		"waiting":                         strconv.Itoa(len(waiting.Items)),
		"entry.Id":                        pr.entryID,
		"entry.Status":                    string(sep.StatusAnswered),
		"entry.StatusColor":               "green",
		"counts.Letters":                  strconv.Itoa(counts.Letters),
		"counts.Waiting":                  strconv.Itoa(counts.Waiting),
		"counts.Ready":                    "0",
		"counts.Ownership":                "1",
		"counts.Leases":                   "1",
		"counts.Capped":                   "false",
		"poll.Due":                        "0",
		"notification0.Asset":             asset(0),
		"notification0.Emailed":           "true",
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
		if m := fmt.Sprint(lookup(res[binding], "badRef.message")); !strings.Contains(m, "уникальным идентификатором") {
			t.Errorf("%s %s: bad reference fault message %q", name, binding, m)
		}
		if n, _ := lookup(res[binding], "notifications").(float64); n < 1 {
			t.Errorf("%s %s: no notifications", name, binding)
		}
		// Both bindings got the same queue entries: the second repeated the first's requests.
		for _, path := range []string{"letterData.0.Id", "confirm.Id", "refresh.0.Id"} {
			if a, b := fmt.Sprint(lookup(res["soap11"], path)), fmt.Sprint(lookup(res["soap12"], path)); a != b || a == "<nil>" {
				t.Errorf("%s: %s differs between the bindings: %q, %q", name, path, a, b)
			}
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
	res, s, l, pr := clientRun(t, "npm soap", node, "testdata/soapclient.js")
	expectClient(t, "npm soap", res, s, l, pr, map[string]string{
		"contract.DocDate":  "2025-07-07T00:00:00.000Z",
		"contract.LeaseEnd": "2028-07-07T00:00:00.000Z", // sent as the instant 2028-07-06T21:00:00Z
		"lease.Deadline":    "2025-07-21T00:00:00.000Z",
	})
}

func TestIndependentClientZeep(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import zeep").Run(); err != nil {
		t.Fatal("python3-zeep is not installed: apt-get install -y python3-zeep (it runs with " + python + ")")
	}
	res, s, l, pr := clientRun(t, "zeep", python, "testdata/zeepclient.py")
	expectClient(t, "zeep", res, s, l, pr, map[string]string{
		"contract.DocDate":  "2025-07-07T00:00:00",
		"contract.LeaseEnd": "2028-07-07T00:00:00",
		"lease.Deadline":    "2025-07-21T00:00:00",
	})
}

// TestClientScriptsCallEveryOperation keeps the two scripts complete as the WSDL grows.
func TestClientScriptsCallEveryOperation(t *testing.T) {
	ops := regexp.MustCompile(`<operation name="(\w+)">\s*<input`).FindAllSubmatch(wsdl.Sep, -1)
	if len(ops) < 21 {
		t.Fatalf("%d operations in Sep.wsdl", len(ops))
	}
	js, err := os.ReadFile("testdata/soapclient.js")
	if err != nil {
		t.Fatal(err)
	}
	py, err := os.ReadFile("testdata/zeepclient.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ops {
		op := string(m[1])
		if !strings.Contains(string(js), "'"+op+"'") {
			t.Errorf("soapclient.js does not call %s", op)
		}
		if !strings.Contains(string(py), "s."+op+"(") {
			t.Errorf("zeepclient.py does not call %s", op)
		}
	}
}
