// Independent-client check of the Bridge service with npm soap 1.13.0 (infra/package.json):
// loads the WSDL from the running hub with Basic auth, calls every operation through the SOAP
// 1.1 port and (forceSoap12Headers) the SOAP 1.2 port, and prints JSON for the Go test.
// Usage: node soapclient.js BASE_URL USER PASSWORD LEGAL_ENTITY PERSON
'use strict';
const soap = require('soap');

const [base, user, pass, legal, person] = process.argv.slice(2);
const basic = 'Basic ' + Buffer.from(user + ':' + pass, 'utf8').toString('base64');

async function port(v12) {
  const c = await soap.createClientAsync(base + '/ws/Bridge?wsdl', {
    wsdl_headers: { Authorization: basic },
    forceSoap12Headers: v12,
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, pass));
  return c.Bridge[v12 ? 'BridgeSoap12' : 'BridgeSoap'];
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
      detailCode: detail.Error && detail.Error.Code,
    };
  }
}

function items(list) {
  if (!list || !list.Item) return [];
  return Array.isArray(list.Item) ? list.Item : [list.Item];
}

const iso = (d) => (d instanceof Date ? d.toISOString() : d);

async function run(v12) {
  const p = await port(v12);
  const out = {};
  const en = (await invoke(p, 'EnrollDevice', { Name: v12 ? 'Стойка SOAP 1.2' : 'Стойка SOAP 1.1' })).return;
  out.enrolled = { id: en.Device.DeviceId, name: en.Device.Name, revoked: en.Device.Revoked, secretLen: en.Secret.length, url: en.UploadURL, tenant: en.Tenant };
  out.devices = items((await invoke(p, 'ListDevices', {})).return).map((d) => d.DeviceId);
  const d = (await invoke(p, 'GetScannedDocuments', { LegalEntity: legal, PersonId: person })).return;
  out.docs = {
    PersonId: d.PersonId, Version: d.Version, Surname: d.Surname, NamesScript: d.NamesScript,
    TypeCode: d.Identity.TypeCode, Number: d.Identity.Number, BirthDate: iso(d.Identity.BirthDate),
    DocumentName: d.Identity.DocumentName, Stay: items(d.StayDocuments).map((s) => s.Number + ':' + s.Entries + ':' + iso(s.ValidTo)).join(','),
    Purpose: d.VisitPurposeName,
    Warnings: items(d.Warnings).map((w) => w.Code).join(','),
    Disagreements: items(d.Disagreements).map((x) => x.Field + ':' + x.Source + '>' + x.OtherSource).join(','),
  };
  const r = (await invoke(p, 'RevokeDevice', { DeviceId: en.Device.DeviceId })).return;
  out.revoked = { id: r.DeviceId, revoked: r.Revoked };
  out.unknownDevice = await fault(p, 'RevokeDevice', { DeviceId: 'dev-unknown' });
  out.noDocuments = await fault(p, 'GetScannedDocuments', { LegalEntity: legal, PersonId: '999999' });
  return out;
}

(async () => {
  const result = { soap11: await run(false), soap12: await run(true) };
  process.stdout.write(JSON.stringify(result));
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
