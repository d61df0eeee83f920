import type { AuthMethod } from '../domain/connector.ts';

/**
 * The request headers as a trace shows them: what auth put in keeps its scheme word or prefix
 * and only the last 4 characters of the secret (`Authorization: Token ****1234`), so a wrong
 * prefix or placement can be seen without the secret being stored. Short secrets show no
 * characters at all. Every other header goes through the credential redactor too.
 */
export function maskedRequestHeaders({
  sent,
  bare,
  method,
  redact,
}: {
  sent: Readonly<Record<string, string>>;
  bare: Readonly<Record<string, string>>;
  method: AuthMethod | null;
  redact: (value: string) => string;
}): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(sent)) {
    if (count++ >= 50) break;
    const fromAuth = method !== null && bare[name] !== value;
    out[name] = (fromAuth ? maskCredential(value, method) : redact(value)).slice(0, 500);
  }
  return out;
}

function maskCredential(value: string, method: AuthMethod): string {
  const declared = method.type === 'api_key' ? (method.prefix ?? '') : '';
  let prefix = '';
  if (declared !== '' && value.startsWith(declared)) prefix = declared;
  else {
    const space = value.lastIndexOf(' ');
    if (space > 0 && space < 40) prefix = value.slice(0, space + 1);
  }
  const secret = value.slice(prefix.length);
  return `${prefix}****${secret.length >= 12 ? secret.slice(-4) : ''}`;
}

/** Where and how a method puts the credential, in words (`header Authorization, prefix "Bearer "`). */
export function describePlacement(method: AuthMethod): string {
  switch (method.type) {
    case 'api_key':
      return `${method.in} ${method.name}${method.prefix ? `, prefix "${method.prefix}"` : ', no prefix'}`;
    case 'bearer':
      return 'header Authorization, prefix "Bearer "';
    case 'basic':
      return 'header Authorization, prefix "Basic " (base64 of user:password)';
    case 'oauth2':
      return 'header Authorization, prefix "Bearer " (OAuth 2.0 access token)';
    case 'custom':
      return `custom${method.headers ? `: headers ${Object.keys(method.headers).join(', ')}` : ''}`;
    case 'none':
      return 'no credentials sent';
  }
}
