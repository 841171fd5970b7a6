// Lints schema.graphql with eslint.config.mjs and fails on any finding that is not in its `allowedFindings` list.
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { allowedFindings } from '../eslint.config.mjs';

const FILE = 'schema.graphql';
const lines = readFileSync(FILE, 'utf8').split('\n');
/** The name a finding points at (the identifier at its line and column). */
const nameAt = (m) => /^\w+/.exec((lines[m.line - 1] ?? '').slice(m.column - 1))?.[0] ?? null;

const eslint = new ESLint();
const results = await eslint.lintFiles([FILE]);
const used = new Set();
const isAllowed = (m) => {
  const i = allowedFindings.findIndex(
    (a) => a.rule === m.ruleId && m.message.includes(a.message) && (a.at === undefined || a.at === nameAt(m)),
  );
  if (i >= 0) used.add(i);
  return i >= 0;
};

let allowed = 0;
const failing = results.map((r) => {
  const messages = r.messages.filter((m) => !(m.ruleId && isAllowed(m)));
  allowed += r.messages.length - messages.length;
  const errorCount = messages.filter((m) => m.severity === 2).length;
  return { ...r, messages, errorCount, warningCount: messages.length - errorCount, fatalErrorCount: 0 };
});
const findings = failing.reduce((n, r) => n + r.messages.length, 0);

for (const [i, a] of allowedFindings.entries()) {
  if (!used.has(i)) {
    console.log(`lint:schema: allowed finding no longer occurs, remove it from eslint.config.mjs: ${a.rule} "${a.message}"${a.at ? ` at ${a.at}` : ''}`);
  }
}
if (findings > 0) {
  const formatter = await eslint.loadFormatter('stylish');
  console.error(await formatter.format(failing));
  console.error(`lint:schema: ${findings} finding(s) outside eslint.config.mjs's allowedFindings`);
  process.exit(1);
}
console.log(`lint:schema: ${FILE} clean (${allowed} allowed finding(s), listed in eslint.config.mjs)`);
