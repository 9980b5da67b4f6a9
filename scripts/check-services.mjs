#!/usr/bin/env node
// Fails (exit 1) when the PostgreSQL or Redis named by GATEHOUSE_TEST_POSTGRES_URL /
// GATEHOUSE_TEST_REDIS_URL cannot be reached, so CI never passes with those suites skipped.
import net from 'node:net';
import pg from 'pg';

async function checkPostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  await client.query('select 1');
  await client.end();
}

function checkRedis(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const timer = setTimeout(() => socket.destroy(new Error('timed out')), 5000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.end();
      if (data.toString().startsWith('+PONG')) resolve();
      else reject(new Error(`unexpected reply ${data.toString().trim()}`));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

let failed = false;
for (const [name, variable, check] of [
  ['PostgreSQL', 'GATEHOUSE_TEST_POSTGRES_URL', checkPostgres],
  ['Redis', 'GATEHOUSE_TEST_REDIS_URL', checkRedis],
]) {
  const url = process.env[variable];
  if (!url) {
    console.error(`${variable} is not set`);
    failed = true;
    continue;
  }
  try {
    await check(url);
    console.log(`${name} reachable at ${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}`);
  } catch (error) {
    console.error(`${name} is NOT reachable at ${url}: ${error.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
