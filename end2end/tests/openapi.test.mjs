// The served OpenAPI document, checked by an independent validator
// (@apidevtools/swagger-parser: the OpenAPI 3.1 schema plus its own semantic
// checks, such as every `{param}` in a path being declared), and then for
// what a generated client needs: every operation answers with a described
// body, and every path parameter is declared on the operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { BASE_URL } from './browser.mjs';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

test('the OpenAPI document is valid OpenAPI 3.1 and complete', async () => {
  const response = await fetch(`${BASE_URL}/api/v1/openapi.json`);
  assert.equal(response.status, 200);
  const document = await response.json();
  assert.match(document.openapi, /^3\.1\./);

  // Throws with the first schema or semantic error it finds.
  await SwaggerParser.validate(structuredClone(document));

  const problems = [];
  for (const [path, item] of Object.entries(document.paths)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const method of METHODS.filter((m) => item[m])) {
      const operation = item[method];
      const where = `${method.toUpperCase()} ${path}`;
      const declared = [...(item.parameters ?? []), ...(operation.parameters ?? [])]
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      for (const name of templated) {
        if (!declared.includes(name)) problems.push(`${where}: path parameter {${name}} is not declared`);
      }
      const responses = Object.entries(operation.responses ?? {});
      if (responses.length === 0) problems.push(`${where}: no responses`);
      for (const [status, answer] of responses) {
        const bodiless = status === '204' || status === '201' && !answer.content || /^3/.test(status);
        if (!bodiless && !answer.content) problems.push(`${where}: ${status} has no body schema`);
      }
      if (!operation.tags?.length) problems.push(`${where}: no tag`);
    }
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});
