/**
 * Scenario 4: real Prometheus and Alertmanager. Prometheus scrapes the replicas' metrics ports with the alert rules
 * k8s/ renders; Alertmanager runs the routing cluster/ renders, its SNS receivers pointed at a local webhook. The
 * database outage of scenario 2, on a smaller fleet, must make the database alert fire and reach the webhook through
 * the real route.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../../server/test/support/database.js';
import { StoppableDatabaseServer } from './support/database.js';
import { Fleet } from './support/fleet.js';
import type { Load } from './support/load.js';
import {
  capHoldDurations,
  firingAlerts,
  renderedAlertmanagerConfig,
  renderedRules,
  routedReceivers,
  startAlertmanager,
  startPrometheus,
  startWebhook,
  type Daemon,
  type RenderedRules,
} from './support/monitoring.js';
import { sleep, waitUntil } from './support/wait.js';

/** Test-only override of the rules' `for:` (minutes in production); said in the scenario's output. */
const HOLD = '5s';
const ALERT_WAIT_MS = 90_000;

describe(
  'scenario 4: the database outage fires an alert that reaches a webhook through the real route',
  { timeout: 300_000 },
  () => {
    const scratch = mkdtempSync(join(tmpdir(), 'desktop-backend-e2e-alerts-'));
    let database: StoppableDatabaseServer | undefined;
    let db: TestDatabase | undefined;
    let fleet: Fleet | undefined;
    let prometheus: Daemon | undefined;
    let alertmanager: Daemon | undefined;
    let webhook: Awaited<ReturnType<typeof startWebhook>> | undefined;
    let load: Load[] = [];
    let rules: RenderedRules;
    let overrides: string[];
    let routing: { source: string; file: string };
    let databaseAlert: { alert: string; labels: Record<string, string> } | undefined;
    let firedInPrometheus = false;

    before(async () => {
      rules = renderedRules();
      overrides = capHoldDurations(rules, HOLD);
      const found = rules.groups
        .flatMap((group) => group.rules)
        .find((rule) => rule.alert && /database/i.test(rule.alert));
      if (found?.alert) databaseAlert = { alert: found.alert, labels: found.labels ?? {} };
      webhook = await startWebhook();
      const { config, source } = renderedAlertmanagerConfig(rules.environment, webhook.url);
      const file = join(scratch, 'alertmanager.yaml');
      writeFileSync(file, stringify(config));
      routing = { source, file };
      const check = spawnSync('amtool', ['check-config', file], { encoding: 'utf8' });
      assert.equal(check.status, 0, `amtool check-config: ${check.stdout}${check.stderr}`);

      database = await StoppableDatabaseServer.start();
      db = await createTestDatabase();
      const started = await Fleet.start(db, 2, 0);
      fleet = started;
      await started.connectDesktops(db, 4, 2);
      alertmanager = await startAlertmanager(scratch, file);
      const targets = [...started.replicas.values()].map((replica) => `127.0.0.1:${replica.metricsPort}`);
      prometheus = await startPrometheus(scratch, rules, targets, alertmanager.port);
      load = [started.steadyHttp(3, 200_000), started.producers(1, 200_000)];
      await sleep(8000);
      await database.stop();
      const alertname = databaseAlert?.alert;
      let firingSince: number | undefined;
      await waitUntil(
        async () => {
          if (!firingSince && (await firingAlerts(prometheus!.url)).includes(alertname ?? '')) firingSince = Date.now();
          firedInPrometheus = firingSince !== undefined;
          const delivered = webhook!.notifications.some((n) =>
            n.alerts.some((a) => a.labels.alertname === alertname && a.status === 'firing'),
          );
          // Delivered, or firing long enough that Alertmanager (1 s group wait here) would have delivered it.
          return delivered || (firingSince !== undefined && Date.now() - firingSince > 15_000);
        },
        `${String(alertname)} to fire and reach the webhook`,
        ALERT_WAIT_MS,
        500,
      ).catch(() => undefined);
      await database.startAgain();
    });

    after(async () => {
      await Promise.all(load.map((running) => running.stop()));
      await prometheus?.stop();
      await alertmanager?.stop();
      webhook?.server.close();
      await fleet?.stop();
      await db?.drop();
      await database?.dispose();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('loads the rendered rules into Prometheus and scrapes every replica', async (t) => {
      t.diagnostic(`rules from ${rules.file}; test-only hold override: ${overrides.join('; ')}`);
      const answer = (await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string }[] }[] };
      };
      const loaded = answer.data.groups.flatMap((group) => group.rules);
      assert.equal(loaded.length, rules.groups.flatMap((group) => group.rules).length);
      assert.ok(
        loaded.every((rule) => rule.health === 'ok'),
        JSON.stringify(loaded.filter((rule) => rule.health !== 'ok')),
      );
      const targets = (await (await fetch(`${prometheus!.url}/api/v1/targets`)).json()) as {
        data: { activeTargets: { health: string }[] };
      };
      assert.equal(targets.data.activeTargets.length, 2);
    });

    it('has a database alert in the rendered rules', () => {
      assert.ok(databaseAlert, `no alert about the database in ${rules.file}`);
    });

    it('routes that alert, by the rendered route tree, to a receiver that notifies someone', (t) => {
      t.diagnostic(`Alertmanager routing from ${routing.source}`);
      const labels = { alertname: databaseAlert!.alert, namespace: rules.namespace, ...databaseAlert!.labels };
      const receivers = routedReceivers(routing.file, labels);
      t.diagnostic(`${labels.alertname} routes to: ${receivers.join(', ')}`);
      assert.ok(receivers.length > 0 && !receivers.includes('null'), `routed to ${receivers.join(', ') || 'nothing'}`);
    });

    it('fires the database alert in Prometheus during the outage', () => {
      assert.ok(firedInPrometheus, `${String(databaseAlert?.alert)} did not fire within ${ALERT_WAIT_MS / 1000} s`);
    });

    it('delivers the firing alert to the webhook through that route', (t) => {
      const notifications = webhook!.notifications;
      const fired = new Set(
        notifications.flatMap((n) => n.alerts.filter((a) => a.status === 'firing').map((a) => a.labels.alertname)),
      );
      t.diagnostic(`alerts delivered: ${[...fired].join(', ') || 'none'}`);
      const delivery = notifications.find((n) => n.alerts.some((a) => a.labels.alertname === databaseAlert?.alert));
      assert.ok(delivery, `${String(databaseAlert?.alert)} never reached the webhook`);
      const labels = { alertname: databaseAlert!.alert, namespace: rules.namespace, ...databaseAlert!.labels };
      assert.ok(routedReceivers(routing.file, labels).includes(delivery.receiver), `delivered by ${delivery.receiver}`);
    });
  },
);
