import Testing

@testable import NATSClient

/// The reader of a stream info reply's subject listing, which a bucket read falls back to (`readUnseenKeys`).
@Suite("JetStream subject listings read on bytes")
struct JetStreamSubjectsPageTests {
    private func parse(_ json: String) throws -> JetStreamSubjectsPage {
        try JetStreamSubjectsPage.parse(Array(json.utf8), stream: "KV_T")
    }

    @Test func subjectsAndTotalAreReadWithTheirEscapesDecoded() throws {
        let page = try parse(
            #"{"config":{"subjects":["$KV.T.>"]},"state":{"messages":3,"subjects":{"$KV.T.a":1, "$KV.T.\u003ctag\u003e":2,"$KV.T.caf\u00e9 \ud83d\ude00":1,"$KV.T.q\"\\":4}},"total":4}"#
        )
        #expect(page.subjects == ["$KV.T.a", "$KV.T.<tag>", "$KV.T.café 😀", "$KV.T.q\"\\"])
        #expect(page.total == 4)
    }

    @Test func aReplyWithoutSubjectsIsAnEmptyPage() throws {
        #expect(try parse(#"{"state":{"messages":0},"total":0}"#) == JetStreamSubjectsPage(subjects: [], total: 0))
        #expect(try parse(#"{"state":{"subjects":{}}}"#) == JetStreamSubjectsPage(subjects: [], total: nil))
    }

    @Test func anErrorReplyAndAnUnreadableListingAreRefused() {
        #expect {
            try parse(#"{"error":{"code":404,"err_code":10059,"description":"stream not found"}}"#)
        } throws: { "\($0)".contains("stream not found") }
        #expect(throws: NATSError.self) { try parse(#"{"state":{"subjects":{"$KV.T.a":"one"}}}"#) }
        #expect(throws: NATSError.self) { try parse(#"{"state":{"subjects":{"$KV.T.\ud83d":1}}}"#) }
    }
}
