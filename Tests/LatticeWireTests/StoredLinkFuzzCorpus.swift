import LatticeTesting

/// Link documents as a bucket may hold them and many that are not quite: members in any order, escapes, `null`s,
/// repeated and unknown members, odd whitespace, other types, invalid UTF-8, then byte-level damage.
struct StoredLinkFuzzCorpus {
    static let actor = "MBCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVW"
    static let provider = "VBCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVW"

    /// String literals, as written between the quotes.
    static let strings: [[UInt8]] =
        [
            "", "default", "wasmcloud:httpserver", actor, provider, "PORT", "8080", "a b", "é", "e\u{301}",
            "\u{1F600}", "日本", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\b", "\\f", "\\r", "\\u0041", "\\u00e9",
            "\\u00E9", "\\u0000", "\\u001f", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\ud83dx", "\\uZZZZ", "\\u12",
            "\\x", "\\", "\u{7F}", "\u{FEFF}", "\u{FFFE}", "\u{2028}", "K\u{212A}", "x\\u0301",
        ].map { Array($0.utf8) } + [
            [0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x01], [0x0A], [0x09],
            [0xE2, 0x82], [0x41, 0x00, 0x42],
        ]

    static let whitespace: [[UInt8]] = [
        [], [], [], [0x20], [0x09], [0x0A], [0x0D], [0x0D, 0x0A], [0x20, 0x20], [0x0C], [0x0B], [0xC2, 0xA0], [0x00],
    ]

    static let otherValues: [[UInt8]] = [
        "null", "true", "false", "0", "-1", "1.5", "1e400", "01", "1.", ".5", "-", "[]", "[\"a\"]", "{}",
        "{\"a\":\"b\"}", "nul", "tru", "NaN", "\"\"", "[1,]", "{\"a\":1}", "[[[]]]",
    ].map { Array($0.utf8) }

    static let members = ["id", "actor_id", "provider_id", "link_name", "contract_id", "values"]
    static let otherKeys = [
        "x", "ID", "actor_id ", "actor\\u005fid", "values\\u0000", "", "link", "actor_idx", "\\u0069d",
    ]

    func makeCase(_ rng: inout SplitMix64) -> [UInt8] {
        var document = self.document(&rng)
        if Int.random(in: 0..<4, using: &rng) == 0 { damage(&document, &rng) }
        return document
    }

    private func pick<T>(_ items: [T], _ rng: inout SplitMix64) -> T {
        items[Int.random(in: 0..<items.count, using: &rng)]
    }

    private func space(_ rng: inout SplitMix64) -> [UInt8] {
        Int.random(in: 0..<6, using: &rng) == 0 ? pick(Self.whitespace, &rng) : []
    }

    private func quoted(_ rng: inout SplitMix64, plain: String? = nil) -> [UInt8] {
        let body: [UInt8]
        if let plain, Int.random(in: 0..<5, using: &rng) != 0 {
            body = Array(plain.utf8)
        } else {
            body = (0..<Int.random(in: 1...2, using: &rng)).flatMap { _ in pick(Self.strings, &rng) }
        }
        return [UInt8(ascii: "\"")] + body + [UInt8(ascii: "\"")]
    }

    private func values(_ rng: inout SplitMix64) -> [UInt8] {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return Array("null".utf8)
        case 1: return pick(Self.otherValues, &rng)
        default:
            var out: [UInt8] = [UInt8(ascii: "{")] + space(&rng)
            let count = Int.random(in: 0...3, using: &rng)
            for index in 0..<count {
                if index > 0 { out += space(&rng) + [UInt8(ascii: ",")] + space(&rng) }
                let key = Int.random(in: 0..<4, using: &rng) == 0 ? quoted(&rng) : quoted(&rng, plain: "PORT\(index)")
                out += key + space(&rng) + [UInt8(ascii: ":")] + space(&rng)
                out +=
                    Int.random(in: 0..<8, using: &rng) == 0 ? pick(Self.otherValues, &rng) : quoted(&rng, plain: "80")
            }
            return out + space(&rng) + [UInt8(ascii: "}")]
        }
    }

    private func document(_ rng: inout SplitMix64) -> [UInt8] {
        var names = Self.members.filter { name in
            let required = name == "actor_id" || name == "contract_id"
            return Int.random(in: 0..<(required ? 30 : 3), using: &rng) != 0
        }
        names.shuffle(using: &rng)
        if Int.random(in: 0..<8, using: &rng) == 0 { names.append(pick(Self.members, &rng)) }
        if Int.random(in: 0..<8, using: &rng) == 0 {
            names.insert(pick(Self.otherKeys, &rng), at: Int.random(in: 0...names.count, using: &rng))
        }
        var out: [UInt8] = space(&rng) + [UInt8(ascii: "{")]
        for (index, name) in names.enumerated() {
            if index > 0 { out += [UInt8(ascii: ",")] }
            out += space(&rng) + [UInt8(ascii: "\"")] + Array(name.utf8) + [UInt8(ascii: "\"")] + space(&rng)
            out += [UInt8(ascii: ":")] + space(&rng)
            let plain: String
            switch name {
            case "actor_id": plain = Self.actor
            case "provider_id": plain = Self.provider
            case "link_name": plain = "default"
            case "contract_id": plain = "wasmcloud:httpserver"
            default: plain = "a0c1"
            }
            if name == "values" {
                out += values(&rng)
            } else {
                switch Int.random(in: 0..<24, using: &rng) {
                case 0: out += Array("null".utf8)
                case 1: out += pick(Self.otherValues, &rng)
                default: out += quoted(&rng, plain: plain)
                }
            }
            out += space(&rng)
        }
        out += [UInt8(ascii: "}")] + space(&rng)
        return out
    }

    private func damage(_ document: inout [UInt8], _ rng: inout SplitMix64) {
        guard !document.isEmpty else { return }
        let at = Int.random(in: 0..<document.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: document.remove(at: at)
        case 1: document.insert(rng.nextByte(), at: at)
        case 2: document[at] = rng.nextByte()
        case 3: document.removeSubrange(at...)
        case 4: document += pick([",", "}", " x", "{}", "\u{0}", "]"].map { Array($0.utf8) }, &rng)
        case 5: document = [0xEF, 0xBB, 0xBF] + document
        default:
            let structural: [UInt8] = Array("{}[]:,\"\\".utf8)
            document.insert(pick(structural, &rng), at: at)
        }
    }
}
