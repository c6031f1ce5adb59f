package emis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/legal"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
)

// TestDeliveryRetriesThenDeadLetter: a PMS that answers 500 gets the delivery again with
// backoff, the same delivery id each time; after MaxAttempts it becomes a dead letter that
// names ids only, and Redeliver sends it once the PMS is back.
func TestDeliveryRetriesThenDeadLetter(t *testing.T) {
	for _, a := range adapters {
		t.Run(string(a), func(t *testing.T) {
			e := newEnv(t, a)
			tf := e.addTenant("hotel-a", legal.Latin)
			e.saveGuest(tf, "160848", "1", "HUBER")
			u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1")
			if err != nil {
				t.Fatal(err)
			}
			tf.pms.fail.Store(true)
			e.operatorSaves(u, huber)
			e.sim.Flush() // first attempt made during the callback, failed

			rep, err := e.svc.DeliverDue(e.ctx, tf.id)
			if err != nil || rep != (emis.DeliveryReport{}) {
				t.Fatalf("nothing is due before the backoff: %+v %v", rep, err)
			}
			e.clk.Advance(31 * time.Second)
			if rep, _ := e.svc.DeliverDue(e.ctx, tf.id); rep.Retried != 1 {
				t.Fatalf("second attempt: %+v", rep)
			}
			tf.pms.fail.Store(false)
			e.clk.Advance(30 * time.Second) // the second backoff is a minute: not yet
			if rep, _ := e.svc.DeliverDue(e.ctx, tf.id); rep.Delivered != 0 {
				t.Fatalf("delivered before the backoff: %+v", rep)
			}
			e.clk.Advance(31 * time.Second)
			if rep, _ := e.svc.DeliverDue(e.ctx, tf.id); rep.Delivered != 1 {
				t.Fatalf("third attempt: %+v", rep)
			}
			got := tf.pms.received()
			if len(got) != 1 || got[0].msg.Version != 1 || tf.pms.attemptCount() != 3 {
				t.Fatalf("PMS: %d deliveries after %d attempts", len(got), tf.pms.attemptCount())
			}
			if rep, _ := e.svc.DeliverDue(e.ctx, tf.id); rep != (emis.DeliveryReport{}) {
				t.Fatalf("delivered twice: %+v", rep)
			}

			// Version 2, PMS down for good: dead letter after MaxAttempts.
			tf.pms.fail.Store(true)
			e.operatorSaves(u, huber)
			e.sim.Flush()
			for i, died := 0, 0; i < 20 && died == 0; i++ {
				e.clk.Advance(time.Hour) // past every backoff
				rep, err := e.svc.DeliverDue(e.ctx, tf.id)
				if err != nil {
					t.Fatal(err)
				}
				died = rep.Dead
			}
			dead, err := e.svc.DeadLetters(e.ctx, tf.id)
			if err != nil || len(dead) != 1 {
				t.Fatalf("dead letters: %+v %v", dead, err)
			}
			d := dead[0]
			if d.Attempts != emis.MaxAttempts || d.Version != 2 || d.PersonID != "160848" || !strings.Contains(d.LastError, "HTTP 500") {
				t.Errorf("dead letter %+v", d)
			}
			if strings.Contains(mustJSON(t, d), huber.number) || strings.Contains(mustJSON(t, d), huber.surnameLat) {
				t.Error("dead letter holds personal data")
			}
			tf.pms.fail.Store(false)
			if err := e.svc.Redeliver(e.ctx, tf.id, d.ID); err != nil {
				t.Fatal(err)
			}
			if rep, _ := e.svc.DeliverDue(e.ctx, tf.id); rep.Delivered != 1 {
				t.Fatalf("redelivery: %+v", rep)
			}
			got = tf.pms.received()
			if len(got) != 2 || got[1].msg.Version != 2 || got[1].msg.DeliveryID != d.ID {
				t.Fatalf("PMS after redelivery: %d", len(got))
			}
			if dead, _ := e.svc.DeadLetters(e.ctx, tf.id); len(dead) != 0 {
				t.Errorf("dead letter kept: %+v", dead)
			}
			if err := e.svc.Redeliver(e.ctx, tf.id, d.ID); apperr.As(err).Code != "EMIS_DEAD_LETTER_NOT_FOUND" {
				t.Errorf("second redeliver: %v", err)
			}
		})
	}
}

// TestEmisFaultsAndPull: wrong credentials and 5xx answers give clear errors; a lost
// callback is made good by GetDocuments, which pulls the change from EMIS and delivers it;
// when EMIS is down, GetDocuments shows the stored version with a warning; a late callback
// still lands.
func TestEmisFaultsAndPull(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	e.saveGuest(tf, "160848", "1", "HUBER")

	e.sim.SetFaults(emissim.Faults{WrongCredentials: true})
	_, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1")
	if ae := apperr.As(err); ae.Code != "EMIS_AUTH_FAILED" || ae.Kind != apperr.Forbidden {
		t.Errorf("wrong credentials: %v", err)
	}
	if _, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848"); apperr.As(err).Code != "EMIS_AUTH_FAILED" {
		t.Errorf("pull, wrong credentials: %v", err)
	}
	e.sim.SetFaults(emissim.Faults{ServerErrors: 1})
	if _, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1"); apperr.As(err).Code != "EMIS_UNAVAILABLE" {
		t.Errorf("5xx: %v", err)
	}
	u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1") // the fault was for one call
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848"); apperr.As(err).Code != "EMIS_NO_DOCUMENTS" {
		t.Errorf("nothing saved yet: %v", err)
	}

	// The callback is lost (EMIS signs with a secret the hub does not know).
	e.sim.AddAccount(emissim.Account{Login: tf.login, Password: tf.password, HookSecret: emis.NewSecret()})
	e.operatorSaves(u, huber)
	e.sim.Flush()
	if cbs := e.sim.Callbacks(); len(cbs) != 1 || cbs[0].Status != 401 || len(tf.pms.received()) != 0 {
		t.Fatalf("callback should have been refused: %+v", cbs)
	}
	res, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848")
	if err != nil || res.Version != 1 || res.Documents.Identity.Number != huber.number {
		t.Fatalf("pull: %+v %v", res, err)
	}
	if res.Script != emis.Latin || res.Name.Surname != "HUBER" || hasWarning(res.Warnings, emis.WarnNameTransliterated, "") {
		t.Errorf("Latin entity gets the Latin name as typed: %+v %v", res.Name, codes(res.Warnings))
	}
	if rep, _ := e.svc.DeliverDue(e.ctx, tf.id); rep.Delivered != 1 || len(tf.pms.received()) != 1 {
		t.Fatalf("pulled version delivered: %+v", rep)
	}

	// EMIS down: the stored version, with a warning.
	e.sim.SetFaults(emissim.Faults{ServerErrors: -1})
	res, err = e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848")
	if err != nil || res.Version != 1 || !hasWarning(res.Warnings, emis.WarnEmisUnavailable, "") {
		t.Fatalf("EMIS down: %v %v", codes(res.Warnings), err)
	}

	// A late callback (the fix of the secret, then a save delivered later) still lands.
	e.sim.AddAccount(emissim.Account{Login: tf.login, Password: tf.password, HookSecret: tf.emisSecret})
	e.sim.SetFaults(emissim.Faults{CallbackDelay: 50 * time.Millisecond})
	e.operatorSaves(u, huber)
	e.sim.Flush()
	got := tf.pms.received()
	if len(got) != 2 || got[1].msg.Version != 2 {
		t.Fatalf("late callback: %d deliveries", len(got))
	}
}
