import CZlib

/// Bytes read in order from a file or a decompressor; `read` returns 0 at the end.
protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ArtifactFile: ByteSource {}

/// gzip through zlib: compression for `lattice par create`, and a streaming inflater for the host.
enum Gzip {
    static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// Inflates `source` chunk by chunk and stops, with a refusal, once more than `limit` bytes came out: a
    /// few MB of gzip can expand to gigabytes, so nothing here holds more than one chunk of either side.
    final class Reader: ByteSource {
        private let source: ByteSource
        private let limit: Int
        /// zlib checks that its stream stays at one address, so the stream and input live in allocated memory.
        private let stream: UnsafeMutablePointer<z_stream>
        private let input: UnsafeMutableRawBufferPointer
        private var produced = 0
        private var finished = false
        private var sourceEnded = false

        init(_ source: ByteSource, limit: Int) throws {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw TarError("gzip: cannot initialise zlib")
            }
            self.stream = stream
            self.input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
            self.source = source
            self.limit = limit
        }

        deinit {
            inflateEnd(stream)
            stream.deallocate()
            input.deallocate()
        }

        /// The next inflated bytes; 0 once the gzip member ended (trailing bytes are ignored).
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard !finished, buffer.count > 0 else { return 0 }
            while true {
                if stream.pointee.avail_in == 0 && !sourceEnded {
                    let count = try source.read(into: input)
                    sourceEnded = count == 0
                    stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    stream.pointee.avail_in = UInt32(count)
                }
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(buffer.count)
                let status = inflate(stream, Z_NO_FLUSH)
                let count = buffer.count - Int(stream.pointee.avail_out)
                guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && count == 0) else {
                    throw TarError("gzip data is corrupted (zlib \(status))")
                }
                produced += count
                guard produced <= limit else {
                    throw ArtifactRefusal.tooLarge(
                        bound: limit, detail: "gzip data expands beyond --max-artifact-size \(limit)")
                }
                if status == Z_STREAM_END { finished = true }
                if count > 0 || finished { return count }
                if sourceEnded && stream.pointee.avail_in == 0 { throw TarError("gzip data is truncated") }
            }
        }
    }

    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard
            deflateInit2_(
                &stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw TarError("gzip: cannot initialise zlib") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var input = input
        let written = try input.withUnsafeMutableBufferPointer { source in
            try output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { throw TarError("gzip: compression failed") }
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<written])
    }
}
