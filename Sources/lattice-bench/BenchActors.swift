import Foundation

/// Where the example actors the `invocations` and `http` suites start come from: `actors/*.wasm` of a checkout.
///
/// In order: `--actors DIR`, `LATTICE_BENCH_ACTORS`, `./actors`, then `actors/` in a folder above the binary
/// (which finds the checkout from `.build/<config>/`). A folder named explicitly must hold `echo.wasm`; it is not
/// silently replaced by another.
enum BenchActors {
    /// The file that marks the folder.
    static let marker = "echo.wasm"
    /// The suites that start example actors.
    static let suites: Set<String> = ["invocations", "http", "scale"]

    /// The folder, or the one line saying what is missing.
    static let folder: Result<String, BenchError> = locate(
        option: BenchArguments.current.actors, variable: ProcessInfo.processInfo.environment["LATTICE_BENCH_ACTORS"],
        currentDirectory: FileManager.default.currentDirectoryPath, executable: BenchProducts.path("lattice-bench"))

    static func locate(option: String?, variable: String?, currentDirectory: String, executable: String)
        -> Result<String, BenchError>
    {
        if let option { return named(option, from: "--actors") }
        if let variable, !variable.isEmpty { return named(variable, from: "LATTICE_BENCH_ACTORS") }
        if holdsMarker(currentDirectory + "/actors") { return .success(currentDirectory + "/actors") }
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("actors").path
            if holdsMarker(candidate) { return .success(candidate) }
            folder = folder.deletingLastPathComponent()
        }
        return .failure(
            BenchError("cannot find actors/\(marker); run it from the repository's root or pass --actors DIR"))
    }

    /// The path of one example actor, `name`.wasm.
    static func file(_ name: String) throws -> String {
        try folder.get() + "/\(name).wasm"
    }

    private static func named(_ folder: String, from source: String) -> Result<String, BenchError> {
        holdsMarker(folder)
            ? .success(folder) : .failure(BenchError("cannot find \(marker) in \(folder) (from \(source))"))
    }

    private static func holdsMarker(_ folder: String) -> Bool {
        FileManager.default.isReadableFile(atPath: folder + "/" + marker)
    }
}
