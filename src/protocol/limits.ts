/**
 * Explicit maxima for every length read from the wire. A length is checked
 * against its limit before it sizes a buffer, so a hostile or corrupt stream
 * cannot make a decoder allocate without bound.
 */
export interface DecodeLimits {
  /** Machine-type name in the configuration section (QEMU's are < 64 bytes). */
  maxMachineName: number;
  /** vmdesc JSON, in bytes. */
  maxVmdesc: number;
  /** A device section decoded by VMState description, in bytes. */
  maxDeviceSection: number;
  /** A PACKAGED command's package, in bytes (QEMU: UINT32_MAX; livemig: 1 GiB). */
  maxPackaged: number;
  /** A RECV_BITMAP bitmap on the return path, in bytes. */
  maxRecvBitmap: number;
  /** Total RAM announced by MEM_SIZE, in bytes. */
  maxRamSize: number;
  /** Number of RAM blocks in one block list. */
  maxRamBlocks: number;
  /** Number of capabilities in the configuration. */
  maxCapabilities: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxMachineName: 256,
  maxVmdesc: 64 << 20,
  maxDeviceSection: 64 << 20,
  maxPackaged: 1 << 30,
  maxRecvBitmap: 512 << 20,
  maxRamSize: 2 ** 44, // 16 TiB
  maxRamBlocks: 4096,
  maxCapabilities: 64,
});
