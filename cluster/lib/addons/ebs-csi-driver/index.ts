export * from './ebs-csi-driver.js';
export type * from './ebs-csi-driver-props.js';
