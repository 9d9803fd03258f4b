import { createApp } from './app.ts';

export { Account } from './durable-objects/account.ts';
export { Dispatcher } from './durable-objects/dispatcher.ts';

/** The sdedge edge API worker (routes in routes/, state in the Durable Objects). */
export const app = createApp();
export default app;
