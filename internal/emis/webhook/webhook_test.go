package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
)

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{apperr.New(apperr.Unauthorized, "HOOK_STALE", "x"), 401},
		{apperr.New(apperr.Conflict, "HOOK_REPLAYED", "x"), 409},
		{emis.ErrHookTooLarge, 413},
		{emis.ErrPersonNotSaved, 400},
		{errors.New("boom: 4111 1111"), 500},
	} {
		status, body := Status(c.err)
		if status != c.want || !strings.Contains(string(body), `"code"`) {
			t.Errorf("%v: %d %s", c.err, status, body)
		}
		if strings.Contains(string(body), "4111") {
			t.Errorf("the cause leaked into the body: %s", body)
		}
	}
}

func TestSender(t *testing.T) {
	var got http.Header
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "guest HUBER not found", http.StatusInternalServerError)
	}))
	defer down.Close()
	moved := httptest.NewServer(http.RedirectHandler(ok.URL, http.StatusTemporaryRedirect))
	defer moved.Close()

	s := NewSender(nil)
	d := emis.Outgoing{URL: ok.URL, DeliveryID: "d1", Event: emis.EventDocuments, Signature: "t=1,v1=00", Body: []byte("{}")}
	if err := s.Send(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if got.Get(hooksig.Header) != "t=1,v1=00" || got.Get(DeliveryHeader) != "d1" || got.Get(EventHeader) != emis.EventDocuments {
		t.Errorf("headers %v", got)
	}
	d.URL = down.URL
	if err := s.Send(context.Background(), d); err == nil || !strings.Contains(err.Error(), "HTTP 500") || strings.Contains(err.Error(), "HUBER") {
		t.Errorf("500: %v", err)
	}
	got = nil
	d.URL = moved.URL
	if err := s.Send(context.Background(), d); err == nil || got != nil {
		t.Errorf("redirect followed: %v", err)
	}
}
