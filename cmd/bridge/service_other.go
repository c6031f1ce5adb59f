//go:build !windows

package main

import "context"

// runService runs the bridge under a service manager that needs a handshake; only Windows'
// does (systemd just starts the program and stops it with SIGTERM).
func runService(func(context.Context) error) (bool, error) { return false, nil }
