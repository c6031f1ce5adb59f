// Package novotelecom is the hub's «Мои счета» module (shared/seeds/novotelecom-moi-scheta.txt,
// INTEGRATIONS.md §3) for 1C «Расчёты с собственниками помещений»: per-tenant settings, the
// registries 1C sends (services, debts, meter readings) built into Outgoing, the scheduled and
// on-demand exchange with Novotelecom's server, the check of received registries, and their
// acceptance. It knows nothing of SOAP, OData or Lambda: the transports call the methods of
// Service with request structs (validator/v10 tags) and render the results.
//
// The file format is package registry; the server is reached through the Server port, whose
// adapter is package httpclient and whose simulator is internal/sim/novotelecom.
//
// # Folders
//
// The seed's folders are states of a file's record (Folder), never places the bytes move to:
// a file's content is written once, under a key that never changes, and its folder moves
// forward with versioned conditional writes. Outgoing files: Outgoing → Sent → Processed or
// Errors. Received files: Incoming → Awaiting → Accepting → Accepted, or Rejected (with a
// Reject file queued), or Answers (an answer to one of ours).
//
// # No file ever lost
//
// A session (RunExchange) sends, then receives, then checks:
//
//   - send: each Outgoing file is uploaded, then marked Sent. A crash in between uploads it
//     again; the server takes a repeated name with the same content as a duplicate.
//   - receive: each server file is downloaded, its content stored in Blobs under its SHA-256,
//     then its record written (NotExists), and only then is the server told to delete it. A
//     crash before the delete makes the server offer it again: the content is known, it is
//     not imported twice. The same content under another server id is a duplicate too.
//   - check: each Incoming file is read (constant memory) and moved on; a reply it needs
//     (a rejection) is planned once in its record, built into Outgoing, and only then is the
//     file moved, so a crash in between builds the same reply under the same name.
//
// A slot runs once (the session record is keyed by it); a repeat of an interrupted or failed
// slot goes on from where it stopped; a per-tenant lock with a lease keeps two slots apart.
// Deps.Crash is called at every Step, which is how the crash tests kill a session anywhere.
//
// # Store layout (inside the tenant's store.ForTenant view)
//
//	NT#SET/settings          settings; server login and password sealed (sealer purpose novotelecom/server-credentials)
//	NT#FILE/<id>             every file: id = file name (outgoing) or content SHA-256 (received);
//	                         attrs folder, dir, kind; GSI1 NT#FOLDER#<folder> by time; GSI2 NT#SESF#<session>
//	NT#SEQ/<KIND>#<YYYYMMDD> number counters (001..999)
//	NT#REQ/<request id>      a submitted request's digest and planned file (idempotency)
//	NT#ACC/set               pointer to the blob of known personal accounts
//	NT#SRVID/<server id>     what a server file was stored as
//	NT#SES/<session id>      sessions (id = slot, sortable)
//	NT#LOCK/exchange         the exchange lock (holder, lease)
//	NT#ERR/<id>              errors; GSI1 NT#ERRORS by time
//	SYS#NOVOTELECOM/<tenant> (unscoped) tenants with settings, for the scheduled run
//
// Blobs: t/<tenant>/novotelecom/out/<name>, …/in/<sha256>, …/accounts/<random>.
//
// Personal data: registries hold personal accounts and addresses; they live in the tenant's
// blobs and records and in the diagnostics 1C users read (the seed's "неизв.лиц.счёт:
// 8032067"), never in logs or in error messages (those name lines and fields, not values).
package novotelecom
