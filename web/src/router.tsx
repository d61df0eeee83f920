// Client-side routes on the History API: the server answers index.html for every page path, so a
// reload or a shared link opens the same page. Query strings hold nothing secret (no key ever).
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const NAVIGATE = 'weft:navigate';

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return path;
}

/** Matches `/connectors/:slug` against a path; returns the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const norm = (x: string) => x.replace(/\/+$/, '') || '/';
  const p = norm(pattern).split('/');
  const s = norm(path).split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i += 1) {
    const part = p[i] ?? '';
    const seg = s[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(seg);
    else if (part !== seg) return null;
  }
  return params;
}

export function Link({
  href,
  children,
  onClick,
  'aria-current': current,
}: {
  href: string;
  children: ComponentChildren;
  onClick?: () => void;
  'aria-current'?: 'page' | undefined;
}): JSX.Element {
  return (
    <a
      href={href}
      aria-current={current}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        onClick?.();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
