import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recorderSnippet } from '../src/onboarding';

test('the recorder snippet names the gateway and the public key', () => {
  assert.equal(
    recorderSnippet('https://ingest.example/', 'pk_shop'),
    '<script src="https://ingest.example/recorder.js" data-key="pk_shop" async></script>',
  );
  assert.equal(
    recorderSnippet('http://127.0.0.1:8080', 'pk_demo'),
    '<script src="http://127.0.0.1:8080/recorder.js" data-key="pk_demo" async></script>',
  );
});
