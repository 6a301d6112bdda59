import Pipeline
import Testing

@Suite("Topic merge")
struct TopicMergeTests {
    @Test("events leave in time order across topics")
    func timeOrderAcrossTopics() throws {
        let lane = try Fixtures.lane(topics: ["process", "network"])
        let now = ContinuousClock.now
        // The network topic arrives first, a second later in event time than the start.
        let early = lane.receive(Fixtures.network("a", at: "2024-01-01T00:00:02Z"), topic: "network", offset: 0, now: now)
        #expect(early.isEmpty)
        let released = lane.receive(Fixtures.start("a", at: "2024-01-01T00:00:01Z"), topic: "process", offset: 0, now: now)
        #expect(released.map(\.topic) == ["process"])
        lane.markEnd(of: "process")
        let rest = lane.release(detectionTime: Fixtures.now, now: now)
        #expect(rest.map(\.topic) == ["network"])
        #expect(rest.first?.outcome.alerts.count == 1)
    }

    @Test("waits for a silent topic at most the merge wait")
    func waitsForSilentTopic() throws {
        let lane = try Fixtures.lane(topics: ["process", "network"])
        let start = ContinuousClock.now
        #expect(lane.receive(Fixtures.other(at: "2024-01-01T00:00:00Z"), topic: "process", offset: 0, now: start).isEmpty)
        #expect(lane.release(detectionTime: Fixtures.now, now: start + .milliseconds(100)).isEmpty)
        #expect(lane.release(detectionTime: Fixtures.now, now: start + .milliseconds(600)).count == 1)
    }

    @Test("a topic at its end holds nothing up")
    func topicAtEndHoldsNothing() throws {
        let lane = try Fixtures.lane(topics: ["process", "network"])
        lane.markEnd(of: "network")
        let released = lane.receive(Fixtures.other(at: "2024-01-01T00:00:00Z"), topic: "process", offset: 0, now: .now)
        #expect(released.count == 1)
    }

    @Test("buffered messages are not committed")
    func bufferedMessagesNotCommitted() throws {
        let lane = try Fixtures.lane(restored: ["process": (10, nil), "network": (20, nil)], topics: ["process", "network"])
        _ = lane.receive(Fixtures.other(at: "2024-01-01T00:00:00Z"), topic: "process", offset: 10, now: .now)
        let checkpoints = lane.checkpoints()
        #expect(checkpoints["process"]?.offset == 10)
        #expect(checkpoints["network"]?.offset == 20)
    }
}
