// Introspection of the gateway's GraphQL engine against graphql-js.
//
//   node introspection.mjs DRIVER SCHEMA.graphql...
//
// For each schema: the C engine answers graphql-js' full introspection
// query (every option on); the answer must equal graphql-js' own for the
// same SDL, buildClientSchema must accept it, and printSchema of the client
// schema must equal printSchema of the SDL. Exits 1 on any difference.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

const require = createRequire(join(process.cwd(), 'tools/node/package.json'));
const { buildSchema, buildClientSchema, printSchema, graphqlSync, getIntrospectionQuery } = require('graphql');

const [driver, ...schemas] = process.argv.slice(2);
const query = getIntrospectionQuery({
  descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
  schemaDescription: true, inputValueDeprecation: true, oneOf: true,
});
const tmp = mkdtempSync(join(tmpdir(), 'gqlintro-'));
let failed = 0;

function firstDifference(a, b, path = '') {
  if (isDeepStrictEqual(a, b)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return `${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference(a[k], b[k], `${path}/${k}`);
    if (d) return d;
  }
  return `${path}: differs`;
}

try {
  const qpath = join(tmp, 'introspection.graphql');
  writeFileSync(qpath, query);
  for (const sdlPath of schemas) {
    const sdl = readFileSync(sdlPath, 'utf8');
    const schema = buildSchema(sdl);
    const expected = JSON.parse(JSON.stringify(graphqlSync({ schema, source: query })));
    const got = JSON.parse(execFileSync(driver, ['--exec', sdlPath, qpath], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    const diff = firstDifference(got, expected);
    if (diff) {
      failed++;
      console.log(`${sdlPath}: introspection differs from graphql-js at ${diff}`);
      continue;
    }
    const printed = printSchema(buildClientSchema(got.data));
    if (printed !== printSchema(schema)) {
      failed++;
      console.log(`${sdlPath}: printSchema(buildClientSchema(answer)) differs from the SDL's`);
      continue;
    }
    console.log(`${sdlPath}: introspection equal to graphql-js' (${got.data.__schema.types.length} types), ` +
      `printSchema round trip equal (${printed.split('\n').length} lines)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
