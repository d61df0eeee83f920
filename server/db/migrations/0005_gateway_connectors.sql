-- Which connectors a customer's MCP gateway exposes: NULL means every connected one.
ALTER TABLE customers ADD COLUMN gateway_connectors text[];
