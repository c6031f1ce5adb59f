// Package odata is the OData half of the 1C facade: /odata/standard.odata/ shaped like 1C's
// standard OData interface (OData v3; ONEC.md points 13–22).
//
// Domain packages describe their data as EntitySets (name, kind, properties with Edm types,
// references, tabular parts, indexes) with a Source that reads them from the store; $metadata,
// the service document, JSON and Atom are all built from those registrations. Sources of
// sets the hub owns also implement Writer (POST, PATCH/MERGE, DELETE with If-Match) and, for
// documents, Poster (…/Post, …/Unpost).
//
// # Filters, indexes and the scan limit
//
// Every read runs on the store's keys or indexes; none loads a whole set. A request chooses
// one access path from the top-level "and" terms of its $filter:
//
//  1. Key: Ref_Key eq guid'…' (all key properties fixed by eq) — one Get.
//  2. Index: a term on the property of one of the set's Indexes — Prop eq v (Eq),
//     startswith(Prop,'s') or like(Prop,'s%…') (Prefix), Prop gt/ge/lt/le v (Range); eq is
//     preferred to a prefix, a prefix to a range.
//  3. Otherwise the set's key order (or, for $orderby on a Complete index's property, that
//     index).
//
// The whole $filter is then evaluated on each entity the path yields. At most
// Options.MaxScan entities are read from the source for one request. The rule when a
// filter the path does not answer meets a set larger than that:
//
//   - A list ($top/$skip, no $inlinecount, order given by the path) answers with the rows
//     found so far — possibly fewer than asked, even none — and odata.nextLink (Atom:
//     <link rel="next">) whose $skiptoken resumes the walk exactly where it stopped. A
//     client that follows next links gets every row, MaxScan reads per request.
//   - Results longer than Options.PageSize rows are paged the same way.
//   - $inlinecount=allpages, /$count and $orderby on a property the path is not ordered by
//     need the whole range: if it holds more than MaxScan entities they are refused with
//     HTTP 400, code ODATA_SCAN_LIMIT and a message naming the indexed properties to filter
//     on.
//
// Strings compare by code point (the OData rule); 1C's DBMS collation may ignore case.
//
// # Virtual tables
//
// A register's virtual tables (EntitySet.VirtualTables) are published as 1C publishes them:
// one FunctionImport each, IsBindable="true" IsSideEffecting="false", bound to the set by the
// type of its bindingParameter, with 1C's parameters (Condition, Period; Dimensions,
// StartPeriod, EndPeriod for accumulation registers). SliceLast and SliceFirst return the
// register's own type; Balance, Turnovers and BalanceAndTurnovers return the complex types
// <Type>_Balance, <Type>_Turnover and <Type>_BalanceAndTurnover. Clients call them as
//
//	InformationRegister_X/SliceLast()
//	InformationRegister_X/SliceLast(Period=datetime'2025-03-01T00:00:00',Condition='Asset_Key eq guid''…''')
//	InformationRegister_X/SliceLast?Period=datetime'2025-03-01T00:00:00'&Condition=Asset_Key eq guid'…'
//
// with $format, $filter, $select, $orderby, $top, $skip, $inlinecount and /$count. Condition
// is parsed like $filter and given to the source, which applies it before the slice or the
// totals (1C's Условие); $filter applies to the resulting rows. The source also gets the
// access path Condition allows by the set's Indexes (the rules of lists) and MaxScan: it reads
// at most MaxScan records and otherwise fails with ErrScanLimit (HTTP 400,
// ODATA_SCAN_LIMIT, naming the dimensions to put in Condition). A virtual table's answer is
// therefore at most MaxScan rows and comes whole, without next links. PeriodicRegister
// implements SliceLast and SliceFirst over a store.
//
// A virtual table the set does not publish is refused with HTTP 400 and 1C's code 6
// (ODATA_FUNCTION), as 1C refuses Balance() on a register of turnovers.
package odata
