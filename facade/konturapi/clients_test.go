package konturapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
)

// Every operation of Kontur is called by two SOAP clients none of us wrote, through the SOAP
// 1.1 and the SOAP 1.2 port (see facade/soap/clients_test.go for the setup):
//   - npm soap 1.13.0, pinned in infra/package.json (npm ci --prefix infra);
//   - Debian's python3-zeep (apt-get install -y python3-zeep), run with /usr/bin/python3.
// Each runs the front desk's flow with a payment type it creates: currencies, save and list
// the type, balance, available (0 at saldo 0, then 50 % of 1000.00), a refused write-off above
// it, the write-off, its repeat, GetWriteOff, Cancel. A Cyrillic administrator logs in.

func clientRun(t *testing.T, name string, args ...string) (map[string]any, *stack) {
	t.Helper()
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор", "Портье")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], append(args[1:], s.srv.URL, a.admin, a.pass, cardRich)...)
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
	return res, s
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

// expectClient checks both bindings' results and that the simulator's card is whole again:
// every write-off was cancelled, and each debited exactly once.
func expectClient(t *testing.T, name string, res map[string]any, s *stack, extra map[string]string) {
	t.Helper()
	var codes []string
	for _, c := range kontur.Currencies() {
		codes = append(codes, fmt.Sprintf("%s:%d", c.Code, c.Scale))
	}
	sort.Strings(codes)
	want := map[string]string{
		"currencies":               strings.Join(codes, ","),
		"saved.Kind":               kontur.PaymentKind,
		"typeListed":               "true",
		"balance.CardMasked":       "****1234",
		"balance.BONUS":            "5000",
		"availableZero.Amount":     "0",
		"availableZero.ReasonCode": kontur.ReasonSaldoNotNegative,
		"available.Amount":         "500",
		"available.Currency":       "BONUS",
		"available.Limit":          "500",
		"refused.code":             "$faultcode",
		"refused.detailCode":       "KONTUR_AMOUNT_EXCEEDS_AVAILABLE",
		"writeOff.State":           "recorded",
		"writeOff.StateName":       "Проведено",
		"writeOff.Posted":          "true",
		"writeOff.Title":           kontur.PaymentTitle,
		"writeOff.Amount":          "500",
		"writeOff.Currency":        "BONUS",
		"repeatSame":               "true",
		"get.State":                "recorded",
		"get.PaymentAmount":        "500",
		"cancel.State":             "cancelled",
		"cancel.Cancelled":         "true",
	}
	for k, v := range extra {
		want[k] = v
	}
	for _, binding := range []string{"soap11", "soap12"} {
		for path, w := range want {
			w = strings.ReplaceAll(w, "$faultcode", map[string]string{"soap11": "soap:Client", "soap12": "soap:Sender"}[binding])
			if got := fmt.Sprint(lookup(res[binding], path)); got != w {
				t.Errorf("%s %s: %s = %q, want %q", name, binding, path, got, w)
			}
		}
		if m := fmt.Sprint(lookup(res[binding], "refused.message")); !strings.Contains(m, "превышает доступную") {
			t.Errorf("%s %s: refusal message %q", name, binding, m)
		}
		if p := fmt.Sprint(lookup(res[binding], "saved.MaxPercent")); !money.MustParse(p).Equal(money.FromInt(50)) {
			t.Errorf("%s %s: MaxPercent %q", name, binding, p)
		}
		if op := fmt.Sprint(lookup(res[binding], "writeOff.OperationId")); !strings.HasPrefix(op, "stk-") {
			t.Errorf("%s %s: OperationId %q", name, binding, op)
		}
	}
	if b := s.balance(cardRich, "BONUS"); !b.Equal(money.FromInt(5000)) {
		t.Errorf("%s: card holds %s points after cancelling every write-off, want 5000", name, b)
	}
	for op, entries := range s.sim.Ledger().ByOperation() {
		if len(entries) != 2 { // one debit, one storno
			t.Errorf("%s: operation %s has %d ledger entries, want 2", name, op, len(entries))
		}
	}
	if n := len(s.sim.Ledger().ByOperation()); n != 2 {
		t.Errorf("%s: %d operations at Kontur, want 2 (one per binding)", name, n)
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
	res, s := clientRun(t, "npm soap", node, "testdata/soapclient.js")
	// npm soap reads xs:dateTime as a JS Date in the process's zone (UTC here): the wall time
	// 12:00 in Moscow comes back as 12:00Z.
	expectClient(t, "npm soap", res, s, map[string]string{"writeOff.Time": "2025-07-01T12:00:00.000Z"})
}

func TestIndependentClientZeep(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("/usr/bin/python3 is missing: apt-get install -y python3-zeep")
	}
	if out, err := exec.Command("/usr/bin/python3", "-c", "import zeep").CombinedOutput(); err != nil {
		t.Fatalf("python3-zeep is not installed (apt-get install -y python3-zeep): %v\n%s", err, out)
	}
	res, s := clientRun(t, "zeep", "/usr/bin/python3", "testdata/zeepclient.py")
	// zeep reads xs:dateTime without an offset as a naive datetime: the wall time itself.
	expectClient(t, "zeep", res, s, map[string]string{"writeOff.Time": "2025-07-01T12:00:00"})
}
