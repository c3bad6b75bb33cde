import { fileURLToPath } from 'node:url';
import { render } from './render.js';

// `npm run synth`: renders charts-out/ and argocd/ at the repository root.
render(fileURLToPath(new URL('..', import.meta.url)));
