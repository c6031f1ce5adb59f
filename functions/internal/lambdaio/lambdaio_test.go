package lambdaio

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
)

func TestTick(t *testing.T) {
	var ev ScheduledEvent
	if err := json.Unmarshal([]byte(`{"job":"sep-poller","scheduledTime":"2025-07-01T12:01:00+03:00"}`), &ev); err != nil {
		t.Fatal(err)
	}
	tick, err := ev.Tick("sep-poller")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 7, 1, 9, 1, 0, 0, time.UTC)
	if tick.Job != "sep-poller" || !tick.Scheduled.Equal(want) || tick.Scheduled.Location() != time.UTC {
		t.Errorf("tick %+v, want sep-poller at %v UTC", tick, want)
	}
}

func TestTickRefusesWiringMistakes(t *testing.T) {
	at := time.Date(2025, 7, 1, 9, 1, 0, 0, time.UTC)
	for _, tc := range []struct {
		ev   ScheduledEvent
		code string
	}{
		{ScheduledEvent{Job: "novotelecom-exchange", ScheduledTime: at}, "SCHEDULE_JOB_MISMATCH"},
		{ScheduledEvent{ScheduledTime: at}, "SCHEDULE_JOB_MISMATCH"},
		{ScheduledEvent{Job: "sep-poller"}, "SCHEDULE_TIME_MISSING"},
	} {
		_, err := tc.ev.Tick("sep-poller")
		var e *apperr.Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Kind != apperr.Invalid {
			t.Errorf("%+v: error %v, want invalid %s", tc.ev, err, tc.code)
		}
	}
}

func TestErrorResponse(t *testing.T) {
	resp := ErrorResponse(http.StatusNotImplemented, apperr.Wrap(errors.New("secret cause"),
		apperr.NotImplemented, "NOT_IMPLEMENTED", "Функция «x» ещё не реализована"))
	if resp.StatusCode != http.StatusNotImplemented || resp.Headers["Content-Type"] != "application/json; charset=utf-8" {
		t.Errorf("response %+v", resp)
	}
	want := `{"code":"NOT_IMPLEMENTED","message":"Функция «x» ещё не реализована"}`
	if resp.Body != want {
		t.Errorf("body %s, want %s (the cause never shown)", resp.Body, want)
	}
}
