import { Construct } from 'constructs';
import { chartPins } from '../charts.js';
import { HelmAddon } from '../helm-addon/index.js';
import type { ReloaderProps } from './reloader-props.js';

const defaultProps = { pin: chartPins.reloader };

/**
 * Stakater Reloader: restarts the server's Rollout when the Secret its ExternalSecret writes changes (a rotated
 * database password, a new JWT key), for workloads that opt in with `secret.reloader.stakater.com/reload` (k8s/). It
 * watches only the service's namespaces, Secrets only, and restarts Argo Rollouts as well as Deployments.
 */
export class Reloader extends Construct {
  readonly addon: HelmAddon;

  constructor(scope: Construct, id: string, props: ReloaderProps) {
    super(scope, id);
    const { cluster, namespaces, pin } = { ...defaultProps, ...props };
    if (namespaces.length === 0) throw new Error('Reloader: namespaces must name at least one namespace');
    this.addon = new HelmAddon(this, 'Addon', {
      cluster,
      pin,
      values: {
        reloader: {
          isArgoRollouts: true,
          ignoreConfigMaps: true,
          watchGlobally: false,
          namespaces: [...namespaces],
          readOnlyRootFileSystem: true,
        },
      },
    });
  }
}
