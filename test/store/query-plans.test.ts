/**
 * Issue 15: every token-endpoint, introspection, refresh, revocation and authorization
 * statement is an index lookup (O(log n)) on both dialects. The statements are captured
 * from the drivers while the hot paths run (test/helpers/query-plans.ts), then each is
 * explained on the same database: no table may be read by a scan.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { STORAGE_TARGETS } from '../helpers/postgres.js';
import { captureStatements, explainStatement, HOT_PATH_FLOWS, setUpHotPath, type CapturedStatement } from '../helpers/query-plans.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { CLIENTS_REVISION_SQL } from '../../packages/server/src/store/sql/repositories/clients.js';

for (const target of STORAGE_TARGETS) {
  describe(`hot-path query plans (${target.name})`, { skip: target.skip }, () => {
    let t: TestGatehouse;
    let url: string;
    let cleanup: () => Promise<void>;
    const dir = createTempDir(`gatehouse-plans-${target.name}-`);
    let captured: CapturedStatement[] = [];

    before(async () => {
      ({ url, cleanup } = await target.create(dir.path));
      t = await createTestGatehouse({ databaseUrl: url });
      const fixture = await setUpHotPath(t.app, t.gatehouse);
      const capture = captureStatements();
      try {
        for (const flow of HOT_PATH_FLOWS) {
          capture.flow.name = flow.name;
          await flow.run(fixture);
        }
      } finally {
        capture.stop();
      }
      captured = capture.statements;
    });
    after(async () => {
      await t?.close();
      await cleanup?.();
      dir.remove();
    });

    it('the flows ran the statements of every hot path, the client cache reading among them', () => {
      const sql = captured.map((statement) => statement.sql.toLowerCase());
      for (const table of ['authorization_codes', 'grants', 'refresh_tokens', 'revoked_access_tokens', 'consents', 'sessions', 'users']) {
        assert.ok(sql.some((text) => text.includes(`"${table}"`) || text.includes(` ${table} `)), `a statement on ${table} was captured`);
      }
      // SQLite's cache reads PRAGMA data_version (not a query on a table); PostgreSQL's the clients revision.
      if (target.name === 'postgres') assert.ok(captured.some((statement) => statement.sql === CLIENTS_REVISION_SQL), 'the client cache read its revision');
    });

    it('every statement is parameterised: no value is written into the SQL text', () => {
      // The only literal is the clients revision counter's name, a constant of the code; a
      // value (a digest, a timestamp) written into the text would also make each statement new.
      const literal = captured.filter((statement) => /'|\b\d{3,}\b/.test(statement.sql.replace(CLIENTS_REVISION_SQL, '')));
      assert.deepEqual(literal.map((statement) => statement.sql), []);
      assert.ok(captured.some((statement) => statement.parameters.length > 0));
    });

    it('every statement is an index lookup: no table is scanned', async () => {
      const offending: string[] = [];
      for (const statement of captured) {
        const explained = await explainStatement(url, statement);
        if (explained.scans.length > 0) offending.push(`[${statement.flow}] ${statement.sql}\n    ${explained.plan.join('\n    ')}`);
      }
      assert.ok(captured.length >= 15, `captured ${captured.length} statements`);
      assert.deepEqual(offending, [], `statements reading a table without an index:\n${offending.join('\n')}`);
    });
  });
}
