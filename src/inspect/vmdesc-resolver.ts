/**
 * Turns a stream's vmdesc JSON into a section resolver, so the FULL section of
 * every device the vmdesc describes is decoded field by field (like QEMU's
 * analyze-migration.py -x). RAM stays built in; a section the vmdesc does not
 * describe, or a vmdesc that cannot be used, falls back to footer delimiting.
 */
import { ProtocolError } from '../errors.js';
import { defaultResolver, type SectionResolver } from '../protocol/stream-decoder.js';
import { decodeVMState, parseVmdesc, vmdescKey, type Vmdesc } from '../protocol/vmstate/index.js';

export interface VmdescResolution {
  resolver: SectionResolver;
  /** Why the vmdesc could not be used, if it could not. */
  problem?: string;
}

export function vmdescResolver(json: string): VmdescResolution {
  let vmdesc: Vmdesc;
  try {
    vmdesc = parseVmdesc(json);
  } catch (e) {
    if (e instanceof ProtocolError) return { resolver: defaultResolver, problem: e.message };
    throw e;
  }
  const resolver: SectionResolver = (section, type) => {
    const dev =
      type === 'full'
        ? vmdesc.devices.get(vmdescKey(section.idstr, section.instanceId))
        : undefined;
    if (!dev) return defaultResolver(section, type);
    return {
      kind: 'decode',
      decode: (r, s) => decodeVMState(r, dev.description, s.versionId),
    };
  };
  return { resolver };
}
