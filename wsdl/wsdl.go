// Package wsdl holds the published WSDL contracts of the hub's SOAP services, written by hand
// in the style of WSDLs that 1C:Enterprise itself publishes (see README.md and
// shared/ONEC.md 1–5). They are the source of truth for the SOAP types: the Go types in the
// sub-packages (hubws, …) are generated from them with gowsdl and post-processed by
// internal/fixtypes. TestGeneratedCodeIsFresh fails when the committed code is stale.
//
// Every service WSDL gets a file of its own here (hub.go, kontur.go, …) with one embed variable
// and two go:generate lines; keep "-d ." in them, the freshness test regenerates into a
// temporary directory by replacing it.
package wsdl

import _ "embed"

//go:generate go tool gowsdl -d . -p hubws -o hubws.go Hub.wsdl
//go:generate go run ./internal/fixtypes -d . hubws

// Hub is the WSDL of the Hub service (Ping, GetVersions, GetRetention, SetRetention); its
// namespace also holds the Error element that every service's SOAP faults carry in their
// detail.
//
//go:embed Hub.wsdl
var Hub []byte
