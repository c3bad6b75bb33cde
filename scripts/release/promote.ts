/**
 * Promotion: `npm run promote -- [<from> <to>] [--commit <sha>]` (staging → production, the current commit by
 * default). Moves the <to> pin to what <from> ran at that commit: its image and the commit whose
 * charts-out/candidates/<to>/ holds the manifests rendered for <to>; then renders, which copies that candidate into
 * charts-out/<to>/ and its Application into argocd/, so image, manifests and Application move together
 * (`npm run promote:pr` also commits and opens the PR). `--commit` promotes an earlier commit of main (the hotfix
 * path when later merges are not ready for production); it must be an ancestor of HEAD, so only merged work ships.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { environmentNamed } from '../../platform/environments.js';
import {
  isPromotedEnvironment,
  isReleased,
  parsePin,
  readPin,
  releaseEnvironment,
  writePin,
} from '../../platform/pins.js';
import type { ReleasePin } from '../../platform/pins.js';
import { git, gitShow, isAncestor, resolveCommit, treeId } from '../../k8s/release/git.js';
import {
  applicationPath,
  candidateApplicationPath,
  candidatePath,
  environmentPath,
  synthesize,
} from '../../k8s/release/synthesize.js';
import { fail, reportOutputs } from './cli.js';

const usage = 'usage: npm run promote -- [<from-environment> <to-environment>] [--commit <sha>]';
const short = (sha: string | undefined) => sha?.slice(0, 12) ?? 'none';
const describePin = (pin: ReleasePin) =>
  isReleased(pin) ? `${pin.imageTag} (manifests of ${short(pin.renderedFrom)})` : pin.imageTag;

function main(args: string[]): void {
  const { values, positionals } = parseArgs({ args, options: { commit: { type: 'string' } }, allowPositionals: true });
  if (positionals.length !== 0 && positionals.length !== 2) fail(usage);
  const from = environmentNamed(positionals[0] ?? releaseEnvironment);
  const to = environmentNamed(positionals[1] ?? 'production');
  if (from.name === to.name) fail(`cannot promote ${from.name} onto itself`);
  if (from.name !== releaseEnvironment) {
    fail(`promotion starts from ${releaseEnvironment}, the environment every merge reaches; got ${from.name}`);
  }
  if (!isPromotedEnvironment(to.name)) fail(`${to.name} follows main through the release workflow; it is not promoted`);

  const root = git(process.cwd(), ['rev-parse', '--show-toplevel']).trim();
  const pinsDir = join(root, 'platform/pins');
  const head = resolveCommit(root, 'HEAD');
  const commit = resolveCommit(root, values.commit ?? 'HEAD');
  if (!head || !commit) fail(`no such commit: ${values.commit ?? 'HEAD'}`);
  if (!isAncestor(root, commit, head)) {
    fail(`refusing ${commit}: it is not part of this branch's history (promote only what main has run in staging)`);
  }
  const fromPinPath = `platform/pins/${from.name}.json`;
  const fromPinText = gitShow(root, commit, fromPinPath);
  if (fromPinText === undefined) fail(`${commit} has no ${fromPinPath}`);
  const fromPin = parsePin(fromPinText, `${commit}:${fromPinPath}`);
  if (!isReleased(fromPin)) fail(`${from.name} had no released image at ${commit}: nothing to promote yet`);
  // What a promotion of a commit deploys: the candidate folder and the candidate Application (object ids at it).
  const promotedIds = (at: string) =>
    [candidatePath(to.name), candidateApplicationPath(to)].map((path) => treeId(root, at, path));
  const candidate = promotedIds(commit);
  if (candidate.includes(undefined)) {
    fail(
      `${commit} holds no ${candidatePath(to.name)}/ and ${candidateApplicationPath(to)}: render with npm run synth`,
    );
  }

  const before = readPin(to.name, pinsDir);
  const unchanged =
    before.imageTag === fromPin.imageTag &&
    before.renderedFrom !== undefined &&
    promotedIds(before.renderedFrom).join() === candidate.join();
  if (unchanged) {
    console.log(`${to.name}: already runs ${describePin(before)}, the same image and manifests; unchanged`);
  } else {
    const after: ReleasePin = { imageTag: fromPin.imageTag, renderedFrom: commit };
    writePin(to.name, after, pinsDir);
    console.log(`${to.name}: ${describePin(before)} -> ${describePin(after)} (from ${from.name})`);
  }
  // The pin and its render together: charts-out/<to>/ becomes the candidate of that commit.
  synthesize(root);
  console.log(
    `rendered ${environmentPath(to.name)}/ and ${applicationPath(to)}: review with git diff; ` +
      'npm run promote:pr commits pin and render together and opens the pull request',
  );
  reportOutputs({
    tag: fromPin.imageTag,
    commit: unchanged ? (before.renderedFrom ?? commit) : commit,
    previous: before.imageTag,
    changed: String(!unchanged),
  });
}

try {
  main(process.argv.slice(2));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
