export {
  WitnessBadRequestError,
  WitnessConflictError,
  WitnessError,
  WitnessForkError,
  WitnessRollbackError,
  WitnessSignatureError,
  WitnessUnknownLogError,
} from './errors.ts';
export {
  type Cosigned,
  createWitness,
  WITNESS_STATE_FILE,
  type Witness,
  type WitnessedLog,
  type WitnessOptions,
} from './witness.ts';
export { type WitnessRecord, WitnessStateError } from './witness-state.ts';
