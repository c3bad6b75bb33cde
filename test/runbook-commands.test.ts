/**
 * The operator copies RUNBOOK.md's commands into a terminal at the worst moment: a wrong namespace, selector, kind,
 * object, container, port or secret name there costs minutes. These checks read every kubectl, `kubectl argo rollouts`
 * and Secrets Manager reference in it against a fresh render of every environment and against the cluster's chart
 * releases, so a rename (or a Deployment that became a Rollout) fails here until the runbook follows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chartPins } from '../cluster/lib/addons/charts.js';
import { argocd, environments } from '../platform/environments.js';
import { environmentObjects, repoRoot, type KubeObject } from '../k8s/test/rendered.js';

const runbook = readFileSync(join(repoRoot, 'RUNBOOK.md'), 'utf8');

/** Every shell line of the runbook (bash blocks and inline code), continuation lines joined, comments dropped. */
function commandLines(): string[] {
  const blocks = [...runbook.matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body]) => body!);
  const inline = [...runbook.replaceAll(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]*(?:\n[^`\n]*)?)`/g)].map(([, code]) =>
    code!.replaceAll('\n', ' '),
  );
  return [
    ...blocks
      .join('\n')
      .replaceAll(/\\\n\s*/g, ' ')
      .split('\n'),
    ...inline,
  ]
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line.length > 0);
}

const lines = commandLines();
const kubectlLines = lines.filter((line) => /\bkubectl\b/.test(line));

/** Shell variables the runbook defines once (`SEL=...`), expanded where a selector uses them. */
const variables = new Map<string, string>();
for (const [, name, value] of runbook.matchAll(/^([A-Z_]+)="?([^"\s]+)"?\s*(?:#.*)?$/gm)) variables.set(name!, value!);
function expand(text: string): string {
  let expanded = text;
  // Twice: SERVER is defined from SEL.
  for (let pass = 0; pass < 2; pass += 1) {
    expanded = expanded.replaceAll(/\$\{?([A-Z_]+)\}?/g, (whole, name: string) => variables.get(name) ?? whole);
  }
  return expanded.replaceAll('"', '');
}

/** kubectl's names for the kinds the runbook may name → the rendered kind. */
const kindNames: Record<string, string> = {
  rollout: 'Rollout',
  rollouts: 'Rollout',
  deploy: 'Deployment',
  deployment: 'Deployment',
  svc: 'Service',
  service: 'Service',
  ingress: 'Ingress',
  hpa: 'HorizontalPodAutoscaler',
  pdb: 'PodDisruptionBudget',
  networkpolicy: 'NetworkPolicy',
  externalsecret: 'ExternalSecret',
  job: 'Job',
  configmap: 'ConfigMap',
  cm: 'ConfigMap',
  sa: 'ServiceAccount',
  serviceaccount: 'ServiceAccount',
  analysistemplate: 'AnalysisTemplate',
  servicemonitor: 'ServiceMonitor',
  prometheusrule: 'PrometheusRule',
};
/** Objects that exist only at run time (made by controllers), never in charts-out/. */
const runtimeKinds = new Set(['pods', 'pod', 'rs', 'replicaset', 'events', 'analysisruns', 'analysisrun']);
const runtimeKinds2 = new Set(['all', 'targetgroupbindings', 'endpoints', 'secret', 'secrets', 'nodes']);

const namespaceOf = (line: string) => /\s-n\s+("\$NS"|\$NS|[\w-]+)/.exec(line)?.[1]?.replaceAll('"', '');
const serviceLines = kubectlLines.filter((line) => namespaceOf(line) === '$NS');

function objectsOf(kind: string, name?: string): KubeObject[] {
  return environments.flatMap((env) =>
    environmentObjects(env.name).filter(
      (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
    ),
  );
}

/** Labels of every rendered object and of every pod template, per environment. */
function labelSets(envName: string): Record<string, string>[] {
  return environmentObjects(envName).flatMap((object) => {
    const template = (object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)
      ?.template;
    return [object.metadata.labels ?? {}, template?.metadata?.labels ?? {}];
  });
}

const rollout = objectsOf('Rollout')[0]!;
const podSpec = (
  rollout.spec as { template: { spec: { containers: { name: string; ports: { containerPort: number }[] }[] } } }
).template.spec;

describe('RUNBOOK.md commands against the render', () => {
  it('finds kubectl commands to check (the parser still reads the runbook)', () => {
    assert.ok(kubectlLines.length > 40, `${kubectlLines.length} kubectl lines`);
    assert.ok(serviceLines.length > 25);
    assert.ok(variables.has('SEL') && variables.has('SERVER'));
  });

  it('uses only the service namespace and the namespaces the cluster installs its add-ons into', () => {
    const known = new Set<string>([argocd.namespace, ...Object.values(chartPins).map((pin) => pin.namespace)]);
    for (const line of kubectlLines) {
      const namespace = namespaceOf(line);
      if (namespace === undefined || namespace === '$NS') continue;
      assert.ok(known.has(namespace), `unknown namespace "${namespace}" in: ${line}`);
    }
  });

  it('names every <kind>/<name> of the service as the render has it, and add-ons by their Helm release', () => {
    let checked = 0;
    for (const line of kubectlLines) {
      const namespace = namespaceOf(line);
      for (const [, short, name] of line.matchAll(/\b([a-z]+)\/([a-z][\w-]*)\b/g)) {
        const kind = kindNames[short!];
        if (!kind) continue;
        checked += 1;
        if (namespace === '$NS') {
          assert.equal(objectsOf(kind, name).length, environments.length, `${short!}/${name!} is rendered: ${line}`);
        } else {
          const releases = Object.values(chartPins).filter((pin) => pin.namespace === namespace);
          assert.ok(
            releases.some((pin) => name!.startsWith(pin.release)),
            `${short!}/${name!} is not from a release in ${namespace ?? '?'}: ${line}`,
          );
        }
      }
    }
    assert.ok(checked >= 5);
  });

  it('names every "<kind> <name>" of the service as the render has it (no Deployment: the workload is a Rollout)', () => {
    let checked = 0;
    for (const line of serviceLines) {
      const words = /\bkubectl\b(.*)$/.exec(line)![1]!;
      for (const [, short, name] of words.matchAll(
        /\b(?:get|describe|annotate|edit|patch|delete|label)\s+([a-z]+)\s+([a-z][\w-]*)/g,
      )) {
        const kind = kindNames[short!];
        assert.ok(kind || runtimeKinds.has(short!) || runtimeKinds2.has(short!), `unknown kind "${short!}": ${line}`);
        if (!kind) continue;
        checked += 1;
        assert.equal(objectsOf(kind, name).length, environments.length, `${short!} ${name!} is rendered: ${line}`);
      }
      for (const [, list] of words.matchAll(/\bget\s+([a-z]+(?:,[a-z]+)+)/g)) {
        for (const short of list!.split(',')) {
          if (runtimeKinds.has(short) || runtimeKinds2.has(short)) continue;
          const kind = kindNames[short];
          assert.ok(kind && objectsOf(kind).length > 0, `"${short}" in "get ${list!}" is not a rendered kind: ${line}`);
        }
      }
    }
    assert.ok(checked >= 8, `${checked} references`);
    assert.doesNotMatch(runbook, /\bkubectl\b[^\n]*\brollout (?:status|restart|undo) deploy/);
  });

  it('steers the canary with `kubectl argo rollouts` on the rendered Rollout: get, status, promote, pause, abort, retry', () => {
    const verbs = new Set<string>();
    for (const line of kubectlLines) {
      const match = /kubectl argo rollouts\s+(?:-n\s+\S+\s+)?(\w+)\s+(?:rollout\s+)?([\w-]+)/.exec(line);
      if (!match) continue;
      const [, verb, name] = match;
      verbs.add(verb!);
      assert.equal(name, rollout.metadata.name, line);
      assert.ok(namespaceOf(line) === '$NS', `the Rollout lives in "$NS": ${line}`);
    }
    for (const verb of ['get', 'status', 'promote', 'pause', 'abort', 'retry', 'restart']) {
      assert.ok(verbs.has(verb), `RUNBOOK.md runs kubectl argo rollouts ${verb}`);
    }
    assert.match(runbook, /kubectl argo rollouts\s+(?:-n\s+\S+\s+)?undo/);
  });

  it('selects with -l only labels some rendered object (or its pods) carries, in every environment', () => {
    let checked = 0;
    for (const line of serviceLines) {
      for (const [, raw] of line.matchAll(/\s-l\s+("[^"]+"|\S+)/g)) {
        const pairs = expand(raw!)
          .split(',')
          .map((pair) => pair.split('=') as [string, string]);
        assert.ok(
          pairs.every(([key, value]) => key && value),
          `an equality selector: ${line}`,
        );
        for (const env of environments) {
          const found = labelSets(env.name).some((labels) => pairs.every(([key, value]) => labels[key] === value));
          assert.ok(found, `-l ${expand(raw!)} selects nothing in ${env.name}: ${line}`);
        }
        checked += 1;
      }
    }
    assert.ok(checked >= 8, `${checked} selectors`);
  });

  it("names the server's container and ports as the Rollout has them", () => {
    const container = podSpec.containers[0]!;
    const ports = new Set(container.ports.map((port) => String(port.containerPort)));
    for (const line of serviceLines) {
      for (const [, name] of line.matchAll(/\s-c\s+([\w-]+)/g)) assert.equal(name, container.name, line);
      for (const [, remote] of line.matchAll(/port-forward\s+\S+\s+\d+:(\d+)/g)) assert.ok(ports.has(remote!), line);
      for (const [, port] of line.matchAll(/127\.0\.0\.1:(\d+)/g)) assert.ok(ports.has(port!), line);
    }
    assert.ok(runbook.includes(`Container \`${container.name}\``));
    assert.ok(runbook.includes(`"$NS.$POD.${container.name}"`), 'the CloudWatch stream of the server container');
  });

  it('mounts only Secrets an ExternalSecret of the render writes', () => {
    const targets = new Set(
      objectsOf('ExternalSecret').map(
        (object) => (object.spec as { target?: { name?: string } }).target?.name ?? object.metadata.name,
      ),
    );
    const references = [...runbook.matchAll(/"secretRef":\{"name":"([\w-]+)"\}/g)].map(([, name]) => name!);
    assert.ok(references.length > 0);
    for (const name of references) assert.ok(targets.has(name), `Secret ${name} is written by an ExternalSecret`);
  });

  it('names only Secrets Manager secrets the platform creates', () => {
    const names = new Set(environments.flatMap((env): string[] => Object.values(env.secrets) as string[]));
    const references = [...runbook.matchAll(/\bdesktop-backend\/(\$ENV|staging|production)\/([\w-]+)/g)];
    assert.ok(references.length > 5);
    for (const [whole, env, secret] of references) {
      for (const name of env === '$ENV' ? environments.map((e) => e.name) : [env!]) {
        assert.ok(names.has(`desktop-backend/${name}/${secret!}`), `${whole} is a secret of ${name}`);
      }
    }
  });
  it('says which Secrets Manager secret the server reads its database user from, as the render does', () => {
    for (const env of environments) {
      const appSecret = environmentObjects(env.name).find(
        (object) => object.kind === 'ExternalSecret' && object.metadata.name === rollout.metadata.name,
      )!;
      const data = (appSecret.spec as { data: { secretKey: string; remoteRef: { key: string } }[] }).data;
      const key = data.find((entry) => entry.secretKey === 'DB_PASSWORD')!.remoteRef.key;
      const phrase = `takes the database credentials from \`${key.replace(`/${env.name}/`, '/$ENV/')}\``;
      assert.ok(runbook.replaceAll(/\n\s*/g, ' ').includes(phrase), `RUNBOOK.md says "${phrase}"`);
    }
  });
  it('quotes the canary scale-down delays the Rollout has', () => {
    const canary = (rollout.spec as { strategy: { canary: Record<string, number> } }).strategy.canary;
    const flat = runbook.replaceAll(/\n\s*/g, ' ');
    for (const field of ['scaleDownDelaySeconds', 'abortScaleDownDelaySeconds']) {
      assert.match(flat, new RegExp(`${canary[field]} s (?:after the last step|later) \\(\`${field}\`\\)`), field);
    }
  });

  it('names every object the render makes, so an operator can find each one from section 0', () => {
    for (const env of environments) {
      for (const object of environmentObjects(env.name)) {
        assert.ok(
          runbook.includes(`\`${object.metadata.name}\``),
          `RUNBOOK.md names ${object.kind}/${object.metadata.name}`,
        );
      }
    }
  });
});
