package wsdl

import _ "embed"

//go:generate go tool gowsdl -d . -p konturws -o konturws.go Kontur.wsdl
//go:generate go run ./internal/fixtypes -d . konturws

// Kontur is the WSDL of the Kontur service: bonus points of Kontur's loyalty processing for the
// PMS front desk and 1C (card balance, the amount available against a folio, the write-off
// exactly once per RequestId, its cancellation, and the catalog of payment types "Бонусы
// Контура"). Its faults carry the Hub namespace's Error detail like every service's.
//
//go:embed Kontur.wsdl
var Kontur []byte
