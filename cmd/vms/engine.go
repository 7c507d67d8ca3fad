package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"

	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/controller"
	dialer "github.com/vmsplatform/vms/controller/campaign"
	"github.com/vmsplatform/vms/controller/campaign/campaignstore"
	"github.com/vmsplatform/vms/routecache"
	"github.com/vmsplatform/vms/store"
)

// The ARI driver lets the controller route afresh a caller it adopted
// before the call was answered.
var _ controller.ChannelInspector = (*ari.Client)(nil)

// calls is the call-handling side of a running VMS: the ARI driver, the
// route cache over the store, the controller and the outbound dialer. It
// exists only when an engine is configured.
type calls struct {
	log    *slog.Logger
	ari    *ari.Client
	cache  *routecache.Cache
	ctl    *controller.Controller
	dialer *dialer.Dialer
}

func newCalls(ctx context.Context, cfg *Config, st *store.Store, cc *contactCenter, log *slog.Logger) (*calls, error) {
	cli, err := ari.New(ari.Config{
		URL: cfg.ARIURL, User: cfg.ARIUser, Password: cfg.ARIPassword, App: cfg.ARIApp,
		Logger: log.With("component", "ari"),
	})
	if err != nil {
		return nil, err
	}
	cache := routecache.New(routecache.FromStore(st), cfg.Region, log.With("component", "routes"))
	if err := cache.Load(ctx); err != nil {
		// The database may come later; the cache retries while running.
		log.Warn("routes not loaded at start; retrying in the background", "err", err)
	}
	media := cfg.MediaURL
	ctl, err := controller.New(controller.Config{
		App:         cfg.ARIApp,
		Trunk:       cfg.Trunk,
		Region:      cfg.Region,
		BridgeCalls: cfg.BridgeCalls,
		PromptURL: func(key string) string {
			return "sound:" + media + "/media/prompts/" + url.PathEscape(key) + ".wav"
		},
		Queue: cc.svc,
	}, cli, cache, routecache.Records{Store: st}, log.With("component", "controller"))
	if err != nil {
		cli.Close()
		return nil, err
	}
	// A new agent's phone is watched as soon as the agent exists.
	cc.afterApply(ctl.Refresh)
	dl, err := dialer.New(dialer.Config{
		DialString: ctl.DialString,
		MessageURL: func(sha string) string {
			return "sound:" + media + "/media/messages/" + url.PathEscape(sha) + ".wav"
		},
		AgentName: func(id string) string {
			for _, a := range cc.svc.Agents() {
				if string(a.ID) == id {
					return a.Name
				}
			}
			return id
		},
	}, cli, campaignstore.New(st), ctl, log.With("component", "dialer"))
	if err != nil {
		cli.Close()
		return nil, err
	}
	return &calls{log: log, ari: cli, cache: cache, ctl: ctl, dialer: dl}, nil
}

// watchingProvisioner creates an agent's softphone endpoint for the
// portal, then has the controller watch it: the endpoint did not exist
// when the controller last looked, so without this the agent's phone
// would stay unregistered for the contact centre until the next reload.
type watchingProvisioner struct {
	ari *ari.Client
	ctl *controller.Controller
}

func (w watchingProvisioner) ProvisionEndpoint(ctx context.Context, name, password string) error {
	if err := w.ari.ProvisionEndpoint(ctx, name, password); err != nil {
		return err
	}
	w.ctl.Refresh()
	return nil
}

// run runs the three parts until ctx ends. The controller stops first, so
// it can still wind calls down over the engine; then the driver and the
// cache stop.
func (c *calls) run(ctx context.Context) error {
	engCtx, stopEng := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEng()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- ignoreCanceled(c.ari.Run(engCtx)) }()
	go func() { defer wg.Done(); errs <- ignoreCanceled(c.cache.Run(engCtx)) }()
	dialDone := make(chan struct{})
	go func() { defer close(dialDone); _ = c.dialer.Run(ctx) }()
	// Run returns once every call it was routing is wound down and the
	// records are flushed; only then are the driver and cache stopped.
	ctlErr := ignoreCanceled(c.ctl.Run(ctx))
	<-dialDone
	stopEng()
	wg.Wait()
	close(errs)
	all := []error{ctlErr}
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

func (c *calls) close() error { return c.ari.Close() }

// invalidate makes the next call see a routing change saved through the
// portal of this process at once (other processes see it within a second),
// and the dialer read the campaigns again.
func (c *calls) invalidate() {
	c.cache.Invalidate()
	c.dialer.Kick()
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
