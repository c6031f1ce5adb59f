package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
)

const (
	tenant      = "demo-leasing"
	bucket      = "stykovka-prod-123456789012-eu-central-1" // the sample's
	responsible = "0b7a1f52-3c1d-4e8a-9f00-000000000001"
	assetRef    = "a55e7000-0000-4000-8000-000000000001"
)

// mailHub is a hub on local dependencies with the leasing company of the sample event, its
// responsible person and the first demo truck as a fixed asset.
func mailHub(t *testing.T) *hub.Hub {
	t.Helper()
	h := lambdatest.Hub(t, hub.Config{})
	ctx := context.Background()
	if _, err := h.Tenants.AddTenant(ctx, tenant, "Демо Лизинг", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Sep.PutSettings(ctx, tenant, sep.Settings{Organisations: []sep.Organisation{
		{INN: sepsim.DemoLessorINN, OGRN: sepsim.DemoLessorOGRN, Name: "ООО «Демо Лизинг»"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Sep.PutPerson(ctx, tenant, sep.Person{ID: responsible, Name: "Иванов Иван Иванович", Email: "ivanov@leasing.example"}); err != nil {
		t.Fatal(err)
	}
	v := sepsim.DemoVehicles()[0]
	if _, err := h.Sep.PutAsset(ctx, tenant, sep.Asset{ID: assetRef, Name: v.Make + " " + v.Model, VIN: v.VIN, EPTS: v.EPTS,
		OrganisationINN: sepsim.DemoLessorINN, ResponsibleID: responsible}); err != nil {
		t.Fatal(err)
	}
	return h
}

// sepLetter is the letter SEP writes to the new owner of an ownership change: raw MIME, as
// SES stores it.
func sepLetter(t *testing.T) sepsim.Letter {
	t.Helper()
	sim := sepsim.New(sepsim.Options{})
	for _, p := range sepsim.DemoParticipants() {
		sim.AddParticipant(p)
	}
	sim.AddVehicle(sepsim.DemoVehicles()[0])
	if _, err := sim.CreateOwnershipChange(sepsim.DemoVehicles()[0].EPTS, sepsim.DemoLessorINN, time.Now().AddDate(0, 0, 14)); err != nil {
		t.Fatal(err)
	}
	return sim.Outbox()[0]
}

func sampleKey(t *testing.T) string {
	t.Helper()
	var ev events.S3Event
	if err := json.Unmarshal(lambdatest.Event(t, job), &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Records[0].S3.Object.Key
}

// TestSampleEventIngestsTheLetter replays events/sep-mail.json for a letter stored at its key:
// the letter lands in the tenant of the key's folder with its EPTS, VIN and code, the
// responsible person is notified, the inbound object is removed (the raw letter is kept in the
// tenant's blobs), and the event delivered again changes nothing.
func TestSampleEventIngestsTheLetter(t *testing.T) {
	h := mailHub(t)
	ctx := context.Background()
	key := sampleKey(t)
	letter := sepLetter(t)
	if err := h.Deps.Blobs.Put(ctx, key, letter.Raw); err != nil {
		t.Fatal(err)
	}
	handler := newHandler(h, bucket)
	if _, err := lambdatest.Replay(t, handler, job); err != nil {
		t.Fatal(err)
	}
	ls, err := h.Sep.Letters(ctx, tenant, sep.LetterQuery{})
	if err != nil || len(ls.Items) != 1 {
		t.Fatalf("letters: %+v %v", ls, err)
	}
	l := ls.Items[0]
	v := sepsim.DemoVehicles()[0]
	if l.EPTS != v.EPTS || l.VIN != v.VIN || l.Code == "" || l.NotifiedID != responsible || len(l.AssetIDs) != 1 || l.AssetIDs[0] != assetRef {
		t.Fatalf("letter: %+v", l)
	}
	if codes, _ := h.Sep.Codes(ctx, tenant, sep.PageRequest{}); len(codes.Items) != 1 || codes.Items[0].Code != l.Code {
		t.Fatalf("codes register: %+v", codes.Items)
	}
	notes, _ := h.Sep.Notifications(ctx, tenant, sep.NotificationQuery{PersonID: responsible})
	if len(notes.Items) != 1 || !notes.Items[0].Emailed {
		t.Fatalf("notifications: %+v", notes.Items)
	}
	if _, err := h.Deps.Blobs.Get(ctx, key); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("inbound object not removed: %v", err)
	}
	if raw, err := h.Deps.Blobs.Get(ctx, l.BlobKey); err != nil || string(raw) != string(letter.Raw) {
		t.Fatalf("raw letter not kept at %q: %v", l.BlobKey, err)
	}
	// S3 delivers the event again: nothing changes.
	if _, err := lambdatest.Replay(t, handler, job); err != nil {
		t.Fatal(err)
	}
	if ls, _ := h.Sep.Letters(ctx, tenant, sep.LetterQuery{}); len(ls.Items) != 1 {
		t.Fatalf("letters after a repeated event: %d", len(ls.Items))
	}
	if notes, _ := h.Sep.Notifications(ctx, tenant, sep.NotificationQuery{}); len(notes.Items) != 1 {
		t.Fatalf("notifications after a repeated event: %d", len(notes.Items))
	}
}

// TestMalformedLetterIsKeptAndReported: a letter that cannot be read is kept and goes to the
// errors register; the invocation succeeds (it is not worth a retry).
func TestMalformedLetterIsKeptAndReported(t *testing.T) {
	h := mailHub(t)
	ctx := context.Background()
	key := sampleKey(t)
	if err := h.Deps.Blobs.Put(ctx, key, []byte("Subject: hello\r\n\r\nno passport here\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := lambdatest.Replay(t, newHandler(h, bucket), job); err != nil {
		t.Fatal(err)
	}
	ls, _ := h.Sep.Letters(ctx, tenant, sep.LetterQuery{})
	if len(ls.Items) != 1 || ls.Items[0].Status != sep.LetterMalformed {
		t.Fatalf("letters: %+v", ls.Items)
	}
	if errs, _ := h.Sep.Errors(ctx, tenant, sep.PageRequest{}); len(errs.Items) != 1 || errs.Items[0].Code != "SEP_MAIL_UNREADABLE" {
		t.Fatalf("errors register: %+v", errs.Items)
	}
	if _, err := h.Deps.Blobs.Get(ctx, ls.Items[0].BlobKey); err != nil {
		t.Fatalf("malformed letter not kept: %v", err)
	}
}

// TestKeysAndBucketsAreChecked: an encoded key is decoded; a letter outside mail/<tenant>/,
// for an unknown tenant or from another bucket fails the invocation (Lambda retries, then the
// dead-letter queue) and stays where it is.
func TestKeysAndBucketsAreChecked(t *testing.T) {
	h := mailHub(t)
	ctx := context.Background()
	letter := sepLetter(t)
	event := func(bucketName string, keys ...string) []byte {
		var ev events.S3Event
		for _, k := range keys {
			var r events.S3EventRecord
			r.EventName, r.EventSource = "ObjectCreated:Put", "aws:s3"
			r.S3.Bucket.Name, r.S3.Object.Key = bucketName, k
			ev.Records = append(ev.Records, r)
		}
		b, _ := json.Marshal(ev)
		return b
	}
	handler := newHandler(h, bucket)
	// "a+b%3D.eml" is the key "a b=.eml".
	if err := h.Deps.Blobs.Put(ctx, "mail/"+tenant+"/a b=.eml", letter.Raw); err != nil {
		t.Fatal(err)
	}
	if _, err := lambdatest.Invoke(t, handler, event(bucket, "mail/"+tenant+"/a+b%3D.eml")); err != nil {
		t.Fatal(err)
	}
	if ls, _ := h.Sep.Letters(ctx, tenant, sep.LetterQuery{}); len(ls.Items) != 1 {
		t.Fatalf("encoded key: %d letters", len(ls.Items))
	}
	for _, c := range []struct{ bucket, key, code string }{
		{bucket, "mail/nobody/x.eml", "SEP_MAIL_TENANT"},
		{bucket, "mail/x.eml", "SEP_MAIL_KEY"},
		{"another-bucket", "mail/" + tenant + "/y.eml", "SEP_MAIL_BUCKET"},
	} {
		decoded := strings.ReplaceAll(c.key, "+", " ")
		if err := h.Deps.Blobs.Put(ctx, decoded, letter.Raw); err != nil {
			t.Fatal(err)
		}
		_, err := lambdatest.Invoke(t, handler, event(c.bucket, c.key))
		if err == nil || !strings.Contains(err.Error(), c.code) {
			t.Errorf("%s %s: %v, want %s", c.bucket, c.key, err, c.code)
		}
		if _, err := h.Deps.Blobs.Get(ctx, decoded); err != nil {
			t.Errorf("%s: refused letter not kept: %v", c.key, err)
		}
	}
}
