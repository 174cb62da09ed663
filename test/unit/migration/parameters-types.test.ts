/** The QMP layer passes 64-bit integers as numbers when they fit: they must work like bigints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrationOptions } from '../../../src/migration/options.js';
import type { MigrateSetParameters } from '../../../src/migration/parameters.js';

test('size and uint64 parameters given as numbers are validated and stored as bigint', () => {
  const o = new MigrationOptions();
  const ctx = { migrationInProgress: false };
  o.setParameters({ 'xbzrle-cache-size': 4096 } as unknown as MigrateSetParameters, ctx);
  assert.equal(o.param('xbzrle-cache-size'), 4096n);
  assert.throws(
    () => o.setParameters({ 'xbzrle-cache-size': 12288 } as unknown as MigrateSetParameters, ctx),
    {
      message:
        "Parameter 'xbzrle_cache_size' expects a power of two no less than the target page size",
    },
  );
  o.setParameters(
    { 'downtime-limit': 500, 'max-bandwidth': 1000 } as unknown as MigrateSetParameters,
    ctx,
  );
  assert.equal(o.param('downtime-limit'), 500n);
  assert.equal(o.param('max-bandwidth'), 1000n);
});
