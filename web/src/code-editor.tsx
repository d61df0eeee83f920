// A TypeScript code editor: CodeMirror 6 (highlighting, line numbers, bracket matching, undo,
// search) mounted through a ref. Tab indents; Escape then Tab moves on, so the keyboard never gets
// stuck. The editable area is a labelled textbox, and a value set from outside (another version
// loaded) replaces the document.
// Decision: the editor lives in a shadow root. CodeMirror injects its styles at run time; in a
// document that is a <style> element, which the page's CSP (styles from this origin only) refuses,
// while in a shadow root they are constructed style sheets, which it allows. So the CSP stays
// strict. A label cannot point into a shadow root by id, so the textbox carries its label as
// aria-label.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { EditorView } from '@codemirror/view';

export function CodeEditor({
  label,
  hint,
  value,
  onChange,
}: {
  label: string;
  hint?: string;
  value: string;
  onChange: (v: string) => void;
}): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  const latest = useRef(value);
  latest.current = value;
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    // CodeMirror comes in its own chunk, on the first editor shown.
    import('./codemirror.ts').then(
      (cm) => {
        if (gone || !host.current) return;
        const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: 'open' });
        view.current = new cm.EditorView({
          root: shadow,
          parent: shadow,
          state: cm.EditorState.create({
            doc: latest.current,
            extensions: [
              cm.basicSetup,
              cm.keymap.of([cm.indentWithTab]),
              cm.javascript({ typescript: true }),
              // An explicit tabindex: checkers (axe) count a contenteditable without one as not
              // focusable, and so its scrolling box as unreachable by keyboard.
              cm.EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
              cm.EditorView.theme({
                '&': {
                  fontSize: '13px',
                  minHeight: '320px',
                  maxHeight: '70vh',
                  background: '#fff',
                },
                '.cm-scroller': { fontFamily: 'ui-monospace, Menlo, Consolas, monospace' },
                '&.cm-focused': {
                  outline: '2px solid var(--accent, #3b4fd8)',
                  outlineOffset: '-1px',
                },
              }),
              cm.EditorView.updateListener.of((u) => {
                if (u.docChanged) changed.current(u.state.doc.toString());
              }),
            ],
          }),
        });
      },
      (error: unknown) => {
        if (!gone) setFailed(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      gone = true;
      view.current?.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== value) {
      editor.dispatch({ changes: { from: 0, to: current.length, insert: value } });
    }
  }, [value]);

  return (
    <div class="field">
      <span class="field-label" aria-hidden="true">
        {label}
      </span>
      <div class="code-editor" ref={host} />
      {failed && (
        <div class="notice error" role="alert">
          <strong>The code editor did not load.</strong> {failed} Reload the page to try again.
        </div>
      )}
      {hint && <small class="hint">{hint}</small>}
    </div>
  );
}
