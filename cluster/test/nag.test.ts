import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { addNagChecks } from '../lib/app.js';
import { synthesizeCluster, validationFindings, type SynthesizedCluster } from './support/synth.js';

const awsSolutionsFindings = (outdir: string): string[] => validationFindings(outdir, 'AwsSolutions');

/** Every `Validations.of(x).acknowledge()` in the tree: where, which finding, and why. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          // Stored with the namespace of the report they apply to, e.g. "Annotation::AwsSolutions-SMG4".
          id: id.replace(/^Annotation::/, ''),
          reason,
        })),
      ),
  );
}

const scratch: string[] = [];
let synthesized: SynthesizedCluster | undefined;
after(() => {
  synthesized?.dispose();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function scratchApp(): { app: App; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'nag-'));
  scratch.push(outdir);
  return { app: new App({ outdir }), outdir };
}

describe('cdk-nag AwsSolutions gate', () => {
  it('finds no unacknowledged finding in any stack of the app', () => {
    // Synthesis throws (failing this test with the findings) on any unacknowledged finding.
    synthesized = synthesizeCluster({ nag: true });
    assert.deepEqual(awsSolutionsFindings(synthesized.assembly.directory), []);
  });

  it('acknowledges findings one by one, on the construct concerned, each with a specific reason', () => {
    assert.ok(synthesized, 'the app was synthesized');
    const root = synthesized.built.deliveryStacks[0]!.node.root;
    const stackPaths = new Set(root.node.children.map((child) => child.node.path));
    // (aws-cdk-lib acknowledges some CloudFormation-Validate rules of its own; ours are the AwsSolutions ones.)
    const acknowledged = acknowledgements(root).filter(({ id }) => id.startsWith('AwsSolutions-'));
    assert.ok(acknowledged.length > 0);
    for (const { path, id, reason } of acknowledged) {
      assert.ok(!stackPaths.has(path), `${id} is acknowledged for a whole stack (${path})`);
      assert.notEqual(id, 'AwsSolutions-IAM5', 'wildcard findings are acknowledged per resource pattern');
      assert.ok(reason.length >= 40, `${id} at ${path} needs a specific reason, got "${reason}"`);
    }
    // One reason pasted over several findings cannot be true of each of them.
    for (const [path, entries] of Map.groupBy(acknowledged, (entry) => entry.path)) {
      const reasons = entries.map((entry) => entry.reason);
      assert.equal(new Set(reasons).size, reasons.length, `${path} gives several findings the same reason`);
    }
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const { app, outdir } = scratchApp();
    new sqs.Queue(new Stack(app, 'Unchecked'), 'PlainQueue');
    addNagChecks(app);
    assert.throws(() => app.synth(), /Validation failed/);
    assert.ok(awsSolutionsFindings(outdir).some((finding) => finding.startsWith('AwsSolutions-SQS3 ')));
  });

  it('lets through only the finding that was acknowledged', () => {
    const { app, outdir } = scratchApp();
    const queue = new sqs.Queue(new Stack(app, 'Acknowledged'), 'PlainQueue');
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'a dead-letter queue is out of scope' });
    addNagChecks(app);
    assert.throws(() => app.synth(), /Validation failed/);
    const findings = awsSolutionsFindings(outdir);
    assert.ok(!findings.some((finding) => finding.startsWith('AwsSolutions-SQS3 ')), 'SQS3 acknowledged');
    assert.ok(
      findings.some((finding) => finding.startsWith('AwsSolutions-SQS4 ')),
      'SQS4 still reported',
    );
  });
});
