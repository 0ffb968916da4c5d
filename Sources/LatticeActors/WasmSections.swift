/// Reads a wasm module's section layout, to find, strip and append the `jwt` custom section.
enum WasmSections {
    struct Section {
        let id: UInt8
        let name: String?
        let range: Range<Int>
    }

    static let magic: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    static func sections(_ bytes: [UInt8]) throws -> [Section] {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw ActorClaimsError("not a WebAssembly module") }
        var sections: [Section] = []
        var offset = 8
        while offset < bytes.count {
            let start = offset
            let id = bytes[offset]
            offset += 1
            let size = try leb(bytes, &offset)
            guard size <= bytes.count - offset else {
                throw ActorClaimsError("wasm section runs past the end of the module")
            }
            var name: String?
            if id == 0 {
                var cursor = offset
                let length = try leb(bytes, &cursor)
                guard length <= offset + size - cursor else { throw ActorClaimsError("bad custom section name") }
                name = String(decoding: bytes[cursor..<cursor + length], as: UTF8.self)
            }
            offset += size
            sections.append(Section(id: id, name: name, range: start..<offset))
        }
        return sections
    }

    /// The module without its `jwt` custom section(s): what the claims hash covers.
    static func strippingClaims(_ bytes: [UInt8]) throws -> [UInt8] {
        var output = magic
        for section in try sections(bytes) where section.name != "jwt" { output += bytes[section.range] }
        return output
    }

    /// The payload of the `jwt` custom section, if present.
    static func claimsToken(_ bytes: [UInt8]) throws -> String? {
        guard let section = try sections(bytes).first(where: { $0.name == "jwt" }) else { return nil }
        var cursor = section.range.lowerBound + 1
        _ = try leb(bytes, &cursor)
        let nameLength = try leb(bytes, &cursor)
        cursor += nameLength
        return String(decoding: bytes[cursor..<section.range.upperBound], as: UTF8.self)
    }

    static func appendingClaims(_ bytes: [UInt8], token: String) throws -> [UInt8] {
        var content = encodeLEB(3) + Array("jwt".utf8)
        content += Array(token.utf8)
        return try strippingClaims(bytes) + [0] + encodeLEB(content.count) + content
    }

    private static func leb(_ bytes: [UInt8], _ offset: inout Int) throws -> Int {
        var result = 0
        var shift = 0
        while true {
            guard offset < bytes.count, shift < 35 else { throw ActorClaimsError("malformed LEB128 in wasm module") }
            let byte = bytes[offset]
            offset += 1
            result |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private static func encodeLEB(_ value: Int) -> [UInt8] {
        var value = value
        var output: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            output.append(byte)
        } while value != 0
        return output
    }
}
