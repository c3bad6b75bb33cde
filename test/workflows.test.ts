/**
 * The GitHub Actions workflows and the shell the delivery path runs: actionlint, SHA-pinned actions, explicit
 * permissions, shellcheck (workflow steps, scripts/, .ci/run), yamllint, and the properties the delivery flow relies
 * on (what triggers what, which job may write, which script each step calls).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { formatFinding, lintWorkflow, type WorkflowFile } from '../scripts/lint/workflow-rules.js';

const repoRoot = join(import.meta.dirname, '..');
const workflowsDir = join(repoRoot, '.github/workflows');
const workflowFiles: WorkflowFile[] = readdirSync(workflowsDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => ({ path: `.github/workflows/${name}`, text: readFileSync(join(workflowsDir, name), 'utf8') }));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  permissions?: Record<string, string>;
  environment?: unknown;
  needs?: string | string[];
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  const file = workflowFiles.find((f) => f.path.endsWith(`/${name}`));
  assert.ok(file, `.github/workflows/${name} exists`);
  return parse(file.text) as Workflow;
}

const checkoutOf = (job: Job): Step | undefined => job.steps.find((step) => step.uses?.startsWith('actions/checkout@'));
/** The permission-* inputs of the job's GitHub App token step. */
function appTokenPermissions(job: Job): Record<string, unknown> {
  const step = job.steps.find((candidate) => candidate.uses?.startsWith('actions/create-github-app-token@'));
  assert.ok(step?.with, 'the job mints a GitHub App token');
  return Object.fromEntries(Object.entries(step.with).filter(([key]) => key.startsWith('permission-')));
}

const holdsAppToken = (job: Job): boolean =>
  job.steps.some((step) => step.uses?.startsWith('actions/create-github-app-token@'));
/** Steps that run npm, Node or the repository's TypeScript: dependencies' install scripts and the render. */
const runsRepositoryCode = (job: Job): string[] =>
  job.steps
    .filter((step) => step.uses?.startsWith('actions/setup-node@') || /\b(npm|npx|tsx|node)\b/.test(step.run ?? ''))
    .map((step) => step.uses ?? step.run!);
/** The artifact `from` uploads and `to` downloads: how the rendered change crosses from one job to the other. */
function handedOver(from: Job, to: Job): string {
  const upload = from.steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
  const download = to.steps.find((step) => step.uses?.startsWith('actions/download-artifact@'));
  const name = upload?.with?.name;
  assert.ok(typeof name === 'string' && name, 'the first job uploads a named artifact');
  assert.equal(download?.with?.name, name, 'the second job downloads it');
  return name;
}

const allSteps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps);
const runScripts = (wf: Workflow): string =>
  allSteps(wf)
    .map((step) => step.run ?? '')
    .join('\n');

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

describe('workflow lint', () => {
  for (const file of workflowFiles) {
    it(`${file.path} passes actionlint, pinning, permissions and shellcheck`, async () => {
      const findings = await lintWorkflow(file);
      assert.deepEqual(findings.map(formatFinding), []);
    });
  }

  it('catches what it is there to catch', async () => {
    const bad: WorkflowFile = {
      path: 'bad.yml',
      text: [
        'on: push',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: actions/checkout@v4',
        '      - run: echo ${{ steps.nope.outputs.x }}',
        '      - run: cd $DIR && ls',
        '',
      ].join('\n'),
    };
    const rules = new Set((await lintWorkflow(bad)).map((finding) => finding.rule));
    assert.deepEqual([...rules].sort(), ['actionlint:expression', 'permissions', 'pinned-action', 'shellcheck']);
  });

  it('yamllint accepts the workflow and dependabot YAML', () => {
    const result = spawnSync('yamllint', ['--strict', '.github'], { cwd: repoRoot, encoding: 'utf8' });
    assert.ok(!result.error, 'yamllint is installed (apt-get install yamllint; .ci/run does it)');
    assert.equal(result.status, 0, result.stdout);
  });

  it('shellcheck accepts every shell script of the delivery path and .ci/run', () => {
    const scripts = [...filesUnder('scripts', '.sh'), '.ci/run'];
    assert.ok(scripts.length > 3);
    const result = spawnSync('shellcheck', scripts, { cwd: repoRoot, encoding: 'utf8' });
    assert.ok(!result.error, 'shellcheck is installed (apt-get install shellcheck; .ci/run does it)');
    assert.equal(result.status, 0, result.stdout);
  });

  it('every script and npm script a workflow step calls exists', () => {
    const npmScripts = Object.keys(
      (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: object }).scripts,
    );
    for (const wf of workflowFiles) {
      const text = runScripts(parse(wf.text) as Workflow);
      for (const [, path] of text.matchAll(/(?:^|\s)((?:scripts|\.ci)\/[\w./-]+)/g)) {
        assert.doesNotThrow(() => {
          accessSync(join(repoRoot, path!), constants.R_OK);
        }, `${wf.path} calls ${path!}`);
      }
      for (const [, name] of text.matchAll(/npm run (?:--silent )?([\w:-]+)/g)) {
        assert.ok(npmScripts.includes(name!), `${wf.path} calls npm run ${name!}, which package.json lacks`);
      }
    }
  });
});

describe('the delivery flow the workflows encode', () => {
  it('ci runs on pull requests and main, reads only, cancels superseded pull request runs, audits production deps', () => {
    const ci = workflow('ci.yml');
    assert.ok('pull_request' in ci.on && 'push' in ci.on);
    assert.deepEqual(ci.permissions, { contents: 'read' });
    assert.equal(ci.concurrency?.['cancel-in-progress'], "${{ github.event_name == 'pull_request' }}");
    const scripts = runScripts(ci);
    assert.match(scripts, /bash \.ci\/run/, 'the same checks as .ci/run');
    assert.match(scripts, /npm audit --audit-level=high --omit=dev/);
  });

  it('release builds on main except for its own output, with OIDC, rendered in one job, pushed by another', () => {
    const release = workflow('release.yml');
    const push = release.on.push as { branches: string[]; 'paths-ignore': string[] };
    assert.deepEqual(push.branches, ['main']);
    for (const path of ['charts-out/**', 'argocd/**', 'platform/pins/**'])
      assert.ok(push['paths-ignore'].includes(path));
    assert.equal(release.concurrency?.['cancel-in-progress'], false, 'releases queue in merge order');
    assert.deepEqual(release.permissions, { contents: 'read' });

    const image = release.jobs.image!;
    assert.deepEqual(image.permissions, { contents: 'read', 'id-token': 'write' });
    // The release role trusts the token subject repo:<slug>:ref:refs/heads/main; a job environment would change it.
    assert.equal(image.environment, undefined);
    // A repository without the role or the release app (a new deployment) stops first, naming the deploy guide's step.
    const setUp = image.steps[0]!;
    assert.equal(setUp.name, 'Delivery is set up');
    assert.match(setUp.run ?? '', /AWS_RELEASE_ROLE_ARN is not set: .*docs\/deploy\.md, step 3/);
    assert.match(setUp.run ?? '', /RELEASE_APP_CLIENT_ID is not set: .*docs\/deploy\.md, step 4/);
    const aws = image.steps.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    assert.equal(aws?.with?.['role-to-assume'], '${{ vars.AWS_RELEASE_ROLE_ARN }}', 'no AWS keys, a role via OIDC');
    const build = image.steps.find((step) => step.uses?.startsWith('docker/build-push-action@'));
    assert.ok(build?.with, 'the image is built by docker/build-push-action');
    assert.equal(build.with.tags, '${{ steps.image.outputs.repository }}:${{ github.sha }}');
    assert.equal(build.with.push, true);

    const render = release.jobs.render!;
    assert.equal(render.needs, 'image', 'the pin moves only after the image is pushed');
    assert.deepEqual(render.permissions, { contents: 'read' });
    assert.equal(checkoutOf(render)?.with?.['fetch-depth'], 0, 'synth reads the promoted render from history');
    assert.match(runScripts({ ...release, jobs: { render } }), /scripts\/release\/render-release\.sh staging/);

    const publish = release.jobs.publish!;
    assert.deepEqual([publish.needs].flat().sort(), ['image', 'render']);
    // The workflow token reads; the push uses a release-app token that may write this repository's contents only.
    assert.deepEqual(publish.permissions, { contents: 'read' });
    assert.deepEqual(appTokenPermissions(publish), { 'permission-contents': 'write' });
    assert.equal(handedOver(render, publish), 'release-change');
    assert.match(runScripts({ ...release, jobs: { publish } }), /scripts\/release\/publish-release\.sh staging/);
    assert.doesNotMatch(
      runScripts(release),
      /(render|publish)-release\.sh production|npm run promote/,
      'release never moves production',
    );
  });

  it('runs npm and the render only in jobs without a token that can write; the token holders run git and scripts', () => {
    for (const name of ['release.yml', 'promote.yml']) {
      const jobs = Object.entries(workflow(name).jobs);
      const holders = jobs.filter(([, job]) => holdsAppToken(job));
      assert.ok(holders.length > 0, `${name} has a job with the release app's token`);
      for (const [id, job] of holders) {
        assert.deepEqual(runsRepositoryCode(job), [], `${name} ${id} holds the release app's token`);
      }
      for (const [id, job] of jobs.filter(([, job]) => runsRepositoryCode(job).length > 0)) {
        assert.ok(!holdsAppToken(job), `${name} ${id} runs npm`);
        assert.equal(checkoutOf(job)?.with?.['persist-credentials'], false, `${name} ${id} keeps no git credentials`);
        for (const scope of ['contents', 'pull-requests']) {
          assert.ok(
            [undefined, 'read', 'none'].includes(job.permissions?.[scope]),
            `${name} ${id}: ${scope} only read`,
          );
        }
      }
    }
  });

  it('promote is manual, may promote an earlier commit, renders in one job and opens the pull request as the release app in another', () => {
    const promote = workflow('promote.yml');
    assert.deepEqual(Object.keys(promote.on), ['workflow_dispatch']);
    const inputs = (promote.on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs;
    assert.deepEqual(Object.keys(inputs).sort(), ['commit', 'from', 'to']);
    const render = promote.jobs.render!;
    assert.deepEqual(render.permissions, { contents: 'read' });
    assert.equal(checkoutOf(render)?.with?.['fetch-depth'], 0);
    assert.match(
      runScripts({ ...promote, jobs: { render } }),
      /scripts\/release\/render-promotion\.sh "\$FROM_ENV" "\$TO_ENV" "\$COMMIT"/,
    );
    const job = promote.jobs['pull-request']!;
    assert.equal(job.needs, 'render');
    assert.deepEqual(job.permissions, { contents: 'read' });
    assert.deepEqual(appTokenPermissions(job), {
      'permission-contents': 'write',
      'permission-pull-requests': 'write',
    });
    assert.equal(handedOver(render, job), 'promotion-change');
    assert.match(
      runScripts({ ...promote, jobs: { job } }),
      /scripts\/release\/publish-promotion\.sh "\$FROM_ENV" "\$TO_ENV"/,
    );
  });

  it('ci checks out the full history, which the render drift check reads', () => {
    assert.equal(checkoutOf(workflow('ci.yml').jobs.checks!)?.with?.['fetch-depth'], 0);
  });
});
