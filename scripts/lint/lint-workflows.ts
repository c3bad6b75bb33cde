/** `npm run lint:workflows`: the workflow rules over .github/workflows/*.yml; exits 1 on any finding. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFinding, lintWorkflow } from './workflow-rules.js';

const dir = '.github/workflows';
const files = readdirSync(dir)
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => ({ path: join(dir, name), text: readFileSync(join(dir, name), 'utf8') }));

const findings = (await Promise.all(files.map(lintWorkflow))).flat();
for (const finding of findings) console.error(formatFinding(finding));
console.log(`${files.length} workflows, ${findings.length} findings`);
process.exitCode = findings.length > 0 ? 1 : 0;
