// Independent-client check of the Kontur service with npm soap 1.13.0 (infra/package.json):
// loads the WSDL from the running hub with Basic auth, calls every operation through the SOAP
// 1.1 port and (forceSoap12Headers) the SOAP 1.2 port — the front desk's flow of a bonus
// write-off — and prints JSON for the Go test.
// Usage: node soapclient.js BASE_URL USER PASSWORD CARD
'use strict';
const soap = require('soap');

const [base, user, pass, card] = process.argv.slice(2);
const basic = 'Basic ' + Buffer.from(user + ':' + pass, 'utf8').toString('base64');

async function port(v12) {
  const c = await soap.createClientAsync(base + '/ws/Kontur?wsdl', {
    wsdl_headers: { Authorization: basic },
    forceSoap12Headers: v12,
  });
  c.setSecurity(new soap.BasicAuthSecurity(user, pass));
  return c.Kontur[v12 ? 'KonturSoap12' : 'KonturSoap'];
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
const str = (v) => (v === undefined || v === null ? v : String(v));

async function run(v12) {
  const tag = v12 ? 'npm-12' : 'npm-11';
  const p = await port(v12);
  const out = {};
  out.currencies = items((await invoke(p, 'GetCurrencies', {})).return).map((c) => c.Code + ':' + c.Scale).join(',');
  const saved = (await invoke(p, 'SavePaymentType', {
    Code: tag, Description: 'Баллы ' + tag, Currency: 'BONUS', MaxPercent: '50', Enabled: true,
  })).return;
  out.saved = { Kind: saved.Kind, MaxPercent: str(saved.MaxPercent), Description: saved.Description };
  const ref = saved.Ref;
  out.typeListed = items((await invoke(p, 'GetPaymentTypes', {})).return).some((t) => t.Ref === ref);
  const b = (await invoke(p, 'GetCardBalance', { CardNumber: card })).return;
  out.balance = { CardMasked: b.CardMasked, BONUS: str(items(b.Balances).find((x) => x.Currency === 'BONUS').Amount) };
  const folio = 'F-' + tag;
  const z = (await invoke(p, 'GetAvailable', { FolioId: folio, Saldo: '0', PaymentType: ref, CardNumber: card })).return;
  out.availableZero = { Amount: str(z.Amount), ReasonCode: z.ReasonCode };
  const a = (await invoke(p, 'GetAvailable', { FolioId: folio, Saldo: '-1000.00', PaymentType: ref, CardNumber: card })).return;
  out.available = { Amount: str(a.Amount), Currency: a.Currency, Limit: str(a.Limit) };
  out.refused = await fault(p, 'WriteOff', {
    RequestId: tag + '-big', FolioId: folio, CardNumber: card, PaymentType: ref, Amount: '501', Saldo: '-1000.00',
  });
  const args = { RequestId: tag, FolioId: folio, CardNumber: card, PaymentType: ref, Amount: '500', Saldo: '-1000.00' };
  const w = (await invoke(p, 'WriteOff', args)).return;
  out.writeOff = {
    State: w.State, StateName: w.StateName, Posted: w.Posted, Title: w.Payment.Title, Amount: str(w.Payment.Amount),
    Currency: w.Payment.Currency, OperationId: w.Payment.OperationId, Time: iso(w.Payment.Time),
  };
  const again = (await invoke(p, 'WriteOff', args)).return;
  out.repeatSame = again.OperationId === w.OperationId;
  const g = (await invoke(p, 'GetWriteOff', { RequestId: tag })).return;
  out.get = { State: g.State, FolioId: g.FolioId, PaymentAmount: str(g.Payment.Amount) };
  const c = (await invoke(p, 'Cancel', { RequestId: tag })).return;
  out.cancel = { State: c.State, Cancelled: c.Payment.Cancelled };
  return out;
}

(async () => {
  const result = { soap11: await run(false), soap12: await run(true) };
  process.stdout.write(JSON.stringify(result));
})().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
