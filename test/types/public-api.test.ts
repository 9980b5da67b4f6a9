/**
 * The public surface of each package, as its users compile against it: the *.check.ts
 * files beside this test use the three packages' exports with the types a consumer relies
 * on (and assert that internals are not exported). Here they are compiled against the
 * BUILT declarations (dist/*.d.ts, what a packed package ships), under --strict; the
 * repository's type-check compiles them against the sources as well.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { typeCheck } from '../helpers/typecheck.js';

const check = (name: string) => fileURLToPath(new URL(`./${name}.check.ts`, import.meta.url));

describe('the public API of each package, compiled against its built declarations', () => {
  for (const name of ['resource', 'client', 'server']) {
    it(`@gatehouse-auth/${name}: the consumer's code compiles under --strict`, () => {
      assert.deepEqual(typeCheck([check(name)]), []);
    });
  }

  it('a consumer that misuses the API does not compile (the check can fail)', () => {
    const broken = fileURLToPath(new URL('./fixtures/misuse.check.ts', import.meta.url));
    const diagnostics = typeCheck([broken]);
    assert.equal(diagnostics.length, 2, diagnostics.join('\n'));
    assert.match(diagnostics[0]!, /misuse\.check\.ts:\d+: .*'audience'/s);
    assert.match(diagnostics[1]!, /misuse\.check\.ts:\d+: .*not assignable to type 'number'/s);
  });
});
