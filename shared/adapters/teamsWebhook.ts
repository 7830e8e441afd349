import type { TeamsChannel } from '../ports';

/** A Teams channel's incoming webhook: one POST of the card as JSON; anything but 2xx throws, so the message is retried. */
export function teamsWebhook(url: string): TeamsChannel {
  return {
    async post(card) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(card) });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the Teams webhook answered ${response.status}`);
    },
  };
}
