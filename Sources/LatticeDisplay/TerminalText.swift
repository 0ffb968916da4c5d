/// Text from the lattice made safe and short for a terminal.
public enum TerminalText {
    /// The text with every control character (C0, DEL, C1) shown as `?`: a host's label or an event's field
    /// could otherwise carry a newline that breaks a table or an escape sequence the terminal would run.
    public static func clean(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? "?" : $0 }))
    }

    /// The first `keep` characters and `…` when the text is longer; used for keys whose full form the same
    /// command prints with `--json`.
    public static func short(_ text: String, keep: Int = 8) -> String {
        text.count > keep + 1 ? String(text.prefix(keep)) + "…" : text
    }

    /// `k=v` pairs sorted by key, comma-separated, as labels and link values are shown.
    public static func pairs(_ values: [String: String]) -> String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
