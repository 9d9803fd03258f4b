import openapiTS, { astToString } from 'openapi-typescript';

const HEADER = `// Generated from the sdedge API's OpenAPI document by openapi-typescript.
// Do not edit: run \`npm run generate -w @sdedge/sdk\` (tests/sdk-types.test.ts checks it).

`;

/** The TypeScript for an OpenAPI document, exactly as committed in src/generated/api.ts. */
export async function renderApiTypes(document: unknown): Promise<string> {
  const ast = await openapiTS(document as never, { alphabetize: true, defaultNonNullable: false });
  return HEADER + astToString(ast);
}
