import LatticeOCI
import Testing

@Suite("OCI references: parsing, normalising, the latest rule, sanitised names")
struct OCIReferenceTests {
    let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test func tagsAndDigestsAreParsedAndLowercased() throws {
        let tagged = try OCIReference(parsing: "Registry.Example.com:5000/Team/Echo:V0.3.7")
        #expect(tagged.registry == "registry.example.com:5000")
        #expect(tagged.repository == "team/echo")
        #expect(tagged.tag == "v0.3.7")
        #expect(tagged.digest == nil)
        #expect(tagged.description == "registry.example.com:5000/team/echo:v0.3.7")
        #expect(tagged.manifestReference == "v0.3.7")

        let pinned = try OCIReference(parsing: "localhost/echo@\(digest)")
        #expect(pinned.registry == "localhost")
        #expect(pinned.tag == nil)
        #expect(pinned.digest?.description == digest)
        #expect(pinned.manifestReference == digest)

        let both = try OCIReference(parsing: "127.0.0.1:5000/a/b:latest@\(digest)")
        #expect(both.tag == "latest")
        #expect(both.manifestReference == digest)
    }

    @Test func onlyReferencesWithARegistryLookLikeReferences() {
        #expect(OCIReference.looksLikeReference("wasmcloud.azurecr.io/echo:0.3.7"))
        #expect(OCIReference.looksLikeReference("127.0.0.1:5000/echo:1"))
        #expect(OCIReference.looksLikeReference("localhost/echo:1"))
        #expect(!OCIReference.looksLikeReference("echo:0.3.7"))
        #expect(!OCIReference.looksLikeReference("library/echo:1"))
        #expect(!OCIReference.looksLikeReference("/tmp/x.y/echo.wasm"))
        #expect(!OCIReference.looksLikeReference("./build.d/echo.wasm"))
        #expect(!OCIReference.looksLikeReference("echo.wasm"))
    }

    @Test func latestOrNoTagIsRefusedUnlessAllowed() throws {
        for text in ["localhost:5000/echo", "localhost:5000/echo:latest"] {
            #expect(throws: OCIReference.ParseError.self) { try OCIReference(parsing: text) }
            do {
                _ = try OCIReference(parsing: text)
            } catch {
                #expect(error.description.contains("--oci-allow-latest"))
            }
            #expect(try OCIReference(parsing: text, allowLatest: true).tag == "latest")
        }
        #expect(try OCIReference(parsing: "localhost:5000/echo@\(digest)").digest != nil)
    }

    @Test func malformedReferencesAreRefusedWithTheReason() {
        let bad = [
            "localhost:99999/echo:1", "localhost:/echo:1", "local_host.x/echo:1", "localhost:5000/Echo!:1",
            "localhost:5000/echo:1@sha256:abc", "localhost:5000/echo@md5:" + String(repeating: "a", count: 32),
            "localhost:5000//echo:1", "localhost:5000/echo:-bad", "localhost:5000/-echo:1",
        ]
        for text in bad {
            #expect(throws: OCIReference.ParseError.self, "\(text)") { try OCIReference(parsing: text) }
        }
    }

    @Test func sanitisedNamesAreSafeAndOneToOne() throws {
        let a = try OCIReference(parsing: "a.b/c_d:1")
        let b = try OCIReference(parsing: "a.b/c/d:1")
        #expect(a.sanitised != b.sanitised)
        for reference in [a, b, try OCIReference(parsing: "localhost:5000/x@\(digest)")] {
            #expect(reference.sanitised.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) })
        }
        #expect(a.sanitised == "a.b_sc__d_c1")
    }

    @Test func pinningDropsTheTag() throws {
        let reference = try OCIReference(parsing: "localhost:5000/echo:1")
        let pinned = reference.pinned(to: try #require(OCIDigest(digest)))
        #expect(pinned.description == "localhost:5000/echo@\(digest)")
    }
}
