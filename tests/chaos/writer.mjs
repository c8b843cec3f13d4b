// Write load for `make chaos`: CONC clients create funding applications
// through the gateway for DURATION seconds, each write with its own
// Idempotency-Key, retried with the SAME key on a transport error, a 5xx or
// a 409 "in progress" until it is acknowledged (201/200) or refused (other
// 4xx), for at most RETRY_S seconds -- what a careful mobile client does.
// The key is also written into the title, so the checker can find
// duplicates in the database. One JSON line per finished write on stdout:
//   {"key","status","id","t_first","t_ack","attempts"}
// Usage: node writer.mjs GATEWAY_URL TOKEN CALL_ID COMMUNE DURATION_S [CONC]
import { randomUUID } from 'node:crypto';

const [gw, token, call, commune, durS, concS] = process.argv.slice(2);
const DURATION = Number(durS) * 1000;
const CONC = Number(concS || 4);
const RETRY_S = 120;
const end = Date.now() + DURATION;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function body(key) {
	return JSON.stringify({
		applicant: { kind: 'person', type: 'mre', name: 'Chaos Holder', sex: 'female',
			age_band: '35-49', country_of_residence: 'FR' },
		title: { fr: `chaos ${key}` },
		summary: { fr: 'chaos load' },
		commune, theme: 'economic',
		budget_lines: [{ label: 'Équipement', amount_minor: 200000 }],
		requested_minor: 100000, cofinancing_minor: 50000,
		beneficiaries: [{ sex: 'female', age_band: '25-34', count: 3 }],
		gender_marker: 2,
	});
}

async function write() {
	const key = randomUUID();
	const t_first = Date.now();
	let attempts = 0;
	for (;;) {
		attempts++;
		let status = 0, id = null, retryAfter = 0;
		try {
			const r = await fetch(`${gw}/v1/funding/calls/${call}/applications`, {
				method: 'POST',
				headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json',
					'idempotency-key': key },
				body: body(key),
				signal: AbortSignal.timeout(5000),
			});
			status = r.status;
			retryAfter = Number(r.headers.get('retry-after') || 0);
			const j = await r.json().catch(() => ({}));
			id = j.id ?? null;
		} catch (e) {
			status = 0; // transport error or timeout: unknown outcome, retry
		}
		if (status === 200 || status === 201) {
			return { key, status, id, t_first, t_ack: Date.now(), attempts };
		}
		const retry = status === 0 || status >= 500 || status === 409 || status === 429;
		if (!retry || Date.now() - t_first > RETRY_S * 1000)
			return { key, status, id: null, t_first, t_ack: null, attempts };
		await sleep(retryAfter > 0 ? retryAfter * 1000 : 250);
	}
}

async function client() {
	while (Date.now() < end) {
		const r = await write();
		process.stdout.write(JSON.stringify(r) + '\n');
	}
}
await Promise.all(Array.from({ length: CONC }, client));
