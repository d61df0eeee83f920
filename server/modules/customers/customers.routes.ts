import { z } from 'zod';
import { ErrorBodySchema, IdParamsSchema, pageOf } from '../../domain/common.ts';
import {
  CreateCustomerSchema,
  CustomerSchema,
  ListCustomersQuerySchema,
  UpdateCustomerSchema,
} from '../../domain/customer.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import {
  createCustomer,
  deleteCustomer,
  getCustomer,
  listCustomers,
  updateCustomer,
} from './customers.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Customers'];

export function customersRoutes(app: App, { db }: AppDeps): void {
  app.get('/customers', {
    config: { permission: 'customers:read' },
    schema: {
      tags,
      summary: 'List customers',
      querystring: ListCustomersQuerySchema,
      response: { 200: pageOf(CustomerSchema), ...errors },
    },
    handler: (request) => listCustomers({ db, tenant: tenantOf(request), query: request.query }),
  });

  app.post('/customers', {
    config: { permission: 'customers:write' },
    schema: {
      tags,
      summary: 'Create a customer',
      body: CreateCustomerSchema,
      response: { 201: CustomerSchema, 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      const customer = await createCustomer({ db, tenant: tenantOf(request), input: request.body });
      return reply.code(201).send(customer);
    },
  });

  app.get('/customers/:id', {
    config: { permission: 'customers:read' },
    schema: {
      tags,
      summary: 'Get a customer',
      params: IdParamsSchema,
      response: { 200: CustomerSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) => getCustomer({ db, tenant: tenantOf(request), id: request.params.id }),
  });

  app.patch('/customers/:id', {
    config: { permission: 'customers:write' },
    schema: {
      tags,
      summary: 'Update a customer',
      params: IdParamsSchema,
      body: UpdateCustomerSchema,
      response: { 200: CustomerSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      updateCustomer({ db, tenant: tenantOf(request), id: request.params.id, input: request.body }),
  });

  app.delete('/customers/:id', {
    config: { permission: 'customers:write' },
    schema: {
      tags,
      summary: 'Delete a customer',
      params: IdParamsSchema,
      response: { 204: z.null(), 404: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      await deleteCustomer({ db, tenant: tenantOf(request), id: request.params.id });
      return reply.code(204).send(null);
    },
  });
}
