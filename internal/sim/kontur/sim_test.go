package kontursim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/money"
)

const key = "test-key"

func start(t *testing.T, cards ...Card) (*Sim, string) {
	t.Helper()
	s := New(Options{APIKey: key, Cards: cards})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode, out
}

func card(n string, bal map[string]string) Card {
	c := Card{Number: n, Balances: map[string]money.Decimal{}}
	for k, v := range bal {
		c.Balances[k] = money.MustParse(v)
	}
	return c
}

func TestProtocol(t *testing.T) {
	s, url := start(t, card("1111222233334444", map[string]string{"BONUS": "100", "RUB": "50.00"}))
	debit := func(op, amount string) (int, map[string]any) {
		return call(t, "POST", url+"/api/v1/debits",
			fmt.Sprintf(`{"operationId":%q,"card":"1111222233334444","currency":"BONUS","amount":%q}`, op, amount))
	}
	status, body := call(t, "POST", url+"/api/v1/balance", `{"card":"1111222233334444"}`)
	if status != 200 || fmt.Sprint(body["balances"]) != "[map[amount:100 currency:BONUS] map[amount:50.00 currency:RUB]]" {
		t.Fatalf("balance: %d %v", status, body)
	}
	if body["card"] != "****4444" {
		t.Errorf("card not masked: %v", body["card"])
	}
	if status, _ := debit("op-1", "30"); status != http.StatusCreated {
		t.Fatalf("first debit: %d", status)
	}
	if status, body := debit("op-1", "30"); status != http.StatusOK || body["operation"].(map[string]any)["status"] != "applied" {
		t.Fatalf("repeat: %d %v", status, body)
	}
	if status, _ := debit("op-1", "31"); status != http.StatusConflict {
		t.Fatalf("same id, other amount: %d", status)
	}
	if status, body := debit("op-2", "1000"); status != http.StatusUnprocessableEntity ||
		body["operation"].(map[string]any)["refusal"].(map[string]any)["code"] != "INSUFFICIENT_FUNDS" {
		t.Fatalf("insufficient: %d %v", status, body)
	}
	s.SetBalance("1111222233334444", "BONUS", money.FromInt(5000))
	if status, _ := debit("op-2", "1000"); status != http.StatusUnprocessableEntity {
		t.Fatalf("a refused id stays refused: %d", status)
	}
	if status, _ := debit("op-3", "1.5"); status != http.StatusUnprocessableEntity {
		t.Fatalf("points are whole: %d", status)
	}
	if status, _ := call(t, "GET", url+"/api/v1/operations/op-9", ""); status != http.StatusNotFound {
		t.Fatalf("unknown op: %d", status)
	}
	for i := 0; i < 2; i++ {
		status, body := call(t, "POST", url+"/api/v1/operations/op-1/cancel", "")
		if status != 200 || body["operation"].(map[string]any)["status"] != "cancelled" {
			t.Fatalf("cancel %d: %d %v", i, status, body)
		}
	}
	if status, body := call(t, "POST", url+"/api/v1/operations/op-4/cancel", ""); status != 200 ||
		body["operation"].(map[string]any)["status"] != "void" {
		t.Fatalf("cancel unknown: %d %v", status, body)
	}
	if status, body := debit("op-4", "1"); status != http.StatusUnprocessableEntity ||
		body["operation"].(map[string]any)["status"] != "void" {
		t.Fatalf("debit after void: %d %v", status, body)
	}
	l := s.Ledger()
	if len(l) != 2 || l[0].Kind != KindDebit || l[1].Kind != KindStorno || !l.Net()["BONUS"].IsZero() {
		t.Fatalf("ledger: %+v", l)
	}
	if got := s.Balances("1111222233334444")["BONUS"]; !got.Equal(money.FromInt(5030)) { // set to 5000 after the debit, then the storno
		t.Fatalf("balance after storno: %s", got)
	}
	if status, _ := call(t, "POST", url+"/api/v1/debits", `{"operationId":"x","card":"1111222233334444","currency":"BONUS","amount":"1e3"}`); status != 400 {
		t.Fatalf("exponent amount: %d", status)
	}
	req, _ := http.NewRequest("POST", url+"/api/v1/balance", strings.NewReader(`{"card":"1111222233334444"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no key: %d", resp.StatusCode)
	}
}

// TestDebitOnce: the same operation sent many times at once, and delivered twice, is applied
// once.
func TestDebitOnce(t *testing.T) {
	s, url := start(t, card("5555", map[string]string{"RUB": "1000.00"}))
	if err := s.SetFaults(Faults{Duplicate: 1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call(t, "POST", url+"/api/v1/debits", `{"operationId":"dup","card":"5555","currency":"RUB","amount":"10.10"}`)
		}()
	}
	wg.Wait()
	if l := s.Ledger(); len(l) != 1 || !l[0].Amount.Equal(money.MustParse("10.10")) {
		t.Fatalf("ledger: %+v", l)
	}
	if st := s.Stats(); st.Duplicated != 20 || st.Applied != 1 || st.Debits != 40 {
		t.Fatalf("stats: %+v", st)
	}
	if got := s.Balances("5555")["RUB"]; got.String() != "989.90" {
		t.Fatalf("balance %s", got)
	}
}

func TestAdmin(t *testing.T) {
	s, url := start(t)
	status, _ := call(t, "PUT", url+"/admin/faults", `{"failBefore":0.5,"hold":"2s","seed":7}`)
	if status != 200 {
		t.Fatalf("put faults: %d", status)
	}
	if f := s.Faults(); f.FailBefore != 0.5 || time.Duration(f.Hold) != 2*time.Second || f.Seed != 7 {
		t.Fatalf("faults: %+v", f)
	}
	if status, _ := call(t, "PUT", url+"/admin/faults", `{"failBefore":2}`); status != 400 {
		t.Fatalf("probability 2: %d", status)
	}
	if err := s.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	if status, _ := call(t, "PUT", url+"/admin/cards", `{"number":"99998888","balances":{"BONUS":"10"}}`); status != 204 {
		t.Fatalf("put card: %d", status)
	}
	call(t, "POST", url+"/api/v1/debits", `{"operationId":"a","card":"99998888","currency":"BONUS","amount":"4"}`)
	status, body := call(t, "GET", url+"/admin/ledger", "")
	if status != 200 {
		t.Fatal(status)
	}
	e := body["entries"].([]any)[0].(map[string]any)
	if e["card"] != "****8888" || e["amount"] != "4" || body["net"].(map[string]any)["BONUS"] != "4" {
		t.Fatalf("ledger: %v", body)
	}
}

// TestFaults: each switch does what it says, as the client sees it.
func TestFaults(t *testing.T) {
	s, url := start(t, card("7777", map[string]string{"BONUS": "100"}))
	client := &http.Client{Timeout: 300 * time.Millisecond}
	send := func(op string) error {
		req, _ := http.NewRequest("POST", url+"/api/v1/debits",
			strings.NewReader(fmt.Sprintf(`{"operationId":%q,"card":"7777","currency":"BONUS","amount":"1"}`, op)))
		req.Header.Set("X-Api-Key", key)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	cases := []struct {
		f       Faults
		applied bool
	}{
		{Faults{FailBefore: 1}, false},
		{Faults{TimeoutAfter: 1, Hold: Duration(5 * time.Second)}, true},
		{Faults{DropAfter: 1}, true},
		{Faults{Slow: 1, SlowDelay: Duration(600 * time.Millisecond)}, true}, // applied after the client gave up
	}
	for i, c := range cases {
		if err := s.SetFaults(c.f); err != nil {
			t.Fatal(err)
		}
		op := fmt.Sprintf("f%d", i)
		if err := send(op); err == nil {
			t.Errorf("case %d: no error", i)
		}
		if !c.applied {
			if _, ok := s.Operations()[op]; ok {
				t.Errorf("case %d: applied", i)
			}
			continue
		}
		// A slow request is applied after the client gave up: wait for it.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, ok := s.Operations()[op]; ok {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("case %d: not applied", i)
				break
			}
		}
	}
}
