// Shared pieces of every page: the page frame, the three states of anything loaded (loading,
// error with retry, empty), a modal dialog that keeps focus inside and closes on Escape, tabs
// with arrow keys, labelled fields, status badges and relative times. Text is always rendered
// as text (Preact escapes it); nothing here sets HTML.
import { cloneElement, type ComponentChildren, type JSX, type VNode } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ApiError, Loaded } from './api.ts';

export function Page({
  title,
  intro,
  actions,
  children,
}: {
  title: string;
  intro?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
}): JSX.Element {
  useEffect(() => {
    document.title = `${title} · Weft`;
  }, [title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <div>
          <h1 id="page-title">{title}</h1>
          {intro && <p class="intro">{intro}</p>}
        </div>
        {actions && <div class="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function ErrorBox({
  error,
  retry,
  title = 'Something went wrong',
}: {
  error: ApiError | Error | string;
  retry?: () => void;
  title?: string;
}): JSX.Element {
  const message = typeof error === 'string' ? error : error.message;
  return (
    <div class="notice error" role="alert">
      <strong>{title}.</strong> <span>{message}</span>
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Notice({
  tone = 'info',
  children,
}: {
  tone?: 'info' | 'success' | 'warn';
  children: ComponentChildren;
}): JSX.Element {
  return (
    <div class={`notice ${tone}`} role="status">
      {children}
    </div>
  );
}

/** Loading, error (with retry) and empty states around whatever was loaded. */
export function Loadable<T>({
  state,
  empty,
  isEmpty,
  children,
}: {
  state: Loaded<T>;
  empty?: ComponentChildren;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ComponentChildren;
}): JSX.Element {
  const { data, error, loading, reload } = state;
  if (data === undefined) {
    if (error) {
      // A server error is tried again by itself (useApi); say so.
      const title =
        error.status >= 500 ? 'Could not load this (trying again)' : 'Could not load this';
      return <ErrorBox error={error} retry={reload} title={title} />;
    }
    if (loading)
      return (
        <p class="muted loading" role="status">
          Loading…
        </p>
      );
    return <></>;
  }
  const blank = isEmpty ? isEmpty(data) : Array.isArray(data) && data.length === 0;
  return (
    <>
      {error && <ErrorBox error={error} retry={reload} title="Could not refresh" />}
      {blank ? <div class="empty">{empty ?? 'Nothing here yet.'}</div> : children(data)}
    </>
  );
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** A modal dialog: the page behind is inert, Tab cycles inside, Escape closes, focus returns. */
export function Dialog({
  title,
  onClose,
  children,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return undefined;
    const before = document.activeElement as HTMLElement | null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>(
      'input:not([disabled]), select, textarea, button:not(.close)',
    );
    first?.focus();
    return () => {
      // Closed first: while the modal is open the page behind it is inert and refuses focus.
      if (dialog.open) dialog.close();
      before?.focus();
    };
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.offsetParent !== null,
    );
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <dialog
      ref={ref}
      class={wide ? 'dialog wide' : 'dialog'}
      aria-labelledby="dialog-title"
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header class="dialog-head">
        <h2 id="dialog-title">{title}</h2>
        <button type="button" class="close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div class="dialog-body">{children}</div>
    </dialog>
  );
}

export function Tabs<K extends string>({
  label,
  tabs,
  value,
  onChange,
}: {
  label: string;
  tabs: readonly { key: K; label: string }[];
  value: K;
  onChange: (key: K) => void;
}): JSX.Element {
  const onKeyDown = (e: KeyboardEvent, index: number) => {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!delta) return;
    e.preventDefault();
    const next = tabs[(index + delta + tabs.length) % tabs.length];
    if (!next) return;
    onChange(next.key);
    const list = (e.currentTarget as HTMLElement).parentElement;
    list?.querySelector<HTMLElement>(`[data-key="${next.key}"]`)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          data-key={t.key}
          aria-selected={value === t.key}
          tabIndex={value === t.key ? 0 : -1}
          onClick={() => onChange(t.key)}
          onKeyDown={(e) => onKeyDown(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/**
 * A labelled control. The label names its control by `for`/`id` rather than by wrapping it: a
 * wrapping label's text would take in the control's own text (a select's options), so the field
 * would not be found by its label alone. The hint describes the control (aria-describedby).
 */
export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: ComponentChildren;
  children: VNode<{ id?: string }>;
}): JSX.Element {
  const generated = useId();
  const id = children.props.id ?? `field-${generated}`;
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label class="field-label" for={id}>
        {label}
      </label>
      {cloneElement(children, { id, ...(hint ? { 'aria-describedby': hintId } : {}) })}
      {hint && (
        <small class="hint" id={hintId}>
          {hint}
        </small>
      )}
    </div>
  );
}

/** Markdown as plain text: links keep their text, emphasis, code and heading marks go. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/(\*\*|__|`)/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Long text (a connector's description from its spec) clamped to `lines` lines, with Show more /
 * Show less when it does not fit. Markdown is shown as plain text.
 */
export function ClampedText({ text, lines = 2 }: { text: string; lines?: number }): JSX.Element {
  const ref = useRef<HTMLSpanElement>(null);
  const id = `clamp-${useId()}`;
  const [expanded, setExpanded] = useState(false);
  const [overflows, setOverflows] = useState(false);
  const plain = plainText(text);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || expanded) return;
    setOverflows(el.scrollHeight > el.clientHeight + 1);
  }, [plain, expanded]);
  return (
    <span class="clamped-text">
      <span
        ref={ref}
        id={id}
        class={expanded ? 'clamp-body' : 'clamp-body clamped'}
        style={{ '--clamp-lines': String(lines) }}
      >
        {plain}
      </span>
      {(overflows || expanded) && (
        <button
          type="button"
          class="link"
          aria-expanded={expanded}
          aria-controls={id}
          onClick={() => setExpanded((e) => !e)}
        >
          {expanded ? 'Show less' : 'Show more'}
        </button>
      )}
    </span>
  );
}

const TONES: Record<string, string> = {
  active: 'ok',
  completed: 'ok',
  routed: 'ok',
  ok: 'ok',
  finished: 'ok',
  running: 'run',
  queued: 'run',
  pending: 'run',
  waiting: 'warn',
  filtered_out: 'muted',
  duplicate: 'muted',
  inactive: 'muted',
  cancelled: 'muted',
  revoked: 'muted',
  failed: 'bad',
  error: 'bad',
  timeout: 'bad',
  expired: 'bad',
  rejected: 'bad',
  budget: 'bad',
  not_allowed: 'bad',
};

export function Badge({ value, tone }: { value: string; tone?: string }): JSX.Element {
  return <span class={`badge ${tone ?? TONES[value] ?? 'muted'}`}>{value.replace(/_/g, ' ')}</span>;
}

export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 0) {
    const ahead = -seconds;
    if (ahead < 60) return `in ${ahead}s`;
    if (ahead < 3600) return `in ${Math.round(ahead / 60)}m`;
    if (ahead < 86400) return `in ${Math.round(ahead / 3600)}h`;
    return `in ${Math.round(ahead / 86400)}d`;
  }
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export function Time({ iso }: { iso: string | null | undefined }): JSX.Element {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {timeAgo(iso)}
    </time>
  );
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

export function Json({ value, label }: { value: unknown; label?: string }): JSX.Element {
  return (
    <pre class="json" tabIndex={0} aria-label={label ?? 'JSON'}>
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Runs an async action with a busy flag and its error kept for display. */
export function useAction<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): {
  run: (...args: A) => Promise<R | undefined>;
  busy: boolean;
  error: Error | undefined;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  return {
    busy,
    error,
    clear: () => setError(undefined),
    run: async (...args: A) => {
      setBusy(true);
      setError(undefined);
      try {
        return await fn(...args);
      } catch (e) {
        setError(e instanceof Error ? e : new Error(String(e)));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
  };
}

/** Parses JSON typed into a textarea; the error names the field. */
export function parseJson(text: string, field: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${field} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** A secret shown once, right after it was created, with a copy button. */
export function OneTimeSecret({ label, value }: { label: string; value: string }): JSX.Element {
  const [copied, setCopied] = useState(false);
  return (
    <div class="notice warn secret-once" role="status">
      <p>
        <strong>{label}</strong> — shown this once. Store it now; it cannot be read again.
      </p>
      <code class="secret-value">{value}</code>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(() => setCopied(true));
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
