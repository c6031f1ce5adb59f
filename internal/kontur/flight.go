package kontur

import (
	"context"
	"sync"
)

// flight lets concurrent calls for the same write-off in one process share one run, so that
// a double click costs one trip to the store and to Kontur. Calls in other processes are not
// coordinated here: the store's conditional writes and Kontur's operation id keep them safe.
type flight[T any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[T]
}

type flightCall[T any] struct {
	tag  string
	done chan struct{}
	val  T
	err  error
}

// do runs fn, unless a run for key with the same tag is under way: then it waits for that
// run's result (or for its own ctx). A run with another tag (a request with other parameters
// under the same key) is not joined; fn runs on its own.
func (f *flight[T]) do(ctx context.Context, key, tag string, fn func() (T, error)) (T, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flightCall[T]{}
	}
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		if c.tag != tag {
			return fn()
		}
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			var zero T
			return zero, unavailable(ctx.Err())
		}
	}
	c := &flightCall[T]{tag: tag, done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = fn()
	return c.val, c.err
}
