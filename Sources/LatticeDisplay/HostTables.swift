import LatticeWire

/// The tables of `lattice get hosts` and `lattice get inventory HOST`.
///
/// Host, actor and provider ids stay whole: they are what the next command (`get inventory`, `stop actor`,
/// `stop provider`) takes, so an operator copies them from here.
public enum HostTables {
    public static func hosts(_ hosts: [PingReply]) -> TextTable {
        TextTable(
            headers: ["ID", "NAME", "UPTIME", "CORDONED", "LABELS"],
            rows: hosts.map {
                [
                    $0.id, $0.friendlyName, $0.uptimeHuman, $0.cordoned == true ? "yes" : "no",
                    TerminalText.pairs($0.labels),
                ]
            })
    }

    /// A title line, then an actors table and a providers table (each "none" when empty).
    public static func inventory(_ inventory: HostInventory) -> String {
        let actors = TextTable(
            headers: ["ID", "NAME", "IMAGE_REF", "INSTANCES", "REVISION"],
            rows: inventory.actors.sorted { $0.id < $1.id }.map { actor in
                [actor.id, actor.name, actor.imageRef, String(actor.instances.count), revisions(actor.instances)]
            })
        let providers = TextTable(
            headers: ["ID", "LINK", "CONTRACT", "NAME", "IMAGE_REF"],
            rows: inventory.providers.sorted { ($0.id, $0.linkName) < ($1.id, $1.linkName) }.map { provider in
                [provider.id, provider.linkName, provider.contractID, provider.name, provider.imageRef]
            })
        let title = TerminalText.clean(
            "host \(inventory.hostID) (\(inventory.friendlyName))"
                + (inventory.labels.isEmpty ? "" : "  \(TerminalText.pairs(inventory.labels))"))
        return title + "\n\n"
            + section("actors", actors, empty: inventory.actors.isEmpty) + "\n"
            + section("providers", providers, empty: inventory.providers.isEmpty)
    }

    /// The revisions an actor's instances run, e.g. `2`, or `1,2` while an update is under way.
    static func revisions(_ instances: [ActorInstance]) -> String {
        Set(instances.map(\.revision)).sorted().map(String.init).joined(separator: ",")
    }

    static func section(_ name: String, _ table: TextTable, empty: Bool) -> String {
        empty ? "\(name.uppercased()): none\n" : "\(name.uppercased())\n" + table.rendered
    }
}
