// The SendMessage request around a user's message, with the SDK's defaults spelled out (its
// generated types want every field): troupe's client, the tests and the benchmark send it.
import type { Message, SendMessageRequest } from '@a2a-js/sdk';

/** Send `message`; `returnImmediately` answers with the task before its run ends. */
export function sendRequest(message: Message, returnImmediately = false): SendMessageRequest {
  return {
    tenant: '',
    message,
    configuration: {
      acceptedOutputModes: [],
      taskPushNotificationConfig: undefined,
      returnImmediately,
    },
    metadata: undefined,
  };
}
