package wsdl

import _ "embed"

//go:generate go tool gowsdl -d . -p bridgews -o bridgews.go Bridge.wsdl
//go:generate go run ./internal/fixtypes -d . bridgews

// Bridge is the WSDL of the Bridge service: the hotel administrator's devices of the on-prem
// scanner bridge (enrol a front-desk workstation, revoke it, list them with their last upload)
// and a guest's documents as the scanner read them, with the warnings for the front desk.
// Its faults carry the Hub namespace's Error detail like every service's.
//
//go:embed Bridge.wsdl
var Bridge []byte
