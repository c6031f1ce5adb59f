// Independent-client check of the Novotelecom service with npm soap 1.13.0 (infra/package.json):
// loads the WSDL from the running hub with Basic auth, plays the seed's cycle through every
// operation — the SOAP 1.1 port as one housing company, the SOAP 1.2 port
// (forceSoap12Headers) as another — and prints JSON for the Go test.
// Usage: node soapclient.js BASE_URL USER11 PASS11 LOGIN11 SECRET11 USER12 PASS12 LOGIN12 SECRET12
'use strict';
const soap = require('soap');

const [base, ...creds] = process.argv.slice(2);

async function port(v12, user, pass) {
  const basic = 'Basic ' + Buffer.from(user + ':' + pass, 'utf8').toString('base64');
  const c = await soap.createClientAsync(base + '/ws/Novotelecom?wsdl', {
    wsdl_headers: { Authorization: basic },
    forceSoap12Headers: v12,
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, pass));
  return c.Novotelecom[v12 ? 'NovotelecomSoap12' : 'NovotelecomSoap'];
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
const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, iso(o[k])]));
const registry = (r) => pick(r, ['Id', 'File', 'Kind', 'Folder', 'Number', 'Date', 'Period', 'Count', 'Sum']);

async function run(v12, user, pass, login, secret) {
  const p = await port(v12, user, pass);
  const out = {};
  out.before = (await invoke(p, 'GetSettings', {})).return.Configured;
  const s = (await invoke(p, 'SaveSettings', { Coding: 'city', Login: login, Password: secret, ReportDetails: true, ExchangeEvery: 60 })).return;
  out.settings = pick(s, ['Configured', 'Coding', 'CodingName', 'LoginSet', 'PasswordSet', 'ReportDetails', 'ExchangeEvery', 'Charset', 'Updated']);
  out.services = registry((await invoke(p, 'SubmitServices', { RequestId: 'services-1', Services: { Item: [
    { Code: '1', CityCode: '101', SberCode: 'S1', Name: 'Содержание жилья' },
    { Code: '2', CityCode: '102', SberCode: 'S2', Name: 'Вывоз ТКО' },
  ] } })).return);
  const debts = (await invoke(p, 'SubmitDebts', { RequestId: 'debts-1', Period: '2018-05-01T00:00:00', Lines: { Item: [
    { Account: '8032001', Address: 'г. Новосибирск, ул. Ленина, 1-1', CityCode: '101', Amount: '1200.00' },
    { Account: '8032001', Address: 'г. Новосибирск, ул. Ленина, 1-1', CityCode: '102', Amount: '510.40' },
    { Account: '8032002', CityCode: '101', Amount: '55.00' },
    { Account: '8032003', CityCode: '101', Amount: '-20.00' },
  ] } })).return;
  out.debts = registry(debts);
  out.meters = registry((await invoke(p, 'SubmitMeters', { RequestId: 'meters-1', Period: '2018-05-15T00:00:00', Lines: { Item: [
    { Account: '8032001', Address: 'г. Новосибирск, ул. Ленина, 1-1', Meter: '118843', CityCode: '201', Value: '345.120' },
  ] } })).return);
  const x = (await invoke(p, 'RunExchange', {})).return;
  out.session = pick(x, ['State', 'StateName', 'Manual', 'Sent', 'Received', 'Awaiting', 'Rejected', 'Answers', 'Errors', 'ErrorCode', 'Message', 'Started']);
  out.session.Details = items(x.Details).length;
  out.errors = items((await invoke(p, 'GetErrors', { Limit: 10 })).return).map((e) => pick(e, ['File', 'Line', 'Message', 'Direction']));
  const first = await invoke(p, 'GetPendingRegistries', { Limit: 1 });
  const rest = await invoke(p, 'GetPendingRegistries', { Cursor: first.Next, Limit: 10 });
  const pending = items(first.return).concat(items(rest.return));
  out.pending = pending.map(registry);
  out.pendingNext = Boolean(first.Next) && !rest.Next;
  const d = (await invoke(p, 'AcceptRegistry', { Id: pending[0].Id })).return;
  out.document = pick(d, ['Type', 'Title', 'File', 'Number', 'Date', 'Count', 'Sum', 'Comment', 'Confirmation']);
  out.again = await fault(p, 'AcceptRegistry', { Id: pending[0].Id });
  const f = (await invoke(p, 'GetRegistryFile', { Id: debts.Id })).return;
  // The content is CP1251: the header line is ASCII.
  out.file = { File: f.File, Charset: f.Charset, Size: f.Size, Header: Buffer.from(f.Content, 'base64').toString('latin1').split('\r\n')[0] };
  return out;
}

(async () => {
  const result = { soap11: await run(false, ...creds.slice(0, 4)), soap12: await run(true, ...creds.slice(4, 8)) };
  process.stdout.write(JSON.stringify(result));
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
