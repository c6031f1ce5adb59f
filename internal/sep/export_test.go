package sep

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// SeedQueued writes n entries of tenant in the state a successful SendRequest leaves them —
// queue number received at queuedAt, due MinDelay later — through the same createEntry that
// enqueue uses, with workers in parallel. It stands in for n real sends when a test needs a
// large queue (the counting test).
func SeedQueued(ctx context.Context, s *Service, tenant, org string, n, workers int, queuedAt time.Time) error {
	tv, err := s.view(tenant)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				id := fmt.Sprintf("seed-%08d", i)
				rec := entryRec{Entry: Entry{ID: id, Type: ReqApplication, OrganisationINN: org,
					Subject: "ЭПТС " + fmt.Sprintf("%015d", i), Stage: StagePoll, Status: StatusQueued,
					QueueID: "q-" + id, Calls: 1, Created: queuedAt, Queued: queuedAt, Due: queuedAt.Add(s.opts.MinDelay)}}
				if _, _, err := s.createEntry(ctx, tv, tenant, rec); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
