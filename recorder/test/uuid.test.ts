import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUuidV7, uuidv7, uuidv7Timestamp } from '../src/uuid';

test('uuidv7 lays out timestamp, version and variant as RFC 9562 says', () => {
  const allOnes = (bytes: Uint8Array): Uint8Array => bytes.fill(0xff);
  const id = uuidv7(0x0192d3a47b1c, allOnes);
  assert.equal(id, '0192d3a4-7b1c-7fff-bfff-ffffffffffff');

  const allZeros = (bytes: Uint8Array): Uint8Array => bytes.fill(0);
  assert.equal(uuidv7(0x0192d3a47b1c, allZeros), '0192d3a4-7b1c-7000-8000-000000000000');
});

test('uuidv7 embeds the millisecond timestamp', () => {
  const now = Date.UTC(2025, 10, 28, 12, 0, 0, 123);
  const id = uuidv7(now);
  assert.ok(isUuidV7(id), id);
  assert.equal(uuidv7Timestamp(id), now);
});

test('uuidv7 ids sort by creation time and do not repeat', () => {
  const ids = new Set<string>();
  let previous = '';
  for (let i = 0; i < 2000; i++) {
    const id = uuidv7(1_700_000_000_000 + i);
    assert.ok(id > previous, `${id} sorts after ${previous}`);
    previous = id;
    ids.add(id);
  }
  const sameMs = new Set(Array.from({ length: 1000 }, () => uuidv7(1_700_000_000_000)));
  assert.equal(ids.size, 2000);
  assert.equal(sameMs.size, 1000);
});

test('isUuidV7 rejects other versions and malformed ids', () => {
  assert.equal(isUuidV7('0192d3a4-7b1c-4c2e-9f00-3a6b2c1d4e5f'), false);
  assert.equal(isUuidV7('0192d3a4-7b1c-7c2e-cf00-3a6b2c1d4e5f'), false);
  assert.equal(isUuidV7('0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5'), false);
  assert.equal(isUuidV7(42), false);
  assert.equal(isUuidV7('0192d3a4-7b1c-7c2e-9f00-3a6b2c1d4e5f'), true);
});
