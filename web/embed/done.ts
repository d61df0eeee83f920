// The page the OAuth popup ends on (the callback redirects here with the connection id): it tells
// the widget that opened it — same origin only — and closes.
const params = new URLSearchParams(location.search);
if (window.opener) {
  (window.opener as Window).postMessage(
    {
      source: 'weft-oauth',
      status: params.get('status') ?? 'unknown',
      connectionId: params.get('connectionId'),
    },
    location.origin,
  );
  window.close();
}
