package wsdl

import _ "embed"

//go:generate go tool gowsdl -d . -p emisws -o emisws.go Emis.wsdl
//go:generate go run ./internal/fixtypes -d . emisws

// Emis is the WSDL of the Emis service: hotel guest documents through EMIS for the PMS or the
// 1C hotel configuration (legal entities with EMIS, saved guests, the EMIS page of a guest,
// the guest's documents with the warnings of the checks, webhook settings, undelivered
// webhooks). Its faults carry the Hub namespace's Error detail like every service's.
//
//go:embed Emis.wsdl
var Emis []byte
