/// Minimal ustar reading and writing: regular files only, checksums verified.
enum Tar {
    struct Entry: Equatable {
        let name: String
        let contents: [UInt8]
    }

    static let maxEntries = 64

    static func read(_ bytes: [UInt8]) throws -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<offset + 512])
            if header.allSatisfy({ $0 == 0 }) { return entries }
            let stored = try octal(header[148..<156], field: "checksum")
            var computed = 0
            for (index, byte) in header.enumerated() { computed += (148..<156).contains(index) ? 32 : Int(byte) }
            guard stored == computed else { throw TarError("tar header checksum mismatch at offset \(offset)") }
            let name = text(header[0..<100])
            let prefix = text(header[345..<500])
            let fullName = prefix.isEmpty ? name : prefix + "/" + name
            let size = try octal(header[124..<136], field: "size")
            let type = header[156]
            offset += 512
            guard size >= 0, offset + size <= bytes.count else {
                throw TarError("tar entry '\(fullName)' is truncated")
            }
            if type == 0 || type == UInt8(ascii: "0") {
                guard !fullName.hasPrefix("/"), !fullName.split(separator: "/").contains("..") else {
                    throw TarError("tar entry name '\(fullName)' escapes the archive")
                }
                entries.append(
                    Entry(
                        name: fullName.hasPrefix("./") ? String(fullName.dropFirst(2)) : fullName,
                        contents: Array(bytes[offset..<offset + size])))
                guard entries.count <= maxEntries else { throw TarError("tar has more than \(maxEntries) entries") }
            }
            offset += (size + 511) / 512 * 512
        }
        guard offset == bytes.count || bytes.count - offset < 512 else { throw TarError("tar is truncated") }
        if entries.isEmpty { throw TarError("tar holds no files") }
        return entries
    }

    static func write(_ entries: [Entry]) -> [UInt8] {
        var output: [UInt8] = []
        for entry in entries {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ value: String, at start: Int, width: Int) {
                for (index, byte) in value.utf8.prefix(width).enumerated() { header[start + index] = byte }
            }
            func octalField(_ value: Int, width: Int) -> String {
                let digits = String(value, radix: 8)
                return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            }
            put(entry.name, at: 0, width: 100)
            put(octalField(0o755, width: 8), at: 100, width: 7)
            put(octalField(0, width: 8), at: 108, width: 7)
            put(octalField(0, width: 8), at: 116, width: 7)
            put(octalField(entry.contents.count, width: 12), at: 124, width: 11)
            put(octalField(0, width: 12), at: 136, width: 11)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257, width: 6)
            put("00", at: 263, width: 2)
            for index in 148..<156 { header[index] = 32 }
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octalField(sum, width: 7), at: 148, width: 6)
            header[154] = 0
            output += header
            output += entry.contents
            output += [UInt8](repeating: 0, count: (512 - entry.contents.count % 512) % 512)
        }
        return output + [UInt8](repeating: 0, count: 1024)
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ bytes: ArraySlice<UInt8>, field: String) throws -> Int {
        let digits = bytes.prefix { $0 != 0 && $0 != 32 }.drop { $0 == 32 }
        guard !digits.isEmpty, let value = Int(String(decoding: digits, as: UTF8.self), radix: 8) else {
            if bytes.allSatisfy({ $0 == 0 || $0 == 32 }) { return 0 }
            throw TarError("tar header has a bad \(field) field")
        }
        return value
    }
}

struct TarError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
