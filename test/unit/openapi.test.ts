// The OpenAPI document's ties to its sources: the route table, the connector catalogue and problem.ts. Redocly
// (`npm run lint:openapi`) checks it as OpenAPI, examples included; the e2e conformance test checks the answers.
import { describe, expect, it } from 'vitest';
import { connectorCatalogue } from '../../shared/connectors/registry.ts';
import { DOCUMENTED_PROBLEM_CODES, openApiDocument, problemStatus } from '../../shared/http/openapi.ts';
import { STATUS_BY_CODE } from '../../shared/http/problem.ts';
import { ROUTES } from '../../shared/http/routes.ts';

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security?: unknown[];
  parameters: Array<{ $ref?: string }>;
  requestBody?: { required: boolean };
  responses: Record<string, Json>;
}

const document = openApiDocument() as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
};
const schemas = document.components.schemas;

describe('the OpenAPI document', () => {
  it('documents every route but the console page, named after the route', () => {
    for (const route of ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      if (route.name === 'console') {
        expect(operation).toBeUndefined();
        continue;
      }
      expect(operation, route.name).toMatchObject({
        operationId: route.name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase()),
        summary: route.summary,
        tags: [expect.any(String)],
      });
      // Public routes say so; the others inherit the document's bearer requirement and can answer 401.
      if (route.auth) {
        expect(operation?.security, route.name).toBeUndefined();
        expect(Object.keys(operation?.responses ?? {}), route.name).toContain('401');
      } else {
        expect(operation?.security, route.name).toEqual([]);
      }
      expect(Object.keys(operation?.responses ?? {}), route.name).toContain('default');
      if (operation?.requestBody) expect(operation.requestBody.required, route.name).toBe(true);
    }
  });

  it('names the headers each route reads', () => {
    const headerParameters = (path: string, method: string) =>
      (document.paths[path]?.[method]?.parameters ?? []).map((p) =>
        p.$ref?.replace('#/components/parameters/', ''),
      );
    expect(headerParameters('/credentials', 'post')).toEqual(['IdempotencyKey', 'CorrelationId']);
    expect(headerParameters('/credentials/{id}', 'patch')).toEqual([
      'CredentialId',
      'IfMatch',
      'CorrelationId',
    ]);
    expect(headerParameters('/credentials/{id}', 'delete')).toEqual([
      'CredentialId',
      'IfMatch',
      'CorrelationId',
    ]);
  });

  it("documents every error code the service raises, at problem.ts's status", () => {
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) {
      expect(DOCUMENTED_PROBLEM_CODES, `${code} is not documented`).toContain(code);
      expect(problemStatus(code as (typeof DOCUMENTED_PROBLEM_CODES)[number])).toBe(status);
    }
  });

  it("types each connector's fields from the catalogue, secrets write-only", () => {
    for (const connector of connectorCatalogue()) {
      const name = connector.id.charAt(0).toUpperCase() + connector.id.slice(1);
      const { $schema: _dialect, ...jsonSchema } = connector.jsonSchema;
      // One source of truth: the document's schema is the catalogue's.
      expect(schemas[`${name}Fields`]).toEqual(jsonSchema);
      const properties = schemas[`${name}Fields`]?.properties as Record<string, Json>;
      for (const field of connector.fields) {
        expect({ key: field.key, writeOnly: properties[field.key]?.writeOnly ?? false }).toEqual({
          key: field.key,
          writeOnly: field.secret,
        });
      }
      // A PATCH sends any subset; null clears an optional field, never a required one.
      const changes = schemas[`${name}FieldChanges`] as {
        required?: string[];
        properties: Record<string, Json>;
      };
      expect(changes.required).toBeUndefined();
      for (const field of connector.fields) {
        const nullable = JSON.stringify(changes.properties[field.key]).includes('"null"');
        expect({ key: field.key, nullable }).toEqual({ key: field.key, nullable: !field.required });
      }
      // The check bodies are a union on `connector`, each variant with this connector's fields.
      for (const body of ['ValidateBody', 'CreateBody']) {
        expect(schemas[body]).toMatchObject({
          discriminator: {
            propertyName: 'connector',
            mapping: { [connector.id]: `#/components/schemas/${name}${body}` },
          },
        });
        expect(schemas[`${name}${body}`]).toMatchObject({
          properties: {
            connector: { const: connector.id },
            fields: { $ref: `#/components/schemas/${name}Fields` },
          },
          required: expect.arrayContaining(['connector', 'fields']),
        });
      }
    }
  });
});
