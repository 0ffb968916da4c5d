import LatticeWire

/// The table of `lattice get links` (and `lattice link get`).
///
/// The actor id stays whole, as `lattice link del ACTOR CONTRACT` takes it; the provider key is shortened,
/// and `--json` prints it in full.
public enum LinkTables {
    public static func links(_ links: [LinkDefinition]) -> TextTable {
        TextTable(
            headers: ["ACTOR", "PROVIDER", "CONTRACT", "LINK", "VALUES"],
            rows: links.map { link in
                [
                    link.actorID, TerminalText.short(link.providerID, keep: 12), link.contractID, link.linkName,
                    TerminalText.pairs(link.values),
                ]
            })
    }
}
