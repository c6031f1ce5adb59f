// Independent-client check with npm soap 1.13.0 (infra/package.json): loads each service's
// WSDL from the running facade with Basic auth, calls every operation through the SOAP 1.1
// port and (forceSoap12Headers) the SOAP 1.2 port, and prints the results as JSON for the
// Go test to check. Usage: node soapclient.js BASE_URL USER PASSWORD
'use strict';
const soap = require('soap');

const [base, user, pass] = process.argv.slice(2);
const basic = 'Basic ' + Buffer.from(user + ':' + pass, 'utf8').toString('base64');

async function client(name, v12) {
  const c = await soap.createClientAsync(base + '/ws/' + name + '?wsdl', {
    wsdl_headers: { Authorization: basic },
    forceSoap12Headers: v12,
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, pass));
  return c[name][name + (v12 ? 'Soap12' : 'Soap')];
}

// fault extracts what a 1C programmer would look at from a rejected call.
function fault(err) {
  const f = err && err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
  if (!f) return { error: String(err) };
  const detail = f.detail || f.Detail || {};
  return {
    status: err.response && err.response.status,
    code: f.faultcode || (f.Code && f.Code.Value),
    message: f.faultstring || (f.Reason && (f.Reason.Text.$value || f.Reason.Text)),
    detailCode: detail.Error && detail.Error.Code,
    detailMessage: detail.Error && detail.Error.Message,
  };
}

// invoke calls an operation on one port (the client-level *Async methods use the first port).
function invoke(port, op, args) {
  return new Promise((resolve, reject) => {
    port[op](args, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function run(v12) {
  const hub = await client('Hub', v12);
  const probe = await client('Probe', v12);
  const out = {};
  out.ping = (await invoke(hub, 'Ping', {})).return;
  out.versions = (await invoke(hub, 'GetVersions', {})).return.Item;
  const echo = await invoke(probe, 'Echo', {
    Record: {
      Text: 'Счёт <1> & «2»', Amount: '0.1', When: '2025-03-01T23:30:00', Flag: false, Count: 0, Data: 'AAEC',
      Lines: { Item: [{ Name: 'a', Amount: '0.2' }, { Name: '', Amount: '1234.50' }] }, Total: '0',
    },
  });
  out.echo = { record: echo.return, lineCount: echo.LineCount };
  out.zeroes = await invoke(probe, 'Zeroes', {});
  try {
    await invoke(probe, 'Fail', { Kind: 'invalid' });
    out.fault = { error: 'no fault' };
  } catch (err) {
    out.fault = fault(err);
  }
  return out;
}

(async () => {
  const result = { soap11: await run(false), soap12: await run(true) };
  process.stdout.write(JSON.stringify(result));
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
