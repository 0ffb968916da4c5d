import LatticeCrypto
import LatticeDisplay
import LatticeWire
import Testing

@Suite("TextTable: aligned columns for a terminal")
struct TextTableTests {
    @Test func columnsArePaddedToTheWidestCellTwoSpacesApart() {
        let table = TextTable(
            headers: ["ID", "NAME", "X"], rows: [["a", "longer name", "1"], ["bbbbbb", "n", "22"]])
        #expect(
            table.lines == [
                "ID      NAME         X",
                "a       longer name  1",
                "bbbbbb  n            22",
            ])
        #expect(table.rendered == table.lines.map { $0 + "\n" }.joined())
    }

    @Test func noLineEndsInSpacesEvenWithAnEmptyLastCell() {
        let table = TextTable(headers: ["A", "B"], rows: [["x", ""], ["", ""]])
        #expect(table.lines == ["A  B", "x", ""])
        #expect(table.lines.allSatisfy { $0.last != " " })
    }

    @Test func shortRowsGetEmptyCellsAndLongRowsWidenTheTable() {
        let table = TextTable(headers: ["A", "B"], rows: [["1"], ["1", "2", "3"]])
        #expect(table.lines == ["A  B", "1", "1  2  3"])
    }

    @Test func widthCountsCharactersNotBytes() {
        let table = TextTable(headers: ["K", "V"], rows: [["NABC…", "é"], ["x", "y"]])
        #expect(table.lines == ["K      V", "NABC…  é", "x      y"])
    }

    @Test func controlCharactersCannotBreakTheColumnsOrReachTheTerminal() {
        let table = TextTable(headers: ["A", "B"], rows: [["evil\n\u{1B}[31mred", "x"], ["ok", "tab\there"]])
        let lines = table.lines
        #expect(lines.count == 3)
        #expect(lines[1] == "evil??[31mred  x")
        #expect(lines[2] == "ok             tab?here")
        #expect(!table.rendered.unicodeScalars.contains { $0.value == 0x1B || $0 == "\t" })
    }

    @Test func anEmptyTableIsItsHeader() {
        #expect(TextTable(headers: ["A", "BB"]).lines == ["A  BB"])
    }

    @Test func shortKeepsShortTextWhole() {
        let key = KeyPair.generate(.server).publicKey
        #expect(TerminalText.short(key) == String(key.prefix(8)) + "…")
        #expect(TerminalText.short("abcdefghi") == "abcdefghi")
        #expect(TerminalText.short("abcdefghij") == "abcdefgh…")
        #expect(TerminalText.pairs(["b": "2", "a": "1"]) == "a=1,b=2")
    }

    @Test func theModeFollowsJSONThenTheTerminal() {
        #expect(OutputMode.choose(json: true, terminal: true) == .json)
        #expect(OutputMode.choose(json: true, terminal: false) == .json)
        #expect(OutputMode.choose(json: false, terminal: true) == .table)
        #expect(OutputMode.choose(json: false, terminal: false) == .script)
    }
}

@Suite("The get tables: hosts, inventory, links, claims")
struct LatticeTablesTests {
    let actor = KeyPair.generate(.module).publicKey
    let provider = KeyPair.generate(.service).publicKey
    let host = KeyPair.generate(.server).publicKey

    /// The column a header starts at, so tests can check alignment the way a reader sees it.
    func column(_ header: String, in line: String) -> Int? {
        line.range(of: header).map { line.distance(from: line.startIndex, to: $0.lowerBound) }
    }

    @Test func hostsShowIdNameUptimeAndSortedLabels() {
        let reply = PingReply(
            id: host, issuer: "C", labels: ["zone": "b", "hostcore.os": "linux"], friendlyName: "misty-river",
            uptimeSeconds: 3_725, version: "0.1", clusterIssuers: [], latticePrefix: "default", cordoned: true)
        let lines = HostTables.hosts([reply]).lines
        #expect(lines[0].hasPrefix("ID"))
        #expect(lines[1] == "\(host)  misty-river  1h 2m 5s  yes       hostcore.os=linux,zone=b")
        #expect(column("CORDONED", in: lines[0]) == column("yes", in: lines[1]))
        #expect(column("NAME", in: lines[0]) == column("misty-river", in: lines[1]))
        #expect(column("LABELS", in: lines[0]) == column("hostcore.os", in: lines[1]))
    }

    @Test func inventoryHasAnActorsTableAndAProvidersTable() {
        let inventory = HostInventory(
            hostID: host, issuer: "C", labels: ["demo": "hello"], friendlyName: "misty-river",
            actors: [
                ActorDescription(
                    id: actor, imageRef: "/tmp/hello_s.wasm", name: "hello",
                    instances: [
                        ActorInstance(instanceID: "i1", annotations: [:], revision: 2),
                        ActorInstance(instanceID: "i2", annotations: [:], revision: 1),
                    ])
            ],
            providers: [
                ProviderDescription(
                    id: provider, imageRef: "reg:5000/httpserver:0.1", contractID: "wasmcloud:httpserver",
                    linkName: "default", name: "httpserver", instanceID: "p1", annotations: [:], revision: 0)
            ])
        let lines = HostTables.inventory(inventory).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        #expect(lines[0] == "host \(host) (misty-river)  demo=hello")
        let actorsAt = lines.firstIndex(of: "ACTORS")!
        #expect(
            lines[actorsAt + 1].split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "NAME", "IMAGE_REF", "INSTANCES", "REVISION",
            ])
        #expect(lines[actorsAt + 2] == "\(actor)  hello  /tmp/hello_s.wasm  2          1,2")
        let providersAt = lines.firstIndex(of: "PROVIDERS")!
        #expect(
            lines[providersAt + 1].split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "LINK", "CONTRACT", "NAME", "IMAGE_REF",
            ])
        #expect(
            lines[providersAt + 2] == "\(provider)  default  wasmcloud:httpserver  httpserver  reg:5000/httpserver:0.1")
    }

    @Test func anEmptyInventorySaysNone() {
        let inventory = HostInventory(
            hostID: host, issuer: "C", labels: [:], friendlyName: "f", actors: [], providers: [])
        #expect(HostTables.inventory(inventory) == "host \(host) (f)\n\nACTORS: none\n\nPROVIDERS: none\n")
    }

    @Test func linksKeepTheActorWholeAndShortenTheProvider() {
        let link = LinkDefinition(
            actorID: actor, providerID: provider, linkName: "default", contractID: "wasmcloud:httpserver",
            values: ["PORT": "8080", "ADDRESS": "0.0.0.0"])
        let lines = LinkTables.links([link]).lines
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true) == [
                "ACTOR", "PROVIDER", "CONTRACT", "LINK", "VALUES",
            ])
        #expect(
            lines[1] == "\(actor)  \(provider.prefix(12))…  wasmcloud:httpserver  default  ADDRESS=0.0.0.0,PORT=8080")
        #expect(column("CONTRACT", in: lines[0]) == column("wasmcloud", in: lines[1]))
    }

    @Test func claimsAndReferencesAreTwoTables() {
        let issuer = KeyPair.generate(.account).publicKey
        let claims: [JSONValue] = [
            .object([
                "kind": .string("actor"), "sub": .string(actor), "name": .string("hello"), "iss": .string(issuer),
                "rev": .number(3),
            ]),
            // A record from a peer that sends fewer fields still gets its row.
            .object(["sub": .string(provider)]),
        ]
        let references: [JSONValue] = [
            .object([
                "ref": .string("reg:5000/hello:0.1"), "digest": .string("sha256:abc"), "public_key": .string(actor),
            ])
        ]
        let text = ClaimsTables.rendered(claims: claims, references: references)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "CLAIMS")
        #expect(
            lines[1].split(separator: " ", omittingEmptySubsequences: true) == [
                "KIND", "SUBJECT", "NAME", "ISSUER", "REV",
            ])
        #expect(lines[2] == "actor  \(actor)  hello  \(issuer.prefix(12))…  3")
        #expect(lines[3] == "       \(provider)")
        #expect(lines[5] == "REFERENCES")
        #expect(lines[6].split(separator: " ", omittingEmptySubsequences: true) == ["REFERENCE", "DIGEST", "SUBJECT"])
        #expect(lines[7] == "reg:5000/hello:0.1  sha256:abc  \(actor)")
        #expect(ClaimsTables.rendered(claims: [], references: []) == "CLAIMS: none\n\nREFERENCES: none\n")
    }
}
