// Independent OData client check: Microsoft datajs 1.0.3 (pinned in infra/package.json)
// reads the running hub's $metadata and one Atom feed, and prints what it understood as JSON.
//
// Usage: node datajs_client.js <service root URL> <set name> [<call>]
// <call> is an optional path relative to the root (a register's virtual table, e.g.
// InformationRegister_X/SliceLast(Period=datetime'…')) whose Atom feed datajs reads too.
// Credentials come from ODATA_USER / ODATA_PASSWORD; modules are found through NODE_PATH
// (infra/node_modules). datajs's own HTTP client needs XMLHttpRequest, so the documents are
// fetched with Node's fetch and handed to datajs's handlers, which do the parsing.
"use strict";

const { DOMParser, XMLSerializer } = require("@xmldom/xmldom");
global.window = global; // datajs attaches OData to window and looks up DOMParser there
global.DOMParser = DOMParser;
global.XMLSerializer = XMLSerializer;
require("datajs");
const OData = global.OData;

async function read(handler, url, accept, context) {
  const auth = Buffer.from(`${process.env.ODATA_USER}:${process.env.ODATA_PASSWORD}`, "utf8").toString("base64");
  const res = await fetch(url, { headers: { Accept: accept, Authorization: `Basic ${auth}` } });
  const body = await res.text();
  if (!res.ok) {
    throw new Error(`${url}: HTTP ${res.status}: ${body}`);
  }
  const headers = {};
  res.headers.forEach((v, k) => {
    // datajs looks headers up by their canonical names.
    const canon = k.split("-").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("-");
    headers[canon] = v;
  });
  headers.DataServiceVersion = res.headers.get("dataserviceversion");
  const response = { requestUri: url, statusCode: res.status, headers, body };
  if (!handler.read(response, context || {})) {
    throw new Error(`${url}: datajs did not read the ${headers["Content-Type"]} payload`);
  }
  return response.data;
}

async function main() {
  const [root, setName, call] = process.argv.slice(2);
  const md = await read(OData.metadataHandler, root + "$metadata", "application/xml");
  const schema = md.dataServices.schema[0];
  const out = {
    version: md.version,
    dataServiceVersion: md.dataServices.dataServiceVersion,
    namespace: schema.namespace,
    entityTypes: (schema.entityType || []).map((t) => ({
      name: t.name,
      openType: t.openType,
      key: t.key.propertyRef.map((k) => k.name),
      properties: (t.property || []).map((p) => `${p.name}:${p.type}`),
      navigation: (t.navigationProperty || []).map((n) => `${n.name}:${n.relationship}`),
    })),
    complexTypes: (schema.complexType || []).map((t) => t.name),
    complexTypeProperties: Object.fromEntries((schema.complexType || []).map((t) => [
      t.name,
      (t.property || []).map((p) => `${p.name}:${p.type}`),
    ])),
    associations: (schema.association || []).map((a) => a.name),
    containers: (schema.entityContainer || []).map((c) => ({
      name: c.name,
      isDefault: c.isDefaultEntityContainer,
      sets: (c.entitySet || []).map((s) => `${s.name}:${s.entityType}`),
      functions: (c.functionImport || []).map((f) => f.name),
      // Function imports as datajs reads them; attributes it has no schema for (IsBindable,
      // IsSideEffecting, m:IsAlwaysBindable) come back as extensions.
      functionImports: (c.functionImport || []).map((f) => ({
        name: f.name,
        returnType: f.returnType,
        entitySet: f.entitySet,
        parameters: (f.parameter || []).map((p) => `${p.name}:${p.type}`),
        attributes: Object.fromEntries((f.extensions || []).map((x) => [x.name, x.value])),
      })),
    })),
  };
  const feed = await read(OData.atomHandler, root + setName, "application/atom+xml", { metadata: md });
  out.feed = feed.results.map((e) => ({
    type: e.__metadata.type,
    uri: e.__metadata.uri,
    Ref_Key: e.Ref_Key,
    Description: e.Description,
  }));
  if (call) {
    const result = await read(OData.atomHandler, root + call, "application/atom+xml", { metadata: md });
    out.call = result.results.map((e) => {
      const row = { type: e.__metadata.type, uri: e.__metadata.uri };
      for (const [k, v] of Object.entries(e)) {
        if (k !== "__metadata") {
          row[k] = v instanceof Date ? v.toISOString() : v;
        }
      }
      return row;
    });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
