package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/mailin/imappoll"
)

// Config is every setting of the vms binary. Each field has an environment
// variable (VMS_…) and a flag; flags win. Secrets can also come from a file
// named by the variable with a _FILE suffix. The README lists them all.
type Config struct {
	Listen      string
	BaseURL     string
	DataDir     string
	DatabaseURL string

	SessionIdle     time.Duration
	SessionAbsolute time.Duration

	LogLevel  string
	LogFormat string

	SMTP mail.SMTPConfig

	// Engine: Asterisk over ARI. An empty ARIURL runs the portal only.
	ARIURL      string
	ARIUser     string
	ARIPassword string
	ARIApp      string
	// Trunk is the dial-string template of number destinations.
	Trunk string
	// BridgeCalls makes VMS bridge number destinations itself instead of
	// handing them to the dialplan's vms-dial context.
	BridgeCalls bool
	// MediaURL is the base URL the media engine fetches prompts from; it
	// defaults to BaseURL (Asterisk on another host must reach it).
	MediaURL string
	// Region is the numbering region for numbers in national form.
	Region string
	// Demo seeds a demo customer with a number and a routing tree.
	Demo bool

	// SIPWebSocketURL is the SIP-over-WebSocket address agents' browser
	// softphones register at; it defaults to the ARI host's /ws.
	SIPWebSocketURL string

	// MailinListen is the address of the inbound SMTP listener for group
	// e-mail addresses; empty disables it.
	MailinListen string
	// MailinDomains are the recipient domains accepted (comma-separated);
	// empty accepts whatever group addresses exist.
	MailinDomains string
	// MailinMaxSize is the largest inbound message in bytes.
	MailinMaxSize int64

	// IMAPURL is the mailbox polled for group e-mail (imaps://user@host/INBOX);
	// empty disables polling.
	IMAPURL      string
	IMAPPassword string
	IMAPEvery    time.Duration

	// MetricsToken protects /metrics when set.
	MetricsToken string

	// BootstrapAdmin, when set and no operator admin exists yet, creates a
	// BGC-ADMIN user with this e-mail and prints a first-login link.
	BootstrapAdmin string
}

// setting describes one configuration entry for env, flags and docs.
type setting struct {
	env, flag, def, help string
	secret               bool
	set                  func(string) error
}

func settings(c *Config) []setting {
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	dur := func(p *time.Duration) func(string) error {
		return func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("not a duration like 30m or 8h: %q", v)
			}
			*p = d
			return nil
		}
	}
	return []setting{
		{env: "VMS_LISTEN", flag: "listen", def: "127.0.0.1:8080", help: "address the portal and API listen on", set: str(&c.Listen)},
		{env: "VMS_BASE_URL", flag: "base-url", def: "", help: "address users reach the portal at, used in e-mails (default http://<listen>)", set: str(&c.BaseURL)},
		{env: "VMS_DATA_DIR", flag: "data-dir", def: "var", help: "directory of the embedded database and other files", set: str(&c.DataDir)},
		{env: "VMS_DATABASE_URL", flag: "database-url", def: "", help: "postgres:// URL; empty means the embedded SQLite file in the data directory", secret: true, set: str(&c.DatabaseURL)},
		{env: "VMS_SESSION_IDLE", flag: "session-idle", def: "30m", help: "a portal session ends after this long without activity", set: dur(&c.SessionIdle)},
		{env: "VMS_SESSION_ABSOLUTE", flag: "session-absolute", def: "480m", help: "a portal session ends this long after login", set: dur(&c.SessionAbsolute)},
		{env: "VMS_LOG_LEVEL", flag: "log-level", def: "info", help: "debug, info, warn or error", set: str(&c.LogLevel)},
		{env: "VMS_LOG_FORMAT", flag: "log-format", def: "text", help: "text or json", set: str(&c.LogFormat)},
		{env: "VMS_SMTP_HOST", flag: "smtp-host", def: "", help: "SMTP relay for e-mail (activation links, notifications, replies to e-mail contacts); empty disables sending", set: str(&c.SMTP.Host)},
		{env: "VMS_SMTP_PORT", flag: "smtp-port", def: "587", help: "SMTP relay port", set: func(v string) error {
			p, err := strconv.Atoi(v)
			if err != nil || p < 1 || p > 65535 {
				return fmt.Errorf("not a port number: %q", v)
			}
			c.SMTP.Port = p
			return nil
		}},
		{env: "VMS_SMTP_USER", flag: "smtp-user", def: "", help: "SMTP user name", set: str(&c.SMTP.Username)},
		{env: "VMS_SMTP_PASSWORD", flag: "smtp-password", def: "", help: "SMTP password (or VMS_SMTP_PASSWORD_FILE)", secret: true, set: str(&c.SMTP.Password)},
		{env: "VMS_SMTP_TLS", flag: "smtp-tls", def: "starttls", help: "none, starttls or tls", set: str(&c.SMTP.TLS)},
		{env: "VMS_SMTP_FROM", flag: "smtp-from", def: "VMS <vms@localhost>", help: "sender address of mails VMS sends", set: str(&c.SMTP.From)},
		{env: "VMS_ARI_URL", flag: "ari-url", def: "", help: "Asterisk ARI base URL (e.g. http://127.0.0.1:8088); empty runs the portal without a call controller", set: str(&c.ARIURL)},
		{env: "VMS_ARI_USER", flag: "ari-user", def: "vms", help: "ARI user (ari.conf)", set: str(&c.ARIUser)},
		{env: "VMS_ARI_PASSWORD", flag: "ari-password", def: "", help: "ARI password (or VMS_ARI_PASSWORD_FILE)", secret: true, set: str(&c.ARIPassword)},
		{env: "VMS_ARI_APP", flag: "ari-app", def: "vms", help: "Stasis application name the dialplan sends calls to", set: str(&c.ARIApp)},
		{env: "VMS_TRUNK", flag: "trunk", def: "PJSIP/{number}@trunk-out", help: "dial string of number destinations; {number} is the E.164 number without +, {e164} with it", set: str(&c.Trunk)},
		{env: "VMS_BRIDGE_CALLS", flag: "bridge-calls", def: "false", help: "ring number destinations from VMS and bridge them over ARI, instead of handing them to the dialplan's vms-dial context (used only when the dialplan has it)", set: func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("not true or false: %q", v)
			}
			c.BridgeCalls = b
			return nil
		}},
		{env: "VMS_MEDIA_URL", flag: "media-url", def: "", help: "base URL the media engine fetches prompts from (default: VMS_BASE_URL)", set: str(&c.MediaURL)},
		{env: "VMS_REGION", flag: "region", def: "BE", help: "numbering region of numbers written in national form", set: str(&c.Region)},
		{env: "VMS_DEMO", flag: "demo", def: "false", help: "seed a demo customer, number and routing tree at start", set: func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("not true or false: %q", v)
			}
			c.Demo = b
			return nil
		}},
		{env: "VMS_SIP_WS_URL", flag: "sip-ws-url", def: "", help: "SIP-over-WebSocket address agents' softphones register at (default: ws://<ARI host>/ws)", set: str(&c.SIPWebSocketURL)},
		{env: "VMS_MAILIN_LISTEN", flag: "mailin-listen", def: "", help: "address of the inbound SMTP listener for group e-mail addresses (e.g. :2525); empty disables it", set: str(&c.MailinListen)},
		{env: "VMS_MAILIN_DOMAINS", flag: "mailin-domains", def: "", help: "comma-separated recipient domains the inbound listener accepts; empty accepts any domain that has a group address", set: str(&c.MailinDomains)},
		{env: "VMS_MAILIN_MAX_SIZE", flag: "mailin-max-size", def: "26214400", help: "largest inbound e-mail accepted, in bytes", set: func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return fmt.Errorf("not a size in bytes of at least 1024: %q", v)
			}
			c.MailinMaxSize = n
			return nil
		}},
		{env: "VMS_IMAP_URL", flag: "imap-url", def: "", help: "mailbox polled for group e-mail, e.g. imaps://user@mail.example.com/INBOX (imap:// uses STARTTLS; ?processed=Folder moves taken mail there); empty disables it", set: str(&c.IMAPURL)},
		{env: "VMS_IMAP_PASSWORD", flag: "imap-password", def: "", help: "password of the polled mailbox (or VMS_IMAP_PASSWORD_FILE)", secret: true, set: str(&c.IMAPPassword)},
		{env: "VMS_IMAP_EVERY", flag: "imap-every", def: "30s", help: "time between two polls of the mailbox", set: dur(&c.IMAPEvery)},
		{env: "VMS_METRICS_TOKEN", flag: "metrics-token", def: "", help: "bearer token required on /metrics (or VMS_METRICS_TOKEN_FILE); empty leaves it open on the listen address", secret: true, set: str(&c.MetricsToken)},
		{env: "VMS_BOOTSTRAP_ADMIN", flag: "bootstrap-admin", def: "", help: "create this operator admin (BGC-ADMIN) if none exists and print a first-login link", set: str(&c.BootstrapAdmin)},
	}
}

// loadConfig reads defaults, then the environment, then flags in args.
func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (*Config, error) {
	c := &Config{}
	sets := settings(c)
	for _, s := range sets {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		} else if f := getenv(s.env + "_FILE"); f != "" && s.secret {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("%s_FILE: %w", s.env, err)
			}
			v = strings.TrimSpace(string(b))
		}
		if err := s.set(v); err != nil {
			return nil, fmt.Errorf("%s: %w", s.env, err)
		}
		fs.Func(s.flag, s.help+" ($"+s.env+")", s.set)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.MediaURL == "" {
		c.MediaURL = c.BaseURL
	}
	c.MediaURL = strings.TrimRight(c.MediaURL, "/")
	if c.SIPWebSocketURL == "" && c.ARIURL != "" {
		if u, err := url.Parse(c.ARIURL); err == nil && u.Host != "" {
			scheme := "ws"
			if u.Scheme == "https" {
				scheme = "wss"
			}
			c.SIPWebSocketURL = scheme + "://" + u.Host + "/ws"
		}
	}
	return c, c.Validate()
}

// Validate checks the settings together.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("VMS_LISTEN: must not be empty"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("VMS_BASE_URL: must be an http(s) URL, got %q", c.BaseURL))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("VMS_DATABASE_URL: must be a postgres:// URL or empty for the embedded database"))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("VMS_DATA_DIR: must not be empty with the embedded database"))
	}
	if c.SessionIdle <= 0 || c.SessionAbsolute <= 0 || c.SessionIdle > c.SessionAbsolute {
		errs = append(errs, errors.New("VMS_SESSION_IDLE/VMS_SESSION_ABSOLUTE: must be positive, idle not longer than absolute"))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("VMS_LOG_LEVEL: %w", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("VMS_LOG_FORMAT: must be text or json, got %q", c.LogFormat))
	}
	if c.ARIURL != "" {
		if u, err := url.Parse(c.ARIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("VMS_ARI_URL: must be an http(s) URL, got %q", c.ARIURL))
		}
		if c.ARIPassword == "" {
			errs = append(errs, errors.New("VMS_ARI_PASSWORD: required with VMS_ARI_URL"))
		}
		if !strings.Contains(c.Trunk, "{number}") && !strings.Contains(c.Trunk, "{e164}") {
			errs = append(errs, fmt.Errorf("VMS_TRUNK: must contain {number} or {e164}, got %q", c.Trunk))
		}
		if u, err := url.Parse(c.MediaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("VMS_MEDIA_URL: must be an http(s) URL, got %q", c.MediaURL))
		}
	}
	if c.SIPWebSocketURL != "" {
		if u, err := url.Parse(c.SIPWebSocketURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			errs = append(errs, fmt.Errorf("VMS_SIP_WS_URL: must be a ws:// or wss:// URL, got %q", c.SIPWebSocketURL))
		}
	}
	for _, d := range c.mailinDomains() {
		if strings.ContainsAny(d, "@ \t") {
			errs = append(errs, fmt.Errorf("VMS_MAILIN_DOMAINS: %q is not a domain name", d))
		}
	}
	if c.IMAPURL != "" {
		if _, err := imappoll.ParseURL(c.IMAPURL); err != nil {
			errs = append(errs, fmt.Errorf("VMS_IMAP_URL: %w", err))
		}
		if c.IMAPPassword == "" {
			errs = append(errs, errors.New("VMS_IMAP_PASSWORD: required with VMS_IMAP_URL"))
		}
	}
	if c.IMAPEvery < time.Second {
		errs = append(errs, fmt.Errorf("VMS_IMAP_EVERY: must be at least 1s, got %s", c.IMAPEvery))
	}
	if c.SMTP.Host != "" {
		if err := c.SMTP.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("VMS_SMTP_*: %w", err))
		}
	}
	return errors.Join(errs...)
}

// mailinDomains returns the accepted recipient domains, lower-case.
func (c *Config) mailinDomains() []string {
	var out []string
	for _, d := range strings.Split(c.MailinDomains, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	return out
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// redactedURL hides the password of a database URL for logs.
func redactedURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
