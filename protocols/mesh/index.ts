export { CloseCode, type CloseCodeValue, MAX_CLOSE_REASON } from './close-code.ts';
export {
  FrameTooLargeError,
  FrameTooLongError,
  FrameTooSmallError,
  InviteFormatError,
  InviteRejectedError,
  type InviteRejection,
  MeshError,
  ProtocolViolationError,
  ReassemblyLimitError,
  RoomEpochError,
  RoomError,
  RoomKeyUpdateError,
  RoomMessageError,
  RoomReplayError,
  SessionClosedError,
  SessionPoisonedError,
  SessionStateError,
  TransportDecryptError,
} from './errors.ts';
export {
  encodeFrame,
  encodeFrames,
  FRAME_HEADER_LENGTH,
  FrameDecoder,
  MAX_FRAME_LENGTH,
} from './frame.ts';
export {
  type Admission,
  type HandshakeInjection,
  type HandshakeStep,
  type InitiatorHandshakeOptions,
  MESH_ID_LENGTH,
  MESH_PROLOGUE_LABEL,
  MeshHandshake,
  type MeshHandshakeOptions,
  type MeshHandshakeResult,
  meshPrologue,
  pinPredicate,
  type ResponderHandshakeOptions,
} from './handshake.ts';
export {
  decodeInvite,
  encodeInvite,
  INVITE_ID_LENGTH,
  INVITE_PREFIX,
  INVITE_SECRET_LENGTH,
  type Invite,
  JOIN_PROOF_LENGTH,
  joinProof,
} from './invite.ts';
export {
  DEFAULT_INVITE_TTL_MS,
  InviteBook,
  type InviteRecord,
  type IssueOptions,
  MAX_INVITE_TTL_MS,
  type RedeemRequest,
} from './invite-book.ts';
export { DEFAULT_MAX_FRAME_BYTES, Reassembler } from './reassembler.ts';
export { MAX_RECORD_BODY, MIN_TRANSPORT_MESSAGE, RecordType } from './record.ts';
export { ReplayWindow } from './replay-window.ts';
export { RoomAdmin, type RoomMessage, RoomState, type RoomStateOptions } from './room.ts';
export {
  decodeRoomKeyUpdate,
  encodeRoomKeyUpdate,
  ROOM_ID_LENGTH,
  ROOM_KEY_LENGTH,
  type RoomKeyUpdate,
} from './room-key.ts';
export {
  MeshSession,
  type MeshSessionOptions,
  type SessionEvent,
  type SessionState,
  type SessionStats,
} from './session.ts';
