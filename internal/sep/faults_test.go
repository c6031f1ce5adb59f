package sep_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/sep"
	"github.com/stykovka/stykovka/internal/sep/sepsoap"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
)

func period(e *env) sep.PeriodRequest {
	return sep.PeriodRequest{OrganisationINN: sepsim.DemoLessorINN, From: t0.AddDate(0, 0, -7), To: t0}
}

func errorCodes(t *testing.T, e *env) []string {
	t.Helper()
	p, err := e.svc.Errors(e.ctx, tenant, sep.PageRequest{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range p.Items {
		out = append(out, r.Code)
	}
	return out
}

func TestMalformedAnswerIsRetriedWithTheSameRequest(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	e.sim.SetFaults(sepsim.Faults{MalformedXML: true})
	en, err := e.svc.RequestApplications(e.ctx, tenant, period(e))
	if err != nil {
		t.Fatal(err)
	}
	if en.Status != sep.StatusXMLError || en.Stage != sep.StageSend || en.Attempts != 1 || !en.Due.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after a malformed answer: %+v", en)
	}
	if sep.StatusXMLError.Color() != "red" || sep.StatusQueued.Color() != "blue" || sep.StatusAnswered.Color() != "green" {
		t.Fatal("colours")
	}
	e.sim.SetFaults(sepsim.Faults{})
	e.tick(time.Minute)
	got := e.entry(en.ID)
	if got.Status != sep.StatusQueued || got.QueueID == "" || got.Attempts != 0 {
		t.Fatalf("after resend: %+v", got)
	}
	// SEP had queued the first send already: the resend carried the same client request id
	// and got the same queue number.
	var sends []sepsim.Call
	for _, c := range e.sim.Calls() {
		if c.Op == "SendRequest" {
			sends = append(sends, c)
		}
	}
	if len(sends) != 2 || sends[0].QueueID != sends[1].QueueID || sends[0].ClientRequestID != en.ID {
		t.Fatalf("sends: %+v", sends)
	}
	e.tick(time.Minute)
	if got := e.entry(en.ID); got.Status != sep.StatusAnswered {
		t.Fatalf("answer: %+v", got)
	}
	if codes := errorCodes(t, e); len(codes) != 1 || codes[0] != "XML_READ_ERROR" {
		t.Fatalf("errors register: %v", codes)
	}
	e.assertNeverEarly()
}

func TestRequestErrorsBackOffAndGiveUp(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{MaxAttempts: 3})
	e.setup()
	en, err := e.svc.RequestApplications(e.ctx, tenant, period(e))
	if err != nil || en.Status != sep.StatusQueued {
		t.Fatalf("%+v %v", en, err)
	}
	e.sim.SetFaults(sepsim.Faults{RequestErrors: true})
	e.tick(time.Minute)
	got := e.entry(en.ID)
	if got.Status != sep.StatusRequestError || got.Attempts != 1 || !got.Due.Equal(e.clk.Now().Add(time.Minute)) {
		t.Fatalf("first failure: %+v", got)
	}
	e.tick(time.Minute)
	got = e.entry(en.ID)
	if got.Attempts != 2 || !got.Due.Equal(e.clk.Now().Add(2*time.Minute)) {
		t.Fatalf("second failure backs off: %+v", got)
	}
	e.tick(time.Minute) // not due yet
	if got := e.entry(en.ID); got.Attempts != 2 {
		t.Fatalf("polled while backing off: %+v", got)
	}
	e.tick(time.Minute)
	got = e.entry(en.ID)
	if got.Stage != sep.StageFailed || got.Outcome != sep.OutcomeGaveUp || got.Status != sep.StatusRequestError {
		t.Fatalf("given up: %+v", got)
	}
	codes := errorCodes(t, e)
	if len(codes) != 4 || codes[3] != "SEP_GAVE_UP" {
		t.Fatalf("errors register: %v", codes)
	}
	if c, _ := e.svc.Counts(e.ctx, tenant); c.Waiting != 0 {
		t.Fatalf("still waiting: %+v", c)
	}
	// Nothing more is ever asked.
	calls := len(e.sim.Calls())
	e.tick(time.Hour)
	if len(e.sim.Calls()) != calls {
		t.Fatal("a given-up entry was polled")
	}
}

func TestLostResultGoesToTheErrorsRegister(t *testing.T) {
	e := newEnv(t, adapters[1], sep.Options{MaxAttempts: 2})
	e.setup()
	en, err := e.svc.RequestApplications(e.ctx, tenant, period(e))
	if err != nil {
		t.Fatal(err)
	}
	e.sim.SetFaults(sepsim.Faults{LoseResults: true})
	e.tick(time.Minute)
	e.tick(time.Minute)
	got := e.entry(en.ID)
	if got.Stage != sep.StageFailed || got.Errors[0].Code != "QUEUE_NOT_FOUND" {
		t.Fatalf("lost result: %+v", got)
	}
	if codes := errorCodes(t, e); len(codes) != 3 {
		t.Fatalf("errors register: %v", codes)
	}
}

func TestSlowSEPTimesOutAndIsRetried(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	// A client that waits 100 ms for an answer that takes 3 s.
	e.svc = e.newService(sepsoap.New(e.url, &http.Client{Timeout: 100 * time.Millisecond}))
	e.sim.SetFaults(sepsim.Faults{Slow: 3 * time.Second})
	en, err := e.svc.RequestApplications(e.ctx, tenant, period(e))
	if err != nil || en.Status != sep.StatusRequestError || en.Errors[0].Code != "SEP_TIMEOUT" {
		t.Fatalf("slow: %+v %v", en, err)
	}
	e.sim.SetFaults(sepsim.Faults{})
	e.tick(time.Minute)
	if got := e.entry(en.ID); got.Status != sep.StatusQueued {
		t.Fatalf("retried: %+v", got)
	}
}

func TestRefusedRequestIsNotResent(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	// SEP does not know the key: every signature fails, resending cannot help.
	if err := e.sim.SetPublicKey(sepsim.DemoLessorINN, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	must(t, func() error {
		_, err := e.svc.PutLeaseContract(e.ctx, tenant, sep.LeaseContract{ID: "c-1", OrganisationINN: sepsim.DemoLessorINN,
			DocNumber: "ДЛ-1", DocDate: t0, LeaseEnd: t0.AddDate(1, 0, 0), LesseeINN: sepsim.DemoLesseeINN, AssetIDs: []string{"asset-3"}})
		return err
	})
	en, err := e.svc.RequestApplications(e.ctx, tenant, period(e))
	if err != nil || en.Stage != sep.StageFailed || en.Outcome != sep.OutcomeRefused || en.Errors[0].Code != "SIGNATURE_INVALID" {
		t.Fatalf("refused: %+v %v", en, err)
	}
	e.tick(time.Hour)
	if n := len(e.sim.Calls()); n != 1 {
		t.Fatalf("calls: %d", n)
	}
}

func TestWrongCodeTypedByHandIsRejectedBySEP(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	number, err := e.sim.CreateOwnershipChange(sepsim.DemoVehicles()[1].EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RefreshApplications(e.ctx, tenant, sep.RefreshRequest{Numbers: []string{number}, OrganisationINN: sepsim.DemoLessorINN}); err != nil {
		t.Fatal(err)
	}
	e.tick(time.Minute)
	// The letter went elsewhere: no code known, so one must be typed.
	_, err = e.svc.ConfirmOwnership(e.ctx, tenant, sep.ConfirmRequest{Number: number, Status: sep.PartyConfirmed})
	if ae := apperr.As(err); ae.Code != sep.ErrCodeRequired.Code {
		t.Fatalf("without a code: %v", err)
	}
	en, err := e.svc.ConfirmOwnership(e.ctx, tenant, sep.ConfirmRequest{Number: number, Status: sep.PartyConfirmed, Code: "111111"})
	if err != nil {
		t.Fatal(err)
	}
	codes, _ := e.svc.Codes(e.ctx, tenant, sep.PageRequest{})
	if len(codes.Items) != 1 || !codes.Items[0].Manual || codes.Items[0].Code != "111111" || codes.Items[0].AssetID != "asset-2" {
		t.Fatalf("typed code: %+v", codes.Items)
	}
	e.tick(time.Minute)
	got := e.entry(en.ID)
	if got.Status != sep.StatusAnswered || got.Outcome != sep.OutcomeRejected || got.Errors[0].Code != "CODE_UNKNOWN" {
		t.Fatalf("entry: %+v", got)
	}
	if codes := errorCodes(t, e); len(codes) != 1 || codes[0] != "CODE_UNKNOWN" {
		t.Fatalf("errors register: %v", codes)
	}
	rows, _ := e.svc.OwnershipChanges(e.ctx, tenant, sep.OwnershipFilter{})
	if len(rows.Items) != 1 || rows.Items[0].RequestStatus != sep.StatusAnswered || rows.Items[0].Status != sep.AppPending {
		t.Fatalf("still open: %+v", rows.Items)
	}
}

func TestValidationSpeaksRussianWithStableCodes(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	_, err := e.svc.PutAsset(e.ctx, tenant, sep.Asset{ID: "a", Name: "x", VIN: "I0000000000000000"})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "SEP_INVALID_REQUEST" || ae.Kind != apperr.Invalid || ae.Message != "Неверное значение поля «vin» (VIN: 17 латинских букв и цифр без I, O, Q)" {
		t.Fatalf("asset: %#v", err)
	}
	_, err = e.svc.RequestApplications(e.ctx, tenant, sep.PeriodRequest{OrganisationINN: "7700000000", From: t0, To: t0})
	if !errors.As(err, &ae) || ae.Code != sep.ErrNotConfigured.Code {
		t.Fatalf("unknown organisation: %v", err)
	}
	_, err = e.svc.RequestApplications(e.ctx, tenant, sep.PeriodRequest{OrganisationINN: sepsim.DemoLessorINN, From: t0, To: t0.AddDate(0, 0, -1)})
	if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
		t.Fatalf("reversed period: %v", err)
	}
	// Optimistic concurrency for 1C's If-Match.
	a, err := e.svc.Asset(e.ctx, tenant, "asset-1")
	if err != nil {
		t.Fatal(err)
	}
	a.Version += 7
	if _, err := e.svc.PutAsset(e.ctx, tenant, a); !errors.As(err, &ae) || ae.Kind != apperr.Conflict {
		t.Fatalf("stale version: %v", err)
	}
}

// failingSigner fails while failing is set: a crash in the middle of a call, as far as the
// call's writes go.
type failingSigner struct {
	sep.Signer
	failing bool
}

func (f *failingSigner) Sign(ctx context.Context, tenant, inn string, payload []byte) ([]byte, error) {
	if f.failing {
		return nil, errors.New("token unplugged")
	}
	return f.Signer.Sign(ctx, tenant, inn, payload)
}

// TestSendLeaseFinishesOnRepeat: a call that stopped after recording the lease application
// but before its request existed is finished by the client's repeat of the call.
func TestSendLeaseFinishesOnRepeat(t *testing.T) {
	e := newEnv(t, adapters[0], sep.Options{})
	e.setup()
	fs := &failingSigner{}
	e.svc = e.newServiceWith(e.client, func(s sep.Signer) sep.Signer { fs.Signer = s; return fs })
	e.own(0)
	must(t, func() error {
		_, err := e.svc.PutLeaseContract(e.ctx, tenant, sep.LeaseContract{ID: "c-3", OrganisationINN: sepsim.DemoLessorINN,
			DocNumber: "ДЛ-3", DocDate: t0, LeaseEnd: t0.AddDate(2, 0, 0), LesseeINN: sepsim.DemoLesseeINN, AssetIDs: []string{"asset-1"}})
		return err
	})
	req := sep.SendLeaseRequest{RequestID: "send-c-3", ContractID: "c-3", UseTechMailbox: true}
	fs.failing = true
	if _, err := e.svc.SendLease(e.ctx, tenant, req); err == nil {
		t.Fatal("send with a failing signer succeeded")
	}
	fs.failing = false
	l, err := e.svc.SendLease(e.ctx, tenant, req)
	if err != nil || l.RequestStatus != sep.StatusQueued {
		t.Fatalf("repeat: %+v %v", l, err)
	}
	again, err := e.svc.SendLease(e.ctx, tenant, req)
	if err != nil || again.ID != l.ID || again.LastEntryID != l.LastEntryID {
		t.Fatalf("second repeat: %+v %v", again, err)
	}
	if leases, _ := e.svc.LeaseApplications(e.ctx, tenant, sep.PageRequest{}); len(leases.Items) != 1 {
		t.Fatalf("lease applications: %d", len(leases.Items))
	}
	// Another request for the same appendix is refused while this one is open.
	if _, err := e.svc.SendLease(e.ctx, tenant, sep.SendLeaseRequest{ContractID: "c-3", UseTechMailbox: true}); apperr.As(err).Code != sep.ErrLeaseActive.Code {
		t.Fatalf("second application: %v", err)
	}
}
