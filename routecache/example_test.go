package routecache_test

import (
	"context"
	"log/slog"

	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/routecache"
	"github.com/vmsplatform/vms/store"
)

// Example wires the store, the route cache, the Asterisk driver and the
// controller the way the vms binary does.
func Example() {
	ctx := context.Background()
	log := slog.Default()
	st, err := store.Open(ctx, store.Config{SQLitePath: "vms.db"})
	if err != nil {
		log.Error("open store", slog.Any("err", err))
		return
	}
	cache := routecache.New(routecache.FromStore(st), "BE", log)
	if err := cache.Load(ctx); err != nil {
		// Start anyway: calls are refused until the database answers.
		log.Error("routes not loaded", slog.Any("err", err))
	}
	go cache.Run(ctx) // the portal calls cache.Invalidate() after a save

	drv, err := ari.New(ari.Config{URL: "http://127.0.0.1:8088", User: "vms", Password: "secret", App: "vms", Logger: log})
	if err != nil {
		log.Error("ari", slog.Any("err", err))
		return
	}
	go drv.Run(ctx)
	ctl, err := controller.New(controller.Config{
		Trunk:     "PJSIP/{number}@trunk-out",
		PromptURL: func(key string) string { return "sound:http://vms:8080/media/prompts/" + key + ".wav" },
	}, drv, cache, routecache.Records{Store: st}, log)
	if err != nil {
		log.Error("controller", slog.Any("err", err))
		return
	}
	_ = ctl.Run(ctx) // until ctx ends
}
