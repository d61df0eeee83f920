-- An agent run's input may carry credentials for the API being connected. The input column now
-- keeps only the masked input (what the API shows); the input as given is sealed with the
-- master keyring, like connection credentials, and opened only by the worker that runs the agent.
ALTER TABLE agent_runs ADD COLUMN input_sealed text;
