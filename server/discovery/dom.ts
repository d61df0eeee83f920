/**
 * linkedom's document, typed as the few DOM shapes discovery reads. linkedom's own typings lean
 * on the DOM library, which this project does not load (it is a server), so its values would be
 * unresolved types everywhere; the one cast lives here.
 */
import * as linkedom from 'linkedom';

export interface DomElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly innerHTML: string;
  readonly children: ArrayLike<DomElement>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  appendChild(child: DomElement): DomElement;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  closest(selector: string): DomElement | null;
}

export interface DomDocument {
  readonly documentElement: DomElement;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  createElement(tag: string): DomElement;
}

/** Parses an HTML page (linkedom: no scripts run, nothing is fetched). */
export function parseDocument(html: string): DomDocument {
  const { parseHTML } = linkedom as unknown as {
    parseHTML: (html: string) => { document: DomDocument };
  };
  return parseHTML(html).document;
}

/** Every match of `selector` under `root`, as an array. */
export function all(root: DomElement | DomDocument, selector: string): DomElement[] {
  return Array.from(root.querySelectorAll(selector));
}
