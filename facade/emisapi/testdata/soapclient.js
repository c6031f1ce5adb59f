// Independent-client check of the Emis service with npm soap 1.13.0 (infra/package.json):
// loads the WSDL from the running hub with Basic auth, calls every operation through the SOAP
// 1.1 port and (forceSoap12Headers) the SOAP 1.2 port, and prints JSON for the Go test.
// Usage: node soapclient.js BASE_URL USER PASSWORD LEGAL_ENTITY PERSON UNSAVED_PERSON
'use strict';
const soap = require('soap');

const [base, user, pass, legal, person, unsaved] = process.argv.slice(2);
const basic = 'Basic ' + Buffer.from(user + ':' + pass, 'utf8').toString('base64');

async function port(v12) {
  const c = await soap.createClientAsync(base + '/ws/Emis?wsdl', {
    wsdl_headers: { Authorization: basic },
    forceSoap12Headers: v12,
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, pass));
  return c.Emis[v12 ? 'EmisSoap12' : 'EmisSoap'];
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

async function run(v12) {
  const p = await port(v12);
  const out = {};
  out.legal = items((await invoke(p, 'GetLegalEntities', {})).return);
  out.saved = (await invoke(p, 'SaveGuest', { PersonId: person, BookingId: '473024', Surname: 'HUBER' })).return;
  out.started = (await invoke(p, 'StartDocuments', { LegalEntity: legal, PersonId: person, BookingId: '473024' })).return;
  out.unsaved = await fault(p, 'StartDocuments', { LegalEntity: legal, PersonId: unsaved });
  const d = (await invoke(p, 'GetDocuments', { LegalEntity: legal, PersonId: person })).return;
  const stay = items(d.StayDocuments);
  out.docs = {
    PersonId: d.PersonId, Version: d.Version, Surname: d.Surname, Number: d.Identity.Number,
    BirthDate: iso(d.Identity.BirthDate), Nationality: d.Identity.Nationality,
    StayCount: stay.length, Stay0Selected: stay[0].Selected, Stay0ValidTo: iso(stay[0].ValidTo),
    MigrationCard: d.MigrationCard ? d.MigrationCard.Number : null,
    Purpose: d.Visit.PurposeName,
    Warnings: items(d.Warnings).map((w) => w.Code).join(','),
  };
  out.configured = (await invoke(p, 'Configure', { RetentionHours: 48 })).return.RetentionHours;
  const s = (await invoke(p, 'GetSettings', {})).return;
  out.settings = { RetentionHours: s.RetentionHours, EmisSecretSet: s.EmisSecretSet, PMSHookURL: s.PMSHookURL, PMSWebhookURL: s.PMSWebhookURL };
  out.dead = items((await invoke(p, 'ListDeadLetters', {})).return).length;
  out.redeliver = await fault(p, 'Redeliver', { Id: 'd-unknown' });
  return out;
}

(async () => {
  const result = { soap11: await run(false), soap12: await run(true) };
  process.stdout.write(JSON.stringify(result));
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
