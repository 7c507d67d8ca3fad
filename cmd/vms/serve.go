package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/mailin"
	"github.com/vmsplatform/vms/mailin/imappoll"
	"github.com/vmsplatform/vms/mailqueue"
	"github.com/vmsplatform/vms/portal"
	"github.com/vmsplatform/vms/store"
)

// Main is a running VMS: open with newMain, then Run until ctx ends, then
// Close. Tests drive it the same way.
type Main struct {
	cfg    *Config
	log    *slog.Logger
	store  *store.Store
	portal *portal.Server
	ln     net.Listener
	srv    *http.Server
	calls  *calls // nil without an engine
	acd    *contactCenter
	mail   *mailqueue.Service
	mailin *mailin.Server // nil without VMS_MAILIN_LISTEN
	mailLn net.Listener
	imap   *imappoll.Poller // nil without VMS_IMAP_URL
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	lvl, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openStore(ctx context.Context, cfg *Config, log *slog.Logger) (*store.Store, error) {
	sc := store.Config{DSN: cfg.DatabaseURL, SQLitePath: filepath.Join(cfg.DataDir, "vms.db")}
	if cfg.DatabaseURL != "" {
		log.Info("database", "url", redactedURL(cfg.DatabaseURL))
	} else {
		log.Info("database", "sqlite", sc.SQLitePath)
	}
	st, err := store.Open(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return st, nil
}

func newMain(ctx context.Context, cfg *Config, stdout, stderr io.Writer) (*Main, error) {
	m := &Main{cfg: cfg, log: newLogger(cfg, stderr)}
	st, err := openStore(ctx, cfg, m.log)
	if err != nil {
		return nil, err
	}
	m.store = st
	if cfg.Demo {
		if err := store.SeedDemo(ctx, st); err != nil {
			m.Close()
			return nil, fmt.Errorf("demo data: %w", err)
		}
		fmt.Fprintf(stdout, "Demo customer %q with number %s and its routing tree is ready (tenant user %s).\n", store.DemoTenantName, store.DemoNumber, store.DemoUserEmail)
		// The demo agent gets a link to choose a password, then works at
		// /desk (group "sales", mail to sales@demo.example).
		if u, err := st.UserByEmail(ctx, store.DemoAgentEmail); err == nil && u.PasswordHash == "" {
			fmt.Fprintf(stdout, "Demo agent %s (group %q, mail %s) works at %s/desk once its password is set:\n", u.Email, store.DemoGroupKey, store.DemoGroupEmail, cfg.BaseURL)
			if err := printLoginLink(ctx, st, cfg, u, stdout); err != nil {
				m.Close()
				return nil, err
			}
		}
	}
	if cfg.BootstrapAdmin != "" {
		if err := bootstrapAdmin(ctx, st, cfg, stdout); err != nil {
			m.Close()
			return nil, err
		}
	}
	var mailer portal.Mailer = noMailer{log: m.log}
	if cfg.SMTP.Host != "" {
		s, err := mail.NewSMTP(cfg.SMTP)
		if err != nil {
			m.Close()
			return nil, err
		}
		mailer = s
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pcfg := portal.Defaults()
	pcfg.BaseURL = cfg.BaseURL
	pcfg.SecureCookies = strings.HasPrefix(cfg.BaseURL, "https://")
	pcfg.SessionIdle, pcfg.SessionAbsolute = cfg.SessionIdle, cfg.SessionAbsolute
	pcfg.NetworkRegion = cfg.Region
	pcfg.MetricsToken = cfg.MetricsToken
	m.acd = newContactCenter(st, m.log.With("component", "acd"))
	if err := m.acd.load(ctx, true); err != nil {
		// The database may come later; the loop retries while running.
		m.log.Warn("contact centre configuration not loaded at start; retrying in the background", "err", err)
	}
	pcfg.Center = m.acd.svc
	if m.mail, err = mailqueue.New(mailqueue.Config{Store: st, Center: m.acd.svc, Sender: mailer, Logger: m.log.With("component", "mailqueue")}); err != nil {
		m.Close()
		return nil, err
	}
	pcfg.Emails = m.mail
	// E-mails whose group the center did not know yet are queued once it does.
	m.acd.afterApply(func() {
		if err := m.mail.Requeue(ctx); err != nil {
			m.log.Warn("waiting e-mails not queued again", "err", err)
		}
	})
	if cfg.MailinListen != "" {
		m.mailin, err = mailin.New(mailin.Config{
			Addr: cfg.MailinListen, Domain: mailinHost(cfg.BaseURL), Domains: cfg.mailinDomains(), MaxSize: cfg.MailinMaxSize,
			Resolver: m.mail.Resolve, Deliver: m.mail.Deliver,
		}, m.log.With("component", "mailin"))
		if err != nil {
			m.Close()
			return nil, err
		}
		// Listen now, so that a taken port stops the start with a clear error.
		if m.mailLn, err = net.Listen("tcp", cfg.MailinListen); err != nil {
			m.Close()
			return nil, fmt.Errorf("VMS_MAILIN_LISTEN: %w", err)
		}
	}
	if cfg.IMAPURL != "" {
		ic, _ := imappoll.ParseURL(cfg.IMAPURL) // checked by Validate
		ic.Password, ic.Every, ic.MaxSize = cfg.IMAPPassword, cfg.IMAPEvery, cfg.MailinMaxSize
		ic.Resolver, ic.Deliver = m.mail.Resolve, m.mail.Deliver
		if m.imap, err = imappoll.New(ic, m.log.With("component", "imappoll")); err != nil {
			m.Close()
			return nil, fmt.Errorf("VMS_IMAP_URL: %w", err)
		}
	}
	pcfg.OnChange = m.acd.changed
	if cfg.ARIURL != "" {
		if m.calls, err = newCalls(ctx, cfg, st, m.acd, m.log); err != nil {
			m.Close()
			return nil, err
		}
		pcfg.OnChange = func() { m.calls.invalidate(); m.acd.changed() }
		pcfg.Provisioner = watchingProvisioner{ari: m.calls.ari, ctl: m.calls.ctl}
		pcfg.SIPWebSocketURL = cfg.SIPWebSocketURL
	} else {
		m.log.Info("no engine configured (VMS_ARI_URL): portal and API only")
	}
	m.portal, err = portal.New(pcfg, st, mailer, m.log, reg)
	if err != nil {
		m.Close()
		return nil, err
	}
	m.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	m.srv = &http.Server{
		Handler:           m.portal.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	return m, nil
}

// Run serves until ctx ends, then shuts down gracefully.
func (m *Main) Run(ctx context.Context) error {
	m.log.Info("portal listening", "addr", m.ln.Addr().String(), "url", m.cfg.BaseURL)
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	go m.cleanSessions(ctx)
	acdDone := make(chan error, 1)
	go func() { acdDone <- m.acd.run(ctx) }()
	// E-mails stored as waiting are queued again once the groups are known.
	if err := m.mail.Start(ctx); err != nil {
		m.log.Warn("waiting e-mails not queued again", "err", err)
	}
	if m.mailin != nil {
		m.log.Info("inbound mail listening", "addr", m.mailLn.Addr().String())
		stop := context.AfterFunc(ctx, func() { _ = m.mailin.Close() })
		defer stop()
		go func() {
			if err := m.mailin.Serve(m.mailLn); err != nil && ctx.Err() == nil {
				m.log.Error("inbound mail listener stopped", "err", err)
			}
		}()
	}
	imapDone := make(chan error, 1)
	if m.imap != nil {
		m.log.Info("polling a mailbox for inbound mail", "url", m.cfg.IMAPURL, "every", m.cfg.IMAPEvery)
		go func() { imapDone <- m.imap.Run(ctx) }()
	} else {
		imapDone <- nil
	}
	callsDone := make(chan error, 1)
	if m.calls != nil {
		m.log.Info("call controller starting", "ari", m.cfg.ARIURL, "app", m.cfg.ARIApp)
		go func() { callsDone <- m.calls.run(ctx) }()
	} else {
		callsDone <- nil
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if err := <-callsDone; err != nil {
		m.log.Error("call controller stopped with an error", "err", err)
	}
	if err := <-imapDone; err != nil {
		m.log.Error("mailbox polling stopped with an error", "err", err)
	}
	if err := <-acdDone; err != nil {
		m.log.Error("contact centre stopped with an error", "err", err)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// cleanSessions deletes expired sessions every few minutes.
func (m *Main) cleanSessions(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now()
			n, err := m.store.DeleteExpiredSessions(ctx, now.Add(-m.cfg.SessionIdle), now.Add(-m.cfg.SessionAbsolute))
			if err != nil {
				m.log.Warn("session cleanup failed", "err", err)
			} else if n > 0 {
				m.log.Debug("expired sessions deleted", "count", n)
			}
		}
	}
}

// Close releases everything newMain opened.
func (m *Main) Close() error {
	var errs []error
	if m.ln != nil {
		m.ln.Close()
	}
	if m.calls != nil {
		errs = append(errs, m.calls.close())
	}
	if m.mailin != nil {
		errs = append(errs, m.mailin.Close())
	}
	if m.mailLn != nil {
		m.mailLn.Close() // already closed when it was served
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(flag.NewFlagSet("vms serve", flag.ContinueOnError), args, getenv)
	if err != nil {
		return err
	}
	m, err := newMain(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Run(ctx)
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(flag.NewFlagSet("vms migrate", flag.ContinueOnError), args, getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database is up to date")
	return st.Close()
}

// bootstrapAdmin creates the first operator admin when none exists and
// prints a one-time link to choose its password.
func bootstrapAdmin(ctx context.Context, st *store.Store, cfg *Config, stdout io.Writer) error {
	staff, err := st.ListUsers(ctx, nil)
	if err != nil {
		return err
	}
	for _, u := range staff {
		if u.Role == string(access.BGCAdmin) && !u.Disabled {
			if u.PasswordHash == "" {
				return printLoginLink(ctx, st, cfg, &u, stdout)
			}
			fmt.Fprintf(stdout, "\nVMS portal: %s/login (operator admin: %s)\n\n", cfg.BaseURL, u.Email)
			return nil
		}
	}
	u := &store.User{Email: strings.ToLower(strings.TrimSpace(cfg.BootstrapAdmin)), Name: "Operator admin", Role: string(access.BGCAdmin)}
	if err := st.CreateUser(ctx, store.System, u); err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	return printLoginLink(ctx, st, cfg, u, stdout)
}

func printLoginLink(ctx context.Context, st *store.Store, cfg *Config, u *store.User, stdout io.Writer) error {
	who := "Operator admin"
	if !access.Role(u.Role).Operator() {
		who = "User"
	}
	tok, err := credential.NewToken()
	if err != nil {
		return err
	}
	now := time.Now()
	if err := st.CreateLoginLink(ctx, &store.LoginLink{Hash: credential.HashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(72 * time.Hour)}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nVMS portal: %s\n%s %s has no password yet. Open this one-time link to choose it:\n\n    %s/first-login/%s\n\n", cfg.BaseURL, who, u.Email, cfg.BaseURL, tok)
	return nil
}

// mailinHost is the host name the inbound listener greets with: the
// portal's host.
func mailinHost(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// noMailer is used when no SMTP relay is configured: mails are logged as
// not sent (without their links), and the caller gets an error.
type noMailer struct{ log *slog.Logger }

func (n noMailer) Send(ctx context.Context, m mail.Message) error {
	n.log.WarnContext(ctx, "e-mail not sent: no SMTP relay configured (VMS_SMTP_HOST)", "to", m.To, "subject", m.Subject)
	return vms.Errorf(vms.EUNAVAILABLE, "no SMTP relay is configured, so the e-mail could not be sent")
}
