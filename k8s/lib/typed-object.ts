import { ApiObject } from 'cdk8s';
import type { ApiObjectProps } from 'cdk8s';
import type { Construct } from 'constructs';

/** A kubernetes-models object: typed by its CRD schema and able to validate itself against it. */
interface ValidatingModel {
  readonly apiVersion: string;
  readonly kind: string;
  validate(): void;
  toJSON(): unknown;
}

/**
 * Adds a custom resource built with the `@kubernetes-models/*` types (generated from the CRDs, no download at synth
 * time) to the construct tree, after checking it against its schema so a bad object fails the synth, not the sync.
 */
export function typedApiObject(scope: Construct, id: string, model: ValidatingModel): ApiObject {
  model.validate();
  return new ApiObject(scope, id, {
    ...(model.toJSON() as ApiObjectProps),
    apiVersion: model.apiVersion,
    kind: model.kind,
  });
}
