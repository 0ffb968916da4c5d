/// Minimal ustar reading and writing: regular files only, checksums verified.
enum Tar {
    struct Entry: Equatable {
        let name: String
        let contents: [UInt8]
    }

    static let maxEntries = 64

    /// Reads a tar stream header by header and keeps only the entries `keep` asks for, each bounded by the
    /// limit it returns (nil: skip the entry). Skipped entries are read through in chunks, never held, so the
    /// memory used is the kept entries, at most their limits; `names` lists every regular file seen.
    static func read(_ source: ByteSource, keep: (String) -> Int?) throws -> (kept: [Entry], names: [String]) {
        var kept: [Entry] = []
        var names: [String] = []
        var offset = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let header = try readUpTo(source, 512)
            if header.count < 512 {
                // A stream that ends at, or a few bytes after, an entry boundary ends the archive.
                break
            }
            if header.allSatisfy({ $0 == 0 }) { break }
            let stored = try octal(header[148..<156], field: "checksum")
            var computed = 0
            for (index, byte) in header.enumerated() { computed += (148..<156).contains(index) ? 32 : Int(byte) }
            guard stored == computed else { throw TarError("tar header checksum mismatch at offset \(offset)") }
            let name = text(header[0..<100])
            let prefix = text(header[345..<500])
            let fullName = prefix.isEmpty ? name : prefix + "/" + name
            let size = try octal(header[124..<136], field: "size")
            let type = header[156]
            guard size >= 0 else { throw TarError("tar header has a bad size field") }
            offset += 512
            let padded = (size + 511) / 512 * 512
            var limit: Int?
            if type == 0 || type == UInt8(ascii: "0") {
                guard !fullName.hasPrefix("/"), !fullName.split(separator: "/").contains("..") else {
                    throw TarError("tar entry name '\(fullName)' escapes the archive")
                }
                let entryName = fullName.hasPrefix("./") ? String(fullName.dropFirst(2)) : fullName
                names.append(entryName)
                guard names.count <= maxEntries else { throw TarError("tar has more than \(maxEntries) entries") }
                limit = keep(entryName)
                if let limit {
                    guard size <= limit else {
                        throw ArtifactRefusal.tooLarge(
                            bound: limit, detail: "tar entry '\(entryName)' declares \(size) bytes, more than \(limit)")
                    }
                    let contents = try readUpTo(source, size)
                    guard contents.count == size else { throw TarError("tar entry '\(fullName)' is truncated") }
                    kept.append(Entry(name: entryName, contents: contents))
                    guard try skip(source, padded - size, chunk: &chunk) else {
                        throw TarError("tar entry '\(fullName)' is truncated")
                    }
                }
            }
            if limit == nil {
                guard try skip(source, padded, chunk: &chunk) else {
                    throw TarError("tar entry '\(fullName)' is truncated")
                }
            }
            offset += padded
        }
        if names.isEmpty { throw TarError("tar holds no files") }
        return (kept, names)
    }

    /// Reads until `count` bytes or the end of the source.
    private static func readUpTo(_ source: ByteSource, _ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = try bytes.withUnsafeMutableBytes { buffer in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            guard read > 0 else { break }
            filled += read
        }
        if filled < count { bytes.removeLast(count - filled) }
        return bytes
    }

    /// Reads `count` bytes into a scratch chunk and drops them; false when the source ended first.
    private static func skip(_ source: ByteSource, _ count: Int, chunk: inout [UInt8]) throws -> Bool {
        var remaining = count
        while remaining > 0 {
            let read = try chunk.withUnsafeMutableBytes { buffer in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(remaining, buffer.count)]))
            }
            guard read > 0 else { return false }
            remaining -= read
        }
        return true
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
