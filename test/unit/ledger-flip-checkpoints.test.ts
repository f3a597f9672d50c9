// Every byte of the checkpoint history (non-derived: each flip must fail verification).
import { describeEveryByteOf } from '../support/ledger-flip.ts';

describeEveryByteOf('single-byte tampering: checkpoints.log', 'checkpoints.log');
