// Package asterisk holds the Asterisk configuration VMS ships to integrators
// (the *.conf files in this directory, documented in README.md) and exposes
// it to Go code, so that the end-to-end test harness (test/astertest) runs
// the real Asterisk with exactly the files an integrator installs.
//
// It contains no logic and must not: the files are the product.
package asterisk

import "embed"

// Files holds the shipped configuration files, by base name (e.g.
// "extensions.conf").
//
//go:embed *.conf
var Files embed.FS
