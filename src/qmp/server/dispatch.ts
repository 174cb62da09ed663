/**
 * One request in, one reply out: QEMU's qmp_dispatch() envelope checks,
 * command lookup, argument validation and the reply shape. Replies are plain
 * objects; the connection serialises them in QEMU's member order.
 */
import { ErrorCode, LivemigError } from '../../errors.js';
import { toQmpError } from '../error-class.js';
import { hasMember, isJsonObject } from '../json/value.js';
import type { JsonObject, JsonValue } from '../json/value.js';
import { qdictOrder } from '../json/writer.js';
import { validateArgsUntyped } from '../schema/visitor.js';
import type { CommandContext, RegisteredCommand } from './registry.js';

export interface DispatchEnv {
  /** Looks a command up among those available in the current mode. */
  find(name: string): RegisteredCommand | undefined;
  /** Whether the client negotiated "oob" (QEMU: qmp_oob_enabled()). */
  oobEnabled: boolean;
  ctx: CommandContext;
}

export type Reply = Record<string, unknown>;

const badInput = (msg: string): LivemigError => new LivemigError(ErrorCode.QMP_BAD_INPUT, msg);

/** QEMU's qmp_is_oob(): the request asks for out-of-band execution. */
export function isOobRequest(req: JsonValue): boolean {
  return isJsonObject(req) && hasMember(req, 'exec-oob') && !hasMember(req, 'execute');
}

/** Envelope check in QEMU's member iteration order; returns command name and oob flag. */
function checkEnvelope(req: JsonObject, allowOob: boolean): { command: string; oob: boolean } {
  let execKey: string | undefined;
  for (const key of qdictOrder(Object.keys(req))) {
    const value = req[key];
    if (key === 'execute' || (key === 'exec-oob' && allowOob)) {
      if (typeof value !== 'string') throw badInput(`QMP input member '${key}' must be a string`);
      if (execKey !== undefined) {
        throw badInput(`QMP input member '${key}' clashes with '${execKey}'`);
      }
      execKey = key;
    } else if (key === 'arguments') {
      if (!isJsonObject(value)) throw badInput("QMP input member 'arguments' must be an object");
    } else if (key !== 'id') {
      throw badInput(`QMP input member '${key}' is unexpected`);
    }
  }
  if (execKey === undefined) throw badInput("QMP input lacks member 'execute'");
  return { command: req[execKey] as string, oob: execKey === 'exec-oob' };
}

async function run(req: JsonValue, env: DispatchEnv): Promise<unknown> {
  if (!isJsonObject(req)) throw badInput('QMP input must be a JSON object');
  const { command, oob } = checkEnvelope(req, env.oobEnabled);
  const cmd = env.find(command);
  if (!cmd) {
    throw new LivemigError(
      ErrorCode.QMP_COMMAND_NOT_FOUND,
      `The command ${command} has not been found`,
    );
  }
  if (oob && !cmd.allowOob) throw badInput(`The command ${command} does not support OOB`);
  const rawArgs = req['arguments'] as JsonObject | undefined;
  const args = cmd.args ? validateArgsUntyped(cmd.args, rawArgs) : validateNoArgs(rawArgs);
  const ret = await cmd.handler(args, env.ctx);
  return ret === undefined ? {} : ret;
}

/** Commands without arguments still reject unexpected ones. */
function validateNoArgs(raw: JsonObject | undefined): Record<string, never> {
  const extra = raw ? qdictOrder(Object.keys(raw))[0] : undefined;
  if (extra !== undefined) {
    throw new LivemigError(ErrorCode.INVALID_PARAMETER, `Parameter '${extra}' is unexpected`);
  }
  return {};
}

/** Runs one parsed request to its reply; never throws. */
export async function dispatch(req: JsonValue, env: DispatchEnv): Promise<Reply> {
  let reply: Reply;
  try {
    reply = { return: await run(req, env) };
  } catch (e) {
    reply = { error: toQmpError(e) };
  }
  if (isJsonObject(req) && hasMember(req, 'id')) reply['id'] = req['id'];
  return reply;
}

/** The reply to input that was not valid JSON (never carries an id). */
export function parseErrorReply(message: string): Reply {
  return { error: toQmpError(new LivemigError(ErrorCode.QMP_BAD_INPUT, message)) };
}
