import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import type { ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { startSession, type ConsoleConfig } from './auth';
import { ErrorNote } from './ui';
import './styles.css';

/** Reads the sign-in settings from config.json (never inline: the CSP forbids inline script), signs in, renders. */
async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root') as HTMLElement);
  const render = (node: ReactNode) => root.render(<FluentProvider theme={webLightTheme}>{node}</FluentProvider>);
  try {
    const response = await fetch('/api/console/config.json', { cache: 'no-store' });
    const body = (await response.json()) as ConsoleConfig & { detail?: string };
    if (!response.ok) throw new Error(body.detail ?? `config.json answered ${response.status}`);
    const session = await startSession(body);
    render(<App session={session} config={body} />);
  } catch (error) {
    render(
      <main>
        <h1>The console cannot start</h1>
        <ErrorNote error={error} />
      </main>,
    );
  }
}

void boot();
