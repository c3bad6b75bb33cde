import { fileURLToPath } from 'node:url';
import { checkCliOutputDir } from './render.js';
import { synthesize } from './release/synthesize.js';

// `npm run synth` (and `cdk8s synth` through cdk8s.yaml): renders charts-out/ and argocd/ at the repository root,
// each environment from its release pin (k8s/release/synthesize.ts says what goes where).
const rootDir = fileURLToPath(new URL('..', import.meta.url));
checkCliOutputDir(rootDir, process.env.CDK8S_OUTDIR);
synthesize(rootDir);
