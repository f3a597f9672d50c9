// Every byte of the latest-checkpoint copy (derived: verify must rebuild it, never trust it).
import { describeEveryByteOf } from '../support/ledger-flip.ts';

describeEveryByteOf('single-byte tampering: the latest checkpoint copy', 'checkpoint');
