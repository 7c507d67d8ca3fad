package mailin_test

import (
	"context"
	"log/slog"
	"strings"

	"github.com/vmsplatform/vms/mailin"
)

// The controller wires the listener: the resolver looks group addresses up,
// Deliver puts the message in the group's e-mail queue.
func ExampleNew() {
	srv, err := mailin.New(mailin.Config{
		Addr:    ":2525",
		Domain:  "mx.vms.example",
		Domains: []string{"acme.vms.example"},
		MaxSize: 10 << 20,
		Resolver: func(ctx context.Context, rcpt string) (mailin.Target, bool, error) {
			if strings.EqualFold(rcpt, "sales@acme.vms.example") {
				return mailin.Target{TenantID: 7, GroupID: "sales"}, true, nil
			}
			return mailin.Target{}, false, nil
		},
		Deliver: func(ctx context.Context, t mailin.Target, m *mailin.Message) error {
			slog.Info("mail for group", "group", t.GroupID, "message_id", m.MessageID, "subject", m.Subject)
			return nil
		},
	}, slog.Default())
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	// go srv.ListenAndServe(ctx)
}
