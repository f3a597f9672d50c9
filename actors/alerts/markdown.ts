/** Telegram MarkdownV2: every one of these must be escaped outside entities, and `\` itself. */
const MDV2 = /[_*[\]()~`>#+\-=|{}.!\\]/g;

export function escapeMarkdownV2(text: string): string {
  return text.replace(MDV2, (c) => `\\${c}`);
}

/** Slack mrkdwn: only `&`, `<` and `>` are control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
