/**
 * The e2e run's reporter: one line per scenario (one test file), its measured figures and failures indented under
 * it, and a closing `N passed, N failed` line. A scenario passes only if every check in it ran and passed: a skipped
 * check (podman missing, say) fails its scenario, since a rehearsal that did not run proves nothing.
 */
import { relative } from 'node:path';
import type { TestEvent } from 'node:test/reporters';

/** Scenarios that reuse a test file from outside test/e2e, named here. */
const reusedScenarios: Record<string, string> = {
  'test/e2e/container.e2e.ts': 'scenario 5: container image (podman: read-only, non-root, graceful SIGTERM)',
};

interface Scenario {
  label: string | undefined;
  passed: number;
  failed: number;
  skipped: string[];
  failures: string[];
  figures: string[];
  ms: number;
  printed: boolean;
}

function messageOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.split('\n').slice(0, 12).join('\n      ');
}

export default async function* e2eReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const scenarios = new Map<string, Scenario>();
  const scenarioOf = (file: string | undefined): Scenario => {
    const key = file ? relative(process.cwd(), file) : '(runner)';
    let scenario = scenarios.get(key);
    if (!scenario) {
      scenario = {
        label: reusedScenarios[key],
        passed: 0,
        failed: 0,
        skipped: [],
        failures: [],
        figures: [],
        ms: 0,
        printed: false,
      };
      scenarios.set(key, scenario);
    }
    return scenario;
  };
  const line = (file: string, scenario: Scenario): string => {
    scenario.printed = true;
    const ok = scenario.failed === 0 && scenario.skipped.length === 0 && scenario.passed > 0;
    const seconds = (scenario.ms / 1000).toFixed(1);
    const head = `${ok ? 'PASS' : 'FAIL'} ${scenario.label ?? file} (${file}, ${scenario.passed} checks passed, ${seconds} s)`;
    const details = [
      ...scenario.figures.map((figure) => `    · ${figure}`),
      ...scenario.skipped.map((reason) => `    ✖ skipped: ${reason}`),
      ...scenario.failures.map((failure) => `    ✖ ${failure}`),
    ];
    return `${[head, ...details].join('\n')}\n`;
  };

  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      const { data } = event;
      const error = 'error' in data.details ? data.details.error : undefined;
      const scenario = scenarioOf(data.file);
      if (data.nesting === 0) {
        scenario.label ??= data.name;
        scenario.ms += data.details.duration_ms;
      }
      if (data.details.type === 'suite') {
        if (error && (error as { failureType?: string }).failureType !== 'subtestsFailed') {
          scenario.failed++;
          scenario.failures.push(`${data.name}: ${messageOf(error)}`);
        }
        continue;
      }
      if (data.skip !== undefined && data.skip !== false) {
        scenario.skipped.push(`${data.name}${typeof data.skip === 'string' ? ` (${data.skip})` : ''}`);
      } else if (event.type === 'test:pass') {
        scenario.passed++;
      } else {
        scenario.failed++;
        scenario.failures.push(`${data.name}: ${messageOf(error)}`);
      }
    } else if (event.type === 'test:diagnostic' && event.data.file && event.data.nesting > 0) {
      scenarioOf(event.data.file).figures.push(event.data.message);
    } else if (event.type === 'test:stderr' && /unhandled|uncaught/i.test(event.data.message)) {
      scenarioOf(event.data.file).failures.push(event.data.message.trim().slice(0, 400));
    } else if (event.type === 'test:summary' && event.data.file) {
      const file = relative(process.cwd(), event.data.file);
      const scenario = scenarioOf(event.data.file);
      if (!scenario.printed) yield line(file, scenario);
    }
  }
  let passed = 0;
  let failed = 0;
  for (const [file, scenario] of scenarios) {
    if (file === '(runner)' && scenario.passed + scenario.failed === 0) continue;
    if (!scenario.printed) yield line(file, scenario);
    if (scenario.failed === 0 && scenario.skipped.length === 0 && scenario.passed > 0) passed++;
    else failed++;
  }
  yield `${passed} passed, ${failed} failed\n`;
}
