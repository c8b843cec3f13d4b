/*
 * Drives Debian's chromium (headless, through playwright-core) over the
 * page in tests/browser/page, served by a tiny static server from two
 * origins: the one the gateway allows (MP_CORS_ORIGINS) and another one.
 * From the allowed origin an officer's whole session must work and every
 * header a frontend needs must be readable; from the other one the
 * browser must refuse the API. Exits 0 when every check held; prints one
 * line per failed check otherwise.
 *
 * Environment (set by cors.sh): API, PAGE_PORT, OTHER_PORT, USERNAME_,
 * PASSWORD_, PROFILE_DIR.
 */
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const { chromium } = require('playwright-core');

const API = process.env.API;
const PAGE_DIR = path.join(__dirname, 'page');
const TYPES = { '.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8' };
let failures = 0, checks = 0;

function check(ok, what, seen) {
	checks++;
	if (ok)
		return;
	failures++;
	console.log('FAIL: ' + what + (seen !== undefined ?
	    ' -- seen: ' + JSON.stringify(seen).slice(0, 400) : ''));
}

/* The page's files, nothing else (no directory walk). */
function serve(port) {
	const server = http.createServer((req, res) => {
		const name = req.url === '/' ? 'index.html' :
		    req.url.replace(/^\//, '').replace(/\?.*$/, '');
		const file = path.join(PAGE_DIR, path.basename(name));
		fs.readFile(file, (err, data) => {
			if (err) {
				res.writeHead(404);
				res.end();
				return;
			}
			res.writeHead(200, { 'Content-Type':
			    TYPES[path.extname(file)] || 'text/plain' });
			res.end(data);
		});
	});
	return new Promise((resolve) => server.listen(port, '127.0.0.1',
	    () => resolve(server)));
}

/* The answer to a step was readable from JavaScript with `status`. */
function answered(step, status, what) {
	check(step !== undefined && step.error === undefined &&
	    step.status === status, what + ': ' + status + ' readable from ' +
	    'JavaScript', step);
}

async function main() {
	const servers = [await serve(+process.env.PAGE_PORT),
		await serve(+process.env.OTHER_PORT)];
	/* a fresh profile (PROFILE_DIR) each run */
	const ctx = await chromium.launchPersistentContext(
	    process.env.PROFILE_DIR, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-quic', '--no-first-run',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
	try {
		const page = await ctx.newPage();

		/* the allowed origin: an officer's session */
		await page.goto('http://127.0.0.1:' + process.env.PAGE_PORT +
		    '/');
		const s = await page.evaluate(([api, u, p]) =>
		    frontend.officerSession(api, u, p),
		    [API, process.env.USERNAME_, process.env.PASSWORD_]);
		answered(s.token, 200, 'sign-in (POST /auth/token)');
		check(s.token.body && typeof s.token.body.access_token ===
		    'string', 'sign-in: access_token in the body', s.token);
		check(s.token.headers && s.token.headers.ratelimit,
		    'sign-in: RateLimit readable', s.token);
		answered(s.me, 200, 'GET /auth/me');
		check(s.me.body && s.me.body.username ===
		    process.env.USERNAME_, 'GET /auth/me: the officer', s.me);
		answered(s.publicCalls, 200, 'public GET /v1/funding/calls');
		check(s.publicCalls.headers && s.publicCalls.headers.etag,
		    'public GET: ETag readable', s.publicCalls);
		check(s.publicCalls.headers && /;r=\d+;t=\d+/.test(
		    s.publicCalls.headers.ratelimit || ''),
		    'public GET: RateLimit readable', s.publicCalls);
		check(s.envelope && (s.envelope.status === 200 ||
		    s.envelope.status === 201) && !s.envelope.error,
		    'PUT envelope (preflighted): 200/201 readable', s.envelope);
		answered(s.create, 201, 'POST /v1/funding/calls (preflighted, ' +
		    'Idempotency-Key)');
		check(s.create.headers && /\/v1\/funding\/calls\/[0-9a-f-]{36}$/
		    .test(s.create.headers.location || ''),
		    'POST: Location readable', s.create);
		answered(s.read, 200, 'authorised GET of the draft');
		check(s.read && s.read.headers && /^"v\d+"$/.test(
		    s.read.headers.etag || ''), 'authorised GET: ETag readable',
		    s.read);
		answered(s.patch, 200, 'PATCH with If-Match (preflighted)');
		check(s.patch && s.patch.body && s.patch.body.budget_minor ===
		    12000000, 'PATCH: the change is in the answer', s.patch);
		check(s.patch && s.patch.headers && s.patch.headers.etag &&
		    s.patch.headers.etag !== s.read.headers.etag,
		    'PATCH: a new ETag readable', s.patch);
		answered(s.stalePatch, 412, 'PATCH with a stale If-Match');
		answered(s.graphql, 200, 'POST /graphql (preflighted)');
		check(s.graphql && s.graphql.body && s.graphql.body.data &&
		    Array.isArray(s.graphql.body.data.regions) &&
		    s.graphql.body.data.regions.length > 0,
		    'POST /graphql: data readable', s.graphql);
		check(s.graphql && s.graphql.headers && /;r=\d+;t=\d+/.test(
		    s.graphql.headers.ratelimit || '') &&
		    s.graphql.headers['ratelimit-policy'],
		    'POST /graphql: its reads\' RateLimit readable', s.graphql);
		answered(s.signOut, 200, 'sign-out (POST /auth/revoke)');
		answered(s.meAfter, 401, 'GET /auth/me after sign-out');
		answered(s.badToken, 401, 'a malformed token (the library\'s ' +
		    '401)');

		/* another origin: the browser must refuse every answer */
		await page.goto('http://127.0.0.1:' + process.env.OTHER_PORT +
		    '/');
		const o = await page.evaluate((api) => frontend.publicRead(api),
		    API);
		check(o.publicCalls.error && /Failed to fetch/.test(
		    o.publicCalls.error), 'disallowed origin: public GET ' +
		    'refused by the browser', o.publicCalls);
		check(o.token.error && /Failed to fetch/.test(o.token.error),
		    'disallowed origin: sign-in refused by the browser',
		    o.token);
	} finally {
		await ctx.close();
		servers.forEach((sv) => sv.close());
	}
	if (failures === 0)
		console.log('browser: ' + checks + ' checks held in chromium ' +
		    '(allowed origin works, other origin refused)');
	process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
	console.log('FAIL: ' + (e && e.stack ? e.stack : e));
	process.exit(1);
});
