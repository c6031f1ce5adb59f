// Command hub-jobs is the Lambda that EventBridge Scheduler runs for the hub's housekeeping
// jobs — EMIS delivery retries and the like — which the local binary's scheduler runs in
// process. Each schedule names its job in the event; the work is keyed on the job and the
// scheduled time, so a tick delivered twice does nothing twice. Jobs big enough to deserve
// their own function (novotelecom-exchange, sep-poller) have one.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stykovka/stykovka/functions/internal/lambdaio"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/metrics"
)

func main() {
	log := metrics.NewLogger(lambdacontext.NewLogger()).With("job", "hub-jobs")
	deps, err := app.FromEnv(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	h, err := hub.New(deps, hub.ConfigFromEnv(os.Getenv))
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	// Each invocation leaves its metrics as CloudWatch EMF lines (lambdaio.Flushed).
	lambda.Start(lambdaio.FlushedErr("hub-jobs", newHandler(countedJobs(h.Jobs()))))
}

// countedJobs counts and times each run of a job (stykovka_job_runs_total, …).
func countedJobs(jobs []hub.Job) []hub.Job {
	out := make([]hub.Job, len(jobs))
	for i, j := range jobs {
		j.Run = metrics.Job(j.Name, j.Run)
		out[i] = j
	}
	return out
}

// newHandler runs the job the event names. It keeps no state between invocations.
func newHandler(jobs []hub.Job) func(context.Context, lambdaio.ScheduledEvent) error {
	byName := make(map[string]hub.Job, len(jobs))
	for _, j := range jobs {
		byName[j.Name] = j
	}
	return func(ctx context.Context, ev lambdaio.ScheduledEvent) error {
		j, ok := byName[ev.Job]
		if !ok {
			return apperr.New(apperr.Invalid, "HUB_JOB_UNKNOWN", "Неизвестное задание расписания: «"+ev.Job+"»")
		}
		tick, err := ev.Tick(j.Name)
		if err != nil {
			return err
		}
		return j.Run(ctx, tick)
	}
}
