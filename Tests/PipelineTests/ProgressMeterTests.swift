import Pipeline
import Testing

@Suite("Progress meter")
struct ProgressMeterTests {
    @Test("line shows rate and percent")
    func lineWithTotal() {
        let line = ProgressMeter.format(events: 1_200_000, elapsed: .seconds(4), done: 420, total: 1000)
        #expect(line == "1,200,000 events  300,000 events/s  42%")
    }

    @Test("line without a known total has no percent")
    func lineWithoutTotal() {
        let line = ProgressMeter.format(events: 999, elapsed: .milliseconds(500), done: 0, total: nil)
        #expect(line == "999 events  1,998 events/s")
    }

    @Test("percent stops at 100 and zero time gives zero rate")
    func edges() {
        #expect(ProgressMeter.format(events: 5, elapsed: .zero, done: 12, total: 10) == "5 events  0 events/s  100%")
    }

    @Test("updates are limited to one per interval")
    func rateLimited() throws {
        let start = ContinuousClock.now
        var meter = ProgressMeter(total: 100, interval: .milliseconds(250), now: start)
        let update = meter.update(events: 10, done: 10, now: start + .milliseconds(100))
        let first = try #require(update)
        #expect(first.hasPrefix(ProgressMeter.clearLine))
        #expect(first.hasSuffix("10%"))
        let early = meter.update(events: 20, done: 20, now: start + .milliseconds(300))
        #expect(early == nil)
        let next = meter.update(events: 40, done: 40, now: start + .milliseconds(400))
        let later = try #require(next)
        #expect(later.hasSuffix("40%"))
    }
}
