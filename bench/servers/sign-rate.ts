// The signature half of the physical floor of one core: ES256 signatures per second with
// node:crypto, one after the other on one thread, over a token-sized signing input (a fresh
// `jti` every 256 signatures, so that no input is signed over and over). The harness runs it
// pinned to the servers' core (taskset) between the rounds of the HTTP floor server.
// BENCH_SECONDS (default 3): how long to sign. Prints `SIGNED <count> <seconds> <CPU seconds> <RSS MB>`
// (of the counted part) and exits.
import { newEs256Key, signEs256, signingInput } from './token-body.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const key = newEs256Key();
// Warm up (JIT, OpenSSL's tables) for a tenth of the time, not counted.
const warmUntil = performance.now() + seconds * 100;
while (performance.now() < warmUntil) signEs256(signingInput('http://127.0.0.1:8080'), key);

let count = 0;
let input = signingInput('http://127.0.0.1:8080');
const cpuBefore = process.cpuUsage();
const started = performance.now();
const until = started + seconds * 1000;
let now = started;
while (now < until) {
  for (let i = 0; i < 256; i++) signEs256(input, key);
  count += 256;
  input = signingInput('http://127.0.0.1:8080');
  now = performance.now();
}
const cpu = process.cpuUsage(cpuBefore);
console.log(`SIGNED ${count} ${((now - started) / 1000).toFixed(4)} ${((cpu.user + cpu.system) / 1e6).toFixed(4)} ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)}`);
