// Checks the rendered Kubernetes manifests (stdin: `kubectl kustomize ...`):
//  1. every object of the Kubernetes API validates against the API's own
//     OpenAPI schemas (npm kubernetes-models, test tooling only); the two
//     operator resources (CloudNativePG Cluster, redis-operator Redis) get
//     the checks of their required fields that matter to us;
//  2. the platform's rules: probes on /healthz (startup, liveness) and
//     /readyz (readiness) on a declared port, containerPort = MP_HTTP_PORT,
//     Services target declared ports, terminationGracePeriodSeconds above
//     MP_SHUTDOWN_GRACE_MS, non-root read-only root filesystem, limits set,
//     every Deployment has an HPA and a PDB, every ConfigMap / Secret /
//     cluster a pod refers to exists, default-deny NetworkPolicy present;
//  3. writes, for each Deployment, the environment its container would get
//     (ConfigMaps and Secrets resolved, mounted Secret files written under
//     OUT/<name>/) to OUT/<name>.env so that the shell script can start the
//     real process with it and let its own configuration table say whether
//     every required variable is set.
// Usage: node check.mjs OUTDIR < rendered.yaml ; exit 1 on any problem.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The test tools live in tools/node (scripts/node-tools.sh installs them).
const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)),
	'../../tools/node/package.json'));
const YAML = require('yaml');
const models = path.dirname(require.resolve('kubernetes-models/package.json'));
const out = process.argv[2];
const docs = YAML.parseAllDocuments(fs.readFileSync(0, 'utf8'))
	.map((d) => d.toJS()).filter(Boolean);
const problems = [];
const bad = (o, msg) => problems.push(`${o.kind}/${o.metadata?.name}: ${msg}`);
const byKind = (k) => docs.filter((d) => d.kind === k);
const find = (k, n) => docs.find((d) => d.kind === k && d.metadata?.name === n);

// ---- 1. schemas --------------------------------------------------------------
const operatorKinds = {
	'postgresql.cnpg.io/v1/Cluster': (o) => {
		if (!(o.spec?.instances >= 1)) bad(o, 'spec.instances must be >= 1');
		if (!o.spec?.storage?.size) bad(o, 'spec.storage.size is required');
		if (!o.spec?.bootstrap?.initdb?.database || !o.spec?.bootstrap?.initdb?.owner)
			bad(o, 'spec.bootstrap.initdb needs database and owner');
	},
	'redis.redis.opstreelabs.in/v1beta2/Redis': (o) => {
		if (!o.spec?.kubernetesConfig?.image) bad(o, 'spec.kubernetesConfig.image is required');
		if (!o.spec?.storage?.volumeClaimTemplate) bad(o, 'no persistent storage');
		const cm = o.spec?.redisConfig?.additionalRedisConfig;
		if (cm && !find('ConfigMap', cm)) bad(o, `ConfigMap ${cm} does not exist`);
	},
};
for (const o of docs) {
	const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
	const op = operatorKinds[`${o.apiVersion}/${o.kind}`];
	if (op) { op(o); continue; }
	const file = path.join(models, group, version, `${o.kind}.js`);
	let Model;
	try {
		Model = (await import(pathToFileURL(file)))[o.kind];
	} catch (e) {
		bad(o, `no schema for ${o.apiVersion} ${o.kind} (unknown kind or version)`);
		continue;
	}
	// kustomize folds long base64 values over lines; the API server's
	// decoder (Go's base64 for []byte) skips newlines, the schema's format
	// check does not: validate the value as the server reads it.
	const o2 = o.kind === 'Secret' && o.data ? { ...o, data: Object.fromEntries(
		Object.entries(o.data).map(([k, v]) => [k, String(v).replace(/\s+/g, '')])) } : o;
	try {
		new Model(o2).validate();
	} catch (e) {
		bad(o, `schema: ${e.message}`);
	}
}

// ---- 2. platform rules ---------------------------------------------------------
const secretData = (name) => {
	const s = find('Secret', name);
	if (!s) return null;
	const d = {};
	for (const [k, v] of Object.entries(s.data || {})) d[k] = Buffer.from(v, 'base64').toString();
	for (const [k, v] of Object.entries(s.stringData || {})) d[k] = v;
	return d;
};
const cnpgSecret = (name) => {
	// CloudNativePG writes <cluster>-app with the owner's URL (key `uri`).
	const m = /^(.*)-app$/.exec(name);
	const c = m && find('Cluster', m[1]);
	if (!c) return null;
	const db = c.spec.bootstrap.initdb.database;
	return { uri: `postgresql://${c.spec.bootstrap.initdb.owner}:pw@127.0.0.1:1/${db}` };
};
if (!byKind('NetworkPolicy').some((p) => Object.keys(p.spec.podSelector || {}).length === 0 &&
	p.spec.policyTypes?.includes('Ingress')))
	problems.push('no default-deny NetworkPolicy');

for (const d of byKind('Deployment')) {
	const name = d.metadata.name;
	const pod = d.spec.template.spec;
	const env = {};
	const files = {};
	if (!find('HorizontalPodAutoscaler', name)) bad(d, 'no HorizontalPodAutoscaler');
	if (!find('PodDisruptionBudget', name)) bad(d, 'no PodDisruptionBudget');
	if (!pod.securityContext?.runAsNonRoot) bad(d, 'pod does not set runAsNonRoot');
	for (const c of [...(pod.initContainers || []), ...pod.containers]) {
		const sc = c.securityContext || {};
		if (!sc.readOnlyRootFilesystem) bad(d, `${c.name}: root filesystem is writable`);
		if (sc.allowPrivilegeEscalation !== false) bad(d, `${c.name}: allowPrivilegeEscalation`);
		if (!c.resources?.requests || !c.resources?.limits?.memory) bad(d, `${c.name}: requests and memory limit required`);
	}
	const c = pod.containers[0];
	for (const ref of c.envFrom || []) {
		const cm = ref.configMapRef && find('ConfigMap', ref.configMapRef.name);
		if (!cm) { bad(d, `envFrom ${JSON.stringify(ref)} does not exist`); continue; }
		Object.assign(env, cm.data);
	}
	for (const e of c.env || []) {
		if ('value' in e) env[e.name] = e.value;
		else if (e.valueFrom?.secretKeyRef) {
			const r = e.valueFrom.secretKeyRef;
			const s = secretData(r.name) || cnpgSecret(r.name);
			if (!s || !(r.key in s)) {
				if (!r.optional) bad(d, `${e.name}: secret ${r.name} key ${r.key} does not exist`);
			} else env[e.name] = s[r.key];
		} else if (e.valueFrom?.fieldRef) env[e.name] = `${name}-pod`;
		else bad(d, `${e.name}: unsupported source`);
	}
	for (const m of c.volumeMounts || []) {
		const v = (pod.volumes || []).find((x) => x.name === m.name);
		if (!v) { bad(d, `mount ${m.name} has no volume`); continue; }
		if (v.secret) {
			const s = secretData(v.secret.secretName);
			if (!s) { bad(d, `volume ${v.name}: secret ${v.secret.secretName} does not exist`); continue; }
			for (const it of v.secret.items || Object.keys(s).map((k) => ({ key: k, path: k }))) {
				if (!(it.key in s)) bad(d, `volume ${v.name}: key ${it.key} not in ${v.secret.secretName}`);
				else files[path.posix.join(m.mountPath, it.path)] = s[it.key];
			}
		}
	}
	const port = Number(env.MP_HTTP_PORT);
	const named = Object.fromEntries((c.ports || []).map((p) => [p.name, p.containerPort]));
	if (!Object.values(named).includes(port)) bad(d, `MP_HTTP_PORT ${env.MP_HTTP_PORT} is not a containerPort`);
	const probe = (kind, want) => {
		const p = c[kind];
		if (!p?.httpGet) { bad(d, `no ${kind}`); return; }
		if (p.httpGet.path !== want) bad(d, `${kind} path ${p.httpGet.path}, expected ${want}`);
		const pp = typeof p.httpGet.port === 'string' ? named[p.httpGet.port] : p.httpGet.port;
		if (pp !== port) bad(d, `${kind} port ${p.httpGet.port} is not the process's port ${port}`);
	};
	probe('startupProbe', '/healthz');
	probe('livenessProbe', '/healthz');
	probe('readinessProbe', '/readyz');
	const grace = Number(env.MP_SHUTDOWN_GRACE_MS || 10000);
	if (!(pod.terminationGracePeriodSeconds * 1000 > grace))
		bad(d, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} not above MP_SHUTDOWN_GRACE_MS ${grace}`);
	for (const s of byKind('Service').filter((s) => s.spec.selector?.['app.kubernetes.io/name'] === name))
		for (const p of s.spec.ports)
			if (typeof p.targetPort === 'string' ? !(p.targetPort in named) : !Object.values(named).includes(p.targetPort))
				bad(s, `targetPort ${p.targetPort} is not a port of ${name}`);
	if (out) {
		fs.mkdirSync(path.join(out, name), { recursive: true });
		let lines = '';
		for (const [k, v] of Object.entries(env)) {
			let val = String(v);
			for (const f of Object.keys(files)) {
				const local = path.join(out, name, f.replace(/\//g, '_'));
				fs.writeFileSync(local, files[f]);
				val = val.split(f).join(local);
			}
			if (/[\r\n]/.test(val)) bad(d, `${k}: the value holds a line break (a Secret file ending in a newline?)`);
			lines += `${k}=${val}\n`;
		}
		fs.writeFileSync(path.join(out, `${name}.env`), lines);
	}
}
for (const ing of byKind('Ingress')) {
	if (!ing.spec.tls?.length) bad(ing, 'does not terminate TLS');
	for (const r of ing.spec.rules || [])
		for (const p of r.http?.paths || [])
			if (!find('Service', p.backend.service.name)) bad(ing, `backend ${p.backend.service.name} does not exist`);
}

if (problems.length) {
	for (const p of problems) console.error(`FAIL: ${p}`);
	process.exit(1);
}
console.log(`kubernetes: ${docs.length} objects valid (${byKind('Deployment').length} Deployments)`);
