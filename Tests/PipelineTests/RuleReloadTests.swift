import Detection
import Foundation
@testable import Pipeline
import Testing

@Suite("Rule reload")
struct RuleReloadTests {
    /// Returns a lane holding the start of e1's sequence under the shipped rule, and that rule set.
    func laneWithPendingStart() throws -> (Lane, RuleSet) {
        let lane = try Fixtures.lane()
        #expect(lane.feed(Fixtures.start("e1", at: "2024-01-01T00:00:00Z"), offset: 0).alerts.isEmpty)
        #expect(lane.matcher.heldEvents == 1)
        return (lane, try Fixtures.ruleSet())
    }

    func reload(_ lane: Lane, from old: RuleSet, to rules: [Rule]) throws -> [Int: Int] {
        let next = try RuleSet(rules: rules, defaultWindow: .seconds(540), previous: old)
        let kept = StreamProcessor.unchangedRules(from: old.rules, to: next.rules)
        lane.replaceRules(next.rules, decoder: next.decoder, settings: lane.matcher.settings, kept: kept)
        return kept
    }

    @Test("unchanged rule keeps its pending sequence")
    func unchangedRuleKeepsState() throws {
        let (lane, old) = try laneWithPendingStart()
        var added = old.rules[0].rule
        added.ruleID = "second"
        added.query = #"process where process.name : "certutil.exe""#
        let kept = try reload(lane, from: old, to: [added, old.rules[0].rule])
        #expect(kept == [1: 0])
        #expect(lane.matcher.heldEvents == 1)
        let alerts = lane.feed(Fixtures.network("e1", at: "2024-01-01T00:00:01Z"), offset: 1).alerts
        #expect(alerts.map(\.alert.ruleID) == [old.rules[0].rule.ruleID])
    }

    @Test("changed query drops the rule's state")
    func changedRuleDropsState() throws {
        let (lane, old) = try laneWithPendingStart()
        var changed = old.rules[0].rule
        changed.query += " "
        let kept = try reload(lane, from: old, to: [changed])
        #expect(kept.isEmpty)
        #expect(lane.matcher.heldEvents == 0)
        #expect(lane.feed(Fixtures.network("e1", at: "2024-01-01T00:00:01Z"), offset: 1).alerts.isEmpty)
        // The changed rule matches new sequences.
        #expect(lane.feed(Fixtures.start("e2", at: "2024-01-01T00:00:02Z"), offset: 2).alerts.isEmpty)
        #expect(lane.feed(Fixtures.network("e2", at: "2024-01-01T00:00:03Z"), offset: 3).alerts.count == 1)
    }

    @Test("screened event decoded again after reload")
    func screenedEventDecodedAgain() throws {
        let (lane, old) = try laneWithPendingStart()
        let payload = Array(Fixtures.other(at: "2024-01-01T00:00:01Z").utf8)
        let screened = try old.decoder.decode(payload)
        #expect(screened.relevance?.mayMatch == false)
        var added = old.rules[0].rule
        added.ruleID = "second"
        added.query = #"file where process.name : "notepad.exe""#
        _ = try reload(lane, from: old, to: [old.rules[0].rule, added])
        let outcome = payload.withUnsafeBytes {
            lane.handle(topic: "events", offset: 1, payload: $0, decoded: .success(screened), detectionTime: Fixtures.now)
        }
        #expect(outcome.alerts.map(\.alert.ruleID) == ["second"])
    }

    @Test("reloaded rule set keeps field slots")
    func fieldSlotsKept() throws {
        let old = try Fixtures.ruleSet()
        var added = old.rules[0].rule
        added.ruleID = "second"
        added.query = #"file where file.name : "a.txt""#
        let next = try RuleSet(rules: [added] + old.rules.map(\.rule), defaultWindow: .seconds(540), previous: old)
        #expect(Array(next.fields.names.prefix(old.fields.count)) == old.fields.names)
        #expect(next.fields.names.contains("file.name"))
    }
}
