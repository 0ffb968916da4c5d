import Foundation
import LatticeCrypto
import LatticeTesting
import Testing

/// The CLI's signing commands take seeds from 0600 files or the environment; argv still works, with a warning.
@Suite("CLI seeds")
struct CLISeedTests {
    private func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cli-seeds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aSeedFileReadableByOthersIsRefused() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let issuer = KeyPair.generate(.account)
        let loose = try SeedFiles.write(issuer.seed!, mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: loose) }
        let output = directory + "/refused.par"
        let result = try BuiltProducts.run(
            "lattice",
            [
                "par", "create", "/bin/true", "--contract", "lattice:test", "--name", "t", "--issuer-seed-file", loose,
                "--output", output,
            ])
        #expect(result.status == 1)
        #expect(
            result.output.contains("--issuer-seed-file \(loose) is readable by group or others"), "\(result.output)")
        #expect(result.output.contains("chmod 600"))
        #expect(!result.output.contains(issuer.seed!))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func seedsFromFilesAndTheEnvironmentSignWithoutWarnings() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let issuer = KeyPair.generate(.account)
        let provider = KeyPair.generate(.service)
        let issuerFile = try SeedFiles.write(issuer.seed!)
        defer { try? FileManager.default.removeItem(atPath: issuerFile) }
        let result = try BuiltProducts.run(
            "lattice",
            [
                "par", "create", "/bin/true", "--contract", "lattice:test", "--name", "t", "--issuer-seed-file",
                issuerFile, "--output", directory + "/t.par",
            ],
            environment: ["LATTICE_PROVIDER_SEED": provider.seed!])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("provider \(provider.publicKey)"))
        #expect(result.output.contains("issuer \(issuer.publicKey)"))
        #expect(!result.output.contains("warning"))
    }

    @Test func aSeedOnArgvWarnsThatPsShowsIt() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let module = KeyPair.generate(.module)
        let echo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("actors/echo.wasm").path
        let result = try BuiltProducts.run(
            "lattice",
            [
                "actor", "sign", echo, "--name", "echo", "--module-seed", module.seed!, "--output",
                directory + "/echo_s.wasm",
            ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("actor \(module.publicKey)"))
        #expect(
            result.output.contains(
                "warning: --module-seed on the command line is visible to every local user through ps; use --module-seed-file or LATTICE_MODULE_SEED"
            ))
    }

    @Test func callWithoutAClusterSeedSaysHowToGiveOne() throws {
        let actor = KeyPair.generate(.module)
        let result = try BuiltProducts.run(
            "lattice", ["call", actor.publicKey, "Echo", "x"], environment: ["LATTICE_CLUSTER_SEED": ""])
        #expect(result.status == 1)
        #expect(
            result.output.contains(
                "--cluster-seed-file or LATTICE_CLUSTER_SEED is required: hosts accept only invocations signed by a trusted cluster key"
            ), "\(result.output)")
    }
}
