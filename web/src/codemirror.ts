// CodeMirror 6 and what the workflow editor uses of it, in one module the editor imports on
// demand: the build puts it in a chunk of its own, so pages without an editor never load it.
export { indentWithTab } from '@codemirror/commands';
export { javascript } from '@codemirror/lang-javascript';
export { EditorState } from '@codemirror/state';
export { EditorView, keymap } from '@codemirror/view';
export { basicSetup } from 'codemirror';
