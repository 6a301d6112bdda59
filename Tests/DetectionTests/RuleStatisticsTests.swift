import Testing

@testable import Detection

@Suite("Rule statistics")
struct RuleStatisticsTests {
    @Test("stage matches and held events per rule")
    func stageMatchesAndHeld() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0), entityID: "A"))
        try harness.feed(processStart(at(1), entityID: "B"))
        try harness.feed(processStart(at(2), name: "cmd.exe"))
        try harness.feed(networkConnection(at(3), entityID: "A"))
        try harness.feed(networkConnection(at(4), entityID: "A", destination: "10.0.0.1"))
        let statistics = try #require(harness.matcher.ruleStatistics().first)
        #expect(statistics.stageMatches == [2, 1])
        #expect(statistics.heldEvents == harness.matcher.heldEvents)
        #expect(statistics.heldEvents == 3)
        #expect(statistics.heldKeys == 2)
        #expect(statistics.evictedEvents == 0)
    }

    @Test("expiry lowers the held counts")
    func expiryLowersHeld() throws {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(processStart(at(0), entityID: "A"))
        // An unrelated event an hour later moves the watermark past the rule's 9-minute window.
        try harness.feed(processStart(at(3_600), name: "cmd.exe"))
        harness.matcher.expire()
        let statistics = try #require(harness.matcher.ruleStatistics().first)
        #expect(statistics.heldEvents == 0)
        #expect(statistics.heldKeys == 0)
        #expect(statistics.stageMatches == [1, 0])
    }

    @Test("evictions are counted per rule")
    func evictionsPerRule() throws {
        let harness = try MatcherHarness.signedBinaryRule(
            settings: MatcherSettings(allowedLateness: .seconds(240), maxHeldEvents: 10))
        for index in 0...10 {
            try harness.feed(processStart(at(Double(index)), entityID: "K\(index)"))
        }
        let statistics = try #require(harness.matcher.ruleStatistics().first)
        #expect(statistics.evictedEvents == harness.matcher.evictedEvents)
        #expect(statistics.evictedEvents > 0)
        #expect(statistics.heldEvents == harness.matcher.heldEvents)
        #expect(statistics.heldKeys == statistics.heldEvents)
    }
}
