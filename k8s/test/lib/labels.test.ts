import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { service } from '../../../platform/service.js';
import { readPin } from '../../../platform/pins.js';
import { instanceName, labelKeys } from '../../lib/labels.js';
import { argocdObjects, environmentObjects, environments } from '../rendered.js';

describe('recommended labels', () => {
  for (const env of environments) {
    it(`are on every object of ${env.name} and on its pod templates, so one -l selector finds the release`, () => {
      const expected = {
        [labelKeys.name]: service.name,
        [labelKeys.instance]: instanceName(env),
        [labelKeys.partOf]: service.partOf,
        [labelKeys.managedBy]: 'cdk8s',
      };
      for (const object of environmentObjects(env.name)) {
        const spec = object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
        const podTemplateLabels = spec?.template ? [spec.template.metadata?.labels] : [];
        for (const labels of [object.metadata.labels, ...podTemplateLabels]) {
          for (const [key, value] of Object.entries(expected)) {
            assert.equal(labels?.[key], value, `${object.kind}/${object.metadata.name} ${key}`);
          }
          assert.ok(labels?.[labelKeys.component], `${object.kind}/${object.metadata.name} has a component`);
        }
      }
    });

    it(`carry the version of ${env.name} only on what runs the image: the Rollout, the migration Job and their pods`, () => {
      const versioned = new Set(['Rollout', 'Job']);
      for (const object of environmentObjects(env.name)) {
        const spec = object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
        const expected = versioned.has(object.kind) ? readPin(env.name).imageTag : undefined;
        assert.equal(object.metadata.labels?.[labelKeys.version], expected, `${object.kind}/${object.metadata.name}`);
        if (spec?.template) assert.equal(spec.template.metadata?.labels?.[labelKeys.version], expected);
      }
    });
  }

  it('are on the Argo CD objects', () => {
    for (const object of argocdObjects) {
      assert.equal(object.metadata.labels?.[labelKeys.name], service.name);
      assert.equal(object.metadata.labels[labelKeys.partOf], service.partOf);
    }
  });
});
