// An agent run's input as given may hold credentials (`--credential NAME=VALUE`): it is sealed
// with the master keyring under the run's id, and the stored input is the masked copy the API
// shows. Only the worker that runs the agent opens it. An input without secret-named fields is
// stored as it is, unsealed.
import type { Keyring } from '../../crypto/envelope.ts';
import { open, seal } from '../../crypto/envelope.ts';
import { maskSecrets } from './mask.ts';

export const agentRunInputAad = ({ orgId, runId }: { orgId: string; runId: string }): string =>
  `agent_run_input:${orgId}:${runId}`;

/** The input to store in the clear: the given one, or its masked copy when it holds secrets. */
export function storedInput(input: Record<string, unknown>): {
  stored: Record<string, unknown>;
  hasSecrets: boolean;
} {
  const stored = maskSecrets(input) as Record<string, unknown>;
  return { stored, hasSecrets: JSON.stringify(stored) !== JSON.stringify(input) };
}

export function sealInput({
  keyring,
  orgId,
  runId,
  input,
}: {
  keyring: Keyring;
  orgId: string;
  runId: string;
  input: Record<string, unknown>;
}): string {
  return seal({
    keyring,
    plaintext: JSON.stringify(input),
    aad: agentRunInputAad({ orgId, runId }),
  });
}

/** The input the agent gets: the sealed one opened, else the stored one. */
export function inputOfRun({
  keyring,
  run,
}: {
  keyring: Keyring;
  run: { id: string; orgId: string; input: unknown; inputSealed: string | null };
}): unknown {
  if (run.inputSealed === null) return run.input;
  return JSON.parse(
    open({
      keyring,
      sealed: run.inputSealed,
      aad: agentRunInputAad({ orgId: run.orgId, runId: run.id }),
    }),
  ) as unknown;
}
