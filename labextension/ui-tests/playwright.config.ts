/**
 * Galata/Playwright configuration: Debian's chromium (no browser download), JupyterLab from $GOKERNEL_VENV.
 */
import { PlaywrightTestConfig } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = Number(process.env.GOKERNEL_UI_PORT ?? 8917);

const config: PlaywrightTestConfig = {
  ...baseConfig,
  reporter: [['list'], ['html', { open: 'never' }]],
  timeout: 90000,
  expect: { timeout: 30000 },
  workers: 1,
  retries: 0,
  outputDir: 'test-results',
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    video: 'off',
    launchOptions: {
      executablePath: process.env.GOKERNEL_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: './run-jupyter.sh',
    url: `http://127.0.0.1:${port}/lab`,
    timeout: 240000,
    reuseExistingServer: false,
    // SIGTERM (not the default SIGKILL) lets run-jupyter.sh stop the kernels and remove its temp state dir
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10000 },
    stdout: 'pipe',
    stderr: 'pipe'
  }
};

export default config;
