/// How a `lattice get …` command prints.
public enum OutputMode: Sendable, Equatable {
    /// Pretty-printed JSON: `--json`.
    case json
    /// Aligned tables: stdout is a terminal and no `--json`.
    case table
    /// Neither: the output scripts have always read (JSON for inventory and links, lines for hosts), kept as
    /// it was so that pipes and the compose tests that grep it go on working.
    case script

    public static func choose(json: Bool, terminal: Bool) -> OutputMode {
        json ? .json : terminal ? .table : .script
    }
}
