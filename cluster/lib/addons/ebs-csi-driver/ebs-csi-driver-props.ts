import type * as eks from 'aws-cdk-lib/aws-eks-v2';

export interface EbsCsiDriverProps {
  readonly cluster: eks.Cluster;
  /**
   * EKS add-on version. `aws eks describe-addon-versions --addon-name aws-ebs-csi-driver --kubernetes-version <minor>`
   * lists the builds; the driver's own releases are at github.com/kubernetes-sigs/aws-ebs-csi-driver.
   * @default ebsCsiDriverAddonVersion
   */
  readonly addonVersion?: string;
  /** Name of the default StorageClass. @default 'gp3' */
  readonly storageClassName?: string;
}
