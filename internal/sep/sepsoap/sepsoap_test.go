package sepsoap

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
)

var t0 = time.Date(2025, 7, 7, 9, 0, 0, 0, time.UTC)

type rig struct {
	clk  *clock.Fake
	sim  *sepsim.Sim
	c    *Client
	priv ed25519.PrivateKey
}

func newRig(t *testing.T) *rig {
	clk := clock.NewFake(t0)
	s := sepsim.New(sepsim.Options{Clock: clk})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	if _, err := s.LoadDemo(); err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	if err := s.SetPublicKey(sepsim.DemoLessorINN, pub); err != nil {
		t.Fatal(err)
	}
	return &rig{clk: clk, sim: s, c: New(srv.URL+sepsim.Path, nil), priv: priv}
}

func (r *rig) request(t *testing.T, id string, b sep.Body) sep.Request {
	t.Helper()
	p, err := r.c.Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	return sep.Request{Type: b.RequestType(), ClientRequestID: id, SenderINN: sepsim.DemoLessorINN,
		SenderOGRN: sepsim.DemoLessorOGRN, Payload: p, Signature: ed25519.Sign(r.priv, p)}
}

func TestSendAndGetResult(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	qid, err := r.c.SendRequest(ctx, r.request(t, "c1", sep.ApplicationsQuery{INN: sepsim.DemoLessorINN, From: t0, To: t0}))
	if err != nil || qid == "" {
		t.Fatalf("send: %q %v", qid, err)
	}
	// Same client request id, same bytes: the same queue number.
	if again, err := r.c.SendRequest(ctx, r.request(t, "c1", sep.ApplicationsQuery{INN: sepsim.DemoLessorINN, From: t0, To: t0})); err != nil || again != qid {
		t.Fatalf("resend: %q %v", again, err)
	}
	res, err := r.c.GetResult(ctx, qid)
	if err != nil || res.State != sep.ResultTooEarly {
		t.Fatalf("early: %+v %v", res, err)
	}
	r.clk.Advance(time.Minute)
	res, err = r.c.GetResult(ctx, qid)
	if err != nil || res.State != sep.ResultCompleted || len(res.Applications) != 2 {
		t.Fatalf("result: %+v %v", res, err)
	}
	a := res.Applications[0]
	nw, _ := a.Party(sep.RoleNewOwner)
	if a.Type != sep.OwnershipChange || a.Status != sep.AppPending || len(a.Vehicles) != 1 ||
		a.Vehicles[0].VIN == "" || nw.INN != sepsim.DemoLessorINN || nw.Status != sep.PartyPending || a.Created != t0 {
		t.Fatalf("application: %+v", a)
	}
}

func TestRejectedAndFaults(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	qid, err := r.c.SendRequest(ctx, r.request(t, "c2", sep.Confirmation{Number: "OC-2025-000001", PartyINN: sepsim.DemoLessorINN,
		Status: sep.PartyConfirmed, Code: "0000"}))
	if err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(time.Minute)
	res, err := r.c.GetResult(ctx, qid)
	if err != nil || res.State != sep.ResultRejected || res.Errors[0].Code != "CODE_UNKNOWN" {
		t.Fatalf("rejected: %+v %v", res, err)
	}

	bad := r.request(t, "c3", sep.ApplicationQuery{EPTS: "164301000000101"})
	bad.Signature = []byte("forged")
	_, err = r.c.SendRequest(ctx, bad)
	var f *sep.FaultError
	if !errors.As(err, &f) || f.Code != "SIGNATURE_INVALID" || f.Server {
		t.Fatalf("client fault: %v", err)
	}
	r.sim.SetFaults(sepsim.Faults{RequestErrors: true})
	if _, err = r.c.GetResult(ctx, qid); !errors.As(err, &f) || !f.Server {
		t.Fatalf("server fault: %v", err)
	}
	r.sim.SetFaults(sepsim.Faults{MalformedXML: true})
	if _, err = r.c.GetResult(ctx, qid); !errors.Is(err, sep.ErrMalformed) {
		t.Fatalf("malformed: %v", err)
	}
	r.sim.SetFaults(sepsim.Faults{Slow: 5 * time.Second})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err = r.c.GetResult(short, qid); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow: %v", err)
	}
}

func TestHTTPErrorsAreNotFaults(t *testing.T) {
	for _, h := range []http.HandlerFunc{
		func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) },
		func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gateway", http.StatusBadGateway) },
	} {
		srv := httptest.NewServer(h)
		_, err := New(srv.URL, nil).GetResult(context.Background(), "q")
		srv.Close()
		var f *sep.FaultError
		if err == nil || errors.As(err, &f) || errors.Is(err, sep.ErrMalformed) {
			t.Fatalf("want a transport error, got %v", err)
		}
	}
	// An oversized answer is malformed, and is not read past the limit.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat(" ", MaxAnswer+10)))
	}))
	defer srv.Close()
	if _, err := New(srv.URL, nil).GetResult(context.Background(), "q"); !errors.Is(err, sep.ErrMalformed) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestEncodeIsStable(t *testing.T) {
	c := New("http://127.0.0.1:1", nil)
	b := sep.LeaseProposal{DocName: "Приложение", DocNumber: "ДЛ-1", DocDate: t0, LeaseEnd: t0.AddDate(3, 0, 0), Deadline: t0.AddDate(0, 0, 10),
		Vehicles: []sep.Vehicle{{EPTS: "164301000000103"}}, Lessor: sep.Party{INN: "7701000001", Status: sep.PartyConfirmed},
		Lessee: sep.Party{INN: "5031000024", Status: sep.PartyNotApplicable}, LesseeEmail: "a&b@example.com"}
	x, err1 := c.Encode(b)
	y, err2 := c.Encode(b)
	if err1 != nil || err2 != nil || string(x) != string(y) || !strings.Contains(string(x), "<Email>a&amp;b@example.com</Email>") {
		t.Fatalf("encode: %s %v %v", x, err1, err2)
	}
}

func envelope(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
		body + `</soap:Body></soap:Envelope>`
}

const appsDoc = `<?xml version="1.0" encoding="UTF-8"?><Applications xmlns="urn:sep-sim:v1:data"><Application><Number>OC-2025-000001</Number>` +
	`<Type>OwnershipChange</Type><Status>На согласовании</Status><Created>2025-07-07T09:00:00Z</Created><Updated>2025-07-07T09:00:00Z</Updated>` +
	`<Deadline>2025-07-21</Deadline><Vehicle><Epts>164301000000101</Epts><Vin>YS2R4X20005399401</Vin></Vehicle>` +
	`<Party><Role>CurrentOwner</Role><Inn>7727000013</Inn><Ogrn>1027700000020</Ogrn><Name>Д</Name><Status>Confirmed</Status></Party>` +
	`<Party><Role>NewOwner</Role><Inn>7701000001</Inn><Ogrn>1027700000019</Ogrn><Name>Л</Name><Status>Pending</Status></Party>` +
	`</Application></Applications>`

// FuzzDecodeResult: whatever SEP answers, decoding does not panic, and what it accepts is
// well-formed where the hub keys records on it.
func FuzzDecodeResult(f *testing.F) {
	f.Add([]byte(envelope(`<GetResultResponse xmlns="urn:sep-sim:v1"><State>Completed</State><Result>` +
		base64.StdEncoding.EncodeToString([]byte(appsDoc)) + `</Result></GetResultResponse>`)))
	f.Add([]byte(envelope(`<GetResultResponse xmlns="urn:sep-sim:v1"><State>Rejected</State><Errors><Error><Code>CODE_USED</Code>` +
		`<Message>Код использован</Message></Error></Errors></GetResultResponse>`)))
	f.Add([]byte(envelope(`<GetResultResponse xmlns="urn:sep-sim:v1"><State>TooEarly</State></GetResultResponse>`)))
	f.Add([]byte(envelope(`<soap:Fault><faultcode>soap:Client</faultcode><faultstring>x</faultstring><detail>` +
		`<SepFault xmlns="urn:sep-sim:v1"><Code>QUEUE_NOT_FOUND</Code><Message>нет</Message></SepFault></detail></soap:Fault>`)))
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1251"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body/></Envelope>`))
	f.Add([]byte(envelope(`<GetResultResponse xmlns="urn:sep-sim:v1"><State>Completed</State><Result>!!</Result></GetResultResponse>`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := decodeResultResponse(body)
		if err != nil {
			var fe *sep.FaultError
			if !errors.Is(err, sep.ErrMalformed) && !errors.As(err, &fe) {
				t.Fatalf("error of an unknown kind: %v", err)
			}
			return
		}
		for _, a := range res.Applications {
			if !numberRe.MatchString(a.Number) || (a.Type != sep.OwnershipChange && a.Type != sep.Lease) {
				t.Fatalf("accepted a bad application: %+v", a)
			}
			for _, v := range a.Vehicles {
				if !eptsRe.MatchString(v.EPTS) {
					t.Fatalf("accepted a bad EPTS: %q", v.EPTS)
				}
			}
		}
	})
}

// FuzzDecodeSend: the queue number is accepted only when it is printable and bounded.
func FuzzDecodeSend(f *testing.F) {
	f.Add([]byte(envelope(`<SendRequestResponse xmlns="urn:sep-sim:v1"><QueueId>abc-00000001</QueueId></SendRequestResponse>`)))
	f.Add([]byte(envelope(`<SendRequestResponse xmlns="urn:sep-sim:v1"><QueueId></QueueId></SendRequestResponse>`)))
	f.Add([]byte(envelope(`<SendRequestResponse xmlns="urn:sep-sim:v1"><QueueId>a b</QueueId>`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := decodeSendResponse(body)
		if err == nil && (id == "" || len(id) > 128 || strings.ContainsAny(id, " \t\r\n")) {
			t.Fatalf("accepted queue id %q", id)
		}
	})
}
