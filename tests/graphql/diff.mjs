// Differential test of the gateway's GraphQL engine against graphql-js.
//
//   node diff.mjs DRIVER SCHEMA CORPUS_DIR [SCHEMA CORPUS_DIR ...]
//
// For every *.graphql document of each corpus directory (its schema named
// before it), and for documents derived from each of them (every prefix
// cut at a token boundary, every document with one token removed, every
// document with one name replaced by another of its names), the C
// engine (DRIVER: build/tests/graphql/gql_verdicts) and graphql-js 16
// (parse + validate with specifiedRules) must agree: same verdict (valid or
// not) and the same error locations (as a multiset of location lists).
// Prints one line per disagreement and a summary; exits 1 on any.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.cwd(), 'tools/node/package.json'));
const { buildSchema, parse, validate, Lexer, Source, TokenKind } = require('graphql');

const [driver, ...pairs] = process.argv.slice(2);
if (!driver || pairs.length < 2 || pairs.length % 2) {
  console.error('usage: node diff.mjs DRIVER SCHEMA CORPUS_DIR [SCHEMA CORPUS_DIR ...]');
  process.exit(2);
}

function tokens(text) {
  const lexer = new Lexer(new Source(text));
  const out = [];
  try {
    for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance()) out.push(t);
  } catch {
    return null;
  }
  return out;
}

// Derived documents: prefixes cut after each token, and each token removed.
function derive(text) {
  const toks = tokens(text);
  if (!toks) return [];
  const out = [];
  const step = Math.max(1, Math.floor(toks.length / 12));
  for (let i = 0; i < toks.length; i += step) out.push(text.slice(0, toks[i].end));
  for (let i = 0; i < toks.length; i += step)
    out.push(text.slice(0, toks[i].start) + text.slice(toks[i].end));
  // each name replaced by the next different name of the document: mostly
  // valid syntax, so the validation rules see unusual documents
  const names = toks.filter((t) => t.kind === TokenKind.NAME);
  for (let i = 0; i < names.length; i++) {
    const other = names.find((t, j) => j > i && t.value !== names[i].value) ||
      names.find((t) => t.value !== names[i].value);
    if (other)
      out.push(text.slice(0, names[i].start) + other.value + text.slice(names[i].end));
  }
  return out;
}

function jsVerdict(schema, text) {
  let doc;
  try {
    doc = parse(text);
  } catch (e) {
    return [{ message: e.message, locations: (e.locations || []).map((l) => [l.line, l.column]) }];
  }
  let errors;
  try {
    errors = validate(schema, doc);
  } catch {
    return null; // graphql-js itself throws (e.g. @skip without "if" in a subscription)
  }
  return errors.map((e) => ({
    message: e.message,
    locations: (e.locations || []).map((l) => [l.line, l.column]),
  }));
}

const key = (errors) =>
  errors.map((e) => JSON.stringify(e.locations)).sort().join(' ');

const tmp = mkdtempSync(join(tmpdir(), 'gqldiff-'));
let skipped = 0, total = 0, valid = 0, invalid = 0, bad = 0, handWritten = 0;
try {
  for (let p = 0; p < pairs.length; p += 2) {
    const schemaPath = pairs[p], dir = pairs[p + 1];
    const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
    const files = readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort();
    const docs = [];
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      docs.push({ name: `${dir}/${f}`, text });
      handWritten++;
      derive(text).forEach((t, i) => docs.push({ name: `${dir}/${f}~${i}`, text: t }));
    }
    const paths = docs.map((d, i) => {
      const path = join(tmp, `${p}-${i}.graphql`);
      writeFileSync(path, d.text);
      return path;
    });
    const cOut = [];
    for (let i = 0; i < paths.length; i += 400) {
      const out = execFileSync(driver, [schemaPath, ...paths.slice(i, i + 400)], {
        encoding: 'utf8', maxBuffer: 1 << 28,
      });
      for (const line of out.split('\n')) if (line) cOut.push(JSON.parse(line));
    }
    docs.forEach((d, i) => {
      const js = jsVerdict(schema, d.text);
      const c = cOut[i].errors;
      if (js === null) {
        skipped++;
        return;
      }
      total++;
      if (js.length === 0) valid++; else invalid++;
      if ((js.length === 0) !== (c.length === 0) || key(js) !== key(c)) {
        bad++;
        console.log(`DIFFER ${d.name}\n  graphql-js: ${JSON.stringify(js)}\n  C engine:   ${JSON.stringify(c)}`);
        if (process.env.GQL_DIFF_SHOW) console.log(d.text);
      }
    });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`graphql diff: ${total} documents (${handWritten} written, ${total - handWritten} derived), ` +
  `${valid} valid, ${invalid} invalid per graphql-js; ${bad} disagreements` +
  (skipped ? ` (${skipped} skipped: graphql-js throws on them)` : ''));
process.exit(bad ? 1 : 0);
