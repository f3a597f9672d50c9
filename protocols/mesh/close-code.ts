/** Codes carried by the authenticated close record; both ends see the same one. */
export const CloseCode = {
  /** An orderly close by the application. */
  normal: 0,
  /** The node is shutting down. */
  goingAway: 1,
  /** The inviter refused the invite (the reason stays on the inviter's side). */
  inviteRejected: 2,
  /** The application decided to drop this peer (roster change). */
  revoked: 3,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Longest close reason sent, in bytes; longer reasons are cut. */
export const MAX_CLOSE_REASON = 256;
