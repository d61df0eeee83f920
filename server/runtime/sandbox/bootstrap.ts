import { WORKFLOW_GLOBAL } from './compile.ts';

/**
 * Source of the script that runs first in every fresh context, before the workflow's own code.
 * It evaluates to the entry function `(hostLog, hostCall, contextJson, caps) => Promise<string>`.
 *
 * Why it is written the way it is:
 * - Builtins are captured before workflow code runs, so a workflow that replaces JSON.stringify,
 *   Array.prototype.map or Set.prototype.has cannot change how ctx checks its values.
 * - Strict mode everywhere: a workflow getter called by ctx cannot climb `.caller` to reach the
 *   host callbacks, which live only in this closure and never on the global object.
 * - Values crossing to the host are serialized by a single pass that reads every property once and
 *   refuses functions, BigInt, symbols, cycles, non-finite numbers and class instances (a getter
 *   cannot show one value to the check and another to JSON.stringify). The host parses every
 *   string again, so whatever happens in here, only JSON reaches it.
 * - The answer is a tagged string ('o' output, 'i' invalid output, 'e' error), never an object:
 *   resolving a promise with an object would consult a `then` the workflow may have planted.
 */
export const BOOTSTRAP = `'use strict';
(() => {
  const { freeze, keys, getPrototypeOf, create } = Object;
  const objectProto = Object.prototype;
  const isArray = Array.isArray;
  const { parse, stringify } = JSON;
  const { apply } = Reflect;
  const isFiniteNumber = Number.isFinite;
  const ProxyC = Proxy;
  const ErrorC = Error;
  const TypeErrorC = TypeError;
  const SetC = Set;
  const { add: setAdd, has: setHas, delete: setDelete } = Set.prototype;
  const StringC = String;
  const strSlice = String.prototype.slice;
  const workflowGlobal = ${JSON.stringify(WORKFLOW_GLOBAL)};
  // These can schedule work that runs later as a task of its own (a finalizer, an
  // Atomics.waitAsync timeout, an async WebAssembly compile), outside the run that started it;
  // Atomics.wait blocks the thread. No workflow needs them.
  delete globalThis.FinalizationRegistry;
  delete globalThis.Atomics;
  delete globalThis.SharedArrayBuffer;
  delete globalThis.WebAssembly;

  const cut = (s, n) => (s.length > n ? apply(strSlice, s, [0, n]) : s);

  const toJson = (value, what, limit) => {
    const seen = new SetC();
    const path = create(null);
    let depth = 0;
    const where = () => {
      let p = '$';
      for (let i = 0; i < depth; i++) p += path[i];
      return p;
    };
    const bad = (reason) => new TypeErrorC(what + ' is not JSON: ' + reason + ' at ' + where());
    const out = (v) => {
      if (v === null) return 'null';
      const t = typeof v;
      if (t === 'string') return stringify(v);
      if (t === 'boolean') return v ? 'true' : 'false';
      if (t === 'number') {
        if (isFiniteNumber(v)) return stringify(v);
        throw bad('non-finite number');
      }
      if (t !== 'object') throw bad(t);
      if (apply(setHas, seen, [v])) throw bad('cycle');
      let s;
      if (isArray(v)) {
        apply(setAdd, seen, [v]);
        s = '[';
        const n = v.length;
        for (let i = 0; i < n; i++) {
          if (i > 0) s += ',';
          const item = v[i];
          path[depth++] = '[' + i + ']';
          s += item === undefined ? 'null' : out(item);
          depth--;
        }
        s += ']';
      } else {
        const proto = getPrototypeOf(v);
        if (proto !== objectProto && proto !== null) {
          let name = 'object';
          try {
            const c = proto.constructor;
            if (typeof c === 'function' && typeof c.name === 'string') name = c.name;
          } catch {}
          throw bad(name);
        }
        apply(setAdd, seen, [v]);
        s = '{';
        let first = true;
        const ks = keys(v);
        for (let i = 0; i < ks.length; i++) {
          const k = ks[i];
          const item = v[k];
          if (item === undefined) continue;
          if (!first) s += ',';
          first = false;
          path[depth++] = '.' + k;
          s += stringify(k) + ':' + out(item);
          depth--;
        }
        s += '}';
      }
      apply(setDelete, seen, [v]);
      if (s.length > limit) throw new TypeErrorC(what + ': larger than the limit of ' + limit + ' bytes');
      return s;
    };
    return out(value === undefined ? null : value);
  };

  const deepFreeze = (v) => {
    if (v !== null && typeof v === 'object') {
      freeze(v);
      const ks = keys(v);
      for (let i = 0; i < ks.length; i++) deepFreeze(v[ks[i]]);
    }
    return v;
  };

  const describeError = (e) => {
    let message = 'workflow threw a value that is not an Error';
    let stack;
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        const m = e.message;
        if (typeof m === 'string') message = m;
        const s = e.stack;
        if (typeof s === 'string') stack = s;
      } else {
        message = StringC(e);
      }
    } catch {}
    let json = '{"message":' + stringify(cut(message, 4096));
    if (stack !== undefined) json += ',"stack":' + stringify(cut(stack, 16384));
    return json + '}';
  };

  const isPlainObject = (v) => {
    if (v === null || typeof v !== 'object' || isArray(v)) return false;
    const proto = getPrototypeOf(v);
    return proto === objectProto || proto === null;
  };
  const nonEmptyString = (v, max) => typeof v === 'string' && v.length > 0 && v.length <= max;

  return async (hostLog, hostCall, contextJson, maxOutputChars, maxArgsChars, maxLogChars) => {
    // Null-prototype options: isolated-vm reads them with ordinary property lookups.
    const callOptions = create(null);
    callOptions.arguments = create(null);
    callOptions.arguments.copy = true;
    callOptions.result = create(null);
    callOptions.result.promise = true;
    callOptions.result.copy = true;
    const referenceApply = hostCall.apply;
    const call = async (name, args) => {
      const json = toJson(args, 'arguments of ' + name, maxArgsChars);
      const answer = await apply(referenceApply, hostCall, [undefined, [name, json], callOptions]);
      if (typeof answer !== 'string' || answer.length === 0) throw new ErrorC('host call failed');
      const rest = apply(strSlice, answer, [1]);
      if (answer[0] !== '1') throw new ErrorC(rest);
      return parse(rest);
    };

    let logOpen = true;
    const format = (p) => {
      if (typeof p === 'string') return p;
      if (p === undefined) return 'undefined';
      try {
        if (p instanceof ErrorC) return StringC(p.name) + ': ' + StringC(p.message);
        const s = stringify(p);
        return s === undefined ? StringC(p) : s;
      } catch {
        try { return StringC(p); } catch { return '[unprintable]'; }
      }
    };
    const say = (level) => (...parts) => {
      // The host counts what the run tried to log (size), not only what it keeps: a run that
      // floods its log is stopped. Once the host has refused an entry every later one is dropped.
      let m = '';
      let size = 0;
      for (let i = 0; i < parts.length; i++) {
        const text = format(parts[i]);
        size += text.length + (i > 0 ? 1 : 0);
        if (logOpen && m.length <= maxLogChars) m += (i > 0 ? ' ' : '') + text;
      }
      if (!logOpen) { hostLog(level, '', size); return; }
      if (hostLog(level, cut(m, maxLogChars), size) !== true) logOpen = false;
    };

    const stateOptions = (method, opts, withTtl) => {
      if (opts === undefined || opts === null) return { scope: 'org' };
      if (typeof opts !== 'object') throw new TypeErrorC('ctx.state.' + method + ': options must be an object');
      const scope = opts.scope === undefined ? 'org' : opts.scope;
      if (scope !== 'org' && scope !== 'invocation') throw new TypeErrorC("ctx.state." + method + ": scope must be 'org' or 'invocation'");
      const ttlSeconds = opts.ttlSeconds;
      if (ttlSeconds === undefined || !withTtl) return { scope };
      if (typeof ttlSeconds !== 'number' || !isFiniteNumber(ttlSeconds) || ttlSeconds <= 0) throw new TypeErrorC('ctx.state.' + method + ': ttlSeconds must be a positive number');
      return { scope, ttlSeconds };
    };
    const stateKey = (method, key) => {
      if (!nonEmptyString(key, 512)) throw new TypeErrorC('ctx.state.' + method + ': key must be a non-empty string of at most 512 characters');
      return key;
    };

    const notAction = (name) => typeof name !== 'string' || name === 'then' || name === 'toJSON' || name === 'constructor';
    const refuseWrite = () => false;
    const readOnlyProxy = (get) => new ProxyC(freeze(create(null)), {
      get: (_target, name) => get(name),
      set: refuseWrite,
      defineProperty: refuseWrite,
      deleteProperty: refuseWrite,
    });
    const connectors = readOnlyProxy((connector) => {
      if (notAction(connector)) return undefined;
      return readOnlyProxy((action) => {
        if (notAction(action)) return undefined;
        return (input) => call('connector', { connector, action, input: input === undefined ? null : input });
      });
    });

    const cdmCall = (name) => (args) => {
      if (!isPlainObject(args)) throw new TypeErrorC('ctx.' + name + ': expected { connector, entity, record }');
      const { connector, entity, record } = args;
      if (!nonEmptyString(connector, 200)) throw new TypeErrorC('ctx.' + name + ': connector must be a non-empty string');
      if (!nonEmptyString(entity, 200)) throw new TypeErrorC('ctx.' + name + ': entity must be a non-empty string');
      if (!isPlainObject(record)) throw new TypeErrorC('ctx.' + name + ': record must be a plain object');
      return call(name, { connector, entity, record });
    };

    const fetch = async (url, init) => {
      if (!nonEmptyString(url, 8192)) throw new TypeErrorC('ctx.http.fetch: url must be a non-empty string');
      const sent = {};
      if (init !== undefined && init !== null) {
        if (!isPlainObject(init)) throw new TypeErrorC('ctx.http.fetch: init must be a plain object');
        const { method, headers, body } = init;
        if (method !== undefined) {
          if (!nonEmptyString(method, 32)) throw new TypeErrorC('ctx.http.fetch: method must be a non-empty string');
          sent.method = method;
        }
        let hasContentType = false;
        if (headers !== undefined) {
          if (!isPlainObject(headers)) throw new TypeErrorC('ctx.http.fetch: headers must be a plain object of strings');
          const copy = {};
          const ks = keys(headers);
          for (let i = 0; i < ks.length; i++) {
            const v = headers[ks[i]];
            if (typeof v !== 'string') throw new TypeErrorC('ctx.http.fetch: header ' + ks[i] + ' must be a string');
            copy[ks[i]] = v;
            if (ks[i].toLowerCase() === 'content-type') hasContentType = true;
          }
          sent.headers = copy;
        }
        if (body !== undefined && body !== null) {
          if (typeof body === 'string') sent.body = body;
          else if (isPlainObject(body) || isArray(body)) {
            sent.body = toJson(body, 'ctx.http.fetch body', maxArgsChars);
            if (!hasContentType) {
              if (sent.headers === undefined) sent.headers = {};
              sent.headers['content-type'] = 'application/json';
            }
          } else throw new TypeErrorC('ctx.http.fetch: body must be a string or a plain object');
        }
      }
      const answer = await call('http.fetch', { url, init: sent });
      if (!isPlainObject(answer) || typeof answer.status !== 'number') throw new ErrorC('ctx.http.fetch: bad answer from the host');
      const status = answer.status;
      const body = typeof answer.body === 'string' ? answer.body : '';
      const headers = deepFreeze(isPlainObject(answer.headers) ? answer.headers : {});
      return freeze({
        status,
        ok: status >= 200 && status <= 299,
        headers,
        text: async () => body,
        json: async () => parse(body),
      });
    };

    const step = async (name, fn) => {
      if (!nonEmptyString(name, 200)) throw new TypeErrorC('ctx.step: name must be a non-empty string of at most 200 characters');
      if (typeof fn !== 'function') throw new TypeErrorC('ctx.step: the second argument must be a function');
      const saved = await call('step.get', { name });
      if (isPlainObject(saved) && saved.done === true) return saved.value === undefined ? null : saved.value;
      // What is stored is what is returned, so a replay sees exactly the first run's value.
      const value = parse(toJson(await fn(), 'ctx.step value', maxArgsChars));
      await call('step.put', { name, value });
      return value;
    };

    let context;
    try {
      context = parse(contextJson);
    } catch {
      context = {};
    }
    const field = (name) => deepFreeze(context[name] === undefined ? null : context[name]);
    const ctx = freeze({
      input: field('input'),
      headers: field('headers'),
      trigger: field('trigger'),
      customer: field('customer'),
      env: field('env'),
      executionId: field('executionId'),
      attempt: field('attempt'),
      log: freeze({ debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') }),
      secrets: freeze({
        get: async (name) => {
          if (!nonEmptyString(name, 200)) throw new TypeErrorC('ctx.secrets.get: name must be a non-empty string');
          const value = await call('secrets.get', { name });
          return typeof value === 'string' ? value : null;
        },
      }),
      state: freeze({
        get: async (key, opts) => {
          const k = stateKey('get', key);
          const { scope } = stateOptions('get', opts, false);
          return call('state.get', { key: k, scope });
        },
        set: async (key, value, opts) => {
          const k = stateKey('set', key);
          if (value === undefined) throw new TypeErrorC('ctx.state.set: value is undefined; use ctx.state.delete to remove a key');
          const o = stateOptions('set', opts, true);
          const args = o.ttlSeconds === undefined ? { key: k, value, scope: o.scope } : { key: k, value, scope: o.scope, ttlSeconds: o.ttlSeconds };
          await call('state.set', args);
        },
        delete: async (key, opts) => {
          const k = stateKey('delete', key);
          const { scope } = stateOptions('delete', opts, false);
          await call('state.delete', { key: k, scope });
        },
      }),
      connectors,
      cdm: freeze({ toCanonical: cdmCall('cdm.toCanonical'), fromCanonical: cdmCall('cdm.fromCanonical') }),
      http: freeze({ fetch }),
      step,
      sleep: async (ms) => {
        if (typeof ms !== 'number' || !isFiniteNumber(ms) || ms < 0) throw new TypeErrorC('ctx.sleep: ms must be a non-negative number');
        await call('sleep', { ms });
      },
    });

    let output;
    try {
      const mod = globalThis[workflowGlobal];
      const run = mod !== null && mod !== undefined ? mod.default : undefined;
      if (typeof run !== 'function') throw new TypeErrorC('workflow has no default export function');
      output = await run(ctx);
    } catch (error) {
      return 'e' + describeError(error);
    }
    let json;
    try {
      json = toJson(output, 'workflow output', maxOutputChars);
    } catch (error) {
      const d = describeError(error);
      return 'i' + parse(d).message;
    }
    if (json.length > maxOutputChars) return 'i' + 'workflow output: larger than the limit of ' + maxOutputChars + ' bytes';
    return 'o' + json;
  };
})()`;
