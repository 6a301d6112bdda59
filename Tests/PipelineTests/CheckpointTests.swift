import Foundation
import Detection
import Events
import Pipeline
import Testing

@Suite("Checkpoint")
struct CheckpointTests {
    @Test("text round trip")
    func textRoundTrip() throws {
        let checkpoint = Checkpoint(emittedBelow: 1234, maxTime: 1_552_928_257_964_000_000)
        let parsed = try #require(Checkpoint(text: checkpoint.text))
        #expect(parsed == checkpoint)
    }

    @Test("text without a time")
    func textWithoutTime() throws {
        let checkpoint = Checkpoint(emittedBelow: 7, maxTime: nil)
        #expect(checkpoint.text == "eqlstream:v1;e=7;t=-")
        #expect(Checkpoint(text: checkpoint.text) == checkpoint)
    }

    @Test("foreign metadata is ignored", arguments: ["", "some other tool", "eqlstream:v1;e=x;t=-", "eqlstream:v1;t=5"])
    func foreignMetadata(text: String) {
        #expect(Checkpoint(text: text) == nil)
    }

    @Test("text is printable and small")
    func textIsPrintable() {
        let text = Checkpoint(emittedBelow: .max, maxTime: .min).text
        #expect(text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        #expect(text.utf8.count < 100)
    }
}

@Suite("Lane checkpoints")
struct LaneCheckpointTests {
    @Test("next offset when nothing is held")
    func nextOffsetWhenNothingHeld() throws {
        let lane = try Fixtures.lane()
        _ = lane.feed(Fixtures.other(at: "2024-01-01T00:00:00Z"), offset: 0)
        _ = lane.feed(Fixtures.other(at: "2024-01-01T00:00:01Z"), offset: 1)
        let checkpoint = try #require(lane.checkpoints()["events"])
        #expect(checkpoint.offset == 2)
        #expect(checkpoint.checkpoint.emittedBelow == 2)
    }

    @Test("held start keeps the resume offset")
    func heldStartKeepsResumeOffset() throws {
        let lane = try Fixtures.lane()
        _ = lane.feed(Fixtures.other(at: "2024-01-01T00:00:00Z"), offset: 0)
        _ = lane.feed(Fixtures.start("a", at: "2024-01-01T00:00:01Z"), offset: 1)
        _ = lane.feed(Fixtures.other(at: "2024-01-01T00:00:02Z"), offset: 2)
        let checkpoint = try #require(lane.checkpoints()["events"])
        #expect(checkpoint.offset == 1)
        #expect(checkpoint.checkpoint.emittedBelow == 3)
        // The greatest event time before the held event is what a resume restores its watermark from.
        #expect(checkpoint.checkpoint.maxTime == Timestamp.parse(Array("2024-01-01T00:00:00Z".utf8)))
    }

    @Test("unacknowledged alert holds the emitted mark")
    func unacknowledgedAlertHoldsEmittedMark() throws {
        let lane = try Fixtures.lane()
        _ = lane.feed(Fixtures.start("a", at: "2024-01-01T00:00:01Z"), offset: 0)
        let outcome = lane.feed(Fixtures.network("a", at: "2024-01-01T00:00:02Z"), offset: 1)
        let record = try #require(outcome.alerts.first)
        lane.track(token: 9, record: record)
        _ = lane.feed(Fixtures.other(at: "2024-01-01T00:00:03Z"), offset: 2)
        var checkpoint = try #require(lane.checkpoints()["events"])
        #expect(checkpoint.checkpoint.emittedBelow == 1)
        #expect(checkpoint.offset == 0)
        lane.acknowledge(token: 9)
        checkpoint = try #require(lane.checkpoints()["events"])
        #expect(checkpoint.checkpoint.emittedBelow == 3)
    }

    @Test("restored lane suppresses produced alerts")
    func restoredLaneSuppressesProducedAlerts() throws {
        let first = try Fixtures.lane()
        _ = first.feed(Fixtures.start("a", at: "2024-01-01T00:00:01Z"), offset: 0)
        let produced = first.feed(Fixtures.network("a", at: "2024-01-01T00:00:02Z"), offset: 1)
        #expect(produced.alerts.count == 1)
        _ = first.feed(Fixtures.start("b", at: "2024-01-01T00:00:03Z"), offset: 2)
        let saved = try #require(first.checkpoints()["events"])

        let second = try Fixtures.lane(restored: ["events": (saved.offset, saved.checkpoint)])
        let replayed = second.feed(Fixtures.start("a", at: "2024-01-01T00:00:01Z"), offset: 0)
        let again = second.feed(Fixtures.network("a", at: "2024-01-01T00:00:02Z"), offset: 1)
        #expect(replayed.alerts.isEmpty)
        #expect(again.alerts.isEmpty)
        #expect(again.suppressedCount == 1)
        _ = second.feed(Fixtures.start("b", at: "2024-01-01T00:00:03Z"), offset: 2)
        let fresh = second.feed(Fixtures.network("b", at: "2024-01-01T00:00:04Z"), offset: 3)
        #expect(fresh.alerts.count == 1)
    }

    @Test("restored alert id equals the original")
    func restoredAlertIDEqualsOriginal() throws {
        let first = try Fixtures.lane()
        _ = first.feed(Fixtures.start("a", at: "2024-01-01T00:00:01Z"), offset: 0)
        let original = try #require(first.feed(Fixtures.network("a", at: "2024-01-01T00:00:02Z"), offset: 1).alerts.first)
        let second = try Fixtures.lane()
        _ = second.feed(Fixtures.start("a", at: "2024-01-01T00:00:01Z"), offset: 0)
        let repeated = try #require(second.feed(Fixtures.network("a", at: "2024-01-01T00:00:02Z"), offset: 1).alerts.first)
        #expect(original.alert.id == repeated.alert.id)
    }

    @Test("already handled offsets are skipped")
    func handledOffsetsSkipped() throws {
        let lane = try Fixtures.lane()
        _ = lane.feed(Fixtures.other(at: "2024-01-01T00:00:00Z"), offset: 5)
        let outcome = lane.feed(Fixtures.other(at: "2024-01-01T00:00:00Z"), offset: 5)
        guard case .duplicate = outcome else {
            Issue.record("expected a duplicate, got \(outcome)")
            return
        }
    }
}

@Suite("Clock skew")
struct ClockSkewTests {
    @Test("held future-dated start does not hold the checkpoint")
    func futureStartDoesNotHoldCheckpoint() throws {
        let lane = try Fixtures.lane()
        let now = Date()
        let format = ISO8601DateFormatter()
        _ = lane.feed(Fixtures.start("far", at: format.string(from: now.addingTimeInterval(365 * 86_400))), offset: 0)
        _ = lane.feed(Fixtures.other(at: format.string(from: now)), offset: 1)
        #expect(lane.matcher.futureEvents == 1)
        #expect(lane.matcher.heldEvents == 1)
        let checkpoint = try #require(lane.checkpoints()["events"])
        #expect(checkpoint.offset == 2)
        // A start dated now still keeps the checkpoint at its offset.
        _ = lane.feed(Fixtures.start("near", at: format.string(from: now)), offset: 2)
        #expect(try #require(lane.checkpoints()["events"]).offset == 2)
    }

    @Test("future event does not make later events late")
    func futureEventDoesNotStall() throws {
        let lane = try Fixtures.lane()
        let now = Date()
        let format = ISO8601DateFormatter()
        let current = format.string(from: now)
        let future = format.string(from: now.addingTimeInterval(5 * 365 * 86_400))
        _ = lane.feed(Fixtures.other(at: future), offset: 0)
        #expect(lane.matcher.futureEvents == 1)
        _ = lane.feed(Fixtures.start("a", at: current), offset: 1)
        let outcome = lane.feed(Fixtures.network("a", at: format.string(from: now.addingTimeInterval(1))), offset: 2)
        #expect(outcome.alerts.count == 1)
        #expect(lane.matcher.lateEvents == 0)
    }
}

@Suite("Backlog with clock skew")
struct BacklogClockSkewTests {
    @Test("future event does not drop a backlog")
    func futureEventKeepsBacklog() throws {
        let lane = try Fixtures.lane()
        let format = ISO8601DateFormatter()
        let old = Date().addingTimeInterval(-30 * 60)
        _ = lane.feed(Fixtures.start("a", at: format.string(from: old)), offset: 0)
        _ = lane.feed(Fixtures.other(at: "2200-01-01T00:00:00Z"), offset: 1)
        let outcome = lane.feed(Fixtures.network("a", at: format.string(from: old.addingTimeInterval(2))), offset: 2)
        #expect(outcome.alerts.count == 1)
        #expect(lane.matcher.lateEvents == 0)
        #expect(lane.matcher.futureEvents == 1)
    }
}

@Suite("Hostile input")
struct HostileInputTests {
    @Test("extreme timestamps do not trap", arguments: [
        "1677-09-21T00:12:44Z", "2262-04-11T23:47:16Z", "0001-01-01T00:00:00Z",
    ])
    func extremeTimestamps(text: String) throws {
        let lane = try Fixtures.lane()
        _ = lane.feed(Fixtures.start("a", at: text), offset: 0)
        _ = lane.feed(#"{"@timestamp":-9223372036854,"event":{"category":"process"}}"#, offset: 1)
        let now = ISO8601DateFormatter().string(from: Date())
        _ = lane.feed(Fixtures.start("b", at: now), offset: 2)
        lane.expire(idleTimeout: .zero)
        #expect(lane.checkpoints()["events"] != nil)
    }

    @Test("oversized alert keeps coordinates and drops bodies")
    func oversizedAlertIsShrunk() throws {
        let rules = try Fixtures.ruleSet()
        let big = String(repeating: "x", count: 600_000)
        let start = #"{"@timestamp":"2024-01-01T00:00:01Z","event":{"category":["process"],"type":["start"]},"process":{"name":"expand.exe","entity_id":"a"},"blob":"\#(big)"}"#
        let network = #"{"@timestamp":"2024-01-01T00:00:02Z","event":{"category":["network"]},"destination":{"ip":"8.8.8.8"},"process":{"name":"expand.exe","entity_id":"a"},"blob":"\#(big)"}"#
        let lane = Lane(partition: 0, rules: rules.rules, decoder: rules.decoder, settings: MatcherSettings())
        _ = lane.feed(start, offset: 0)
        let alert = try #require(lane.feed(network, offset: 1).alerts.first).alert
        #expect(alert.json.utf8.count < AlertBuilder.defaultMaxBytes)
        #expect(alert.json.contains("\"eqlstream.truncated\":true"))
        #expect(alert.json.contains("\"offset\":1"))
        #expect(alert.json.contains("\"kibana.alert.rule.rule_id\""))
    }

    @Test("huge host name keeps the alert under the limit")
    func hugeHostNameAlert() throws {
        let rules = try Fixtures.ruleSet()
        let host = String(repeating: "h", count: 1_040_000)
        let start = #"{"@timestamp":"2024-01-01T00:00:01Z","event":{"category":["process"],"type":["start"]},"host":{"name":"\#(host)"},"process":{"name":"expand.exe","entity_id":"a"}}"#
        let network = #"{"@timestamp":"2024-01-01T00:00:02Z","event":{"category":["network"]},"host":{"name":"\#(host)"},"destination":{"ip":"8.8.8.8"},"process":{"name":"expand.exe","entity_id":"a"}}"#
        let lane = Lane(partition: 0, rules: rules.rules, decoder: rules.decoder,
                        settings: MatcherSettings())
        _ = lane.feed(start, offset: 0)
        let alert = try #require(lane.feed(network, offset: 1).alerts.first).alert
        #expect(alert.json.utf8.count < AlertBuilder.defaultMaxBytes)
    }

    @Test("checkpoint carries its commit time")
    func commitTimeRoundTrip() throws {
        let checkpoint = Checkpoint(emittedBelow: 5, maxTime: 9, committedAt: 1_700_000_000_000)
        let parsed = try #require(Checkpoint(text: checkpoint.text))
        #expect(parsed.committedAt == 1_700_000_000_000)
        #expect(!parsed.differsInState(from: Checkpoint(emittedBelow: 5, maxTime: 9)))
        #expect(parsed.differsInState(from: Checkpoint(emittedBelow: 6, maxTime: 9)))
    }
}
