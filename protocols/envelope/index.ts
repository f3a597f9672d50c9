export {
  decodeBatch,
  decodeBody,
  decodeEnvelope,
  encodeBody,
  encodeBodyShared,
  encodeEnvelope,
  readEnvelope,
  writeEnvelope,
  writeEnvelopeWithBody,
} from './codec.ts';
export { ENVELOPE_VERSION, type Envelope, Kind, type WireError } from './envelope.ts';
export { EnvelopeError } from './errors.ts';
export { MsgpackReader } from './reader.ts';
export { MsgpackWriter } from './writer.ts';
