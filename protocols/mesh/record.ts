/**
 * Every transport Noise message carries one record: a type byte, then a body. Control records
 * travel under the same keys as data, so a peer cannot forge, drop or reorder them unnoticed.
 */
export const RecordType = {
  /** The last (or only) fragment of an application frame. */
  data: 0x00,
  /** A fragment with more to follow. */
  dataMore: 0x01,
  /** The sender rekeyed its sending direction right after this record (Noise §11.3). */
  rekey: 0x02,
  /** Authenticated close: u16 code ‖ UTF-8 reason. Without it, EOF means truncation. */
  close: 0x03,
  /** A re-handshake Noise message, carried under the current keys. */
  handshake: 0x04,
  /** Responder → initiator: the last record under the old keys after a re-handshake. */
  handshakeDone: 0x05,
  /** Responder → initiator: please start a re-handshake (only the initiator starts one). */
  rehandshakeRequest: 0x06,
  /** Joiner → inviter: invite id (16) ‖ HMAC proof over the handshake hash (32). */
  join: 0x07,
  /** Inviter → joiner: the invite was redeemed; the link is open. */
  joinAccepted: 0x08,
} as const;

export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

/** Noise transport messages are ≤ 65535 bytes with a 16-byte tag and our 1-byte type. */
export const MAX_RECORD_BODY = 65535 - 16 - 1;
/** The smallest sealed record: a type byte and the tag. */
export const MIN_TRANSPORT_MESSAGE = 1 + 16;
