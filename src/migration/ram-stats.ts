/**
 * RAM counters of one migration, named as query-migrate's "ram" member
 * (QEMU's MigrationStats). Rates are refreshed by the engine's 100 ms
 * bandwidth windows and by dirty-bitmap syncs.
 */
export class RamStats {
  /** Bytes put on the wire by the whole stream (all sections and records). */
  transferred = 0;
  /** Zero pages sent (QEMU: duplicate). */
  duplicate = 0;
  /** Full pages sent. */
  normal = 0;
  dirtySyncCount = 0;
  /** Pages per second of dirtying, measured between syncs at least 1 s apart. */
  dirtyPagesRate = 0;
  /** Throughput of the last bandwidth window, in Mbit/s. */
  mbps = 0;
  pagesPerSecond = 0;
  /** Bytes sent while the VM ran / after it stopped for switchover. */
  precopyBytes = 0;
  downtimeBytes = 0;
  /** Bytes of RAM still to send, as of the last estimate. */
  remaining = 0;
  readonly total: number;
  readonly pageSize: number;

  constructor(total: number, pageSize = 4096) {
    this.total = total;
    this.pageSize = pageSize;
  }

  /** query-migrate's "ram" object, every member QEMU 8.1 reports. */
  toInfo(): Record<string, number> {
    return {
      transferred: this.transferred,
      remaining: this.remaining,
      total: this.total,
      duplicate: this.duplicate,
      skipped: 0,
      normal: this.normal,
      'normal-bytes': this.normal * this.pageSize,
      'dirty-pages-rate': this.dirtyPagesRate,
      mbps: this.mbps,
      'dirty-sync-count': this.dirtySyncCount,
      'postcopy-requests': 0,
      'page-size': this.pageSize,
      'multifd-bytes': 0,
      'pages-per-second': this.pagesPerSecond,
      'precopy-bytes': this.precopyBytes,
      'downtime-bytes': this.downtimeBytes,
      'postcopy-bytes': 0,
      'dirty-sync-missed-zero-copy': 0,
    };
  }
}
