import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** Debian's Chromium (`apt-get install -y chromium`; `.ci/run` installs it). */
export const CHROMIUM = process.env['FIREIOT_CHROMIUM'] ?? '/usr/bin/chromium';

/** Screenshots of the main pages, kept as CI artefacts. */
export const SCREENSHOTS = join(ROOT, 'dist', 'test-artefacts', 'web');

/** The web bundle (apps/web), built by `npm run build` or here when missing or stale (bin/web-bundle.js). */
export function webBundleDir(): string {
  // A plain CommonJS helper outside every project (bin/), shared with `npm start`.
  const { ensureWebBundle } = require(join(ROOT, 'bin', 'web-bundle.js')) as {
    ensureWebBundle: (log?: (line: string) => void) => string | null;
  };
  const dir = ensureWebBundle(() => undefined);
  if (dir === null || !existsSync(join(dir, 'index.html'))) throw new Error('the web bundle (apps/web) did not build');
  return dir;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}

/** A desktop browser window (the console) or a phone (the unit app as a PWA). */
export function newContext(browser: Browser, baseURL: string, device: 'desktop' | 'phone'): Promise<BrowserContext> {
  return device === 'phone'
    ? browser.newContext({
        baseURL,
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        locale: 'zh-CN',
        serviceWorkers: 'block',
      })
    : browser.newContext({ baseURL, viewport: { width: 1280, height: 800 }, locale: 'zh-CN', serviceWorkers: 'block' });
}

/** Signs in through the login page and waits for the role's home page. */
export async function signIn(page: Page, username: string, password: string, home: string): Promise<void> {
  await page.goto('/');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === home, { timeout: 15_000 });
  await page.getByTestId('username').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
