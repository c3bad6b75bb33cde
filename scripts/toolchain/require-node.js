// Runs first in every npm script that needs the project's Node (.nvmrc): on an older Node it stops at once with a
// message that names the version and how to get it, instead of an obscure "bad option" or "is not a function".
// Plain JavaScript with no dependencies, so it runs on any Node.
import { readFileSync } from 'node:fs';

const wanted = readFileSync(new URL('../../.nvmrc', import.meta.url), 'utf8').trim();
const wantedMajor = Number(wanted.split('.')[0]);
const runningMajor = Number(process.versions.node.split('.')[0]);

if (runningMajor < wantedMajor) {
  const script = process.env.npm_lifecycle_event ? `"npm run ${process.env.npm_lifecycle_event}"` : 'This command';
  process.stderr.write(
    `${script} needs Node ${wantedMajor} (${wanted}, from .nvmrc); this shell runs Node ${process.versions.node}.\n` +
      `Get Node ${wantedMajor}: run "bash .ci/run" once (it installs Node ${wanted} into .tools/node${wantedMajor}), then\n` +
      `  export PATH="$PWD/.tools/node${wantedMajor}/bin:$PATH"\n` +
      `or use a version manager ("nvm install" reads .nvmrc). Only "npm ci && npm run synth" works on older Node.\n`,
  );
  process.exit(1);
}
