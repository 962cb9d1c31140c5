import { useState } from 'preact/hooks';
import { checkToken, saveToken } from '../session.js';

export function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const checked = await checkToken(token.trim());
    setBusy(false);
    if (!checked.ok) return setError(checked.message);
    saveToken(token.trim());
    onSignedIn(token.trim());
  }
  return (
    <main class="signin">
      <h1>Eru</h1>
      <p>Sign in with the core's admin token. It stays in this tab only.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} required />
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {error && (
        <p class="error" role="alert" data-error>
          {error}
        </p>
      )}
    </main>
  );
}
