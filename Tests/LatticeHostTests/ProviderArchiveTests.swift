import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import Testing

@Suite("Provider archives: signed claims and binary hashes")
struct ProviderArchiveTests {
    let issuer = KeyPair.generate(.account)
    let provider = KeyPair.generate(.service)
    let binary = Array("#!/bin/sh\necho provider\n".utf8)

    func write(_ bytes: [UInt8]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("par-\(UUID()).par").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func archive(compress: Bool, binary: [UInt8]? = nil) throws -> [UInt8] {
        try ProviderArchive.create(
            binary: binary ?? self.binary, contractID: "wasmcloud:httpserver", name: "http", vendor: "test",
            revision: 3, issuer: issuer, provider: provider, compress: compress)
    }

    func failure(_ path: String) -> String {
        do {
            _ = try ProviderArchive.load(path: path)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: [false, true])
    func roundTrip(compress: Bool) throws {
        let loaded = try ProviderArchive.load(path: write(try archive(compress: compress)))
        #expect(loaded.binary == binary)
        #expect(loaded.claims.providerKey == provider.publicKey)
        #expect(loaded.claims.issuer == issuer.publicKey)
        #expect(loaded.claims.contractID == "wasmcloud:httpserver")
        #expect(loaded.claims.revision == 3)
    }

    @Test func corruptedTarChecksum() throws {
        var bytes = try archive(compress: false)
        bytes[10] ^= 0xFF
        #expect(failure(write(bytes)).contains("is corrupted"))
    }

    @Test func truncatedGzip() throws {
        let bytes = try archive(compress: true)
        #expect(failure(write(Array(bytes.prefix(bytes.count / 2)))).contains("is corrupted"))
    }

    @Test func changedBinaryFailsTheHash() throws {
        var bytes = try archive(compress: false)
        let marker = Array("echo provider".utf8)
        let index = try #require(
            (0..<(bytes.count - marker.count)).first { Array(bytes[$0..<$0 + marker.count]) == marker })
        bytes[index] = UInt8(ascii: "E")
        let message = failure(write(bytes))
        #expect(message.contains("does not match its signed hash"), "\(message)")
        #expect(message.contains("claims ") && message.contains(", binary "))
    }

    @Test func forgedClaimsAreInvalid() throws {
        var bytes = try archive(compress: false)
        let tokenEnd = try #require(bytes[512...].firstIndex(of: 0))
        let dot = try #require(bytes[512..<tokenEnd].lastIndex(of: UInt8(ascii: ".")))
        bytes[dot + 3] = bytes[dot + 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(failure(write(bytes)).contains("claims are invalid"))
    }

    @Test func missingClaimsTargetAndFile() throws {
        #expect(failure("/nonexistent/thing.par") == "artifact not found or not readable")
        let other = try ProviderArchive.create(
            binary: binary, target: "riscv-plan9", contractID: "x:y", name: "n", vendor: "v", revision: 1,
            issuer: issuer, provider: provider, compress: false)
        #expect(failure(write(other)).contains("has no binary for \(ProviderArchive.currentTarget)"))
    }

    @Test func latticeParCreateProducesALoadableArchive() throws {
        let source = write(binary)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID()).par.gz").path
        let result = try BuiltProducts.run(
            "lattice",
            [
                "par", "create", source, "--contract", "wasmcloud:keyvalue", "--name", "kv", "--compress", "--output",
                output,
            ])
        #expect(result.status == 0, "\(result.output)")
        let loaded = try ProviderArchive.load(path: output)
        #expect(loaded.claims.contractID == "wasmcloud:keyvalue")
        #expect(loaded.binary == binary)
    }
}
