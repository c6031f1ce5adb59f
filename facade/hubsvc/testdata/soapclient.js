// Independent-client check of the Hub service's retention operations with npm soap 1.13.0
// (infra/package.json): loads the WSDL from the running facade with Basic auth, calls every
// operation through the SOAP 1.1 port and (forceSoap12Headers) the SOAP 1.2 port, and prints
// JSON for the Go test (facade/hubsvc/retention_test.go) to check.
// Usage: node soapclient.js BASE_URL ADMIN DESK PASSWORD
'use strict';
const soap = require('soap');

const [base, admin, desk, pass] = process.argv.slice(2);

async function port(user, v12) {
  const basic = 'Basic ' + Buffer.from(user + ':' + pass, 'utf8').toString('base64');
  const c = await soap.createClientAsync(base + '/ws/Hub?wsdl', {
    wsdl_headers: { Authorization: basic },
    forceSoap12Headers: v12,
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, pass));
  return c.Hub['Hub' + (v12 ? 'Soap12' : 'Soap')];
}

function invoke(p, op, args) {
  return new Promise((resolve, reject) => {
    p[op](args, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function fault(err) {
  const f = err && err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
  if (!f) return { error: String(err) };
  const detail = f.detail || f.Detail || {};
  return {
    code: f.faultcode || (f.Code && f.Code.Value),
    detailCode: detail.Error && detail.Error.Code,
    detailMessage: detail.Error && detail.Error.Message,
  };
}

async function expectFault(p, op, args) {
  try {
    await invoke(p, op, args);
    return { error: 'no fault' };
  } catch (err) {
    return fault(err);
  }
}

async function run(v12) {
  const a = await port(admin, v12);
  const d = await port(desk, v12);
  const out = {};
  out.ping = (await invoke(a, 'Ping', {})).return;
  out.versions = (await invoke(a, 'GetVersions', {})).return.Item;
  out.before = (await invoke(a, 'GetRetention', {})).return;
  out.set = (await invoke(a, 'SetRetention', { Hours: 36 })).return;
  out.after = (await invoke(a, 'GetRetention', {})).return;
  out.reset = (await invoke(a, 'SetRetention', { Hours: 0 })).return;
  out.deskReads = (await invoke(d, 'GetRetention', {})).return;
  out.deskFault = await expectFault(d, 'SetRetention', { Hours: 24 });
  out.rangeFault = await expectFault(a, 'SetRetention', { Hours: 100000 });
  return out;
}

(async () => {
  const result = { soap11: await run(false), soap12: await run(true) };
  process.stdout.write(JSON.stringify(result));
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
