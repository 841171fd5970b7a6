// Lints schema.graphql with eslint.config.mjs and fails on any finding that is not in its `allowedFindings` list.
import { ESLint } from 'eslint';
import { allowedFindings } from '../eslint.config.mjs';

const eslint = new ESLint();
const results = await eslint.lintFiles(['schema.graphql']);
const used = new Set();
const isAllowed = (m) => {
  const i = allowedFindings.findIndex((a) => a.rule === m.ruleId && m.message.includes(a.message));
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
  if (!used.has(i)) console.log(`lint:schema: allowed finding no longer occurs, remove it from eslint.config.mjs: ${a.rule} "${a.message}"`);
}
if (findings > 0) {
  const formatter = await eslint.loadFormatter('stylish');
  console.error(await formatter.format(failing));
  console.error(`lint:schema: ${findings} finding(s) outside eslint.config.mjs's allowedFindings`);
  process.exit(1);
}
console.log(`lint:schema: schema.graphql clean (${allowed} allowed finding(s), listed in eslint.config.mjs)`);
