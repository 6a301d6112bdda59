import EQL
import Events
import Testing

@testable import Detection

@Suite("Sequence matcher")
struct SequenceMatcherTests {
    static let nanosecondsPerSecond: Int64 = 1_000_000_000

    @Test("start then public connection alerts once")
    func startThenNetwork() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        #expect(try harness.matches(processStart(at(0))).isEmpty)
        let matches = try harness.matches(networkConnection(at(10)))
        #expect(matches.count == 1)
        #expect(matches.first?.offsets == [0, 1])
        #expect(matches.first?.key == [.string("A")])
        #expect(matches.first?.ruleIndex == 0)
    }

    @Test("join keys compare as bytes")
    func joinKeysCompareAsBytes() throws {
        // A precomposed and a decomposed "é": canonically equivalent text, different code points.
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        let harness = try MatcherHarness.signedBinaryRule()
        #expect(try harness.matches(processStart(at(0), entityID: precomposed)).isEmpty)
        #expect(try harness.matches(networkConnection(at(10), entityID: decomposed)).isEmpty)
        #expect(try harness.matches(networkConnection(at(20), entityID: precomposed)).count == 1)
    }

    @Test("private destination does not alert")
    func privateDestination() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0)))
        #expect(try harness.matches(networkConnection(at(10), destination: "10.0.2.3")).isEmpty)
        #expect(try harness.matches(networkConnection(at(11), destination: "::1")).isEmpty)
        #expect(try harness.matches(networkConnection(at(12), destination: "8.8.4.4")).count == 1)
    }

    @Test("second start replaces the first")
    func secondStartPairs() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0)))
        try harness.feed(processStart(at(5)))
        let matches = try harness.matches(networkConnection(at(10)))
        #expect(matches.count == 1)
        #expect(matches.first?.offsets == [1, 2])
    }

    @Test("completed sequence needs a new start")
    func furtherNetworkNeedsNewStart() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0)))
        #expect(try harness.matches(networkConnection(at(10))).count == 1)
        #expect(try harness.matches(networkConnection(at(20))).isEmpty)
        #expect(try harness.matches(networkConnection(at(30))).isEmpty)
        #expect(try harness.matches(processStart(at(40))).isEmpty)
        let matches = try harness.matches(networkConnection(at(50)))
        #expect(matches.count == 1)
        #expect(matches.first?.offsets == [4, 5])
    }

    @Test("network earlier than the start does not pair")
    func networkBeforeStartInTime() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        #expect(try harness.matches(processStart(at(10))).isEmpty)
        #expect(try harness.matches(networkConnection(at(5))).isEmpty)
        #expect(harness.matcher.lateEvents == 0)
    }

    @Test("out-of-order start within lateness pairs")
    func outOfOrderArrival() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        #expect(try harness.matches(networkConnection(at(100))).isEmpty)
        let matches = try harness.matches(processStart(at(10)))
        #expect(matches.count == 1)
        // Stage order, not arrival order: the start (offset 1) comes first.
        #expect(matches.first?.offsets == [1, 0])
        #expect(try harness.matches(networkConnection(at(110))).isEmpty)
    }

    @Test("rebuild emits no duplicate alert")
    func noDuplicateAfterRebuild() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0)))
        #expect(try harness.matches(networkConnection(at(10))).count == 1)
        #expect(try harness.matches(processStart(at(5))).isEmpty)
    }

    @Test("event beyond allowed lateness is late")
    func lateEvent() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(600)))
        let outcome = try harness.feed(networkConnection(at(359)))
        guard case .late(let watermark) = outcome else {
            Issue.record("expected a late outcome, got \(outcome)")
            return
        }
        #expect(watermark == baseTime + 360 * Self.nanosecondsPerSecond)
        #expect(harness.matcher.watermark == watermark)
        #expect(harness.matcher.lateEvents == 1)
        #expect(harness.matcher.maxTime == baseTime + 600 * Self.nanosecondsPerSecond)
    }

    @Test("late event is not matched")
    func lateEventNotMatched() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(networkConnection(at(600)))
        let outcome = try harness.feed(processStart(at(100)))
        guard case .late = outcome else {
            Issue.record("expected a late outcome, got \(outcome)")
            return
        }
        // Only the network event is held: the late start was not stored.
        #expect(harness.matcher.heldEvents == 1)
        #expect(try harness.matches(networkConnection(at(601))).isEmpty)
    }

    @Test("event at the watermark is not late")
    func eventAtWatermark() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(networkConnection(at(600)))
        let matches = try harness.matches(processStart(at(360)))
        #expect(harness.matcher.lateEvents == 0)
        #expect(matches.count == 1)
    }

    @Test("maxspan exceeded does not alert")
    func maxspanExceeded() throws {
        let harness = try MatcherHarness(
            query: #"sequence by process.entity_id with maxspan=1m [process where event.type == "start"] [network where true]"#)
        try harness.feed(processStart(at(0), entityID: "A"))
        try harness.feed(processStart(at(0), entityID: "B"))
        #expect(try harness.matches(networkConnection(at(60.001), entityID: "A")).isEmpty)
        #expect(try harness.matches(networkConnection(at(60), entityID: "B")).count == 1)
    }

    @Test("lookback bounds a sequence without maxspan")
    func lookbackWindow() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0), entityID: "A"))
        try harness.feed(processStart(at(1), entityID: "B"))
        #expect(try harness.matches(networkConnection(at(540), entityID: "A")).count == 1)
        #expect(try harness.matches(networkConnection(at(541.001), entityID: "B")).isEmpty)
    }

    @Test("equal timestamps pair in arrival order")
    func equalTimestamps() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0), entityID: "A"))
        let matches = try harness.matches(networkConnection(at(0), entityID: "A"))
        #expect(matches.count == 1)
        #expect(matches.first?.offsets == [0, 1])
    }

    @Test("equal timestamps reversed do not pair")
    func equalTimestampsReversed() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(networkConnection(at(0), entityID: "A"))
        #expect(try harness.matches(processStart(at(0), entityID: "A")).isEmpty)
    }

    static let untilQuery =
        #"sequence by process.entity_id [process where event.type == "start"] [network where true] until [process where event.type == "end"]"#

    @Test("until ends the pending sequence")
    func untilEndsSequence() throws {
        let harness = try MatcherHarness(query: Self.untilQuery)
        try harness.feed(processStart(at(0)))
        #expect(try harness.matches(processStart(at(5), type: "end")).isEmpty)
        #expect(try harness.matches(networkConnection(at(10))).isEmpty)
        try harness.feed(processStart(at(20)))
        let matches = try harness.matches(networkConnection(at(30)))
        #expect(matches.count == 1)
        #expect(matches.first?.offsets == [3, 4])
    }

    @Test("until of another key is ignored")
    func untilOtherKey() throws {
        let harness = try MatcherHarness(query: Self.untilQuery)
        try harness.feed(processStart(at(0), entityID: "A"))
        try harness.feed(processStart(at(5), entityID: "B", type: "end"))
        #expect(try harness.matches(networkConnection(at(10), entityID: "A")).count == 1)
    }

    @Test("out-of-order until ends the sequence")
    func untilOutOfOrder() throws {
        let harness = try MatcherHarness(query: Self.untilQuery)
        try harness.feed(processStart(at(0)))
        try harness.feed(processStart(at(5), entityID: "other"))
        try harness.feed(processStart(at(3), type: "end"))
        #expect(try harness.matches(networkConnection(at(10))).isEmpty)
    }

    @Test("join keys compare exactly")
    func keysCaseSensitive() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0), entityID: "{ABC-DEF}"))
        #expect(try harness.matches(networkConnection(at(10), entityID: "{abc-def}")).isEmpty)
        #expect(try harness.matches(networkConnection(at(20), entityID: "{ABC-DEF} ")).isEmpty)
        let matches = try harness.matches(networkConnection(at(30), entityID: "{ABC-DEF}"))
        #expect(matches.count == 1)
        #expect(matches.first?.key == [.string("{ABC-DEF}")])
    }

    @Test("event without the key never pairs")
    func missingKey() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0), entityID: nil))
        #expect(harness.matcher.heldEvents == 0)
        #expect(try harness.matches(networkConnection(at(10), entityID: nil)).isEmpty)
        try harness.feed(processStart(at(20), entityID: "A"))
        #expect(try harness.matches(networkConnection(at(30), entityID: nil)).isEmpty)
        #expect(harness.matcher.heldEvents == 1)
    }

    @Test("null key never pairs")
    func nullKey() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        let start = #"{"@timestamp":"\#(at(0))","event":{"category":"process","type":"start"},"process":{"name":"expand.exe","entity_id":null}}"#
        let network = #"{"@timestamp":"\#(at(1))","event":{"category":"network"},"process":{"name":"expand.exe","entity_id":null},"destination":{"ip":"8.8.8.8"}}"#
        try harness.feed(start)
        #expect(try harness.matches(network).isEmpty)
    }

    @Test("multi-valued key pairs on any value")
    func multiValuedKey() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        let start = #"{"@timestamp":"\#(at(0))","event":{"category":"process","type":"start"},"process":{"name":"expand.exe","entity_id":["A","B"]}}"#
        try harness.feed(start)
        let matches = try harness.matches(networkConnection(at(1), entityID: "B"))
        #expect(matches.count == 1)
        #expect(matches.first?.key == [.string("B")])
    }

    @Test("expire drops events beyond the window")
    func expireDropsOldEvents() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0)))
        let unrelated = #"{"@timestamp":"\#(at(1200))","event":{"category":"file"}}"#
        try harness.feed(unrelated)
        #expect(harness.matcher.heldEvents == 1)
        harness.matcher.expire()
        #expect(harness.matcher.heldEvents == 0)
        #expect(harness.matcher.oldestHeldEvents().isEmpty)
    }

    @Test("expire keeps events inside the window")
    func expireKeepsRecentEvents() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0)))
        try harness.feed(#"{"@timestamp":"\#(at(300))","event":{"category":"file"}}"#)
        harness.matcher.expire()
        #expect(harness.matcher.heldEvents == 1)
        #expect(try harness.matches(networkConnection(at(301))).count == 1)
    }

    @Test("idle extension moves the horizon")
    func expireIdleExtension() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0)))
        try harness.feed(#"{"@timestamp":"\#(at(300))","event":{"category":"file"}}"#)
        harness.matcher.expire(idleExtension: 600 * Self.nanosecondsPerSecond)
        #expect(harness.matcher.heldEvents == 0)
    }

    @Test("oldest held event per topic")
    func oldestHeldEvents() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0), entityID: "A"), topic: "logs-a", offset: 5)
        try harness.feed(processStart(at(1), entityID: "B"), topic: "logs-a", offset: 3)
        try harness.feed(processStart(at(2), entityID: "C"), topic: "logs-b", offset: 9)
        try harness.feed(processStart(at(3), entityID: "A"), topic: "logs-b", offset: 7)
        try harness.feed(#"{"@timestamp":"\#(at(4))","event":{"category":"file"}}"#, topic: "logs-c", offset: 1)
        let oldest = harness.matcher.oldestHeldEvents()
        #expect(Set(oldest.keys) == ["logs-a", "logs-b"])
        #expect(oldest["logs-a"]?.coordinates.offset == 3)
        #expect(oldest["logs-b"]?.coordinates.offset == 7)
        #expect(harness.matcher.heldEvents == 4)
    }

    @Test("held events are capped")
    func maxHeldEvents() throws {
        let harness = try MatcherHarness.signedBinaryRule(
            settings: MatcherSettings(allowedLateness: .seconds(240), maxHeldEvents: 10))
        for index in 0...10 {
            try harness.feed(processStart(at(Double(index)), entityID: "K\(index)"))
        }
        #expect(harness.matcher.heldEvents <= 10)
        #expect(harness.matcher.evictedEvents > 0)
        #expect(try harness.matches(networkConnection(at(20), entityID: "K0")).isEmpty)
        #expect(try harness.matches(networkConnection(at(21), entityID: "K10")).count == 1)
    }

    @Test("stored event keeps the raw message")
    func storedRaw() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        let start = processStart(at(0))
        let network = networkConnection(at(1))
        try harness.feed(start)
        let match = try #require(try harness.matches(network).first)
        #expect(match.events.map(\.raw) == [Array(start.utf8), Array(network.utf8)])
        #expect(match.events.first?.maxTimeBefore == nil)
        #expect(match.events.last?.maxTimeBefore == baseTime)
    }

    @Test("event query alerts on each event")
    func eventQuery() throws {
        let harness = try MatcherHarness(query: #"process where process.name : "EXPAND.exe""#)
        #expect(try harness.matches(processStart(at(0))).count == 1)
        #expect(try harness.matches(processStart(at(1), name: "cmd.exe")).isEmpty)
        #expect(try harness.matches(processStart(at(2))).count == 1)
    }
}
