/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] ?? 0;
      prev[j] = Math.min(
        above + 1,
        (prev[j - 1] ?? 0) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate within a third of the name's length, or null. */
export function closest(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.ceil(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function didYouMean(name: string, candidates: readonly string[]): string {
  const hint = closest(name, candidates);
  return hint === null ? '' : `; did you mean '${hint}'?`;
}

/** A word that looks like a key or token: 16+ characters mixing letters and digits. */
const SECRET_LIKE = /(?<![\w/.-])(?=[\w.-]*\d)(?=[\w.-]*[A-Za-z])[\w.-]{16,}(?![\w/.-])/g;
const URL_OR_UUID =
  /\bhttps?:\/\/\S+|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/**
 * The words of a text that look like credentials (URLs and ids aside): what a person pasted into
 * a chat instead of a form.
 */
export function secretLikeWords(text: string): string[] {
  return text.replace(URL_OR_UUID, ' ').match(SECRET_LIKE) ?? [];
}

/** True when the text seems to carry a credential (URLs and ids aside). */
export function looksLikeSecret(text: string): boolean {
  return secretLikeWords(text).length > 0;
}
