package soap_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/hubsvc"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/clock"
)

// echoEnvelope is a SOAP 1.2 Echo call of about 2 KB, as 1C writes it.
func echoEnvelope() []byte {
	var lines strings.Builder
	for i := range 24 {
		lines.WriteString(`<m:Item><m:Name>Услуга ` + strconv.Itoa(i) + `</m:Name><m:Amount>` + strconv.Itoa(i) + `.50</m:Amount></m:Item>`)
	}
	rec := strings.Replace(echoRecord, `<m:Lines>`, `<m:Lines>`+lines.String(), 1)
	return []byte(env12(rec))
}

// BenchmarkDecodeDispatchEncode measures the handler on a ~2 KB envelope: auth, envelope
// parsing, schema check, dispatch, decoding into the generated type, validation, the
// operation and the response encoding, without the network.
func BenchmarkDecodeDispatchEncode(b *testing.B) {
	env := echoEnvelope()
	h := soap.NewHandler(soap.Options{Auth: testUsers, Logger: discard()}, probeService())
	b.SetBytes(int64(len(env)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/ws/Probe", bytes.NewReader(env))
		req.SetBasicAuth(user, password)
		req.Header.Set("Content-Type", ct12)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkPingRoundTrip compares a full Ping over loopback HTTP with a bare net/http handler
// that returns the same bytes, alternating the two in one run so that both see the same
// machine load. It reports the facade's throughput as a fraction of the bare handler's
// (goal: at least 0.5).
func BenchmarkPingRoundTrip(b *testing.B) {
	facade := httptest.NewServer(soap.NewHandler(soap.Options{Auth: testUsers, Logger: discard()},
		hubsvc.New(clock.NewFake(fixedNow))))
	defer facade.Close()
	body := []byte(env12(pingBody))
	send := func(url string) []byte {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.SetBasicAuth(user, password)
		req.Header.Set("Content-Type", ct12)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("%d %s", res.StatusCode, out)
		}
		return out
	}
	answer := send(facade.URL + "/ws/Hub")
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", ct12)
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		_, _ = w.Write(answer)
	}))
	defer bare.Close()
	if !bytes.Equal(send(bare.URL), answer) {
		b.Fatal("the bare handler answers differently")
	}
	var tFacade, tBare time.Duration
	for b.Loop() {
		t0 := time.Now()
		send(facade.URL + "/ws/Hub")
		t1 := time.Now()
		send(bare.URL)
		tFacade += t1.Sub(t0)
		tBare += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tFacade.Nanoseconds())/n, "ns/facade-call")
	b.ReportMetric(float64(tBare.Nanoseconds())/n, "ns/bare-call")
	b.ReportMetric(float64(tBare)/float64(tFacade), "facade/bare-throughput")
}
