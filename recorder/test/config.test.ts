import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { configUrl, DEFAULT_CONFIG, DEFAULT_SCRUB_PARAMS, loadConfig, parseConfig } from '../src/config';

test('parseConfig keeps valid values and fills in defaults', () => {
  const served = {
    enabled: true,
    sample_rate: 0.5,
    flush_interval_ms: 2000,
    max_batch_bytes: 262144,
    snapshot_interval_ms: 60000,
    session_idle_timeout_ms: 600000,
    session_max_ms: 3600000,
    inline_assets: true,
    mask_text: 'all',
    scrub_params: ['token', 'sid'],
    text_patterns: ['ORD-[0-9]+'],
  };
  assert.deepEqual(parseConfig(served), served);
  assert.equal(parseConfig({ inline_assets: 'yes' }).inline_assets, false, 'only a boolean turns inlining on');
  assert.deepEqual(parseConfig({}), DEFAULT_CONFIG);
  assert.deepEqual(parseConfig(null), DEFAULT_CONFIG);
  assert.equal(parseConfig({ enabled: false }).enabled, false);
});

test('parseConfig clamps values out of range', () => {
  const config = parseConfig({ sample_rate: 3, flush_interval_ms: -5, max_batch_bytes: 50 * 1024 * 1024, session_max_ms: 'x' });
  assert.equal(config.sample_rate, 1);
  assert.equal(config.flush_interval_ms, 250);
  assert.ok(config.max_batch_bytes < 1024 * 1024);
  assert.equal(config.session_max_ms, DEFAULT_CONFIG.session_max_ms);
  assert.equal(parseConfig({ sample_rate: -1 }).sample_rate, 0);
});

test('parseConfig falls back to sensitive masking for an unknown mask_text', () => {
  assert.equal(DEFAULT_CONFIG.mask_text, 'sensitive');
  assert.equal(parseConfig({ mask_text: 'none' }).mask_text, 'none');
  assert.equal(parseConfig({ mask_text: 'sensitive' }).mask_text, 'sensitive');
  for (const value of ['ALL', 'some', '', 1, true, null, ['all']]) {
    assert.equal(parseConfig({ mask_text: value }).mask_text, 'sensitive', `mask_text ${JSON.stringify(value)}`);
  }
});

test('the default scrub_params are the shared deny list', () => {
  const vectors = JSON.parse(readFileSync(new URL('../../schemas/privacy/vectors.json', import.meta.url), 'utf8')) as {
    scrub_params: string[];
  };
  assert.deepEqual(DEFAULT_SCRUB_PARAMS, vectors.scrub_params);
  assert.deepEqual(DEFAULT_CONFIG.scrub_params, vectors.scrub_params);
});

test('parseConfig cleans scrub_params', () => {
  assert.deepEqual(parseConfig({}).scrub_params, DEFAULT_SCRUB_PARAMS);
  assert.deepEqual(parseConfig({ scrub_params: 'token' }).scrub_params, DEFAULT_SCRUB_PARAMS, 'not an array');
  assert.deepEqual(parseConfig({ scrub_params: null }).scrub_params, DEFAULT_SCRUB_PARAMS);
  assert.deepEqual(parseConfig({ scrub_params: [] }).scrub_params, [], 'an empty list scrubs nothing');
  assert.deepEqual(parseConfig({ scrub_params: [' SID ', '', '   ', 7, null, 'Token', 'x'.repeat(101), 'y'.repeat(100)] }).scrub_params, [
    'sid',
    'token',
    'y'.repeat(100),
  ]);
  const many = Array.from({ length: 150 }, (_, index) => `p${index}`);
  const kept = parseConfig({ scrub_params: many }).scrub_params;
  assert.equal(kept.length, 100);
  assert.equal(kept[99], 'p99');
});

test('parseConfig keeps at most 50 text_patterns of at most 500 characters', () => {
  assert.deepEqual(parseConfig({}).text_patterns, []);
  assert.deepEqual(parseConfig({ text_patterns: 'ORD-[0-9]+' }).text_patterns, [], 'not an array');
  assert.deepEqual(parseConfig({ text_patterns: ['ORD-[0-9]+', 3, null, { source: 'x' }, 'a'.repeat(501), 'b'.repeat(500)] }).text_patterns, [
    'ORD-[0-9]+',
    'b'.repeat(500),
  ]);
  const many = Array.from({ length: 60 }, (_, index) => `p${index}`);
  assert.equal(parseConfig({ text_patterns: many }).text_patterns.length, 50);
});

test('configUrl escapes the key', () => {
  assert.equal(configUrl('https://pb.example', 'pk demo'), 'https://pb.example/v1/projects/pk%20demo/config');
});

function fakeFetch(responses: Array<Response | Error>): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: async (input) => {
      urls.push(String(input));
      const next = responses.shift();
      if (next === undefined || next instanceof Error) {
        throw next ?? new Error('no response');
      }
      return next;
    },
  };
}

test('loadConfig retries network errors and 503 with growing delays', async () => {
  const { fetch, urls } = fakeFetch([
    new TypeError('offline'),
    new Response('{"error":"unavailable"}', { status: 503 }),
    new Response(JSON.stringify({ enabled: true, sample_rate: 0.25 }), { status: 200 }),
  ]);
  const sleeps: number[] = [];
  const config = await loadConfig('https://pb.example', 'pk_demo', {
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
    cancelled: () => false,
    warn: () => {},
  });
  assert.equal(config?.sample_rate, 0.25);
  assert.equal(urls.length, 3);
  assert.equal(urls[0], 'https://pb.example/v1/projects/pk_demo/config');
  assert.deepEqual(sleeps, [1000, 2000]);
});

test('loadConfig gives up on an unknown key', async () => {
  const { fetch, urls } = fakeFetch([new Response('{"error":"unknown project key"}', { status: 401 })]);
  const warnings: string[] = [];
  const config = await loadConfig('https://pb.example', 'pk_nope', {
    fetch,
    sleep: async () => {},
    random: () => 0,
    cancelled: () => false,
    warn: (message) => warnings.push(message),
  });
  assert.equal(config, null);
  assert.equal(urls.length, 1);
  assert.equal(warnings.length, 1);
});

test('loadConfig stops retrying once cancelled', async () => {
  let attempts = 0;
  const config = await loadConfig('https://pb.example', 'pk_demo', {
    fetch: async () => {
      attempts++;
      throw new TypeError('offline');
    },
    sleep: async () => {},
    random: () => 0,
    cancelled: () => attempts >= 4,
    warn: () => {},
  });
  assert.equal(config, null);
  assert.equal(attempts, 4);
});
