import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from './env.ts';
import type { ApiKeyRecord } from './middleware/auth/index.ts';

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; apiKey: ApiKeyRecord };
}

export type App = OpenAPIHono<AppEnv>;
