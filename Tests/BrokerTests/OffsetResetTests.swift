import CRdKafka
import Testing

@testable import Kafka

/// A partition without a committed offset is assigned at the logical offset that `auto.offset.reset` names, so
/// librdkafka does not fetch the committed offsets a second time.
@Suite("Offset reset")
struct OffsetResetTests {
    @Test("each spelling of auto.offset.reset maps to its logical offset", arguments: [
        ("earliest", Int64(RD_KAFKA_OFFSET_BEGINNING)), ("smallest", Int64(RD_KAFKA_OFFSET_BEGINNING)),
        ("beginning", Int64(RD_KAFKA_OFFSET_BEGINNING)), ("Earliest", Int64(RD_KAFKA_OFFSET_BEGINNING)),
        ("latest", Int64(RD_KAFKA_OFFSET_END)), ("largest", Int64(RD_KAFKA_OFFSET_END)), ("end", Int64(RD_KAFKA_OFFSET_END)),
    ])
    func spellings(_ value: String, _ offset: Int64) {
        #expect(KafkaConsumer.logicalOffset(reset: value) == offset)
    }

    @Test("error and unknown values leave the choice to librdkafka")
    func leftToLibrdkafka() {
        #expect(KafkaConsumer.logicalOffset(reset: "error") == nil)
        #expect(KafkaConsumer.logicalOffset(reset: "sideways") == nil)
        #expect(KafkaConsumer.logicalOffset(reset: nil) == nil)
    }
}
