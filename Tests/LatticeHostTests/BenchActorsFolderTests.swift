import Foundation
import LatticeTesting
import Testing

/// `lattice-bench` says in one line what it needs when it cannot find the example actors, instead of trapping.
@Suite("lattice-bench finds its actors or says what it needs")
struct BenchActorsFolderTests {
    /// A copy of the built `lattice-bench` in a fresh folder outside the checkout, so no `actors/` lies above it.
    private func strandedBench() throws -> (folder: String, executable: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let executable = folder + "/lattice-bench"
        try FileManager.default.copyItem(atPath: BuiltProducts.path("lattice-bench"), toPath: executable)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: executable)
        return (folder, executable)
    }

    private func run(_ executable: String, _ arguments: [String], in folder: String, actorsVariable: String = "")
        throws -> (status: Int32, output: String)
    {
        // An empty LATTICE_BENCH_ACTORS counts as unset, so the test's own environment cannot leak a folder in.
        let child = try ManagedProcess(
            executable, arguments, environment: ["LATTICE_BENCH_ACTORS": actorsVariable], currentDirectory: folder)
        guard let status = child.waitForExit(timeout: 30) else {
            child.terminate()
            throw TestSupportError("lattice-bench \(arguments.joined(separator: " ")) did not finish in 30 s")
        }
        return (status, child.output)
    }

    @Test func withoutAnActorsFolderItPrintsOneLineAndFails() throws {
        let (folder, executable) = try strandedBench()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for arguments in [[], ["invocations"]] {
            let result = try run(executable, arguments, in: folder)
            #expect(result.status != 0)
            #expect(
                result.output
                    == "lattice-bench: cannot find actors/echo.wasm; run it from the repository's root or pass --actors DIR\n",
                "\(result.output)")
            #expect(!result.output.contains("Fatal error"))
        }
    }

    @Test func aFolderNamedByOptionOrVariableMustHoldTheActors() throws {
        let (folder, executable) = try strandedBench()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = folder + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)

        let byOption = try run(executable, ["--actors", empty, "http"], in: folder)
        #expect(byOption.status != 0)
        #expect(byOption.output == "lattice-bench: cannot find echo.wasm in \(empty) (from --actors)\n")

        let byVariable = try run(executable, ["http"], in: folder, actorsVariable: empty)
        #expect(byVariable.status != 0)
        #expect(byVariable.output == "lattice-bench: cannot find echo.wasm in \(empty) (from LATTICE_BENCH_ACTORS)\n")

        // The option wins over the variable.
        let both = try run(executable, ["--actors", empty, "http"], in: folder, actorsVariable: "/nonexistent")
        #expect(both.output.contains("(from --actors)"), "\(both.output)")
    }

    @Test func anUnknownSuiteOrOptionIsOneLine() throws {
        let (folder, executable) = try strandedBench()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let suite = try run(executable, ["nosuch"], in: folder)
        #expect(suite.status == 2)
        #expect(suite.output.hasPrefix("lattice-bench: unknown suite 'nosuch'"), "\(suite.output)")
        #expect(suite.output.split(separator: "\n").count == 1)
        let option = try run(executable, ["--actors"], in: folder)
        #expect(option.status == 2)
        #expect(option.output == "lattice-bench: --actors needs a folder\n")
    }
}
