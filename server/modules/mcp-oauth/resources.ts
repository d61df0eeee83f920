// The resources an MCP OAuth token can be bound to (RFC 8707): the admin MCP endpoint, or one
// customer's gateway. A resource is named by its URL on this installation's public base URL.
import { isUuid } from '../../domain/common.ts';

export type McpResource = { plane: 'admin' } | { plane: 'gateway'; customerId: string };

/** The URL that names `resource` (what protected-resource metadata advertises). */
export function resourceUrl({
  baseUrl,
  resource,
}: {
  baseUrl: string;
  resource: McpResource;
}): string {
  return resource.plane === 'admin'
    ? `${baseUrl}/mcp`
    : `${baseUrl}/mcp/gateway/${resource.customerId}`;
}

/**
 * The resource a URL names, or null when it names none of ours. The admin plane answers at
 * /mcp and /mcp/admin; a gateway at /mcp/gateway/<customer id> or /mcp/gateway?customer_id=<id>.
 */
export function parseResource({
  baseUrl,
  text,
}: {
  baseUrl: string;
  text: string;
}): McpResource | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.origin !== new URL(baseUrl).origin || url.hash !== '') return null;
  const path = url.pathname.replace(/\/+$/, '');
  if ((path === '/mcp' || path === '/mcp/admin') && url.search === '') return { plane: 'admin' };
  const inPath = /^\/mcp\/gateway\/([^/]+)$/.exec(path)?.[1];
  if (inPath !== undefined && isUuid(inPath) && url.search === '') {
    return { plane: 'gateway', customerId: inPath.toLowerCase() };
  }
  const inQuery = url.searchParams.get('customer_id');
  if (path === '/mcp/gateway' && isUuid(inQuery) && [...url.searchParams.keys()].length === 1) {
    return { plane: 'gateway', customerId: inQuery.toLowerCase() };
  }
  return null;
}

export function sameResource(a: McpResource, b: McpResource): boolean {
  if (a.plane === 'admin' || b.plane === 'admin') return a.plane === b.plane;
  return a.customerId === b.customerId;
}

/** Where a client finds the metadata of the resource it called (RFC 9728, path-aware). */
export function resourceMetadataUrl({
  baseUrl,
  path,
  search,
}: {
  baseUrl: string;
  path: string;
  search: string;
}): string {
  return `${baseUrl}/.well-known/oauth-protected-resource${path.replace(/\/+$/, '')}${search}`;
}
