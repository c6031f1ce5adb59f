package emis

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
)

var t0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

// hub records the callbacks and checks their signatures.
type hub struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func startSim(t *testing.T, secret string) (*Server, *hub, *httptest.Server, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	h := &hub{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, _, err := hooksig.Verify(r.Header.Get(hooksig.EmisHeader), body, [][]byte{[]byte(secret)}, clk.Now(), hooksig.Window); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		h.bodies = append(h.bodies, body)
		h.sigs = append(h.sigs, r.Header.Get(hooksig.EmisHeader))
	}))
	t.Cleanup(hs.Close)
	s, err := Start("127.0.0.1:0", Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.AddAccount(Account{Login: "int", Password: "pw", HookSecret: secret})
	return s, h, hs, clk
}

func openPage(t *testing.T, s *Server, callback string) string {
	t.Helper()
	c, _ := emisclient.New(s.URL(), nil)
	sess, err := c.OpenSession(context.Background(), emis.Account{Login: "int", Password: "pw"},
		emis.SessionRequest{PersonID: "160848", BookingID: "473024", Surname: "SMITH", CallbackURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	return sess.URL
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPageScanSaveCallback(t *testing.T) {
	secret := strings.Repeat("s", 32)
	s, h, hs, _ := startSim(t, secret)
	page := openPage(t, s, hs.URL+"/hooks/emis?tenant=a")

	status, body := get(t, page)
	if status != 200 || !strings.Contains(body, `lang="ru"`) || !strings.Contains(body, "Системный ID: <b>160848</b>") ||
		!strings.Contains(body, `name="last_name_lat" value="SMITH"`) || !strings.Contains(body, `value="save">Сохранить`) {
		t.Fatalf("page: %d\n%s", status, body)
	}
	// "Scan" fills the form from a sample without saving anything.
	status, body = post(t, page, url.Values{"action": {"scan"}, "sample": {"deu-visas"}})
	if status != 200 || !strings.Contains(body, `value="WAGNER"`) || !strings.Contains(body, `name="stay_selected" value="0" checked`) {
		t.Fatalf("scan: %d", status)
	}
	if len(s.Callbacks()) != 0 {
		t.Fatal("scan sent a callback")
	}
	// A bad date and an over-long field are shown to the operator; nothing is saved.
	status, body = post(t, page, url.Values{"action": {"save"}, "doc_type": {"10"}, "birth_date": {"31.02.1990"},
		"last_name": {strings.Repeat("Я", 101)}, "gender": {""}, "purpose": {""}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Дата рождения»: неверная дата") || !strings.Contains(body, "Фамилия") {
		t.Fatalf("invalid save: %d\n%s", status, body)
	}
	status, body = post(t, page, url.Values{"action": {"save"}, "doc_type": {"21"}, "series": {"4516"}, "number": {"908172"},
		"last_name": {"Иванов"}, "birth_date": {"1990-02-28"}, "gender": {"MALE"}, "purpose": {"PRIVATE"}, "citizenship": {"rus"},
		"stay0_type": {""}, "stay0_entries": {""}})
	if status != 200 || !strings.Contains(body, "версия 1") {
		t.Fatalf("save: %d\n%s", status, body)
	}
	s.Flush()
	if len(h.bodies) != 1 {
		t.Fatalf("%d callbacks", len(h.bodies))
	}
	cb, err := emisclient.ParseCallback(h.bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	id := cb.Version.Documents.Identity
	if cb.PersonID != "160848" || cb.Version.Number != 1 || cb.Version.BookingID != "473024" || id.Number != "908172" ||
		id.BirthDate != "1990-02-28" || id.Nationality != "RUS" || id.Cyrillic.Surname != "Иванов" {
		t.Errorf("callback %+v", cb)
	}
	// The page now shows the saved data; "changes since" returns the version.
	if _, body := get(t, page); !strings.Contains(body, `value="Иванов"`) {
		t.Error("saved data not shown")
	}
	c, _ := emisclient.New(s.URL(), nil)
	vs, err := c.Changes(context.Background(), emis.Account{Login: "int", Password: "pw"}, "160848", 0)
	if err != nil || len(vs) != 1 || vs[0].Documents.Identity.Number != "908172" {
		t.Fatalf("changes %+v %v", vs, err)
	}
	if vs, _ := c.Changes(context.Background(), emis.Account{Login: "int", Password: "pw"}, "160848", 1); len(vs) != 0 {
		t.Errorf("changes since 1: %+v", vs)
	}
	if status, _ := get(t, s.URL()+"/s/nope"); status != http.StatusNotFound {
		t.Errorf("unknown page: %d", status)
	}
	big := bytes.Repeat([]byte("a"), maxBody+1)
	resp, err := http.Post(page, "application/x-www-form-urlencoded", bytes.NewReader(append([]byte("last_name="), big...)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("big form: %d", resp.StatusCode)
	}
}

func TestCallbackFaults(t *testing.T) {
	secret := strings.Repeat("s", 32)
	s, h, hs, _ := startSim(t, secret)
	page := openPage(t, s, hs.URL+"/hook")
	s.SetFaults(Faults{CallbackRepeat: 1, CallbackReplay: true, CallbackDelay: 20 * time.Millisecond})
	form := url.Values{"action": {"save"}, "doc_type": {"10"}, "number": {"1"}, "gender": {""}, "purpose": {""}}
	if status, _ := post(t, page, form); status != 200 {
		t.Fatal(status)
	}
	s.Flush()
	if len(h.bodies) != 3 {
		t.Fatalf("%d callbacks, want the original, one repeat and one replay", len(h.bodies))
	}
	if h.sigs[2] != h.sigs[1] || !bytes.Equal(h.bodies[2], h.bodies[1]) {
		t.Error("the replay is not byte-identical")
	}
	var cb emisclient.Callback
	_ = json.Unmarshal(h.bodies[0], &cb)
	if cb.Version != 1 {
		t.Errorf("version %d", cb.Version)
	}
	if n := len(s.Callbacks()); n != 3 {
		t.Errorf("%d attempts recorded", n)
	}
	// The index page is in Russian and shows the state.
	if status, body := get(t, s.URL()+"/"); status != 200 || !strings.Contains(body, "Симулятор EMIS") {
		t.Errorf("index %d", status)
	}
}
