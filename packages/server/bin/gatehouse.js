#!/usr/bin/env node
// The `gatehouse` command: runs the compiled CLI (dist/). A published package ships dist/;
// in a checkout of the repository, `npm start` or `npm run build` compiles it.
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('/dist/cli/main.js')) throw error;
  console.error('gatehouse is not built yet: run `npm run build` (or `npm start`) in the repository first');
  process.exit(1);
}

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
