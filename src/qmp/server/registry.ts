/**
 * The commands a QMP server offers. Each command declares its argument
 * schema; arguments are validated before the handler runs, so a rejected
 * request has no side effects.
 */
import type { JsonValue } from '../json/value.js';
import type { Infer, StructType } from '../schema/types.js';

export interface CommandContext {
  /** Id of the connection the command arrived on (unique per server). */
  readonly connectionId: number;
  /** Sends an event to this connection only. */
  sendEvent(name: string, data?: unknown): void;
  /** Sends an event to every negotiated connection of the server. */
  broadcastEvent(name: string, data?: unknown): void;
}

export type CommandHandler<A> = (args: A, ctx: CommandContext) => unknown | Promise<unknown>;

export interface CommandDefinition<S extends StructType = StructType> {
  name: string;
  args?: S;
  allowOob?: boolean;
  handler: CommandHandler<Infer<S>>;
}

export interface RegisteredCommand {
  readonly name: string;
  readonly args: StructType | undefined;
  readonly allowOob: boolean;
  readonly handler: (args: unknown, ctx: CommandContext) => unknown;
}

export class CommandRegistry {
  private readonly commands = new Map<string, RegisteredCommand>();

  define<S extends StructType>(def: CommandDefinition<S>): this {
    if (this.commands.has(def.name)) throw new Error(`command ${def.name} is already defined`);
    this.commands.set(def.name, {
      name: def.name,
      args: def.args,
      allowOob: def.allowOob ?? false,
      handler: def.handler as (args: unknown, ctx: CommandContext) => unknown,
    });
    return this;
  }

  get(name: string): RegisteredCommand | undefined {
    return this.commands.get(name);
  }

  has(name: string): boolean {
    return this.commands.has(name);
  }

  /** Names in definition order. */
  names(): string[] {
    return [...this.commands.keys()];
  }
}

export type { JsonValue };
