// The GraphQL types of cases' directory and gender's indicators against the
// REST answers they are read from, through a running gateway.
//
//   node shapes.mjs GATEWAY_URL directory|gender [TOKEN [YEAR]]
//   node shapes.mjs GATEWAY_URL cases TOKEN CASE_ID REFERRAL_ID PERSON_ID
//
// For each check below, the GraphQL query selects every field of its type
// that the same REST answer carries (recursively; fields with their own
// @rest read are left out; a Relay connection's nodes against the page's
// items), and the REST GET the field's @rest names is
// made too, with the same Accept-Language. Then, member by member (the
// field's @from path, else its name, else its snake_case form, as the
// engine resolves it): the GraphQL value equals the REST value (an enum
// its upper case, a @globalId the base64 of "Type:id"), a String is a JSON
// string, an Int an integer, a Float a number, a Boolean a boolean, a list
// an array of the same length; a member the answer lacks is null in
// GraphQL; and the answer has no error. Last, every field selected must
// be a member of some REST answer (null counts: a suppressed figure), so a
// field whose name matches nothing the service writes fails, except those
// listed in NOT_SEEDED (members the seeded data leaves out).
// Exits 1 on any difference, naming the type, the field and the path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

const require = createRequire(join(process.cwd(), 'tools/node/package.json'));
const {
  buildSchema, getNamedType, getNullableType, isListType, isObjectType, isEnumType,
  isScalarType, isNonNullType,
} = require('graphql');

const [base, mode, token] = process.argv.slice(2);
const sdlPath = process.env.MP_GRAPHQL_SCHEMA || 'openapi/schema.graphql';
const schema = buildSchema(readFileSync(sdlPath, 'utf8'));
const LANG = 'fr';

// HSDS members the demo directory and the scripted year leave empty or
// absent: found null, they are not held against the schema.
const NOT_SEEDED = new Set([
  'Taxonomy.uri', 'TaxonomyTerm.parentId', 'TaxonomyTerm.translations',
  'Organization.alternateName', 'Service.alternateName', 'Service.url', 'Service.email',
  'Service.alert', 'Service.distanceKm', 'Service.contacts', 'Service.phones',
  'Location.alternateName', 'Location.description', 'Location.languages',
  'Location.phones', 'Location.contacts', 'Location.translations',
  'ServiceAtLocation.description', 'ServiceAtLocation.translations',
  'ServiceAtLocation.phones', 'ServiceAtLocation.schedules', 'ServiceAtLocation.contacts',
  'Organization.contacts', 'Phone.extension', 'Contact.id', 'Contact.name', 'Contact.title',
  'Contact.department', 'Contact.email', 'Schedule.validFrom', 'Schedule.validTo',
  'Schedule.description', 'Language.note', 'RequiredDocument.uri', 'Address.attention',
  'Address.address2', 'Address.region',
  'Cell.count', 'FigureRow.province', 'FigureRow.commune', 'FigureRow.sex',
  'FigureRow.ageBand', 'FigureRow.beneficiaryType', 'FigureRow.genderMarker',
  'FigureTotals.female', 'FigureTotals.male', 'FigureTotals.cells', 'FigureTotals.shareWomenBp',
  'TargetStatus.previousBp', 'PersonIdentity.email', 'PersonIdentity.address',
]);

const snake = (s) => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const dirArg = (field, dir, arg) => {
  const d = field.astNode?.directives?.find((x) => x.name.value === dir);
  const a = d?.arguments.find((x) => x.name.value === arg);
  return a ? a.value : undefined;
};
const hasDir = (field, dir) => !!field.astNode?.directives?.some((x) => x.name.value === dir);

// every field of t without its own read or arguments, recursively (a type
// is not entered again below itself)
function selection(t, stack = []) {
  const parts = [];
  for (const f of Object.values(t.getFields())) {
    if (hasDir(f, 'rest') || f.args.length) continue;
    const nt = getNamedType(f.type);
    if (isObjectType(nt)) {
      if (stack.includes(nt.name)) continue;
      const sub = selection(nt, [...stack, t.name]);
      if (sub) parts.push(`${f.name} { ${sub} }`);
    } else parts.push(f.name);
  }
  return parts.join(' ');
}

let failures = 0;
const seen = new Map(); // "Type.field" -> a member of some REST answer
const fail = (msg) => { failures++; console.log(`shapes: ${msg}`); };

function member(obj, field) {
  const from = dirArg(field, 'from', 'path');
  if (from) return from.value.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
  if (obj[field.name] !== undefined) return obj[field.name];
  return obj[snake(field.name)];
}

function compare(type, gql, rest, path) {
  const nn = getNullableType(type);
  if (rest === undefined || rest === null) {
    if (gql !== null && gql !== undefined) fail(`${path}: ${JSON.stringify(gql)} in GraphQL, absent in REST`);
    return;
  }
  if (isListType(nn)) {
    if (!Array.isArray(rest)) return fail(`${path}: REST gives ${typeof rest}, the schema a list`);
    if (!Array.isArray(gql) || gql.length !== rest.length)
      return fail(`${path}: ${Array.isArray(gql) ? gql.length : typeof gql} items in GraphQL, ${rest.length} in REST`);
    rest.forEach((r, i) => compare(nn.ofType, gql[i], r, `${path}[${i}]`));
    return;
  }
  const nt = getNamedType(nn);
  if (isObjectType(nt)) {
    if (typeof rest !== 'object' || Array.isArray(rest)) return fail(`${path}: REST gives ${JSON.stringify(rest).slice(0, 60)}, the schema ${nt.name}`);
    if (gql === null || typeof gql !== 'object') return fail(`${path}: null in GraphQL, an object in REST`);
    for (const [name, value] of Object.entries(gql)) {
      const f = nt.getFields()[name];
      const key = `${nt.name}.${name}`;
      let r;
      if (hasDir(f, 'globalId')) {
        r = rest.id;
        if (r !== undefined && value !== Buffer.from(`${nt.name}:${r}`).toString('base64'))
          fail(`${path}.${name}: ${value} is not the global id of ${nt.name}:${r}`);
        if (r !== undefined) seen.set(key, true);
        continue;
      }
      r = member(rest, f);
      if (r !== undefined) seen.set(key, true);
      else if (!seen.has(key)) seen.set(key, false);
      compare(f.type, value, r, `${path}.${name}`);
    }
    return;
  }
  const ok = (cond, what) => cond || fail(`${path}: REST gives ${JSON.stringify(rest)}, not ${what} (${nt.name})`);
  if (isEnumType(nt)) {
    if (ok(typeof rest === 'string' && nt.getValue(rest.toUpperCase()), 'a value of the enum') && gql !== rest.toUpperCase())
      fail(`${path}: ${gql} in GraphQL, ${rest} in REST`);
    return;
  }
  switch (nt.name) {
    case 'String': case 'ID': case 'DateTime':
      if (ok(typeof rest === 'string', 'a string') && gql !== rest) fail(`${path}: ${gql} != ${rest}`);
      return;
    case 'Int': case 'Money':
      if (ok(Number.isInteger(rest), 'an integer') && gql !== rest) fail(`${path}: ${gql} != ${rest}`);
      return;
    case 'Float':
      if (ok(typeof rest === 'number', 'a number') && gql !== rest) fail(`${path}: ${gql} != ${rest}`);
      return;
    case 'Boolean':
      if (ok(typeof rest === 'boolean', 'a boolean') && gql !== rest) fail(`${path}: ${gql} != ${rest}`);
      return;
    default:
      if (isScalarType(nt) && !isDeepStrictEqual(gql, rest)) fail(`${path}: JSON differs`);
  }
}

async function getJson(url, accept) {
  const headers = { 'accept-language': LANG, accept: accept || 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { headers });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

// one check: Query.<field>(<args>) against GET <rest> (select: its member)
async function check(field, args, rest, select) {
  const f = schema.getQueryType().getFields()[field];
  const nt = getNamedType(f.type);
  const conn = nt.name.endsWith('Connection') ? nt.getFields().nodes : null;
  const sel = isScalarType(nt) ? ''
    : conn ? `{ nodes { ${selection(getNamedType(conn.type))} } }` : `{ ${selection(nt)} }`;
  const query = `{ r: ${field}${args ? `(${args})` : ''} ${sel} }`;
  const headers = { 'content-type': 'application/json', 'accept-language': LANG };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
  const body = await res.json();
  if (body.errors) return fail(`${field}: ${JSON.stringify(body.errors).slice(0, 300)}`);
  let r = await getJson(`${base}${rest}`);
  if (select) r = r[select];
  if (conn) compare(conn.type, body.data.r.nodes, r.items, `${field}.nodes`);
  else compare(f.type, body.data.r, r, field);
  return r;
}

async function directory() {
  const page = await check('services', 'perPage: 50', '/v1/cases/hsds/services?full=true&page=1&per_page=50');
  if (!page || page.contents.length < 5) fail(`services: ${page?.contents.length} seeded services, expected the demo directory`);
  await check('serviceAtLocations', 'perPage: 50', '/v1/cases/hsds/service_at_locations?full=true&page=1&per_page=50');
  const orgs = await check('organizations', 'perPage: 50', '/v1/cases/hsds/organizations?full=true&page=1&per_page=50');
  const taxes = await check('taxonomies', null, '/v1/cases/hsds/taxonomies?page=1&per_page=20');
  const terms = await check('taxonomyTerms', 'perPage: 50', '/v1/cases/hsds/taxonomy_terms?page=1&per_page=50');
  await check('directory', null, '/v1/cases/hsds');
  const svc = page.contents.find((s) => s.service_at_locations?.length) || page.contents[0];
  await check('service', `id: "${svc.id}"`, `/v1/cases/hsds/services/${svc.id}`);
  const sal = svc.service_at_locations?.[0];
  if (sal) await check('serviceAtLocation', `id: "${sal.id}"`, `/v1/cases/hsds/service_at_locations/${sal.id}`);
  const org = orgs.contents[0];
  await check('organization', `id: "${org.id}"`, `/v1/cases/hsds/organizations/${org.id}`);
  await check('taxonomy', `id: "${taxes.contents[0].id}"`, `/v1/cases/hsds/taxonomies/${taxes.contents[0].id}`);
  await check('taxonomyTerm', `id: "${terms.contents[0].id}"`, `/v1/cases/hsds/taxonomy_terms/${terms.contents[0].id}`);
  // near a point, nearest first: coordinates go out as written (34.6814)
  const near = await check('serviceAtLocations', 'lat: 34.6814, lon: -1.9086, radiusKm: 3, status: ACTIVE, perPage: 10',
    '/v1/cases/hsds/service_at_locations?full=true&lat=34.6814&lon=-1.9086&radius_km=3&status=active&page=1&per_page=10');
  if (!near?.contents.length || near.contents.some((c) => typeof c.distance_km !== 'number'))
    fail('serviceAtLocations near Oujda: none, or without distanceKm');
  // a filter goes through: a commune's services, words as prefixes
  await check('services', 'commune: "oujda", search: "sante", perPage: 5',
    '/v1/cases/hsds/services?full=true&search=sante&commune=oujda&page=1&per_page=5');
}

async function gender() {
  const year = process.argv[5] || '2031';
  await check('indicators', null, '/v1/gender/indicators', 'items');
  const dims = `code: "women_applicants", dimension: ["region", "period:${year}Q1;${year}Q2"]`;
  const q = `dimension=region&dimension=period:${year}Q1;${year}Q2`;
  await check('indicatorFigures', dims, `/v1/gender/indicators/women_applicants?${q}`);
  await check('indicatorFigures', `code: "gender_marker_funded", dimension: ["region"], filter: ["period:${year}"]`,
    `/v1/gender/indicators/gender_marker_funded?dimension=region&filter=period:${year}`);
  await check('indicatorFigures', `code: "women_funded_amount", dimension: ["sex"], filter: ["period:${year}"]`,
    `/v1/gender/indicators/women_funded_amount?dimension=sex&filter=period:${year}`);
  await check('indicatorDataValues', `code: "women_applicants", dimension: ["region", "period:${year}"]`,
    `/v1/gender/indicators/women_applicants/dataValueSets?dimension=region&dimension=period:${year}`);
  await check('genderTargets', `year: ${year}`, `/v1/gender/targets?year=${year}`);
  await check('genderAlerts', `year: ${year}`, `/v1/gender/alerts?year=${year}`);
}

// a council agent's case, referral and person, as that agent
async function cases() {
  const [kase, referral, person] = process.argv.slice(5);
  const one = await check('case', `id: "${kase}"`, `/v1/cases/cases/${kase}`);
  if (!one?.notes?.length || !one?.referrals?.length || !one?.mediations?.length)
    fail('case: the test case should have notes, referrals and mediations');
  const page = await check('cases', 'first: 50', '/v1/cases/cases?limit=50');
  if (!page?.items?.some((c) => c.id === kase)) fail('cases: the test case is not listed');
  await check('referral', `id: "${referral}"`, `/v1/cases/referrals/${referral}`);
  await check('overdueReferrals', 'first: 50', '/v1/cases/referrals/overdue?limit=50');
  const who = await check('person', `id: "${person}"`, `/v1/cases/persons/${person}`);
  if (!who?.identity || !who?.consents?.length) fail('person: the test person should have an identity and consents');
  const people = await check('persons', 'first: 50', '/v1/cases/persons?limit=50');
  if (!people?.items?.length) fail('persons: none listed');
}

try {
  if (mode === 'cases') await cases();
  else if (mode === 'directory') await directory();
  else if (mode === 'gender') await gender();
  else throw new Error('mode: directory, gender or cases');
} catch (e) {
  fail(e.message);
}
const selected = [...seen.keys()];
for (const [key, found] of seen)
  if (!found && !NOT_SEEDED.has(key)) fail(`${key}: no REST answer has a member of that name`);
console.log(`shapes (${mode}): ${selected.length} fields of ${new Set(selected.map((k) => k.split('.')[0])).size} types ` +
  `compared with the REST answers, ${failures} difference(s)`);
process.exit(failures ? 1 : 0);
