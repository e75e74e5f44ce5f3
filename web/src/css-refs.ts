/**
 * The `url(...)` and `@import` targets of CSS text, found exactly as the
 * asset stage finds them (stages/assets/src/css.rs), so that the player
 * rewrites the URLs the stage archived and no others: comments and strings
 * are skipped (a `url(` inside `content: "url(x)"` is no reference), except
 * the string right after `@import`, which is one; `myurl(` is not `url(`; an
 * unclosed token is no reference; CSS escapes are undone in the values.
 */

export interface CssRef {
  /** `url(...)` outside an `@import`, or the target of an `@import` (a string or a `url()`). */
  kind: 'url' | 'import';
  /** The reference as written, escapes undone, surrounding spaces trimmed. */
  value: string;
  /** What a rewrite replaces: the whole `url(...)` token, or the string after `@import`. */
  start: number;
  end: number;
  /** For an `@import`: where its rule starts (the `@`) and ends (after its `;`, or the text's end). */
  rule?: { start: number; end: number };
}

/** Every `url(...)` and `@import` target of `css`, in text order. */
export function scanCss(css: string): CssRef[] {
  const refs: CssRef[] = [];
  let at = 0;
  while (at < css.length) {
    const char = css[at];
    if (char === '/' && css[at + 1] === '*') {
      at = skipComment(css, at);
    } else if (char === '"' || char === "'") {
      at = stringEnd(css, at);
    } else if (char === '\\') {
      at += 2;
    } else if (startsWithIgnoreCase(css, at, '@import') && !isNameChar(css[at + 7])) {
      at = scanImport(css, at, refs);
    } else if (startsWithIgnoreCase(css, at, 'url(') && (at === 0 || !isNameChar(css[at - 1]))) {
      const token = urlToken(css, at);
      if (token) {
        refs.push({ kind: 'url', value: token.value, start: at, end: token.end });
        at = token.end;
      } else {
        at += 4;
      }
    } else {
      at += 1;
    }
  }
  return refs;
}

/** `url("target")`, escaped as the stage writes it. */
export function cssUrl(target: string): string {
  let escaped = '';
  for (const char of target) {
    if (char === '"' || char === '\\') escaped += `\\${char}`;
    else if (char === '\n' || char === '\r' || char === '\f') escaped += `\\${char.charCodeAt(0).toString(16)} `;
    else escaped += char;
  }
  return `url("${escaped}")`;
}

function startsWithIgnoreCase(css: string, at: number, prefix: string): boolean {
  return css.slice(at, at + prefix.length).toLowerCase() === prefix;
}

/** Whether `char` may continue a CSS identifier. */
function isNameChar(char: string | undefined): boolean {
  if (char === undefined) return false;
  return /[A-Za-z0-9_-]/.test(char) || char.charCodeAt(0) >= 0x80;
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f';
}

/** The index after the comment opening at `at` (the text's end when it is not closed). */
function skipComment(css: string, at: number): number {
  const close = css.indexOf('*/', at + 2);
  return close === -1 ? css.length : close + 2;
}

function skipSpaceAndComments(css: string, from: number): number {
  let at = from;
  for (;;) {
    if (at < css.length && isSpace(css[at])) at += 1;
    else if (css[at] === '/' && css[at + 1] === '*') at = skipComment(css, at);
    else return at;
  }
}

/** The index after the string opening at `at`: after its closing quote, at an unescaped newline, or the text's end. */
function stringEnd(css: string, at: number): number {
  const quote = css[at];
  let index = at + 1;
  while (index < css.length) {
    const char = css[index];
    if (char === '\\') index += 2;
    else if (char === '\n') return index;
    else if (char === quote) return index + 1;
    else index += 1;
  }
  return css.length;
}

function stringValue(css: string, start: number, end: number): string {
  const quote = css[start];
  const innerEnd = end > start + 1 && css[end - 1] === quote ? end - 1 : end;
  return unescape(css.slice(start + 1, Math.max(innerEnd, start + 1)));
}

/** Undoes CSS escapes: `\` and up to six hex digits (and one space after them), or `\` and any other character. */
function unescape(raw: string): string {
  let out = '';
  let index = 0;
  while (index < raw.length) {
    if (raw[index] !== '\\') {
      out += raw[index];
      index += 1;
      continue;
    }
    index += 1;
    const hex = /^[0-9a-fA-F]{1,6}/.exec(raw.slice(index, index + 6));
    if (hex) {
      const code = parseInt(hex[0], 16);
      out += code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? '\ufffd' : String.fromCodePoint(code);
      index += hex[0].length;
      if (index < raw.length && isSpace(raw[index])) index += 1;
    } else if (index < raw.length) {
      if (raw[index] !== '\n') out += raw[index];
      index += 1;
    }
  }
  return out.trim();
}

/** The `url(...)` token at `at`: its value and the index after its `)`; null when it is not closed. */
function urlToken(css: string, at: number): { value: string; end: number } | null {
  const first = skipSpaceAndComments(css, at + 4);
  if (css[first] === '"' || css[first] === "'") {
    const end = stringEnd(css, first);
    const value = stringValue(css, first, end);
    const close = skipSpaceAndComments(css, end);
    return css[close] === ')' ? { value, end: close + 1 } : null;
  }
  let index = first;
  while (index < css.length) {
    const char = css[index];
    if (char === '\\') index += 2;
    else if (char === ')') return { value: unescape(css.slice(first, index)), end: index + 1 };
    else if (char === '"' || char === "'" || char === '(') return null;
    else index += 1;
  }
  return null;
}

/** The target of the `@import` at `at`; returns where scanning goes on. */
function scanImport(css: string, at: number, refs: CssRef[]): number {
  const start = skipSpaceAndComments(css, at + 7);
  let target: { value: string; end: number } | null = null;
  if (css[start] === '"' || css[start] === "'") {
    const end = stringEnd(css, start);
    target = { value: stringValue(css, start, end), end };
  } else if (startsWithIgnoreCase(css, start, 'url(')) {
    target = urlToken(css, start);
    if (!target) return start + 4;
  }
  if (!target) return start;
  refs.push({ kind: 'import', value: target.value, start, end: target.end, rule: { start: at, end: ruleEnd(css, target.end) } });
  return target.end;
}

/**
 * Where the at-rule going on at `from` ends, as CSS parses it: after its `;`,
 * or after a `{…}` block (an `@import` with one is invalid, block and all),
 * or before the `}` of a block around it. Strings and comments are skipped.
 */
function ruleEnd(css: string, from: number): number {
  let at = from;
  let depth = 0;
  while (at < css.length) {
    const char = css[at];
    if (char === '/' && css[at + 1] === '*') {
      at = skipComment(css, at);
      continue;
    }
    if (char === '"' || char === "'") {
      at = stringEnd(css, at);
      continue;
    }
    if (char === ';' && depth === 0) return at + 1;
    if (char === '{') depth += 1;
    if (char === '}') {
      if (depth === 0) return at;
      depth -= 1;
      if (depth === 0) return at + 1;
    }
    at += 1;
  }
  return css.length;
}
