// Command vms is the VMS binary: the portal, the JSON API and (when an
// engine is configured) the call controller, plus administration commands.
// It is the only place that reads configuration and wires the parts
// together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `vms — Voice Managed Services

Usage:
  vms serve [flags]          run the portal, API and controller
  vms migrate [flags]        apply database migrations and exit
  vms user create [flags]    create a user (e.g. the first operator admin)
  vms config                 list every setting with its variable and default
  vms version                print the version

Run "vms <command> -h" for the flags of a command. Every flag has a VMS_…
environment variable; see the README.
`

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "vms:", err)
		}
		os.Exit(2)
	}
}

// run executes one command; tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stdout, stderr)
	case "user":
		if len(rest) == 0 || rest[0] != "create" {
			return fmt.Errorf("usage: vms user create --email … --name … --role …")
		}
		return cmdUserCreate(ctx, rest[1:], getenv, stdin, stdout, stderr)
	case "config":
		return cmdConfig(stdout)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func cmdConfig(w io.Writer) error {
	fmt.Fprintln(w, "| variable | flag | default | meaning |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, s := range settings(&Config{}) {
		def := s.def
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "| `%s` | `--%s` | `%s` | %s |\n", s.env, s.flag, def, s.help)
	}
	return nil
}
