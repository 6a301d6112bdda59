#if canImport(Glibc)
import Glibc
#endif

/// Allocator settings for a process that allocates and frees the same sizes over and over.
///
/// glibc's defaults give freed memory at the top of a heap back to the kernel once 128 KiB are free, and serve
/// allocations from 128 KiB up with their own mappings. Each batch of messages then faults fresh pages in and
/// unmaps them again, which profiles of `run` showed as a fifth of the consumer thread's time. Memory freed by
/// one batch now stays in the process for the next; resident memory still follows the peak of live data.
enum MemoryTuning {
    // glibc's malloc.h, which the Glibc module does not bring in.
    private static let trimThreshold: Int32 = -1
    private static let topPad: Int32 = -2
    private static let mmapThreshold: Int32 = -3

    static func apply() {
        #if canImport(Glibc)
        // Settings in the environment, such as MALLOC_TRIM_THRESHOLD_, win: glibc has read them, and these calls
        // are skipped.
        let environment = ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"]
        guard environment.allSatisfy({ getenv($0) == nil }),
              let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
        else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(trimThreshold, 256 << 20)
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(topPad, 16 << 20)
        #endif
    }
}
