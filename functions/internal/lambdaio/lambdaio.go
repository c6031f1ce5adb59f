// Package lambdaio holds the event and response shapes the Lambda functions share: the payload
// the template's schedules send, and the JSON answer of a webhook function that refuses a
// request.
package lambdaio

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// ScheduledEvent is what the template's EventBridge Scheduler schedules send (their Input):
// the job and the slot it runs for. Scheduler delivers at least once and Lambda retries, so a
// job keys its work on (job, scheduled time) — the scheduler.Tick the local binary gives too —
// and never on the invocation id.
type ScheduledEvent struct {
	Job           string    `json:"job"`
	ScheduledTime time.Time `json:"scheduledTime"`
	// Schedule is the schedule's ARN, for logs only.
	Schedule string `json:"schedule,omitempty"`
}

// Tick returns the run as a scheduler.Tick. An event for another job, or without a time, is a
// wiring mistake in the template, not something to run.
func (e ScheduledEvent) Tick(job string) (scheduler.Tick, error) {
	if e.Job != job {
		return scheduler.Tick{}, apperr.New(apperr.Invalid, "SCHEDULE_JOB_MISMATCH",
			"Расписание запускает задание «"+e.Job+"», а функция выполняет «"+job+"»")
	}
	if e.ScheduledTime.IsZero() {
		return scheduler.Tick{}, apperr.New(apperr.Invalid, "SCHEDULE_TIME_MISSING",
			"В событии расписания нет времени запуска")
	}
	return scheduler.Tick{Job: job, Scheduled: e.ScheduledTime.UTC()}, nil
}

// ErrorResponse is the JSON answer of a webhook function that refuses a request: the error's
// stable code and Russian message, never its cause (which may name internals).
func ErrorResponse(status int, e *apperr.Error) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "application/json; charset=utf-8",
			"Cache-Control": "no-store",
		},
		Body: string(body),
	}
}
