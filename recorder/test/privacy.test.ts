import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EventType, IncrementalSource, NodeType, type eventWithTime } from '@rrweb/types';
import { DEFAULT_CONFIG, DEFAULT_SCRUB_PARAMS, parseConfig } from '../src/config';
import { compilePatterns, maskAll, maskEventText, maskMatches, maskFormState, REDACTED, scrubUrls } from '../src/privacy';

interface Vector {
  in: string;
  out: string;
}

interface Vectors {
  scrub_params: string[];
  replacement: string;
  urls: Vector[];
  text: Vector[];
  events: Array<{ in: eventWithTime; out: eventWithTime }>;
}

// Tests run from recorder/dist-test/; the vectors are shared with the gateway.
const vectors = JSON.parse(readFileSync(new URL('../../schemas/privacy/vectors.json', import.meta.url), 'utf8')) as Vectors;

test('scrubUrls follows the shared URL vectors', () => {
  assert.equal(REDACTED, vectors.replacement);
  assert.ok(vectors.urls.length > 0);
  for (const vector of vectors.urls) {
    assert.equal(scrubUrls(vector.in, DEFAULT_SCRUB_PARAMS), vector.out, vector.in);
  }
});

test('maskMatches with the default patterns follows the shared text vectors', () => {
  const { patterns, invalid } = compilePatterns(DEFAULT_CONFIG);
  assert.deepEqual(invalid, []);
  assert.ok(vectors.text.length > 0);
  for (const vector of vectors.text) {
    assert.equal(maskMatches(vector.in, patterns), vector.out, vector.in);
  }
});

test('whole events follow the shared event vectors, as the recorder prepares them to be sent', () => {
  const { patterns } = compilePatterns(DEFAULT_CONFIG);
  assert.ok(vectors.events.length > 0);
  for (const vector of vectors.events) {
    const event = structuredClone(vector.in);
    maskFormState(event, () => null);
    maskEventText(event, patterns);
    const sent = JSON.parse(scrubUrls(JSON.stringify(event), DEFAULT_SCRUB_PARAMS)) as unknown;
    assert.deepEqual(sent, vector.out, JSON.stringify(vector.in));
  }
});

test('scrubUrls with no parameters leaves the text alone', () => {
  const text = 'https://a.example/?token=abc';
  assert.equal(scrubUrls(text, []), text);
  assert.equal(scrubUrls(text, ['sid']), text);
  assert.equal(scrubUrls('https://a.example/?sid=1', ['sid']), 'https://a.example/?sid=redacted');
});

test('scrubUrls finds parameters in JSON text', () => {
  const event = { type: 4, data: { href: 'https://a.example/?token=abc&q="x"', width: 10 } };
  const json = scrubUrls(JSON.stringify(event), DEFAULT_SCRUB_PARAMS);
  assert.deepEqual(JSON.parse(json), { type: 4, data: { href: 'https://a.example/?token=redacted&q="x"', width: 10 } });
  const css = JSON.stringify({ _cssText: 'a { background: url("/img.png?signature=s1&w=2") }' });
  assert.equal(JSON.parse(scrubUrls(css, DEFAULT_SCRUB_PARAMS))._cssText, 'a { background: url("/img.png?signature=redacted&w=2") }');
});

test('compilePatterns follows mask_text and skips invalid text_patterns', () => {
  assert.equal(compilePatterns(parseConfig({ mask_text: 'sensitive' })).patterns.length, 2);
  assert.equal(compilePatterns(parseConfig({ mask_text: 'all' })).patterns.length, 2);
  assert.equal(compilePatterns(parseConfig({ mask_text: 'none' })).patterns.length, 0);
  const { patterns, invalid } = compilePatterns(parseConfig({ mask_text: 'none', text_patterns: ['ORD-[0-9]+', '(unclosed', '[z-a]'] }));
  assert.equal(patterns.length, 1);
  assert.deepEqual(invalid, ['(unclosed', '[z-a]']);
  assert.equal(maskMatches('Order ORD-123456 for ada@example.com', patterns), 'Order ********** for ada@example.com');
});

test('maskMatches applies the default patterns before the project ones', () => {
  const { patterns } = compilePatterns(parseConfig({ text_patterns: ['Ada \\w+'] }));
  assert.deepEqual(
    maskMatches('Ada Lovelace, ada@example.com, +44 20 7946 0958', patterns),
    '*** ********, ***************, *** ** **** ****',
  );
});

test('maskMatches skips empty matches', () => {
  const { patterns } = compilePatterns(parseConfig({ mask_text: 'none', text_patterns: ['x*', '(?:)'] }));
  assert.equal(maskMatches('a xx b', patterns), 'a ** b');
  assert.equal(maskMatches('', patterns), '');
  assert.equal(maskMatches('😀 xx', patterns), '😀 **');
});

test('maskAll keeps whitespace only', () => {
  assert.equal(maskAll('Ada  Lovelace\n 42 😀'), '***  ********\n ** *');
  assert.equal(maskAll(' \t'), ' \t');
});

// Hand-made rrweb events: the ids of the live nodes a mirror would answer for.

function fakeInput(type: string): Node {
  return { nodeName: 'INPUT', type } as unknown as Node;
}

function lookupOf(nodes: Record<number, Node>): (id: number) => Node | null {
  return (id) => nodes[id] ?? null;
}

function element(id: number, tagName: string, attributes: Record<string, string | boolean>, childNodes: unknown[] = []) {
  return { type: NodeType.Element, id, tagName, attributes, childNodes };
}

test('maskFormState removes checked from a FullSnapshot, however deep', () => {
  const deepest = element(3, 'input', { type: 'Checkbox', checked: true });
  let tree = deepest;
  for (let id = 10; id < 20_010; id++) {
    tree = element(id, 'div', {}, [tree]);
  }
  const body = element(4, 'body', {}, [
    tree,
    element(5, 'input', { type: 'radio', checked: true, name: 'plan' }),
    element(6, 'input', { type: 'text', value: '********', checked: true }),
    element(7, 'input', { checked: true }),
  ]);
  const event = {
    type: EventType.FullSnapshot,
    timestamp: 1,
    data: { node: { type: NodeType.Document, id: 1, childNodes: [body] }, initialOffset: { top: 0, left: 0 } },
  } as unknown as eventWithTime;
  maskFormState(event, lookupOf({}));
  assert.deepEqual(deepest.attributes, { type: 'Checkbox' });
  assert.deepEqual(body.childNodes[1], element(5, 'input', { type: 'radio', name: 'plan' }));
  assert.deepEqual(body.childNodes[2], element(6, 'input', { type: 'text', value: '********', checked: true }), 'not a toggle');
  assert.deepEqual(body.childNodes[3], element(7, 'input', { checked: true }), 'an input without type is a text input');
});

test('maskFormState clears isChecked of radio and checkbox input events', () => {
  const lookup = lookupOf({ 5: fakeInput('checkbox'), 6: fakeInput('RADIO'), 7: fakeInput('text') });
  const input = (id: number, isChecked: boolean) =>
    ({ type: EventType.IncrementalSnapshot, timestamp: 1, data: { source: IncrementalSource.Input, id, text: '', isChecked } }) as eventWithTime;
  for (const id of [5, 6, 99]) {
    const event = input(id, true);
    maskFormState(event, lookup);
    assert.deepEqual(event.data, { source: IncrementalSource.Input, id, text: '', isChecked: false }, `node ${id}`);
  }
  const text = input(7, true);
  maskFormState(text, lookup);
  assert.equal((text.data as { isChecked: boolean }).isChecked, true, 'not a toggle');
});

test('maskFormState removes checked from mutations', () => {
  const added = element(8, 'input', { type: 'checkbox', checked: true });
  const event = {
    type: EventType.IncrementalSnapshot,
    timestamp: 1,
    data: {
      source: IncrementalSource.Mutation,
      texts: [],
      removes: [],
      adds: [{ parentId: 4, nextId: null, node: element(9, 'label', {}, [added]) }],
      attributes: [
        { id: 5, attributes: { checked: '', class: 'on' } },
        { id: 6, attributes: { checked: '' } },
        { id: 7, attributes: { type: 'radio', checked: '' } },
        { id: 99, attributes: { checked: '' } },
      ],
    },
  } as unknown as eventWithTime;
  maskFormState(event, lookupOf({ 5: fakeInput('checkbox'), 6: fakeInput('text'), 7: fakeInput('text') }));
  assert.deepEqual(added.attributes, { type: 'checkbox' });
  const data = event.data as { attributes: Array<{ id: number; attributes: Record<string, unknown> }> };
  assert.deepEqual(data.attributes, [
    { id: 5, attributes: { class: 'on' } },
    { id: 6, attributes: { checked: '' } },
    { id: 7, attributes: { type: 'radio' } },
    { id: 99, attributes: { checked: '' } },
  ]);
});

test('maskFormState gives blocked hidden inputs their type back', () => {
  const blocked = element(11, 'input', { rr_width: '0px', rr_height: '0px' });
  const blockedOther = element(12, 'input', { rr_width: '80px', rr_height: '20px' });
  const event = {
    type: EventType.FullSnapshot,
    timestamp: 1,
    data: { node: { type: NodeType.Document, id: 1, childNodes: [blocked, blockedOther] }, initialOffset: { top: 0, left: 0 } },
  } as unknown as eventWithTime;
  maskFormState(event, lookupOf({ 11: fakeInput('hidden'), 12: fakeInput('text') }));
  assert.deepEqual(blocked.attributes, { rr_width: '0px', rr_height: '0px', type: 'hidden' });
  assert.deepEqual(blockedOther.attributes, { rr_width: '80px', rr_height: '20px' });
});

test('maskFormState leaves other events alone', () => {
  const meta = { type: EventType.Meta, timestamp: 1, data: { href: 'https://a.example/', width: 1, height: 1 } } as eventWithTime;
  const scroll = { type: EventType.IncrementalSnapshot, timestamp: 1, data: { source: IncrementalSource.Scroll, id: 1, x: 0, y: 5 } } as eventWithTime;
  const before = JSON.stringify([meta, scroll]);
  maskFormState(meta, lookupOf({}));
  maskFormState(scroll, lookupOf({}));
  assert.equal(JSON.stringify([meta, scroll]), before);
});
