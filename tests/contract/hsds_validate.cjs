// HSDS 3.0 contract of the cases service's /v1/cases/hsds/ API: every
// answer (API root, lists and items, full and not, each filter, three
// languages) is validated with ajv + ajv-formats against the published HSDS
// schemas vendored in tests/contract/hsds-3.0 (compiled/service.json,
// service_list.json, organization.json, organization_list.json,
// service_at_location.json, service_at_location_list.json, taxonomy.json,
// taxonomy_term.json; the Page envelope and the root from openapi.json).
// Every item of every list is then fetched on its own and validated too.
// The envelope's numbers must agree with each other and with the request.
//
// Before the service is judged, the validator is: wrong answers made from a
// real one (a required member removed, a status HSDS does not know, an id
// that is not a UUID, a null, an envelope without contents) must each be
// refused, or this test fails.
//
//   node tests/contract/hsds_validate.cjs BASE_URL
// (NODE_PATH=tools/node/node_modules; exit 0 when everything is valid)
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const BASE = process.argv[2];
const DIR = path.join(__dirname, 'hsds-3.0');
const load = (f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'));

// HSDS's schemas carry Table Schema keywords (name, constraints, core,
// example, datapackage_metadata, tabular_required) ajv does not know.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(load('metadata.json'), 'metadata.json');
ajv.addSchema(load('taxonomy.json'), 'taxonomy.json');
const api = load('openapi.json');
const schema = {
	service: ajv.compile(load('compiled/service.json')),
	service_list: ajv.compile(load('compiled/service_list.json')),
	organization: ajv.compile(load('compiled/organization.json')),
	organization_list: ajv.compile(load('compiled/organization_list.json')),
	sal: ajv.compile(load('compiled/service_at_location.json')),
	sal_list: ajv.compile(load('compiled/service_at_location_list.json')),
	taxonomy: ajv.getSchema('taxonomy.json'),
	taxonomy_term: ajv.compile(load('taxonomy_term.json')),
	root: ajv.compile(api.paths['/'].get.responses['200'].content['application/json'].schema),
	// HSDS's Page, every member of it present (its own schema requires none)
	page: ajv.compile({
		allOf: [api.components.schemas.Page],
		required: ['total_items', 'total_pages', 'page_number', 'size',
			'first_page', 'last_page', 'empty', 'contents'],
		properties: { contents: { type: 'array' } },
	}),
};

let failures = 0, answers = 0, objects = 0;
const fail = (what, msg) => { failures++; console.log(`FAIL: ${what}: ${msg}`); };
const errs = (v) => ajv.errorsText(v.errors, { separator: '; ' }).slice(0, 600);

function check(v, obj, what) {
	objects++;
	if (!v(obj)) { fail(what, errs(v)); return false; }
	return true;
}

async function get(p, lang) {
	const r = await fetch(BASE + p, { headers: lang ? { 'Accept-Language': lang } : {} });
	const text = await r.text();
	answers++;
	if (r.status !== 200) { fail(p, `HTTP ${r.status}: ${text.slice(0, 300)}`); return null; }
	if (!/^application\/json/.test(r.headers.get('content-type') || '')) {
		fail(p, `content-type ${r.headers.get('content-type')}`);
	}
	try { return JSON.parse(text); } catch (e) { fail(p, 'not JSON'); return null; }
}

// A list: the envelope, its arithmetic, each item; returns the items.
async function list(p, item, lang) {
	const page = await get(p, lang);
	if (page === null || !check(schema.page, page, `${p} (envelope)`)) return [];
	const q = new URL(BASE + p).searchParams;
	const per = Number(q.get('per_page') || 50), n = Number(q.get('page') || 1);
	const want = {
		size: page.contents.length, empty: page.contents.length === 0,
		page_number: n, first_page: n === 1,
		total_pages: Math.ceil(page.total_items / per),
		last_page: n >= Math.ceil(page.total_items / per),
	};
	for (const [k, v] of Object.entries(want)) {
		if (page[k] !== v) fail(`${p} (envelope)`, `${k} is ${page[k]}, expected ${v}`);
	}
	page.contents.forEach((c, i) => check(schema[item], c, `${p} contents[${i}] (${item})`));
	return page.contents;
}

// The validator refuses wrong answers made from a right one.
function selfTest(service, page) {
	const wrong = [
		['a service without name', (s) => { delete s.name; }],
		['a service whose status HSDS does not know', (s) => { s.status = 'open'; }],
		['a service id that is not a UUID', (s) => { s.id = 'svc-42'; }],
		['a null member', (s) => { s.url = null; }],
		['a phone without number', (s) => { s.phones = [{ id: s.id }]; }],
	];
	for (const [what, mutate] of wrong) {
		const s = JSON.parse(JSON.stringify(service));
		mutate(s);
		if (schema.service(s)) fail('validator self-test', `accepted ${what}`);
	}
	const p = JSON.parse(JSON.stringify(page));
	delete p.contents;
	if (schema.page(p)) fail('validator self-test', 'accepted a page without contents');
	if (!schema.service(service)) fail('validator self-test', 'refused the right service');
}

async function main() {
	if (!BASE) { console.log('usage: hsds_validate.cjs BASE_URL'); process.exit(2); }
	const H = '/v1/cases/hsds';
	const root = await get(H);
	if (root) check(schema.root, root, `${H} (root)`);

	const services = await list(`${H}/services?per_page=200`, 'service_list');
	if (services.length < 10) fail(`${H}/services`, `${services.length} services: the directory was not loaded`);
	const first = await get(`${H}/services/${services[0].id}`);
	const page = await get(`${H}/services?per_page=2`);
	if (first && page) selfTest(first, page);

	const sals = await list(`${H}/service_at_locations?per_page=200`, 'sal_list');
	const orgs = await list(`${H}/organizations?per_page=200`, 'organization_list');
	const terms = await list(`${H}/taxonomy_terms`, 'taxonomy_term');
	const taxonomies = await list(`${H}/taxonomies`, 'taxonomy');
	if (sals.length < 10 || orgs.length < 10 || terms.length !== 9 || taxonomies.length !== 1) {
		fail('directory', `${sals.length} service-at-locations, ${orgs.length} organisations, ` +
			`${terms.length} terms, ${taxonomies.length} taxonomies`);
	}

	// filters, full answers, pages, languages
	const org = orgs.length ? orgs[0].id : '00000000-0000-7000-8000-000000000000';
	const lists = [
		[`${H}/services?full=true&per_page=200`, 'service'],
		[`${H}/services?search=sante`, 'service_list'],
		[`${H}/services?search=juridique&taxonomy_term_id=legal_aid&commune=oujda`, 'service_list'],
		[`${H}/services?taxonomy_term_id=01930000-0000-7000-8000-00000000a001&full=1`, 'service'],
		[`${H}/services?taxonomy_id=01930000-0000-7000-8000-00000000a000&per_page=5&page=2`, 'service_list'],
		[`${H}/services?organization_id=${org}&modified_after=2020-01-01T00:00:00Z`, 'service_list'],
		[`${H}/services?lat=30.4202&lon=-9.5982&radius_km=25`, 'service_list'],
		[`${H}/services?lat=34.6814&lon=-1.9086&full=true`, 'service'],
		[`${H}/services?search=nothing-matches-this`, 'service_list'],
		[`${H}/services?per_page=7&page=999`, 'service_list'],
		[`${H}/service_at_locations?full=true&per_page=200`, 'sal'],
		[`${H}/service_at_locations?commune=agadir&taxonomy_term_id=health`, 'sal_list'],
		[`${H}/service_at_locations?lat=34.6814&lon=-1.9086&radius_km=5&status=active`, 'sal_list'],
		[`${H}/service_at_locations?search=emploi&modified_after=2020-01-01&per_page=1&page=2`, 'sal_list'],
		[`${H}/organizations?full=true&per_page=200`, 'organization'],
		[`${H}/organizations?search=association&per_page=2`, 'organization_list'],
		[`${H}/taxonomy_terms?top_only=true&taxonomy_id=01930000-0000-7000-8000-00000000a000`, 'taxonomy_term'],
		[`${H}/taxonomy_terms?search=sante&per_page=1`, 'taxonomy_term'],
		[`${H}/taxonomies?search=basic`, 'taxonomy'],
	];
	for (const [p, item] of lists) await list(p, item);
	for (const lang of ['ar', 'en']) {
		await list(`${H}/services?full=true&per_page=200`, 'service', lang);
		await list(`${H}/service_at_locations?per_page=200`, 'sal_list', lang);
		await list(`${H}/taxonomy_terms`, 'taxonomy_term', lang);
	}

	// every item on its own
	const items = [
		...services.map((x) => [`${H}/services/${x.id}`, 'service']),
		...sals.map((x) => [`${H}/service_at_locations/${x.id}`, 'sal']),
		...orgs.map((x) => [`${H}/organizations/${x.id}`, 'organization']),
		...terms.map((x) => [`${H}/taxonomy_terms/${x.id}`, 'taxonomy_term']),
		...taxonomies.map((x) => [`${H}/taxonomies/${x.id}`, 'taxonomy']),
	];
	for (const [p, item] of items) {
		const o = await get(p, p.includes('/services/') ? 'ar' : undefined);
		if (o !== null) check(schema[item], o, `${p} (${item})`);
	}

	if (failures === 0) {
		console.log(`hsds contract: ${answers} answers, ${objects} objects valid against HSDS 3.0 ` +
			`(${services.length} services, ${sals.length} service-at-locations, ${orgs.length} organisations); ` +
			'the validator refused the 6 wrong answers of its self-test');
	}
	process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => { console.log(`FAIL: ${e.stack || e}`); process.exit(1); });
