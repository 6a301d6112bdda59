import EQL
import Testing

@Suite("Time spans")
struct TimeSpanTests {
    @Test("valid spans")
    func valid() {
        #expect(TimeSpan.parse("5m") == .seconds(300))
        #expect(TimeSpan.parse("30s") == .seconds(30))
        #expect(TimeSpan.parse("100ms") == .milliseconds(100))
        #expect(TimeSpan.parse("2h") == .seconds(7200))
        #expect(TimeSpan.parse("1d") == .seconds(86400))
        #expect(TimeSpan.parse("0s") == .zero)
    }

    @Test("invalid spans")
    func invalid() {
        for text in ["", "5", "m", "5M", "-5m", "1.5h", "5 m", "now-9m", "5y", "99999999999999999999d"] {
            #expect(TimeSpan.parse(text) == nil, "\(text) must be rejected")
        }
    }
}
