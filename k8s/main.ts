import { fileURLToPath } from 'node:url';
import { checkCliOutputDir, render } from './render.js';

// `npm run synth` (and `cdk8s synth` through cdk8s.yaml): renders charts-out/ and argocd/ at the repository root.
const rootDir = fileURLToPath(new URL('..', import.meta.url));
checkCliOutputDir(rootDir, process.env.CDK8S_OUTDIR);
render(rootDir);
