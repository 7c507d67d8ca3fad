package controller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// recordWriter hands call records to Records in the background, so that a
// slow or stopped database never holds a call up (TRM-8; "PostgreSQL
// stopped: calls still routed"). Records wait in a bounded queue and are
// retried with backoff; when the queue is full the oldest is dropped and
// logged.
type recordWriter struct {
	store Records
	limit int
	log   *slog.Logger

	mu      sync.Mutex
	queue   []*CallRecord
	dropped int
	wake    chan struct{}
	idle    chan struct{} // closed and replaced while the queue is empty
}

func newRecordWriter(store Records, limit int, log *slog.Logger) *recordWriter {
	w := &recordWriter{store: store, limit: limit, log: log, wake: make(chan struct{}, 1)}
	w.idle = make(chan struct{})
	close(w.idle)
	return w
}

// add queues a record; it never blocks.
func (w *recordWriter) add(r *CallRecord) {
	if w.store == nil {
		return
	}
	w.mu.Lock()
	if len(w.queue) == 0 {
		w.idle = make(chan struct{})
	}
	if len(w.queue) >= w.limit {
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.dropped++
		if w.dropped == 1 || w.dropped%1000 == 0 {
			w.log.Error("call record queue full; dropping the oldest records", slog.Int("dropped", w.dropped))
		}
	}
	w.queue = append(w.queue, r)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// pending returns the number of queued records.
func (w *recordWriter) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// run saves queued records until ctx ends.
func (w *recordWriter) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		w.mu.Lock()
		var r *CallRecord
		if len(w.queue) > 0 {
			r = w.queue[0]
		}
		w.mu.Unlock()
		if r == nil {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
				continue
			}
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := w.store.SaveCall(sctx, r)
		cancel()
		if errors.Is(err, ErrRecordRejected) {
			w.log.Error("call record rejected by the store; dropping it", slog.String("call_id", r.ID), slog.Any("err", err))
		} else if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("saving call record failed; will retry", slog.String("call_id", r.ID),
				slog.Int("queued", w.pending()), slog.Any("err", err))
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		w.mu.Lock()
		if len(w.queue) > 0 && w.queue[0] == r {
			w.queue[0] = nil
			w.queue = w.queue[1:]
			if len(w.queue) == 0 {
				w.queue = nil
				close(w.idle)
			}
		}
		w.mu.Unlock()
	}
}

// flush waits until the queue is empty or ctx ends.
func (w *recordWriter) flush(ctx context.Context) {
	w.mu.Lock()
	idle := w.idle
	n := len(w.queue)
	w.mu.Unlock()
	if n == 0 {
		return
	}
	select {
	case <-idle:
	case <-ctx.Done():
		w.log.Error("call records not saved at shutdown", slog.Int("records", w.pending()))
	}
}
