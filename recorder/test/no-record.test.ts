import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_RECORD_KEY, tabOptedOut, withoutMarker } from '../src/no-record';
import { MemoryStore } from '../src/storage';

function page(href: string, tabStore = new MemoryStore()) {
  const replaced: string[] = [];
  return { page: { href, tabStore, replaceUrl: (url: string) => replaced.push(url) }, replaced, tabStore };
}

test('the marker turns recording off for the tab and leaves the address bar', () => {
  const { page: first, replaced, tabStore } = page('https://shop.example/cart?item=3&__playback_no_record=1#top');
  assert.equal(tabOptedOut(first), true);
  assert.deepEqual(replaced, ['https://shop.example/cart?item=3#top']);
  assert.equal(tabStore.getItem(NO_RECORD_KEY), '1');

  // A later page of the same tab, without the marker, is not recorded either.
  const { page: later, replaced: untouched } = page('https://shop.example/checkout', tabStore);
  assert.equal(tabOptedOut(later), true);
  assert.deepEqual(untouched, [], 'an address without the marker is left alone');
});

test('a tab without the marker is recorded', () => {
  const { page: plain, replaced, tabStore } = page('https://shop.example/?q=__playback_no_record');
  assert.equal(tabOptedOut(plain), false);
  assert.deepEqual(replaced, []);
  assert.equal(tabStore.getItem(NO_RECORD_KEY), null);
});

test('the marker alone leaves no empty query behind', () => {
  assert.equal(withoutMarker('https://shop.example/?__playback_no_record=1'), 'https://shop.example/');
  assert.equal(withoutMarker('https://shop.example/a?__playback_no_record'), 'https://shop.example/a');
  assert.equal(withoutMarker('not a url'), null);
  assert.equal(withoutMarker('https://shop.example/a?b=1'), null);
});

test('storage and history that throw still keep the page unrecorded', () => {
  const broken = {
    getItem: () => {
      throw new Error('denied');
    },
    setItem: () => {
      throw new Error('denied');
    },
    removeItem: () => undefined,
  };
  const refusing = { href: 'https://a.example/?__playback_no_record=1', tabStore: broken, replaceUrl: () => {
    throw new Error('sandboxed');
  } };
  assert.equal(tabOptedOut(refusing), true);
  assert.equal(tabOptedOut({ href: 'https://a.example/', tabStore: broken, replaceUrl: () => undefined }), false);
});
