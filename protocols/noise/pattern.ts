/** Tokens of the patterns troupe speaks (Noise §7, noise_hfs §4: `e1` and `ekem1`). */
export type Token = 'e' | 'e1' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'ekem1';

export interface NoiseProtocol {
  readonly name: string;
  /** Message patterns; even indexes are written by the initiator. */
  readonly messages: readonly (readonly Token[])[];
}

/** The classical core, kept for third-party vectors and to prove downgrades fail. */
export const NOISE_XX: NoiseProtocol = {
  name: 'Noise_XX_25519_ChaChaPoly_SHA256',
  messages: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']],
};

/** The mesh handshake: hybrid X25519 + ML-KEM-768 forward secrecy (the name spells MLKEM768: §8.2 forbids '-'). */
export const NOISE_XXHFS: NoiseProtocol = {
  name: 'Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256',
  messages: [
    ['e', 'e1'],
    ['e', 'ee', 'ekem1', 's', 'es'],
    ['s', 'se'],
  ],
};

const BY_NAME = new Map([NOISE_XX, NOISE_XXHFS].map((p) => [p.name, p]));

/** The protocol of that exact name, or undefined when troupe does not speak it. */
export function protocolByName(name: string): NoiseProtocol | undefined {
  return BY_NAME.get(name);
}
