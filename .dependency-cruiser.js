/**
 * Import rules checked by `npm run lint` (dependency-cruiser): no cycles, and the server image carries no
 * infrastructure data (accounts, CIDRs, hosts live in platform/environments.ts for cluster/ and k8s/ only).
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle means an abstraction knows its plug-in: compose at the edge (main.ts) instead.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'server-without-infrastructure',
      comment: 'The server runs in the image: it reads the server contract, never accounts, CIDRs or hosts.',
      severity: 'error',
      from: { path: '^server/src' },
      to: { path: '^(platform/environments|platform/network|platform/pins|k8s/|cluster/|scripts/)' },
    },
    {
      name: 'production-code-not-to-tests',
      severity: 'error',
      from: { path: '^(server/src|k8s/lib|k8s/charts|cluster/lib|platform)' },
      to: { path: '(^|/)test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
