import type { z } from 'zod';

/** Any zod schema: messages are declared, never guessed. */
export type Schema = z.ZodType;

export interface AskSpec<Req extends Schema = Schema, Rep extends Schema = Schema> {
  readonly request: Req;
  readonly reply: Rep;
}

export type TellMap = Record<string, Schema>;
export type AskMap = Record<string, AskSpec>;

/** What an actor understands: one-way messages and request/reply pairs, by type name. */
export interface Protocol<T extends TellMap = TellMap, K extends AskMap = AskMap> {
  readonly tells: T;
  readonly asks: K;
}

export type TellType<P extends Protocol> = keyof P['tells'] & string;
export type AskType<P extends Protocol> = keyof P['asks'] & string;
export type TellBody<P extends Protocol, K extends TellType<P>> = z.input<P['tells'][K]>;
export type AskBody<P extends Protocol, K extends AskType<P>> = z.input<P['asks'][K]['request']>;
export type AskReply<P extends Protocol, K extends AskType<P>> = z.output<P['asks'][K]['reply']>;
