/**
 * A linear-time regular-expression matcher for patterns that come from untrusted documents
 * (JSON Schema `pattern` and `patternProperties` in imported specs).
 *
 * A Thompson NFA: matching runs in time proportional to input length × program size, whatever
 * the pattern, so a hostile pattern cannot stall the process the way the backtracking RegExp
 * engine can (`^(a+)+$`). It follows RegExp#test semantics without flags: unanchored unless the
 * pattern anchors, unicode mode when the pattern is valid in it. What it does not support
 * (backreferences, lookaround, `\p{…}`), and patterns over the limits below, do not compile:
 * `compileRegex` answers undefined and the caller decides (the validator does not enforce them).
 */

export const REGEX_LIMITS = {
  /** Longest pattern compiled, in characters. */
  maxLength: 10_000,
  /** Largest compiled program (counted repetitions expanded), in instructions. */
  maxProgram: 5_000,
  /** Nesting of groups. */
  maxGroupDepth: 64,
} as const;

type Rx =
  | { t: 'set'; ranges: number[] }
  | { t: 'seq'; items: Rx[] }
  | { t: 'alt'; items: Rx[] }
  | { t: 'rep'; item: Rx; min: number; max: number }
  | { t: 'assert'; kind: number };

const OP_CHAR = 0;
const OP_SPLIT = 1;
const OP_JUMP = 2;
const OP_ASSERT = 3;
const OP_MATCH = 4;
const AT_START = 0;
const AT_END = 1;
const AT_WORD = 2;
const AT_NOT_WORD = 3;
const MAX_CODE_POINT = 0x10ffff;

const DIGIT = [0x30, 0x39];
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
const SPACE = [
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f,
  0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
];
const LINE_TERMINATORS = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];

/** Sorted, merged [lo, hi, lo, hi, …]. */
function normalizeRanges(ranges: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) pairs.push([ranges[i] ?? 0, ranges[i + 1] ?? 0]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= (out[last] ?? 0) + 1) out[last] = Math.max(out[last] ?? 0, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complementRanges(ranges: readonly number[]): number[] {
  const sorted = normalizeRanges(ranges);
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i + 1 < sorted.length; i += 2) {
    const lo = sorted[i] ?? 0;
    if (lo > next) out.push(next, lo - 1);
    next = (sorted[i + 1] ?? 0) + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

function inRanges({ ranges, cp }: { ranges: readonly number[]; cp: number }): boolean {
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    if (cp < (ranges[i] ?? 0)) return false;
    if (cp <= (ranges[i + 1] ?? 0)) return true;
  }
  return false;
}

const unsupported = new Error('pattern feature not supported');

const code = (ch: string): number => ch.codePointAt(0) ?? 0;
const isHex = (cp: number | undefined): boolean =>
  cp !== undefined &&
  ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x46) || (cp >= 0x61 && cp <= 0x66));

/** Parses an ECMAScript pattern already accepted by `new RegExp`, or throws `unsupported`. */
function parsePattern({ source, unicode }: { source: string; unicode: boolean }): Rx {
  const cps = Array.from(source, code);
  let pos = 0;
  let groups = 0;

  const readHex = (digits: number): number | undefined => {
    let value = 0;
    for (let i = 0; i < digits; i++) {
      const cp = cps[pos + i];
      if (!isHex(cp)) return undefined;
      value = value * 16 + parseInt(String.fromCodePoint(cp ?? 0), 16);
    }
    pos += digits;
    return value;
  };

  // One escaped character after the backslash (already consumed), as a code point.
  const escapedChar = (cp: number): number => {
    switch (cp) {
      case code('t'):
        return 0x09;
      case code('n'):
        return 0x0a;
      case code('v'):
        return 0x0b;
      case code('f'):
        return 0x0c;
      case code('r'):
        return 0x0d;
      case code('0'): {
        const next = cps[pos];
        if (next !== undefined && next >= 0x30 && next <= 0x39) throw unsupported;
        return 0;
      }
      case code('c'): {
        const letter = cps[pos];
        if (letter === undefined || !/[A-Za-z]/.test(String.fromCodePoint(letter)))
          throw unsupported;
        pos++;
        return letter % 32;
      }
      case code('x'):
        return readHex(2) ?? cp;
      case code('u'): {
        if (cps[pos] === code('{') && unicode) {
          const close = cps.indexOf(code('}'), pos);
          if (close < 0) throw unsupported;
          const value = parseInt(String.fromCodePoint(...cps.slice(pos + 1, close)), 16);
          pos = close + 1;
          return value;
        }
        const unit = readHex(4);
        if (unit === undefined) return cp;
        if (
          unit >= 0xd800 &&
          unit <= 0xdbff &&
          cps[pos] === code('\\') &&
          cps[pos + 1] === code('u')
        ) {
          const save = pos;
          pos += 2;
          const low = readHex(4);
          if (low !== undefined && low >= 0xdc00 && low <= 0xdfff) {
            return 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          }
          pos = save;
        }
        return unit;
      }
      default:
        return cp;
    }
  };

  const classEscape = (cp: number): number[] | undefined => {
    switch (cp) {
      case code('d'):
        return DIGIT;
      case code('D'):
        return complementRanges(DIGIT);
      case code('w'):
        return WORD;
      case code('W'):
        return complementRanges(WORD);
      case code('s'):
        return SPACE;
      case code('S'):
        return complementRanges(SPACE);
      case code('p'):
      case code('P'):
        if (unicode) throw unsupported;
        return undefined;
      default:
        if (cp >= 0x31 && cp <= 0x39) throw unsupported; // backreference
        if (cp === code('k') && (unicode || cps[pos] === code('<'))) throw unsupported;
        return undefined;
    }
  };

  const parseClass = (): Rx => {
    let negate = false;
    if (cps[pos] === code('^')) {
      negate = true;
      pos++;
    }
    const ranges: number[] = [];
    // One class atom: a set (\d, \w, …) or a single code point.
    const atom = (): number[] | number => {
      const cp = cps[pos++];
      if (cp === undefined) throw unsupported;
      if (cp !== code('\\')) return cp;
      const escaped = cps[pos++];
      if (escaped === undefined) throw unsupported;
      if (escaped === code('b')) return 0x08;
      if (escaped === code('-')) return code('-');
      return classEscape(escaped) ?? escapedChar(escaped);
    };
    while (pos < cps.length && cps[pos] !== code(']')) {
      const lo = atom();
      if (cps[pos] === code('-') && cps[pos + 1] !== undefined && cps[pos + 1] !== code(']')) {
        pos++;
        const hi = atom();
        if (typeof lo === 'number' && typeof hi === 'number') {
          if (lo > hi) throw unsupported;
          ranges.push(lo, hi);
        } else {
          // Outside unicode mode, [\d-z] means \d, "-" or "z".
          for (const part of [lo, code('-'), hi]) {
            if (typeof part === 'number') ranges.push(part, part);
            else ranges.push(...part);
          }
        }
      } else if (typeof lo === 'number') {
        ranges.push(lo, lo);
      } else {
        ranges.push(...lo);
      }
    }
    if (cps[pos] !== code(']')) throw unsupported;
    pos++;
    return { t: 'set', ranges: negate ? complementRanges(ranges) : normalizeRanges(ranges) };
  };

  const parseAtom = (): Rx => {
    const cp = cps[pos++];
    switch (cp) {
      case undefined:
        throw unsupported;
      case code('('): {
        if (cps[pos] === code('?')) {
          const kind = cps[pos + 1];
          if (kind === code(':')) {
            pos += 2;
          } else if (
            kind === code('<') &&
            cps[pos + 2] !== code('=') &&
            cps[pos + 2] !== code('!')
          ) {
            const close = cps.indexOf(code('>'), pos);
            if (close < 0) throw unsupported;
            pos = close + 1;
          } else {
            throw unsupported; // lookaround, modifiers
          }
        }
        if (++groups > REGEX_LIMITS.maxGroupDepth) throw unsupported;
        const inner = parseAlternation();
        groups--;
        if (cps[pos] !== code(')')) throw unsupported;
        pos++;
        return inner;
      }
      case code('['):
        return parseClass();
      case code('.'):
        return { t: 'set', ranges: complementRanges(LINE_TERMINATORS) };
      case code('^'):
        return { t: 'assert', kind: AT_START };
      case code('$'):
        return { t: 'assert', kind: AT_END };
      case code('*'):
      case code('+'):
      case code('?'):
        throw unsupported;
      case code('\\'): {
        const escaped = cps[pos++];
        if (escaped === undefined) throw unsupported;
        if (escaped === code('b')) return { t: 'assert', kind: AT_WORD };
        if (escaped === code('B')) return { t: 'assert', kind: AT_NOT_WORD };
        const set = classEscape(escaped);
        if (set !== undefined) return { t: 'set', ranges: set };
        const ch = escapedChar(escaped);
        return { t: 'set', ranges: [ch, ch] };
      }
      default:
        return { t: 'set', ranges: [cp, cp] };
    }
  };

  // {n}, {n,} or {n,m} at pos, or undefined (then "{" is a literal).
  const braces = (): { min: number; max: number } | undefined => {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCodePoint(...cps.slice(pos, pos + 24)));
    if (match === null) return undefined;
    pos += match[0].length;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
    return { min, max };
  };

  const parseSequence = (): Rx => {
    const items: Rx[] = [];
    while (pos < cps.length && cps[pos] !== code('|') && cps[pos] !== code(')')) {
      const atom = parseAtom();
      let bounds: { min: number; max: number } | undefined;
      const q = cps[pos];
      if (q === code('*')) bounds = { min: 0, max: Infinity };
      else if (q === code('+')) bounds = { min: 1, max: Infinity };
      else if (q === code('?')) bounds = { min: 0, max: 1 };
      if (bounds !== undefined) pos++;
      else if (q === code('{')) bounds = braces();
      if (bounds === undefined) {
        items.push(atom);
        continue;
      }
      if (cps[pos] === code('?')) pos++; // lazy: the same language
      if (bounds.min > bounds.max) throw unsupported;
      // A repeated assertion holds as often as it holds once; zero times it always holds.
      if (atom.t === 'assert') {
        if (bounds.min > 0) items.push(atom);
        continue;
      }
      items.push({ t: 'rep', item: atom, min: bounds.min, max: bounds.max });
    }
    return items.length === 1 && items[0] !== undefined ? items[0] : { t: 'seq', items };
  };

  const parseAlternation = (): Rx => {
    const items = [parseSequence()];
    while (cps[pos] === code('|')) {
      pos++;
      items.push(parseSequence());
    }
    return items.length === 1 && items[0] !== undefined ? items[0] : { t: 'alt', items };
  };

  const rx = parseAlternation();
  if (pos !== cps.length) throw unsupported;
  return rx;
}

interface Program {
  op: Uint8Array;
  x: Int32Array;
  y: Int32Array;
  sets: (readonly number[] | undefined)[];
  anchored: boolean;
  // Scratch space, reused: matching never re-enters itself.
  current: Int32Array;
  next: Int32Array;
  stack: Int32Array;
  marks: Int32Array;
  generation: number;
}

function programSize(rx: Rx): number {
  const limit = REGEX_LIMITS.maxProgram + 1;
  switch (rx.t) {
    case 'set':
    case 'assert':
      return 1;
    case 'seq':
      return Math.min(
        limit,
        rx.items.reduce((sum, item) => sum + programSize(item), 0),
      );
    case 'alt':
      return Math.min(
        limit,
        rx.items.reduce((sum, item) => sum + programSize(item) + 2, 0),
      );
    case 'rep': {
      const item = programSize(rx.item);
      const optional = rx.max === Infinity ? 1 : rx.max - rx.min;
      return Math.min(limit, item * rx.min + (item + 2) * optional);
    }
  }
}

function compileProgram(rx: Rx): Program {
  const op: number[] = [];
  const x: number[] = [];
  const y: number[] = [];
  const sets: (readonly number[] | undefined)[] = [];
  const emit = ({
    code: o,
    a = 0,
    set,
  }: {
    code: number;
    a?: number;
    set?: readonly number[];
  }): number => {
    op.push(o);
    x.push(a);
    y.push(0);
    sets.push(set);
    return op.length - 1;
  };
  const walk = (node: Rx): void => {
    switch (node.t) {
      case 'set':
        emit({ code: OP_CHAR, set: node.ranges });
        return;
      case 'assert':
        emit({ code: OP_ASSERT, a: node.kind });
        return;
      case 'seq':
        for (const item of node.items) walk(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        node.items.forEach((item, i) => {
          if (i < node.items.length - 1) {
            const split = emit({ code: OP_SPLIT, a: op.length + 1 });
            walk(item);
            jumps.push(emit({ code: OP_JUMP }));
            y[split] = op.length;
          } else {
            walk(item);
          }
        });
        for (const jump of jumps) x[jump] = op.length;
        return;
      }
      case 'rep': {
        for (let i = 0; i < node.min; i++) walk(node.item);
        if (node.max === Infinity) {
          const split = emit({ code: OP_SPLIT, a: op.length + 1 });
          walk(node.item);
          emit({ code: OP_JUMP, a: split });
          y[split] = op.length;
          return;
        }
        const splits: number[] = [];
        for (let i = node.min; i < node.max; i++) {
          splits.push(emit({ code: OP_SPLIT, a: op.length + 1 }));
          walk(node.item);
        }
        for (const split of splits) y[split] = op.length;
        return;
      }
    }
  };
  walk(rx);
  emit({ code: OP_MATCH });
  const size = op.length;
  return {
    op: Uint8Array.from(op),
    x: Int32Array.from(x),
    y: Int32Array.from(y),
    sets,
    anchored: op[0] === OP_ASSERT && x[0] === AT_START,
    current: new Int32Array(size),
    next: new Int32Array(size),
    stack: new Int32Array(size),
    marks: new Int32Array(size),
    generation: 0,
  };
}

function isWordChar(cp: number): boolean {
  return cp >= 0 && inRanges({ ranges: WORD, cp });
}

/** Whether `program` matches anywhere in `input` (RegExp#test semantics, no flags). */
function runProgram({ program, input }: { program: Program; input: string }): boolean {
  const { op, x, y, sets, marks, stack } = program;
  let current = program.current;
  let next = program.next;
  if (program.generation > 0x3fffffff) {
    marks.fill(0);
    program.generation = 0;
  }
  // Adds the thread at `start` and everything reachable without consuming input; returns the
  // new length of `list`, or -1 when a thread reaches the end of the pattern.
  const follow = ({
    list,
    length,
    start,
    before,
    after,
  }: {
    list: Int32Array;
    length: number;
    start: number;
    before: number;
    after: number;
  }): number => {
    const generation = program.generation;
    if (marks[start] === generation) return length;
    marks[start] = generation;
    let sp = 0;
    stack[sp++] = start;
    let n = length;
    const push = (target: number): void => {
      if (marks[target] !== generation) {
        marks[target] = generation;
        stack[sp++] = target;
      }
    };
    while (sp > 0) {
      const pc = stack[--sp] ?? 0;
      const o = op[pc] ?? OP_MATCH;
      if (o === OP_MATCH) return -1;
      if (o === OP_CHAR) {
        list[n++] = pc;
      } else if (o === OP_JUMP) {
        push(x[pc] ?? 0);
      } else if (o === OP_SPLIT) {
        push(x[pc] ?? 0);
        push(y[pc] ?? 0);
      } else {
        const kind = x[pc];
        const holds =
          kind === AT_START
            ? before < 0
            : kind === AT_END
              ? after < 0
              : (isWordChar(before) !== isWordChar(after)) === (kind === AT_WORD);
        if (holds) push(pc + 1);
      }
    }
    return n;
  };

  program.generation++;
  let count = follow({
    list: current,
    length: 0,
    start: 0,
    before: -1,
    after: input.codePointAt(0) ?? -1,
  });
  if (count < 0) return true;
  let index = 0;
  while (index < input.length) {
    const cp = input.codePointAt(index) ?? 0;
    index += cp > 0xffff ? 2 : 1;
    const after = input.codePointAt(index) ?? -1;
    program.generation++;
    let nextCount = 0;
    for (let i = 0; i < count; i++) {
      const pc = current[i] ?? 0;
      const ranges = sets[pc];
      if (ranges !== undefined && inRanges({ ranges, cp })) {
        nextCount = follow({ list: next, length: nextCount, start: pc + 1, before: cp, after });
        if (nextCount < 0) return true;
      }
    }
    if (!program.anchored) {
      nextCount = follow({ list: next, length: nextCount, start: 0, before: cp, after });
      if (nextCount < 0) return true;
    } else if (nextCount === 0) {
      return false;
    }
    [current, next] = [next, current];
    count = nextCount;
  }
  return false;
}

/** A compiled pattern. Not reentrant: matching reuses its scratch space. */
export interface LinearRegex {
  readonly source: string;
  readonly program: Program;
}

/** A matcher for `source`, or undefined when it is not a pattern this engine enforces. */
export function compileRegex(source: unknown): LinearRegex | undefined {
  if (typeof source !== 'string' || source.length > REGEX_LIMITS.maxLength) return undefined;
  let unicode = true;
  try {
    // Only parsed here, never run: the syntax check of the engine the pattern was written for.
    new RegExp(source, 'u');
  } catch {
    try {
      new RegExp(source);
      unicode = false;
    } catch {
      return undefined;
    }
  }
  try {
    const rx = parsePattern({ source, unicode });
    if (programSize(rx) > REGEX_LIMITS.maxProgram) return undefined;
    return { source, program: compileProgram(rx) };
  } catch (error) {
    if (error === unsupported) return undefined;
    throw error;
  }
}

/** Work units of one match, for callers that budget their work (input length × program size). */
export function regexCost({ regex, input }: { regex: LinearRegex; input: string }): number {
  return 1 + Math.floor((input.length * regex.program.op.length) / 64);
}

/** Whether `regex` matches anywhere in `input` (RegExp#test semantics). */
export function regexTest({ regex, input }: { regex: LinearRegex; input: string }): boolean {
  return runProgram({ program: regex.program, input });
}
