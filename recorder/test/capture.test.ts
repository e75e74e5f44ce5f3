import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorEventPayload, MAX_EXCEPTION_STRING, pageviewPayload, rejectionPayload, truncate } from '../src/capture';

test('errorEventPayload takes message, stack and location from the ErrorEvent', () => {
  const error = new Error('Demo error: checkout failed');
  const payload = errorEventPayload({
    message: 'Uncaught Error: Demo error: checkout failed',
    error,
    filename: 'https://shop.example/app.js',
    lineno: 12,
    colno: 7,
  });
  assert.equal(payload.message, 'Uncaught Error: Demo error: checkout failed');
  assert.equal(payload.source, 'error');
  assert.equal(payload.filename, 'https://shop.example/app.js');
  assert.equal(payload.lineno, 12);
  assert.equal(payload.colno, 7);
  assert.match(payload.stack, /Demo error: checkout failed/);
});

test('errorEventPayload copes with cross-origin "Script error." events', () => {
  const payload = errorEventPayload({ message: 'Script error.', error: null, filename: '', lineno: 0, colno: 0 });
  assert.deepEqual(payload, { message: 'Script error.', stack: '', source: 'error', filename: '', lineno: 0, colno: 0 });
});

test('rejectionPayload describes Error and non-Error reasons', () => {
  const fromError = rejectionPayload(new RangeError('bad range'));
  assert.equal(fromError.message, 'bad range');
  assert.equal(fromError.source, 'unhandledrejection');
  assert.match(fromError.stack, /RangeError/);
  assert.equal(rejectionPayload('plain text').message, 'plain text');
  assert.equal(rejectionPayload({ code: 42 }).message, '{"code":42}');
  assert.equal(rejectionPayload(undefined).message, 'undefined');
});

test('long strings are truncated to a few KB', () => {
  const huge = 'x'.repeat(100_000);
  const payload = rejectionPayload(huge);
  assert.equal(payload.message.length, MAX_EXCEPTION_STRING);
  assert.ok(payload.message.endsWith('…'));
  assert.equal(truncate('short'), 'short');
  assert.equal(pageviewPayload('https://a.example/' + huge, 't', '').href.length, MAX_EXCEPTION_STRING);
});
