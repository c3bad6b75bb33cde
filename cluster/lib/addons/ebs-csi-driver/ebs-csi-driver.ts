import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EbsCsiDriverProps } from './ebs-csi-driver-props.js';
import { acknowledgeDriverPolicy } from './nag-acknowledgements.js';

/**
 * Driver v1.64.0 (kubernetes-sigs/aws-ebs-csi-driver CHANGELOG, Aug 2026) as an EKS build. The "-eksbuild" suffix
 * is what EKS publishes for it; describe-addon-versions is the authority and cannot be asked offline.
 */
export const ebsCsiDriverAddonVersion = 'v1.64.0-eksbuild.1';
/** The controller's service account, which the add-on creates and Pod Identity binds the role to. */
export const ebsCsiControllerServiceAccount = 'ebs-csi-controller-sa';

const defaultProps = {
  addonVersion: ebsCsiDriverAddonVersion,
  storageClassName: 'gp3',
} satisfies Partial<EbsCsiDriverProps>;

/**
 * The aws-ebs-csi-driver managed add-on (EBS volumes for PersistentVolumeClaims: Prometheus, Alertmanager, Grafana)
 * with its controller's AWS identity through EKS Pod Identity, and the cluster's default StorageClass: encrypted gp3,
 * bound when the pod is scheduled (the volume is created in the pod's zone), expandable in place.
 */
export class EbsCsiDriver extends Construct {
  readonly addon: eks.Addon;
  readonly role: iam.Role;
  readonly storageClass: eks.KubernetesManifest;
  readonly storageClassName: string;

  constructor(scope: Construct, id: string, props: EbsCsiDriverProps) {
    super(scope, id);
    const { cluster, addonVersion, storageClassName } = { ...defaultProps, ...props };
    this.storageClassName = storageClassName;
    if (!/^v\d+\.\d+\.\d+-eksbuild\.\d+$/.test(addonVersion)) {
      throw new Error(`EbsCsiDriver addonVersion "${addonVersion}" is not an EKS add-on version (vX.Y.Z-eksbuild.N)`);
    }

    // Only the add-on's controller in this cluster may assume it (Pod Identity passes these as session tags).
    this.role = new iam.Role(this, 'PodIdentityRole', {
      description: `EKS Pod Identity of kube-system/${ebsCsiControllerServiceAccount} (aws-ebs-csi-driver)`,
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withConditions({
        StringEquals: {
          'aws:SourceAccount': Stack.of(this).account,
          'aws:RequestTag/eks-cluster-name': cluster.clusterName,
          'aws:RequestTag/kubernetes-namespace': 'kube-system',
          'aws:RequestTag/kubernetes-service-account': ebsCsiControllerServiceAccount,
        },
      }),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEBSCSIDriverPolicy')],
    });
    this.role.assumeRolePolicy?.addStatements(
      new iam.PolicyStatement({
        actions: ['sts:TagSession'],
        principals: [new iam.ServicePrincipal('pods.eks.amazonaws.com')],
      }),
    );
    acknowledgeDriverPolicy(this.role);

    this.addon = new eks.Addon(this, 'Addon', {
      cluster,
      addonName: 'aws-ebs-csi-driver',
      addonVersion,
      preserveOnDelete: true,
    });
    const cfnAddon = this.addon.node.defaultChild as eks.CfnAddon;
    cfnAddon.podIdentityAssociations = [{ serviceAccount: ebsCsiControllerServiceAccount, roleArn: this.role.roleArn }];
    cfnAddon.resolveConflicts = 'OVERWRITE';
    if (cluster.eksPodIdentityAgent) this.addon.node.addDependency(cluster.eksPodIdentityAgent);

    this.storageClass = new eks.KubernetesManifest(this, 'StorageClass', {
      cluster,
      overwrite: true,
      manifest: [
        {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: {
            name: storageClassName,
            annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
          },
          provisioner: 'ebs.csi.aws.com',
          parameters: { type: 'gp3', encrypted: 'true', 'csi.storage.k8s.io/fstype': 'ext4' },
          volumeBindingMode: 'WaitForFirstConsumer',
          allowVolumeExpansion: true,
          reclaimPolicy: 'Delete',
        },
      ],
    });
    this.storageClass.node.addDependency(this.addon);
  }
}
