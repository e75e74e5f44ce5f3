import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cssUrl, scanCss } from '../src/css-refs';

/** The same cases as the asset stage's scanner (stages/assets/src/css.rs), with the same answers. */
function values(css: string): [string, string][] {
  return scanCss(css).map((found) => [found.kind, found.value]);
}

test('url() and @import in every form, as the stage finds them', () => {
  const css = `@import "base.css";
@import url('print.css') print;
@IMPORT url(https://cdn.example.com/x.css);
body { background: URL( "img/bg.png" ) no-repeat, url(icons/a\\ b.svg); }
@font-face { src: url('/fonts/a.woff2') format("woff2"), url(data:font/woff;base64,AAAA) }
.a { mask: url(  spaced.png  ) }`;
  assert.deepEqual(values(css), [
    ['import', 'base.css'],
    ['import', 'print.css'],
    ['import', 'https://cdn.example.com/x.css'],
    ['url', 'img/bg.png'],
    ['url', 'icons/a b.svg'],
    ['url', '/fonts/a.woff2'],
    ['url', 'data:font/woff;base64,AAAA'],
    ['url', 'spaced.png'],
  ]);
});

test('comments, strings and look-alikes are no references; escapes are undone', () => {
  const css = `/* url(commented.png) @import "no.css"; */
.q::before { content: "url(quoted.png)"; }
.f { background: myurl(fake.png); --x: 'it\\'s url(x)'; }
.ok { background: url("a\\"b.png") }
.hex { background: url("\\66 oo.png") }`;
  assert.deepEqual(values(css), [['url', 'a"b.png'], ['url', 'foo.png']]);
});

test('unclosed tokens are no references', () => {
  assert.deepEqual(values('a { background: url(broken.png }'), []);
  assert.deepEqual(values('a { background: url("x.png" }'), []);
  assert.deepEqual(values('/* url(a.png)'), []);
});

test('an @import knows its whole rule as CSS parses it, and no more', () => {
  const css = '@import url("a.css") screen; .x{color:red}';
  const [found] = scanCss(css);
  assert.equal(css.slice(found.start, found.end), 'url("a.css")');
  assert.deepEqual(found.rule && css.slice(found.rule.start, found.rule.end), '@import url("a.css") screen;');
  // With a block it is one invalid rule, block and all; what follows is the next rule.
  const blocked = '@import "b.css" .y{color:blue;} .z{}';
  const [block] = scanCss(blocked);
  assert.equal(block.rule && blocked.slice(block.rule.start, block.rule.end), '@import "b.css" .y{color:blue;}');
  const inner = '@media print { @import "c.css" } .w{}';
  const [nested] = scanCss(inner);
  assert.equal(nested.rule && inner.slice(nested.rule.start, nested.rule.end), '@import "c.css" ');
});

test('a written url() escapes quotes, backslashes and newlines as the stage does', () => {
  assert.equal(cssUrl('https://site.example/c.png?q="x"'), 'url("https://site.example/c.png?q=\\"x\\"")');
  assert.equal(cssUrl('a\nb\\c'), 'url("a\\a b\\\\c")');
});
