import LatticeCrypto

/// The tables of `lattice get claims`: the claims hosts recorded (`CLAIMS_…`) and the digest each registry
/// reference resolved to (`REFMAP_…`).
///
/// The records are read as JSON values, not decoded into types: they come from any host of the lattice, and
/// a field one of them lacks is shown empty rather than hiding the record. The issuer is shortened (it is
/// informational; `--json` has it whole); subjects and digests stay whole, since they are what an operator
/// pins or stops.
public enum ClaimsTables {
    public static func claims(_ records: [JSONValue]) -> TextTable {
        TextTable(
            headers: ["KIND", "SUBJECT", "NAME", "ISSUER", "REV"],
            rows: records.map { record in
                [
                    text(record["kind"]), text(record["sub"]), text(record["name"]),
                    TerminalText.short(text(record["iss"]), keep: 12), text(record["rev"]),
                ]
            })
    }

    public static func references(_ records: [JSONValue]) -> TextTable {
        TextTable(
            headers: ["REFERENCE", "DIGEST", "SUBJECT"],
            rows: records.map { [text($0["ref"]), text($0["digest"]), text($0["public_key"])] })
    }

    /// Both tables with their titles, each "none" when empty.
    public static func rendered(claims: [JSONValue], references: [JSONValue]) -> String {
        (claims.isEmpty ? "CLAIMS: none\n" : "CLAIMS\n" + Self.claims(claims).rendered) + "\n"
            + (references.isEmpty ? "REFERENCES: none\n" : "REFERENCES\n" + Self.references(references).rendered)
    }

    /// A scalar as text: strings as they are, integral numbers without a fraction, anything else as JSON.
    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        switch value {
        case .null: return ""
        case .string(let text): return text
        case .bool(let flag): return String(flag)
        case .number: return value.int64Value.map(String.init) ?? value.jsonText
        case .array, .object: return value.jsonText
        }
    }
}
