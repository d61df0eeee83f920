import { isUniqueViolation, type Database } from '../../db/database.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import type {
  CreateCustomer,
  Customer,
  ListCustomersQuery,
  UpdateCustomer,
} from '../../domain/customer.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { decodeCursor, encodeCursor } from '../pagination.ts';

function notFound(id: string): AppError {
  return new AppError('not_found', `no customer ${id}; list customers to see the ids that exist`);
}

function duplicateExternalId(externalId: string | null | undefined): AppError {
  return new AppError(
    'conflict',
    `a customer with externalId ${JSON.stringify(externalId)} already exists`,
    {
      field: 'externalId',
    },
  );
}

export async function createCustomer({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateCustomer;
}): Promise<Customer> {
  requirePermission(tenant, 'customers:write');
  if (tenant.customerId !== null)
    throw new AppError('forbidden', 'a customer-scoped key cannot create customers');
  try {
    return await db.tenant(tenant, async (sql) => {
      const customer = await customersRepo.insert(sql, {
        orgId: tenant.orgId,
        name: input.name,
        externalId: input.externalId ?? null,
        metadata: input.metadata ?? {},
      });
      await recordAudit(sql, {
        tenant,
        action: 'customer.create',
        resourceType: 'customer',
        resourceId: customer.id,
        customerId: customer.id,
        details: { name: customer.name, externalId: customer.externalId },
      });
      return customer;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateExternalId(input.externalId);
    throw error;
  }
}

export async function getCustomer({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<Customer> {
  requirePermission(tenant, 'customers:read');
  const customer = await db.tenant(tenant, (sql) => customersRepo.findById(sql, { id }));
  if (!customer) throw notFound(id);
  return customer;
}

export async function listCustomers({
  db,
  tenant,
  query,
}: {
  db: Database;
  tenant: Tenant;
  query: ListCustomersQuery;
}): Promise<{ data: Customer[]; nextCursor: string | null }> {
  requirePermission(tenant, 'customers:read');
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const rows = await db.tenant(tenant, (sql) =>
    customersRepo.list(sql, {
      limit: query.limit + 1,
      after,
      externalId: query.externalId ?? null,
    }),
  );
  const data = rows.slice(0, query.limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

export async function updateCustomer({
  db,
  tenant,
  id,
  input,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
  input: UpdateCustomer;
}): Promise<Customer> {
  requirePermission(tenant, 'customers:write');
  try {
    const customer = await db.tenant(tenant, async (sql) => {
      const updated = await customersRepo.update(sql, {
        id,
        ...(input.name !== undefined && { name: input.name }),
        ...(input.externalId !== undefined && { externalId: input.externalId }),
        ...(input.metadata !== undefined && { metadata: input.metadata }),
        ...(input.gatewayConnectors !== undefined && {
          gatewayConnectors: input.gatewayConnectors,
        }),
      });
      if (updated) {
        await recordAudit(sql, {
          tenant,
          action: 'customer.update',
          resourceType: 'customer',
          resourceId: id,
          customerId: id,
          details: { fields: Object.keys(input) },
        });
      }
      return updated;
    });
    if (!customer) throw notFound(id);
    return customer;
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateExternalId(input.externalId);
    throw error;
  }
}

export async function deleteCustomer({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<void> {
  requirePermission(tenant, 'customers:write');
  const deleted = await db.tenant(tenant, async (sql) => {
    const removed = await customersRepo.remove(sql, { id });
    if (removed) {
      await recordAudit(sql, {
        tenant,
        action: 'customer.delete',
        resourceType: 'customer',
        resourceId: id,
        customerId: id,
      });
    }
    return removed;
  });
  if (!deleted) throw notFound(id);
}
