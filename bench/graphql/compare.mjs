// make bench-graphql: do the façade and GraphQL Mesh give the same answer?
//   node compare.mjs FACADE.json MESH.json [--self-test]
// Both files are GraphQL responses to the same question asked in each
// schema's words. Normal form: the data's one root field (its name differs:
// calls / listCalls), keys in camelCase (Mesh keeps the services'
// snake_case), a page's list as `nodes` (Mesh: the service's `items`), the
// value of a `status` in lower case (the façade's enum values are
// UPPER_CASE, Mesh keeps the service's lower_case), a timestamp as its
// instant (Mesh's DateTime scalar rewrites the service's
// 2027-02-01T09:12:09+00:00 as 2027-02-01T09:12:09.000Z), keys sorted. Any `errors`, an empty answer or a difference fails (exit 1, with
// the first differing path). --self-test changes one leaf of the Mesh answer
// and exits 0 only if that is then found different: the check can fail.
import { readFileSync } from 'node:fs';

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
function norm(v) {
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === 'string' && ISO.test(v)) return new Date(v).toISOString();
  if (v === null || typeof v !== 'object') return v;
  const out = {};
  for (const k of Object.keys(v).sort()) {
    const n = k === 'items' ? 'nodes' : camel(k);
    out[n] = n === 'status' && typeof v[k] === 'string' ? v[k].toLowerCase() : norm(v[k]);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
function root(resp, name) {
  if (resp.errors) throw new Error(`${name}: errors ${JSON.stringify(resp.errors).slice(0, 400)}`);
  const keys = Object.keys(resp.data || {});
  if (keys.length !== 1) throw new Error(`${name}: expected one root field, got ${keys}`);
  return norm(resp.data[keys[0]]);
}
function diff(a, b, path = '') {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null))
    return `${path || '/'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  if (a === null || typeof a !== 'object') return a === b ? null : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.join() !== kb.join()) return `${path || '/'}: keys [${ka}] vs [${kb}]`;
  for (const k of ka) { const d = diff(a[k], b[k], `${path}/${k}`); if (d) return d; }
  return null;
}
function leaves(v) { // count of scalar leaves (an empty answer proves nothing)
  if (v === null || typeof v !== 'object') return 1;
  return Object.values(v).reduce((n, x) => n + leaves(x), 0);
}
function mutate(v) { // changes the last string leaf found
  if (Array.isArray(v) || (v && typeof v === 'object')) {
    for (const k of Object.keys(v).reverse()) {
      if (typeof v[k] === 'string') { v[k] += '#'; return true; }
      if (mutate(v[k])) return true;
    }
  }
  return false;
}

const [fa, me, flag] = process.argv.slice(2);
try {
  const a = root(JSON.parse(readFileSync(fa, 'utf8')), 'facade');
  const b = root(JSON.parse(readFileSync(me, 'utf8')), 'mesh');
  if (flag === '--self-test') {
    if (!mutate(b)) throw new Error('self-test: no string leaf to change');
    const d = diff(a, b);
    if (!d) throw new Error('self-test: a changed answer was NOT found different');
    console.log(`self-test ok: a changed leaf is found (${d})`);
    process.exit(0);
  }
  const n = leaves(a);
  if (n < 2) throw new Error(`the answers are (nearly) empty: ${JSON.stringify(a)}`);
  const d = diff(a, b);
  if (d) throw new Error(`answers differ at ${d}`);
  console.log(`identical (${n} leaves, ${JSON.stringify(a).length} bytes in normal form)`);
} catch (e) {
  console.log(`DIFFERENT: ${e.message}`);
  process.exit(1);
}
