/*
 * What a council web frontend does with the API, in the browser: every
 * call is a cross-origin fetch() from this page's origin to the gateway,
 * so the browser applies CORS (preflights for Authorization, JSON bodies,
 * PUT/PATCH, If-Match; only exposed headers are readable).
 *
 * Each function returns a plain object of what JavaScript could see;
 * tests/browser/cors.js checks it. A failed fetch (CORS refused) is
 * reported as {error: "TypeError: Failed to fetch"} rather than thrown.
 */
'use strict';

var frontend = (function () {
	var HEADERS = ['etag', 'location', 'ratelimit', 'ratelimit-policy',
		'x-request-id', 'x-cache', 'retry-after'];

	async function call(api, method, path, opts) {
		opts = opts || {};
		var init = {method: method, headers: {}, credentials: 'include'};
		if (opts.token)
			init.headers['Authorization'] = 'Bearer ' + opts.token;
		if (opts.json !== undefined) {
			init.headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(opts.json);
		}
		if (opts.form) {
			init.headers['Content-Type'] =
			    'application/x-www-form-urlencoded';
			init.body = new URLSearchParams(opts.form).toString();
		}
		for (var h in (opts.headers || {}))
			init.headers[h] = opts.headers[h];
		var out = {method: method, path: path};
		try {
			var r = await fetch(api + path, init);
			out.status = r.status;
			out.headers = {};
			HEADERS.forEach(function (name) {
				var v = r.headers.get(name);
				if (v !== null)
					out.headers[name] = v;
			});
			var text = await r.text();
			try {
				out.body = text === '' ? null : JSON.parse(text);
			} catch (e) {
				out.body = text;
			}
		} catch (e) {
			out.error = String(e);
		}
		return out;
	}

	/* An officer signs in, reads public and authorised data, tops up an
	 * envelope, drafts a call, edits it with If-Match (twice: the second
	 * is stale), asks the GraphQL façade, and signs out. */
	async function officerSession(api, username, password) {
		var steps = {}, year = 2031;

		steps.token = await call(api, 'POST', '/auth/token', {form: {
			grant_type: 'password', username: username,
			password: password}});
		var tok = steps.token.body && steps.token.body.access_token;
		steps.me = await call(api, 'GET', '/auth/me', {token: tok});
		steps.publicCalls = await call(api, 'GET',
		    '/v1/funding/calls?region=oriental');
		steps.envelope = await call(api, 'PUT',
		    '/v1/funding/envelopes/oriental/' + year, {token: tok,
		    json: {allocated_minor: 900000000, currency: 'EUR'}});
		steps.create = await call(api, 'POST', '/v1/funding/calls', {
			token: tok,
			headers: {'Idempotency-Key': 'browser-' + Date.now()},
			json: {region: 'oriental', year: year,
			    title: {fr: 'Appel navigateur'},
			    description: {fr: 'Brouillon'},
			    themes: ['integration'],
			    applicant_types: ['association'],
			    budget_minor: 10000000, max_grant_minor: 1000000,
			    opens_at: year + '-01-01T00:00:00Z',
			    closes_at: year + '-06-30T00:00:00Z',
			    scoring_grid: [{key: 'relevance', weight: 1,
			    max: 10}]}});
		var loc = steps.create.headers && steps.create.headers.location;
		if (loc) {
			var path = loc.replace(/^https?:\/\/[^/]+/, '');
			steps.read = await call(api, 'GET', path, {token: tok});
			var etag = steps.read.headers && steps.read.headers.etag;
			steps.patch = await call(api, 'PATCH', path, {token: tok,
			    headers: {'If-Match': etag},
			    json: {budget_minor: 12000000}});
			steps.stalePatch = await call(api, 'PATCH', path, {
			    token: tok, headers: {'If-Match': etag},
			    json: {budget_minor: 9000000}});
		}
		/* the GraphQL façade: its answer carries the RateLimit of
		 * the reads it made */
		steps.graphql = await call(api, 'POST', '/graphql', {token: tok,
		    json: {query: '{ regions { code } }'}});
		steps.signOut = await call(api, 'POST', '/auth/revoke', {
			form: {token: tok}});
		steps.meAfter = await call(api, 'GET', '/auth/me', {token: tok});
		/* an unusable token: the 401 is readable (to sign in again) */
		steps.badToken = await call(api, 'GET', '/v1/funding/envelopes',
		    {token: 'not.a.token'});
		return steps;
	}

	/* What any visitor's page does: public data, and a sign-in. */
	async function publicRead(api) {
		return {
			publicCalls: await call(api, 'GET',
			    '/v1/funding/calls?region=oriental'),
			token: await call(api, 'POST', '/auth/token', {form: {
			    grant_type: 'password', username: 'nobody',
			    password: 'nothing-at-all'}}),
		};
	}

	return {officerSession: officerSession, publicRead: publicRead};
})();
