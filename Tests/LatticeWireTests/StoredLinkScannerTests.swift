import Foundation
import LatticeCrypto
import LatticeTesting
import Testing

@testable import LatticeWire

/// `StoredLinkScanner`, the fast path of `LinkDefinition.decodeStored`, against the decoder it stands in for
/// (`ControlDecoding.decode(LinkDefinition.self, from:)`): it may leave any document to that decoder, but a link it
/// answers must be the decoder's link to the byte.
@Suite struct StoredLinkScannerTests {
    /// Equal down to the bytes of every string (`==` on `String` compares canonical equivalence).
    func identical(_ left: LinkDefinition, _ right: LinkDefinition) -> Bool {
        func bytes(_ text: String?) -> [UInt8]? { text.map { Array($0.utf8) } }
        func pairs(_ values: [String: String]) -> [[UInt8]] {
            values.map { Array($0.key.utf8) + [0xFF] + Array($0.value.utf8) }.sorted {
                $0.lexicographicallyPrecedes($1)
            }
        }
        return bytes(left.id) == bytes(right.id) && bytes(left.actorID) == bytes(right.actorID)
            && bytes(left.providerID) == bytes(right.providerID) && bytes(left.linkName) == bytes(right.linkName)
            && bytes(left.contractID) == bytes(right.contractID) && pairs(left.values) == pairs(right.values)
    }

    func scanned(_ document: [UInt8]) -> LinkDefinition? {
        document.withUnsafeBufferPointer(StoredLinkScanner.link)
    }

    @Test func mutatedLinksGetTheDecodersVerdictWheneverTheScannerAnswers() {
        var rng = SplitMix64(seed: 0x11AC_0016)
        let corpus = StoredLinkFuzzCorpus()
        var accepted = 0
        var answered = 0
        var mismatches = 0
        let cases = 20_000
        var documents: [[UInt8]] = []
        for index in 0..<cases {
            let document = corpus.makeCase(&rng)
            documents.append(document)
            let decoded = try? ControlDecoding.decode(LinkDefinition.self, from: document)
            if decoded != nil { accepted += 1 }
            guard let link = scanned(document) else { continue }
            answered += 1
            if decoded.map({ identical($0, link) }) != true {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record(
                        "case \(index): \(String(decoding: document, as: UTF8.self).debugDescription)\nscanner: \(link)\ndecoder: \(String(describing: decoded))"
                    )
                }
            }
        }
        print("stored link scanner: \(cases) cases, the decoder accepts \(accepted), the scanner answers \(answered)")
        #expect(mismatches == 0)
        // The corpus must reach both paths: links the scanner reads, and links it leaves to the decoder.
        #expect(answered > accepted / 2)
        #expect(answered < accepted)
        let all = documents.compactMap(LinkDefinition.decodeStored)
        let oneByOne = documents.compactMap { try? ControlDecoding.decode(LinkDefinition.self, from: $0) }
        #expect(all.count == oneByOne.count)
        #expect(zip(all, oneByOne).allSatisfy(identical))
    }

    @Test func linksAsHostsWriteThemAreReadByTheScanner() throws {
        let links = [
            LinkDefinition(
                actorID: KeyPair.generate(.module).publicKey, providerID: KeyPair.generate(.service).publicKey,
                linkName: "default", contractID: "wasmcloud:httpserver", values: ["PORT": "8080"]),
            LinkDefinition(
                id: "5b1e", actorID: KeyPair.generate(.module).publicKey, providerID: "", linkName: "backup",
                contractID: "wasmcloud:keyvalue", values: [:]),
            LinkDefinition(
                actorID: KeyPair.generate(.module).publicKey, providerID: KeyPair.generate(.service).publicKey,
                linkName: "default", contractID: "wasmcloud:builtin:logging",
                values: ["quote\"d": "line\nbreak", "slash": "a/b\\c", "é": "日本 \u{1F600}", "tab": "\t", "nul": "\0"]),
        ]
        for link in links {
            let stored = ControlDecoding.encode(link)
            let read = try #require(scanned(stored), "\(String(decoding: stored, as: UTF8.self))")
            #expect(identical(read, link))
        }
        // wash's and wasmCloud's hosts: the same members, other spacing; defaults for the optional ones.
        let wash = Array(
            #"{ "id": null, "actor_id": "MA", "contract_id": "wasmcloud:httpserver", "values": null }"#.utf8)
        let read = try #require(scanned(wash))
        #expect(
            read
                == LinkDefinition(
                    actorID: "MA", providerID: "", linkName: "default", contractID: "wasmcloud:httpserver"))
    }

    @Test func whatTheScannerLeavesToTheDecoder() {
        let left: [String] = [
            // Refused by the decoder too.
            "", " ", "nope", "{}", "[]", #"{"actor_id":"a"}"#, #"{"actor_id":null,"contract_id":"c"}"#,
            #"{"actor_id":"a","contract_id":1}"#, #"{"actor_id":"a","contract_id":"c","values":{"k":1}}"#,
            #"{"actor_id":"a","contract_id":"c"} x"#, #"{"actor_id":"a","contract_id":"c"},{}"#,
            #"{"actor_id":"a\u","contract_id":"c"}"#, #"{"actor_id":"a","contract_id":"c","values":{"k":null}}"#,
            // Not in the shape links are written in, whatever the decoder says of them.
            #"{"actor_id":"a","contract_id":"c","extra":1}"#, #"{"actor_id":"a","actor_id":"b","contract_id":"c"}"#,
            #"{"actor\u005fid":"a","contract_id":"c"}"#, "\u{FEFF}{\"actor_id\":\"a\",\"contract_id\":\"c\"}",
            #"{"actor_id":"a","contract_id":"c","values":{"k":"1","k":"2"}}"#,
            "{\"actor_id\":\"a\",\"contract_id\":\"c\",\"values\":{\"\u{E9}\":\"1\",\"e\u{301}\":\"2\"}}",
        ]
        for document in left { #expect(scanned(Array(document.utf8)) == nil, "\(document)") }
        // Invalid UTF-8 and raw control characters.
        let bytes: [[UInt8]] = [
            Array(#"{"actor_id":""#.utf8) + [0xFF] + Array(#"","contract_id":"c"}"#.utf8),
            Array(#"{"actor_id":""#.utf8) + [0x01] + Array(#"","contract_id":"c"}"#.utf8),
        ]
        for document in bytes { #expect(scanned(document) == nil) }
        // Over ControlDecoding's bound, even when well formed.
        let huge = Array(
            "{\"actor_id\":\"a\",\"contract_id\":\"c\",\"id\":\"\(String(repeating: "x", count: ControlDecoding.maxBodyBytes))\"}"
                .utf8)
        #expect(scanned(huge) == nil)
    }
}
