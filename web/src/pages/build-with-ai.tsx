// "Build with AI" on Connectors: give the Connector Agent a spec URL, a docs page or an API base
// URL and follow its run as it happens (steps, tool calls, the handback to approve or revise).
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { navigate } from '../router.tsx';
import { Dialog, ErrorBox, Field } from '../ui.tsx';
import { NoAgentRunsApi, RunView } from './agent-runs.tsx';

export function BuildWithAiDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const [source, setSource] = useState('');
  const [runId, setRunId] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const started = await api<{ runId: string }>('POST', '/agent-runs', {
        kind: 'connector',
        input: { source: source.trim() },
        interactive: true,
      });
      setRunId(started.runId);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setMissing(true);
      else setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Build with AI" onClose={onClose} wide>
      <p class="muted">
        Give the Connector Agent an OpenAPI, Swagger or Postman URL, a docs page or an API base URL.
        It reads it, builds the connector and tests it; you approve each stage.
      </p>
      <form class="row build-ai" onSubmit={(e) => void start(e)}>
        <Field label="Spec, docs or base URL">
          <input
            type="url"
            required
            placeholder="https://petstore3.swagger.io/api/v3/openapi.json"
            value={source}
            onInput={(e) => setSource(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="primary" disabled={busy || !source.trim()}>
          {busy ? 'Starting…' : 'Build with AI'}
        </button>
      </form>
      {missing && <NoAgentRunsApi />}
      {error && <ErrorBox error={error} title="Could not start the agent" />}
      {runId && (
        <div class="chat-run">
          <RunView runId={runId} />
          <button type="button" class="link" onClick={() => navigate(`/agent-runs/${runId}`)}>
            Open this run
          </button>
        </div>
      )}
    </Dialog>
  );
}
