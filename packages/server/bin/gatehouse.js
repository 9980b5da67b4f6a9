#!/usr/bin/env node
// The package's CLI entry point. The TypeScript sources are compiled to dist/ by
// `npm install` (the `prepare` script) or `npm run build`.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
