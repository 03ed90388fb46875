import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { SessionProvider } from './auth/session.context';
import { initI18n } from './i18n/i18n';
import { LiveProvider } from './live/live.context';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: true, staleTime: 2_000 } },
});

async function main(): Promise<void> {
  await initI18n();
  const root = document.getElementById('root');
  if (root === null) throw new Error('#root is missing from index.html');
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <SessionProvider queryClient={queryClient}>
          <LiveProvider>
            <App />
          </LiveProvider>
        </SessionProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
  // The unit app is installable (PWA): the service worker keeps the shell for a flaky network.
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined);
  }
}

void main();
