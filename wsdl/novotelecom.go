package wsdl

import _ "embed"

//go:generate go tool gowsdl -d . -p novotelecomws -o novotelecomws.go Novotelecom.wsdl
//go:generate go run ./internal/fixtypes -d . novotelecomws

// Novotelecom is the WSDL of the Novotelecom service: the «Мои счета» exchange of 1C «Расчёты
// с собственниками помещений» (settings with write-only server credentials, registries of
// services, debts and meter readings built from 1C's data, the exchange on demand, received
// registries awaiting acceptance, their acceptance, errors with file and line, file
// contents). Its faults carry the Hub namespace's Error detail like every service's.
//
//go:embed Novotelecom.wsdl
var Novotelecom []byte
