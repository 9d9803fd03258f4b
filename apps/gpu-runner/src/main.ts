/**
 * `sdedge-runner` / `npm run start -w @sdedge/gpu-runner`: one process per GPU. Reads its
 * configuration from the environment (a bad value stops it, naming the variable), serves
 * /healthz and /metrics, warms its models, then leases and runs jobs. SIGTERM or SIGINT: stop
 * leasing, finish the jobs in hand within SDEDGE_GRACE_SECONDS, exit 0.
 */
import type { AddressInfo } from 'node:net';
import { readConfig } from './config.ts';
import { startHealthServer } from './health-server.ts';
import { Runner } from './runner.ts';

export async function main(): Promise<number> {
  let config: ReturnType<typeof readConfig>;
  let runner: Runner;
  try {
    config = readConfig();
    runner = new Runner(config);
  } catch (error) {
    // ConfigError names the variable; a missing SDEDGE_MODELS_DIR says so too.
    console.error(`sdedge-runner: ${(error as Error).message}`);
    return 2;
  }
  const server = await startHealthServer(runner, config.port);
  const { port } = server.address() as AddressInfo;
  console.log(
    `[runner] ${config.runnerId}: API ${config.apiUrl}, models ${runner.models.join(', ')}, health on :${port}`,
  );
  const onSignal = (signal: string) => {
    console.log(
      `[runner] ${signal}: no new jobs; finishing the jobs in hand (grace ${config.graceSeconds} s)`,
    );
    runner.drain();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  try {
    await runner.warmUp();
    console.log(`[runner] ready: ${JSON.stringify((await runner.status()).models)}`);
    await runner.run();
  } catch (error) {
    console.error(`sdedge-runner: ${(error as Error).message}`);
    return 1;
  } finally {
    server.close();
    await runner.dispose();
  }
  console.log('[runner] stopped');
  return 0;
}
