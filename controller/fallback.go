package controller

import (
	"context"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// syncFallbacks keeps the engine's static fallback destinations (ENG-3)
// equal to the routes': at start, every FallbackInterval and after each
// reconnection. Only changes are written; a number that lost its fallback
// is removed. Failures are retried at the next round.
func (c *Controller) syncFallbacks(ctx context.Context, fs engine.FallbackStore, src FallbackSource) {
	written := map[string]string{} // digits → dial string, as the engine holds them
	force := true
	t := time.NewTicker(c.cfg.FallbackInterval)
	defer t.Stop()
	for {
		if ok := c.fallbackRound(ctx, fs, src, written, force); ok {
			force = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.fallbackKick:
			// After a reconnection the engine may have restarted with an
			// old AstDB: write everything again.
			force = true
		}
	}
}

// fallbackRound writes the differences; it reports whether every write
// succeeded.
func (c *Controller) fallbackRound(ctx context.Context, fs engine.FallbackStore, src FallbackSource, written map[string]string, force bool) bool {
	cctx, cancel := c.cmdCtx(ctx)
	want, err := src.Fallbacks(cctx)
	cancel()
	if err != nil {
		c.log.Warn("reading fallback destinations", slog.Any("err", err))
		return false
	}
	desired := make(map[string]string, len(want))
	for number, dest := range want {
		if number == "" || dest == "" {
			continue
		}
		desired[strings.TrimPrefix(number, "+")] = c.dialString(dest)
	}
	ok := true
	for number, dial := range desired {
		if !force && written[number] == dial {
			continue
		}
		cctx, cancel := c.cmdCtx(ctx)
		err := fs.SetFallback(cctx, number, dial)
		cancel()
		if err != nil {
			c.log.Warn("setting fallback destination", slog.String("number", number), slog.Any("err", err))
			ok = false
			continue
		}
		written[number] = dial
		c.log.Debug("fallback destination set", slog.String("number", number), slog.String("destination", dial))
	}
	for number := range maps.Clone(written) {
		if _, keep := desired[number]; keep {
			continue
		}
		cctx, cancel := c.cmdCtx(ctx)
		err := fs.SetFallback(cctx, number, "")
		cancel()
		if err != nil {
			c.log.Warn("removing fallback destination", slog.String("number", number), slog.Any("err", err))
			ok = false
			continue
		}
		delete(written, number)
	}
	return ok
}
