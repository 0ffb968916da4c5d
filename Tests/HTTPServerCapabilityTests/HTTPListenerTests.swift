import Foundation
import HTTPServerCapability
import LatticeTesting
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("HTTPListener over real loopback sockets", .serialized)
struct HTTPListenerTests {
    let logger = Logger(label: "http-test")

    @Test func servesRequestsThroughTheHandler() async throws {
        let seen = Mutex<[HttpRequest]>([])
        let listener = try await HTTPListener.start(host: "127.0.0.1", port: 0, maxBodyBytes: 64, logger: logger) {
            request in
            seen.withLock { $0.append(request) }
            return HttpResponse(statusCode: 200, body: Array("you asked for \(request.path)".utf8))
        }
        let port = listener.port
        let reply = try await Task.detached {
            try RawHTTPClient.get(port: port, "/some/path?x=1", headers: "X-Test: Yes\r\n")
        }.value
        #expect(reply.status == 200)
        #expect(reply.body == "you asked for /some/path")
        let request = try #require(seen.withLock { $0.first })
        #expect(request.method == "GET")
        #expect(request.queryString == "x=1")
        #expect(request.header["x-test"] == ["Yes"])

        let post = try await Task.detached {
            try RawHTTPClient.send(
                port: port, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        }.value
        #expect(post.status == 200)
        #expect(seen.withLock { $0.last?.body } == Array("hello".utf8))

        let big = String(repeating: "z", count: 100)
        let tooLarge = try await Task.detached {
            try RawHTTPClient.send(
                port: port, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\nConnection: close\r\n\r\n\(big)")
        }.value
        #expect(tooLarge.status == 413)

        await listener.stop()
        #expect(Deadline.poll(timeout: 3) { !FreePort.isListening(port: port) })
    }

    @Test func portConflictNamesTheHolder() async throws {
        let first = try await HTTPListener.start(host: "127.0.0.1", port: 0, logger: logger) { _ in
            HttpResponse(statusCode: 204)
        }
        defer { Task { await first.stop() } }
        let error = await #expect(throws: PortInUseError.self) {
            _ = try await HTTPListener.start(host: "127.0.0.1", port: first.port, logger: self.logger) { _ in
                HttpResponse(statusCode: 204)
            }
        }
        let text = error?.description ?? ""
        #expect(text.contains("address 127.0.0.1:\(first.port) is already in use by pid \(getpid())"), "\(text)")
        #expect(text.contains("does not run from the lattice cache directory"))
    }

    @Test func holderRunningFromTheCacheIsCalledAProbableOrphan() async throws {
        let listener = try await HTTPListener.start(host: "127.0.0.1", port: 0, logger: logger) { _ in
            HttpResponse(statusCode: 204)
        }
        defer { Task { await listener.stop() } }
        let myFolder = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().path
        let text = PortDiagnosis.describe(address: "127.0.0.1", port: listener.port, cacheDirectory: myFolder)
        #expect(text.contains("by pid \(getpid())"))
        #expect(text.contains("probably an orphaned provider"))
        #expect(text.contains("lattice-host orphans"))
    }
}
