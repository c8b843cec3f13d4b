// Every @rest of the GraphQL schema names an operation its service's
// OpenAPI document declares.
//
//   node rest_ops.mjs SCHEMA.graphql
//
// For each @rest (on a field or a type): openapi/<service>.yaml has the path
// (its {argument} and {.member} segments matching the operation's {param}
// segments) with the method; each query parameter the directive appends
// ("name" or "parameter=argument"), the ones written in the path after its
// "?", and those of a `batch:` path, are parameters of that operation, and
// an argument a query parameter names is an argument of the field. graphql-js
// builds the schema first. Exits 1 naming each mismatch.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.cwd(), 'tools/node/package.json'));
const { buildSchema, isObjectType } = require('graphql');
const YAML = require('yaml');

const sdlPath = process.argv[2] || 'openapi/schema.graphql';
const schema = buildSchema(readFileSync(sdlPath, 'utf8'));
const docs = {};
let failures = 0, checked = 0;
const fail = (where, msg) => { failures++; console.log(`rest_ops: ${where}: ${msg}`); };

function doc(service) {
  if (!(service in docs)) {
    const p = `openapi/${service}.yaml`;
    docs[service] = existsSync(p) ? YAML.parse(readFileSync(p, 'utf8')) : null;
  }
  return docs[service];
}

// the document's path template equal to p, segment by segment ({x} = {y})
function findPath(d, p) {
  const segs = p.split('/');
  return Object.keys(d.paths || {}).find((k) => {
    const ks = k.split('/');
    return ks.length === segs.length &&
      ks.every((s, i) => s === segs[i] || (/^\{.+\}$/.test(s) && /^\{.+\}$/.test(segs[i])));
  });
}

function params(d, item, op) {
  const deref = (x) => (x.$ref ? x.$ref.split('/').slice(1).reduce((o, k) => o[k], d) : x);
  return [...(item.parameters || []), ...(op.parameters || [])].map(deref);
}

function checkOne(where, dir, field) {
  const arg = (n) => dir.arguments.find((a) => a.name.value === n)?.value;
  const service = arg('service')?.value;
  const d = doc(service);
  if (!d) return fail(where, `no openapi/${service}.yaml`);
  const methods = ['get', 'post', 'put', 'patch', 'delete'].filter((m) => arg(m));
  const queryItems = (arg('query')?.values || (arg('query') ? [arg('query')] : [])).map((v) => v.value);
  const one = (method, full, extra) => {
    checked++;
    const [path, qs] = full.split('?');
    const key = findPath(d, path);
    if (!key) return fail(where, `${method.toUpperCase()} ${path}: no such path in openapi/${service}.yaml`);
    const item = d.paths[key];
    if (!item[method]) return fail(where, `${method.toUpperCase()} ${key}: no such operation in openapi/${service}.yaml`);
    const names = new Set(params(d, item, item[method]).filter((p) => p.in === 'query').map((p) => p.name));
    const given = [...(qs ? qs.split('&').map((kv) => kv.split('=')[0]) : []), ...extra];
    for (const n of given)
      if (!names.has(n)) fail(where, `${method.toUpperCase()} ${key}: query parameter ${n} is not the operation's`);
  };
  for (const m of methods) {
    const extra = [];
    for (const q of queryItems) {
      const [pname, aname] = q.includes('=') ? q.split('=') : [q, q];
      extra.push(pname);
      if (field && !field.args.some((a) => a.name === aname)) fail(where, `query "${q}": no argument ${aname}`);
    }
    one(m, arg(m).value, extra);
  }
  if (arg('batch')) one('get', arg('batch').value, []);
}

for (const t of Object.values(schema.getTypeMap())) {
  if (!isObjectType(t) || t.name.startsWith('__')) continue;
  const td = t.astNode?.directives?.find((x) => x.name.value === 'rest');
  if (td) checkOne(t.name, td, null);
  for (const f of Object.values(t.getFields())) {
    const fd = f.astNode?.directives?.find((x) => x.name.value === 'rest');
    if (fd) checkOne(`${t.name}.${f.name}`, fd, f);
  }
}
console.log(`rest_ops: ${checked} @rest operations of ${sdlPath} found in their services' OpenAPI documents, ${failures} mismatch(es)`);
process.exit(failures ? 1 : 0);
