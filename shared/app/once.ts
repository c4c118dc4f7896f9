/**
 * Memoises a builder: the first call builds, later calls get the same value. A Lambda container builds each of
 * its parts (clients, pools, the Precoro ledger) once and reuses them while it is warm.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
