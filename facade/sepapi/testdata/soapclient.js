// Independent-client check of the Sep service with npm soap 1.13.0 (infra/package.json):
// loads the WSDL from the running hub with Basic auth, calls every operation through the SOAP
// 1.1 port and (forceSoap12Headers) the SOAP 1.2 port, and prints JSON for the Go test.
// Usage: node soapclient.js BASE_URL USER PASSWORD ARGS_JSON
'use strict';
const soap = require('soap');

const [base, user, pass, argsJSON] = process.argv.slice(2);
const a = JSON.parse(argsJSON);
const basic = 'Basic ' + Buffer.from(user + ':' + pass, 'utf8').toString('base64');

async function port(v12) {
  const c = await soap.createClientAsync(base + '/ws/Sep?wsdl', {
    wsdl_headers: { Authorization: basic },
    forceSoap12Headers: v12,
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, pass));
  return c.Sep[v12 ? 'SepSoap12' : 'SepSoap'];
}

function invoke(p, op, args) {
  return new Promise((resolve, reject) => {
    p[op](args, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function fault(p, op, args) {
  try {
    await invoke(p, op, args);
    return { error: 'no fault' };
  } catch (err) {
    const f = err && err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
    if (!f) return { error: String(err) };
    const detail = f.detail || f.Detail || {};
    return {
      code: f.faultcode || (f.Code && f.Code.Value),
      message: f.faultstring || (f.Reason && (f.Reason.Text.$value || f.Reason.Text)),
      detailCode: detail.Error && detail.Error.Code,
    };
  }
}

// items reads a list wrapper: absent or empty, one item (an object) or several (an array).
function items(list) {
  if (!list || !list.Item) return [];
  return Array.isArray(list.Item) ? list.Item : [list.Item];
}

const iso = (d) => (d instanceof Date ? d.toISOString() : d);

function entry(e) {
  return { Id: e.Id, Status: e.Status, StatusColor: e.StatusColor, QueueId: e.QueueId, Created: iso(e.Created), Applications: items(e.Applications) };
}

async function run(v12) {
  const p = await port(v12);
  const org = a.organisation;
  const out = {};
  const st = (await invoke(p, 'GetSettings', {})).return;
  out.settings = { Orgs: items(st.Organisations).length, TechMailbox: st.TechMailbox, SepResponsible: st.SepResponsible };
  const saved = (await invoke(p, 'SaveSettings', {
    Organisations: { Item: items(st.Organisations).map((o) => ({ INN: o.INN, OGRN: o.OGRN, Name: o.Name })) },
    SepResponsible: st.SepResponsible, TechMailbox: st.TechMailbox,
  })).return;
  out.saved = { Orgs: items(saved.Organisations).length, TechMailbox: saved.TechMailbox };
  const key = (await invoke(p, 'GetOrganisationKey', { Organisation: org })).return;
  out.keyLen = Buffer.from(key, 'base64').length;
  const person = (await invoke(p, 'SavePerson', { Ref: a.person, Name: 'Иванов Иван Иванович', Email: a.personEmail })).return;
  out.person = { Ref: person.Ref, Email: person.Email };
  const asset = (await invoke(p, 'SaveAsset', { Ref: a.asset, Code: 'ОС-0003', Name: 'SCANIA G410', VIN: a.vin, EPTS: a.epts, Organisation: org })).return;
  out.asset = { Ref: asset.Ref, EPTS: asset.EPTS, Responsible: asset.Responsible === undefined ? '' : asset.Responsible };
  out.badRef = await fault(p, 'SaveAsset', { Ref: 'asset-3', Name: 'x' });
  // LeaseEnd as an instant with an offset: midnight 7 July 2028 in Moscow, in UTC.
  const c = (await invoke(p, 'SaveLeaseContract', {
    Ref: a.contract2, Organisation: org, DocName: 'Приложение', DocNumber: 'ДЛ-2025/18',
    DocDate: '2025-07-07T00:00:00', LeaseEnd: '2028-07-06T21:00:00Z',
    LesseeINN: a.lesseeInn, LesseeName: 'ООО «Магистраль-Перевозки»', LesseeEmail: 'fleet@magistral.example',
    Assets: { Item: [a.asset] },
  })).return;
  out.contract = { Ref: c.Ref, DocDate: iso(c.DocDate), LeaseEnd: iso(c.LeaseEnd), Assets: items(c.Assets) };
  out.letters = items((await invoke(p, 'GetLetters', { ToProcess: false, Limit: 100 })).return).length;
  const rld = items((await invoke(p, 'RequestLetterData', { Organisation: org, Letters: { Item: [a.letter2] }, RequestId: 'npm-rld-1' })).return);
  out.letterData = rld.map(entry);
  const ra = (await invoke(p, 'RequestApplications', { Organisation: org, From: '2025-07-01T00:00:00', To: '2025-07-31T00:00:00', RequestId: 'npm-ra-1' })).return;
  out.period = { Subject: ra.Subject, Status: ra.Status };
  const own = await invoke(p, 'GetOwnershipChanges', { EPTS: a.epts2, Limit: 10 });
  out.ownership = items(own.return).map((r) => ({
    Number: r.Number, Code: r.Code, CurrentOwner: r.CurrentOwner.INN, NewOwner: r.NewOwner.INN,
    NewOwnerStatus: r.NewOwner.Status, Vehicles: items(r.Vehicles).length,
  }));
  out.ownershipNext = own.Next === undefined ? '' : own.Next;
  const app = (await invoke(p, 'GetApplication', { Number: a.number2 })).return;
  out.application = { Type: app.Type, Status: app.Status, Parties: items(app.Parties).length, Created: iso(app.Created) };
  out.unknownApp = await fault(p, 'GetApplication', { Number: 'НЕТ-1' });
  out.confirm = entry((await invoke(p, 'ConfirmOwnership', { Number: a.number2, Status: 'Confirmed', RequestId: 'npm-conf-2' })).return);
  out.refresh = items((await invoke(p, 'RefreshApplications', { Numbers: { Item: [a.number2] }, RequestId: 'npm-rf-1' })).return).map(entry);
  const cands = items((await invoke(p, 'GetLeaseCandidates', { Organisation: org, From: '2025-07-01T00:00:00', To: '2025-07-31T00:00:00' })).return);
  out.candidates = cands.map((x) => ({ Contract: x.Contract, Ready: x.Ready, Lease: x.Lease === undefined ? '' : x.Lease,
    AssetStatus: items(x.Assets).length ? items(x.Assets)[0].Status : null }));
  const lease = (await invoke(p, 'SendLease', { Contract: a.contract1, LessorStatus: 'Confirmed', LesseeStatus: 'NotApplicable',
    Deadline: '2025-07-21T00:00:00', UseTechMailbox: true, RequestId: a.leaseRequest })).return;
  out.lease = { Id: lease.Id, Number: lease.Number, Status: lease.Status, Deadline: iso(lease.Deadline),
    UseTechMailbox: lease.UseTechMailbox, Vehicles: items(lease.Vehicles).length };
  const cl = (await invoke(p, 'ConfirmLease', { Lease: a.lease, LesseeStatus: 'Confirmed', Code: a.leaseCode, RequestId: 'npm-cl-1' })).return;
  out.confirmLease = { RequestStatus: cl.RequestStatus, RequestStatusColor: cl.RequestStatusColor };
  out.waiting = items((await invoke(p, 'GetQueue', { WaitingOnly: true, Limit: 100 })).return).length;
  out.entry = entry((await invoke(p, 'GetQueueEntry', { Id: a.entry })).return);
  const n = (await invoke(p, 'GetCounts', {})).return;
  out.counts = { Letters: n.Letters, Waiting: n.Waiting, Ready: n.Ready, Ownership: n.Ownership, Leases: n.Leases, Capped: n.Capped };
  const r = (await invoke(p, 'PollNow', {})).return;
  out.poll = { Due: r.Due, Worked: r.Worked };
  const notes = items((await invoke(p, 'GetNotifications', { Person: a.person })).return);
  out.notifications = notes.length;
  out.notification0 = notes.length ? { Asset: notes[0].Asset, Emailed: notes[0].Emailed } : null;
  return out;
}

(async () => {
  const result = { soap11: await run(false), soap12: await run(true) };
  process.stdout.write(JSON.stringify(result));
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
