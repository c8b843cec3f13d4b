// The integration suites' traffic against the OpenAPI documents: every
// recorded exchange (tests/integration/support.c writes one JSON line per
// exchange when MP_TEST_RECORD is set) is matched to its operation in the
// documents of openapi/ (every file whose top key is `openapi`, so new
// documents are covered without editing this file) and checked like a
// validating proxy would:
//   - the status is declared (exactly, as 4XX/5XX, or default);
//   - a body with a JSON media type validates against the declared schema
//     of that media type, and the media type itself is declared;
//   - every declared response header that is present matches its schema,
//     and a header declared `required: true` is present.
// An answer of the gateway (recorded module "gateway") with a status its
// operation does not declare is an answer of the gateway's edge (a 431, a
// 404 of a path it refuses, a 429...): it is checked against the response the
// gateway document's `x-edge-responses` names for that status.
// Statuses every operation may answer (the shared library's 400
// bad-query, 401 invalid-token, 503 shutting-down) are listed once, in
// common.yaml's `x-every-operation-responses`, and accepted for any
// operation that does not declare them (checked against that response).
// Headers every answer carries are listed once, in a document's root
// `x-every-response-headers` (common.yaml: X-Request-Id), and for the
// gateway's answers on the services' paths in the gateway document's
// `x-edge-headers` (RateLimit, RateLimit-Policy): they are checked on
// every such exchange as if each response declared them.
// Exchanges whose path no document declares (probes of unknown paths, the
// test fixture app) are counted, not judged. HEAD is checked as GET.
//
//   node openapi_traffic.cjs OPENAPI_DIR EXCHANGES.jsonl
// (NODE_PATH=tools/node/node_modules). Prints each violation, grouped by
// operation and reason, and exits 1 when there is any.
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const [dir, exchangesFile] = process.argv.slice(2);
if (!dir || !exchangesFile) {
  console.error('usage: openapi_traffic.cjs OPENAPI_DIR EXCHANGES.jsonl');
  process.exit(2);
}

// ---- the documents --------------------------------------------------------
const docs = {};
for (const f of fs.readdirSync(dir).sort()) {
  if (!/\.(ya?ml|json)$/.test(f)) continue;
  const doc = YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  if (doc && typeof doc === 'object' && doc.openapi) docs[f] = doc;
}

// OpenAPI 3.1 schemas are JSON Schema 2020-12; the documents carry
// keywords ajv does not know (example, discriminator...): not strict.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
for (const [f, doc] of Object.entries(docs)) ajv.addSchema(doc, f);

const unescape = (s) => s.replace(/~1/g, '/').replace(/~0/g, '~');
const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

// Follow a (non-schema) $ref: returns {file, pointer, node}.
function deref(file, pointer, node) {
  for (let hops = 0; node && node.$ref && hops < 10; hops++) {
    const [f, frag] = node.$ref.split('#');
    if (f) file = f;
    pointer = frag || '';
    node = pointer.split('/').slice(1).map(unescape)
      .reduce((n, k) => (n == null ? n : n[k]), docs[file]);
  }
  return { file, pointer, node };
}

// Answers every operation may give (common.yaml x-every-operation-responses).
const everyResponses = [];
for (const [f, doc] of Object.entries(docs))
  for (const [st, r] of Object.entries(doc['x-every-operation-responses'] || {}))
    everyResponses.push({ file: f, status: st, node: r });

// The gateway's own answers on the services' paths (x-edge-responses).
const edgeFile = Object.keys(docs).find((f) => docs[f]['x-edge-responses']);
const edge = edgeFile ? { file: edgeFile, responses: docs[edgeFile]['x-edge-responses'] } : null;

// Headers of every answer, and of every edge answer.
const everyHeaders = [];
const edgeHeaders = [];
for (const [f, doc] of Object.entries(docs)) {
  for (const [n, h] of Object.entries(doc['x-every-response-headers'] || {}))
    everyHeaders.push({ file: f, pointer: `/x-every-response-headers/${escape(n)}`, name: n, node: h });
  for (const [n, h] of Object.entries(doc['x-edge-headers'] || {}))
    edgeHeaders.push({ file: f, pointer: `/x-edge-headers/${escape(n)}`, name: n, node: h });
}

// Operations: method + path template, literal paths before templated ones.
const ops = [];
for (const [file, doc] of Object.entries(docs)) {
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const m of ['get', 'put', 'post', 'delete', 'patch', 'options']) {
      if (!item[m]) continue;
      const params = (p.match(/\{[^}]+\}/g) || []).length;
      const re = new RegExp('^' + p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '/?$');
      ops.push({ file, path: p, method: m, params, re,
        pointer: `/paths/${escape(p)}/${m}`, op: item[m] });
    }
  }
}
ops.sort((a, b) => a.params - b.params);

function findOp(method, urlPath) {
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  return ops.find((o) => o.method === m && o.re.test(urlPath));
}

const validators = new Map();
function validatorFor(file, pointer) {
  const key = `${file}#${pointer}`;
  if (!validators.has(key)) validators.set(key, ajv.compile({ $ref: key }));
  return validators.get(key);
}

function errorsText(v) {
  return (v.errors || []).slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

// ---- one exchange -----------------------------------------------------------
function check(ex) {
  const urlPath = ex.path.split('?')[0];
  const o = findOp(ex.method, urlPath);
  if (!o) return null; // not an operation of the documents
  const out = [];
  const where = `${o.file} ${o.method.toUpperCase()} ${o.path}`;
  const responses = o.op.responses || {};
  const st = String(ex.status);
  const key = responses[st] ? st : responses[st[0] + 'XX'] ? st[0] + 'XX'
    : responses.default ? 'default' : null;
  let r;
  if (key) {
    r = deref(o.file, `${o.pointer}/responses/${escape(key)}`, responses[key]);
  } else if (ex.module === 'gateway' && edge && edge.responses[st]) {
    r = deref(edge.file, `/x-edge-responses/${st}`, edge.responses[st]);
  } else if (everyResponses.some((e) => e.status === st)) {
    const e = everyResponses.find((x) => x.status === st);
    r = deref(e.file, `/x-every-operation-responses/${st}`, e.node);
  } else {
    out.push([where, `status ${st} not declared`]);
    return out;
  }
  const resp = r.node || {};

  // headers: the response's own, then those of every (edge) answer
  const declared = Object.entries(resp.headers || {}).map(([name, h0]) =>
    ({ name, ...deref(r.file, `${r.pointer}/headers/${escape(name)}`, h0) }));
  for (const e of everyHeaders.concat(ex.module === 'gateway' && edge && o.file !== edge.file ? edgeHeaders : []))
    if (!declared.some((d) => d.name.toLowerCase() === e.name.toLowerCase()))
      declared.push({ name: e.name, ...deref(e.file, e.pointer, e.node) });
  for (const h of declared) {
    const name = h.name;
    const value = ex.headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.node && h.node.required) out.push([where, `${st}: required header ${name} missing`]);
      continue;
    }
    if (!h.node || !h.node.schema) continue;
    const v = validatorFor(h.file, `${h.pointer}/schema`);
    const t = h.node.schema.type;
    const val = (t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(value)
      ? Number(value) : value;
    if (!v(val)) out.push([where, `${st}: header ${name} "${value}": ${errorsText(v)}`]);
  }

  // body
  const ctype = (ex.headers['content-type'] || '').split(';')[0].trim();
  const body = ex.body == null ? '' : ex.body;
  const content = resp.content || {};
  if (body === '' || ex.method === 'HEAD') return out;
  if (!Object.keys(content).length) {
    out.push([where, `${st}: a body (${ctype || 'no type'}) where none is declared`]);
    return out;
  }
  const media = content[ctype] ? ctype : content['*/*'] ? '*/*' : null;
  if (!media) {
    out.push([where, `${st}: content type ${ctype || '(none)'} not declared (${Object.keys(content).join(', ')})`]);
    return out;
  }
  if (!content[media].schema || !/json/.test(media)) return out;
  let doc;
  try { doc = JSON.parse(body); } catch (e) {
    out.push([where, `${st}: ${media} body is not JSON`]);
    return out;
  }
  const v = validatorFor(r.file, `${r.pointer}/content/${escape(media)}/schema`);
  if (!v(doc)) out.push([where, `${st}: body: ${errorsText(v)}`]);
  return out;
}

// ---- all of them ------------------------------------------------------------
const lines = fs.readFileSync(exchangesFile, 'utf8').split('\n').filter(Boolean);
let judged = 0, unmatched = 0;
const violations = new Map();
for (const line of lines) {
  const ex = JSON.parse(line);
  const res = check(ex);
  if (res === null) { unmatched++; continue; }
  judged++;
  for (const [where, why] of res) {
    const k = `${where}: ${why}`;
    const prev = violations.get(k);
    violations.set(k, { n: (prev ? prev.n : 0) + 1, ex: prev ? prev.ex : `${ex.proc} ${ex.method} ${ex.path}` });
  }
}
for (const [k, { n, ex }] of [...violations.entries()].sort()) {
  console.log(`VIOLATION ${k} (x${n}; e.g. ${ex})`);
}
const total = [...violations.values()].reduce((a, v) => a + v.n, 0);
console.log(`openapi traffic: ${judged} exchanges checked against ${Object.keys(docs).join(', ')}; ` +
  `${unmatched} outside the documents; ${total} violations (${violations.size} distinct)`);
process.exit(total === 0 ? 0 : 1);
