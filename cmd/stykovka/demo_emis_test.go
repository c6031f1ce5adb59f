package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/stykovka/stykovka/internal/emis/hooksig"
)

// emisDemo is a running `serve --demo` as `make run` starts it.
type emisDemo struct {
	base, sim, pms string
	banner         string
	stderr         *syncBuffer
	stop           func()
}

func startEmisDemo(t *testing.T, data string) *emisDemo {
	t.Helper()
	srv := startDemo(t, data)
	d := &emisDemo{banner: srv.banner, stop: srv.stop, stderr: srv.log}
	d.base = srv.find(t, `(http://127\.0\.0\.1:\d+)/healthz`)
	d.sim = srv.find(t, `EMIS \(симулятор\): (http://127\.0\.0\.1:\d+)/`)
	d.pms = srv.find(t, `Демо-PMS: (http://127\.0\.0\.1:\d+/demo-pms)`)
	return d
}

// soapCall calls an Emis operation as the demo user and returns the response XML.
func (d *emisDemo) soapCall(t *testing.T, op, params string) string {
	t.Helper()
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:e="http://stykovka.ru/emis"><soap:Body><e:` +
		op + `>` + params + `</e:` + op + `></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, d.base+"/ws/Emis", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"http://stykovka.ru/emis#Emis:`+op+`"`)
	req.SetBasicAuth(demoUser1C, demoPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// emisText returns the text of the first element named local in doc.
func emisText(t *testing.T, doc, local string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("no <%s> in %s", local, doc)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			var s string
			if err := dec.DecodeElement(&s, &se); err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
}

// emisPageForm posts one form of an EMIS page like a browser and returns the page answered;
// which is "scan" (the scanner's form, with a sample) or "save" (the documents' form as shown).
func emisPageForm(t *testing.T, pageURL, page, action string, set url.Values) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var forms []url.Values
	var walk func(n *html.Node, v url.Values)
	walk = func(n *html.Node, v url.Values) {
		attr := func(k string) string {
			for _, a := range n.Attr {
				if a.Key == k {
					return a.Val
				}
			}
			return ""
		}
		has := func(k string) bool {
			for _, a := range n.Attr {
				if a.Key == k {
					return true
				}
			}
			return false
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				v = url.Values{}
				forms = append(forms, v)
			case "input":
				if typ := attr("type"); v != nil && attr("name") != "" && ((typ != "radio" && typ != "checkbox") || has("checked")) {
					v.Set(attr("name"), attr("value"))
				}
			case "select":
				name := attr("name")
				first, chosen := "", ""
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type != html.ElementNode || c.Data != "option" {
						continue
					}
					val, sel := "", false
					for _, a := range c.Attr {
						if a.Key == "value" {
							val = a.Val
						}
						sel = sel || a.Key == "selected"
					}
					if first == "" {
						first = val
					}
					if sel && chosen == "" {
						chosen = val
					}
				}
				if chosen == "" {
					chosen = first
				}
				if v != nil {
					v.Set(name, chosen)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, v)
		}
	}
	walk(doc, nil)
	var form url.Values
	for _, f := range forms {
		if _, isDocs := f["number"]; isDocs == (action == "save") {
			form = f
			break
		}
	}
	if form == nil {
		t.Fatalf("no %s form on the page:\n%s", action, page)
	}
	for k, vs := range set {
		form[k] = vs
	}
	form.Set("action", action)
	resp, err := http.PostForm(pageURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d\n%s", action, resp.StatusCode, b)
	}
	return string(b)
}

// TestDemoEmisFlow is issue 7's "done when" from `make run`: a PMS-style client saves a guest
// (over SOAP, and over the signed PMS webhook with the demo secrets), opens the EMIS page, the
// operator scans a passport with two visas — the selected one expired — and saves it; the demo
// PMS receives the documents with the warning, and GetDocuments returns the same. A second
// start over the same data keeps one demo legal entity and the same secrets.
func TestDemoEmisFlow(t *testing.T) {
	data := filepath.Join(t.TempDir(), "var")
	d := startEmisDemo(t, data)

	ref := emisText(t, d.soapCall(t, "GetLegalEntities", ""), "Ref")
	if ref != demoEmisLegalRef {
		t.Fatalf("demo legal entity %q", ref)
	}
	const person, booking = "160848", "473024"
	if r := d.soapCall(t, "SaveGuest", "<e:PersonId>"+person+"</e:PersonId><e:BookingId>"+booking+"</e:BookingId><e:Surname>WAGNER</e:Surname>"); emisText(t, r, "return") != "true" {
		t.Fatalf("SaveGuest: %s", r)
	}
	// The same through the signed PMS webhook, with the secrets the demo keeps in the data folder.
	var sec demoSecrets
	raw, err := os.ReadFile(filepath.Join(data, demoEmisSecretFile))
	if err != nil || json.Unmarshal(raw, &sec) != nil {
		t.Fatalf("secrets file: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(data, demoEmisSecretFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode %v", fi.Mode().Perm())
	}
	body := []byte(`{"event":"guest.saved","person_id":"` + person + `","booking_id":"` + booking + `","surname":"WAGNER"}`)
	req, _ := http.NewRequest(http.MethodPost, d.base+"/hooks/pms?tenant=demo", bytes.NewReader(body))
	req.Header.Set(hooksig.Header, hooksig.Sign([]byte(sec.PMSIn), time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PMS webhook guest.saved: %d %s", resp.StatusCode, answer)
	}
	if _, _, err := hooksig.Verify(resp.Header.Get(hooksig.Header), answer, [][]byte{[]byte(sec.PMSOut)}, time.Now(), hooksig.Window); err != nil {
		t.Errorf("PMS webhook answer signature: %v", err)
	}

	r := d.soapCall(t, "StartDocuments", "<e:LegalEntity>"+ref+"</e:LegalEntity><e:PersonId>"+person+"</e:PersonId><e:BookingId>"+booking+"</e:BookingId>")
	pageURL := emisText(t, r, "return")
	if !strings.HasPrefix(pageURL, d.sim+"/s/") {
		t.Fatalf("StartDocuments: %s", r)
	}
	if r := d.soapCall(t, "StartDocuments", "<e:LegalEntity>"+ref+"</e:LegalEntity><e:PersonId>999001</e:PersonId>"); emisText(t, r, "Code") != "EMIS_PERSON_NOT_SAVED" {
		t.Errorf("unsaved guest: %s", r)
	}

	// The operator scans the sample passport (two visas, the selected one expired) and saves.
	resp, err = http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	scanned := emisPageForm(t, pageURL, string(page), "scan", url.Values{"sample": {"deu-visas"}})
	if saved := emisPageForm(t, pageURL, scanned, "save", nil); !strings.Contains(saved, "Данные сохранены") {
		t.Fatalf("save:\n%s", saved)
	}

	// The demo PMS received the documents with the warning.
	var got []map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(d.pms)
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if len(got) > 0 {
			break
		}
	}
	if len(got) != 1 {
		t.Fatalf("demo PMS received %d deliveries", len(got))
	}
	delivered, _ := json.Marshal(got[0])
	if !strings.Contains(string(delivered), `"VISA_SELECTED_EXPIRED"`) || !strings.Contains(string(delivered), `"C4J7R2K19"`) ||
		got[0]["person_id"] != person {
		t.Errorf("delivery: %s", delivered)
	}
	docs := d.soapCall(t, "GetDocuments", "<e:LegalEntity>"+ref+"</e:LegalEntity><e:PersonId>"+person+"</e:PersonId>")
	if !strings.Contains(docs, "<m:Code>VISA_SELECTED_EXPIRED</m:Code>") || emisText(t, docs, "Number") != "C4J7R2K19" ||
		emisText(t, docs, "Surname") != "ВАГНЕР" {
		t.Errorf("GetDocuments: %s", docs)
	}
	d.stop()
	for _, v := range []string{"C4J7R2K19", "WAGNER", "ВАГНЕР", "KLAUS", "1971-04-23", "23.04.1971", "KOELN", "1234501", sec.Emis, sec.PMSIn, sec.PMSOut} {
		if strings.Contains(d.stderr.String(), v) {
			t.Errorf("the logs contain %q", v)
		}
	}
	if !strings.Contains(d.stderr.String(), "демо-PMS: получены документы гостя") {
		t.Errorf("the demo PMS did not log the delivery:\n%s", d.stderr.String())
	}

	// A second start over the same data: one demo legal entity, the same secrets, a fresh demo PMS.
	d2 := startEmisDemo(t, data)
	if r := d2.soapCall(t, "GetLegalEntities", ""); strings.Count(r, "<m:Item>") != 1 {
		t.Errorf("legal entities after restart: %s", r)
	}
	again, _ := os.ReadFile(filepath.Join(data, demoEmisSecretFile))
	if !bytes.Equal(raw, again) {
		t.Error("the demo secrets changed on restart")
	}
	if r := d2.soapCall(t, "GetSettings", ""); emisText(t, r, "PMSWebhookURL") != d2.pms {
		t.Errorf("PMS webhook after restart: %s, want %s", r, d2.pms)
	}
}
