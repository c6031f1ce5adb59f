package wsdl

import _ "embed"

//go:generate go tool gowsdl -d . -p sepws -o sepws.go Sep.wsdl
//go:generate go run ./internal/fixtypes -d . sepws

// Sep is the WSDL of the Sep service: the leasing company's 1C and АС «СЭП», the electronic
// vehicle passport system (settings, responsible persons, fixed assets and lease contract
// appendices from 1C; SEP letters; requests for applications; ownership-change confirmation;
// lease applications and the lessee's confirmation; the exchange queue with its 60-second
// rule, the console widget's counts). Its faults carry the Hub namespace's Error detail like
// every service's.
//
//go:embed Sep.wsdl
var Sep []byte
