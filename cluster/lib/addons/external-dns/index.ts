export * from './external-dns.js';
export type * from './external-dns-props.js';
