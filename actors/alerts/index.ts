// Alerts: an actor that hears every node's lifecycle events and the ledger's and the mesh
// bridge's alarms, applies per-rule dedupe, storms, rate limits and recovery, and delivers to
// Telegram, a signed webhook, Slack and the log. docs/operations.md lists the rules.
export type { Alert, Severity } from './alert.ts';
export { AlertsActor, type AlertsStatus } from './alerts-actor.ts';
export { DELIVERY_DEFAULTS, type DeliveryOptions, type SinkStats } from './delivery.ts';
export { AlertEngine } from './engine.ts';
export { escapeMarkdownV2, escapeSlack } from './markdown.ts';
export { type AlertRule, DEFAULT_RULES, type Match, type RuleSettings } from './rules.ts';
export { fromAudit, fromLedgerAnnounce, fromRuntimeEvent, type Signal } from './signal.ts';
export { LogSink } from './sinks/log.ts';
export type { AlertSink, SendResult } from './sinks/sink.ts';
export { SlackSink } from './sinks/slack.ts';
export { TelegramSink, telegramText } from './sinks/telegram.ts';
export { WebhookSink } from './sinks/webhook.ts';
export type { AuditDecoder } from './sources.ts';
export {
  type Alerts,
  type AlertsOptions,
  AlertsOptionsSchema,
  startAlerts,
} from './start-alerts.ts';
export {
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from './webhook-signature.ts';
