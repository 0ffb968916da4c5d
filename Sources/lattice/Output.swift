import Foundation
import LatticeDisplay

#if canImport(Glibc)
    import Glibc
#endif

/// Where a `get` command's output goes: a table for a person at a terminal, JSON or the old lines otherwise.
enum Output {
    /// `--json`, else a table when stdout is a terminal, else what scripts have always read.
    static func mode(json: Bool) -> OutputMode {
        OutputMode.choose(json: json, terminal: isatty(STDOUT_FILENO) == 1)
    }

    /// Prints text that already ends in a newline.
    static func write(_ text: String) { print(text, terminator: "") }
}
