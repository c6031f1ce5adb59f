package emis_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/emis/translit"
	"github.com/stykovka/stykovka/internal/legal"
)

// TestPersonalDataNeverAtRestOrInLogs runs a full flow — guest saved, EMIS page, an operator
// save, a "scanned" Russian passport, callbacks, delivery, a failed delivery turned dead
// letter, pulls — and then scans the raw bytes of the bbolt file and the captured logs for
// every passport number, birth date and name used (and their transliterations), and for the
// secrets: zero hits.
func TestPersonalDataNeverAtRestOrInLogs(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Cyrillic)

	// Guest 1: typed by the operator (German passport, two visas).
	e.saveGuest(tf, "160848", "473024", huber.surnameLat)
	u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "473024")
	if err != nil {
		t.Fatal(err)
	}
	e.operatorSaves(u, huber)
	e.sim.Flush()

	// Guest 2: "scanned" Russian passport (the simulator's sample), PMS down so that the
	// delivery is retried and dead-lettered.
	e.saveGuest(tf, "160849", "473024", "Щербакова")
	u2, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160849", "473024")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := e.browserForm(u2)
	form.Set("sample", "rus")
	status, scanned := e.submit(u2, form, "scan")
	if status != 200 || !strings.Contains(scanned, "Щербакова") {
		t.Fatalf("scan: %d", status)
	}
	tf.pms.fail.Store(true)
	status, saved := e.submit(u2, formValues(t, scanned), "save")
	if status != 200 || !strings.Contains(saved, "Данные сохранены") {
		t.Fatalf("save scanned: %d", status)
	}
	e.sim.Flush()
	for i := 0; i < 12; i++ {
		e.clk.Advance(2 * time.Hour)
		if _, err := e.svc.DeliverDue(e.ctx, tf.id); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := e.svc.DeadLetters(e.ctx, tf.id)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	for _, p := range []string{"160848", "160849"} {
		if _, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, p); err != nil {
			t.Fatal(err)
		}
	}
	if len(tf.pms.received()) != 1 {
		t.Fatalf("PMS got %d", len(tf.pms.received()))
	}

	// What must never be found, in the forms a document or the hub could write it.
	pd := []string{
		huber.number, huber.surnameLat, huber.givenLat, huber.birth, huber.birthWire, huber.place,
		huber.visa1, huber.visa2, huber.mcNumber, "Landratsamt Passau",
		"908172", "Щербакова", "Юлия", "Андреевна", "1993-06-17", "17.06.1993", "г. Тула",
	}
	for _, name := range []string{huber.surnameLat, huber.givenLat, "Щербакова", "Юлия", "Андреевна"} {
		pd = append(pd, translit.ToLatin(name).Text, translit.ToCyrillic(name).Text)
	}
	secrets := []string{tf.emisSecret, tf.pmsIn, tf.pmsOut, tf.password}

	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	// Everything else in the data folder too (the key file is random bytes).
	_ = filepath.WalkDir(filepath.Dir(e.dbPath), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != e.dbPath {
			b, _ := os.ReadFile(p)
			raw = append(raw, b...)
		}
		return nil
	})
	// Positive control: the scan reads the right bytes (opaque ids are stored in the clear).
	if !bytes.Contains(raw, []byte("160848")) || !bytes.Contains(raw, []byte(tf.legal)) {
		t.Fatal("the store file does not hold the flow's ids: wrong file?")
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "emis callback") || !strings.Contains(logs, "dead-lettered") {
		t.Fatalf("the flow did not log what it should; logs:\n%s", logs)
	}
	for _, s := range append(pd, secrets...) {
		if s == "" {
			continue
		}
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("store file contains %q", s)
		}
		if strings.Contains(logs, s) {
			t.Errorf("logs contain %q", s)
		}
	}
}
