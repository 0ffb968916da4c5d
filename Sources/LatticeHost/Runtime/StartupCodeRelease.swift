import CLatticeSystem
import LatticeSystemCalls

/// Hands back, once the host process has started, the page mappings of the code it ran only to start. Only
/// `lattice-host` (HostProcess) calls it: a test process holding hosts keeps its mappings.
///
/// Most of the host's code runs once: the argument parser, key loading, the NATS connect, the link table's first
/// read. The kernel maps each code page the start touches together with the pages around it (fault-around, 64 KB
/// at a time), and those mappings stay for the life of the process: 11 MB of the idle host's 25 MB RSS was its own
/// code, where an idle host touches about 0.4 MB of it again (measured with `process_madvise(MADV_PAGEOUT)` from
/// outside). Dropping the mappings does not free the page cache that holds the file, so a machine's memory use
/// (and a cgroup's, which counts page cache) does not move; what moves is that code the host no longer runs is
/// no longer mapped, so the kernel's reclaim, which keeps mapped executable pages longest, can take it first.
///
/// Only the executable's code segment: its pages are never written (no text relocations), so they come back from
/// the file as they were. Data and RELRO pages are left alone.
public enum StartupCodeRelease {
    /// The bytes of the executable's code segment: whole pages, as `madvise` needs them.
    public static func codeSegment() -> (start: UnsafeMutableRawPointer, length: Int)? {
        var start: UInt = 0
        var length = 0
        guard lattice_executable_code(&start, &length) == 0, let pointer = UnsafeMutableRawPointer(bitPattern: start)
        else { return nil }
        return (pointer, length)
    }

    /// Drops the mappings of the executable's code; returns the segment's length, or nil when it cannot be found
    /// or the kernel refused. Safe while other threads run: a page they need is faulted in again.
    @discardableResult
    public static func release() -> Int? {
        guard let segment = codeSegment() else { return nil }
        do {
            try SystemCalls.dropMappedPages(start: segment.start, length: segment.length)
        } catch {
            return nil
        }
        return segment.length
    }
}
