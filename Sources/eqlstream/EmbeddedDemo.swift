import Foundation
import Kafka
import Pipeline
import Telemetry

/// The newcomer's setup: a mock broker in this process, sample traffic with planted sequences, and a reader of
/// the alerts topic that prints each alert on standard output, as a SOAR would receive it.
final class EmbeddedDemo {
    private(set) var configuration: Configuration
    private let cluster: MockCluster
    private let logger: Logger
    private let stop: StopSignal
    private var threads: [Thread] = []

    init(configuration base: Configuration, logger: Logger, stop: StopSignal) throws {
        self.logger = logger
        self.stop = stop
        cluster = try MockCluster(brokers: 1, logger: logger)
        var configuration = base
        for topic in configuration.inputTopics {
            try cluster.createTopic(topic, partitions: configuration.embeddedPartitions)
        }
        try cluster.createTopic(configuration.outputTopic, partitions: configuration.embeddedPartitions)
        try configuration.apply(key: "kafka.bootstrap.servers", value: cluster.bootstrapServers, source: "embedded broker")
        // The mock cluster holds a rebalance open for the session timeout minus one second; keep it short.
        try configuration.apply(key: "kafka.consumer.session.timeout.ms", value: "6000", source: "embedded broker")
        self.configuration = configuration
        logger.info("embedded broker started; no kafka.bootstrap.servers was configured",
                    ["bootstrap": cluster.bootstrapServers, "rate": configuration.embeddedRate])
        startTraffic()
        startAlertReader()
    }

    /// Waits for the helper threads after the processor stopped.
    func finish() {
        for thread in threads {
            while thread.isExecuting { Thread.sleep(forTimeInterval: 0.05) }
        }
    }

    private func startTraffic() {
        let configuration = self.configuration
        let logger = self.logger
        let stop = self.stop
        let thread = Thread {
            do {
                let producer = try KafkaProducer(
                    properties: [("bootstrap.servers", configuration.kafkaCommon.first { $0.0 == "bootstrap.servers" }!.1)],
                    logger: logger, idempotent: false)
                var traffic = SampleTraffic(seed: UInt64(Date().timeIntervalSince1970), plantEvery: 150)
                let topic = configuration.inputTopics[0]
                let batch = max(configuration.embeddedRate / 10, 1)
                var produced = 0
                var nextReport = ContinuousClock.now + .seconds(10)
                while !stop.isStopped {
                    let now = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
                    for _ in 0..<batch {
                        let event = traffic.next(at: now)
                        try producer.produce(topic: topic, key: Array(event.key.utf8), value: Array(event.json.utf8), token: produced)
                        produced += 1
                    }
                    _ = producer.poll(timeoutMilliseconds: 0)
                    if ContinuousClock.now >= nextReport {
                        logger.info("sample traffic", ["events": produced, "planted_sequences": traffic.plantedSequences,
                                                       "near_misses": traffic.nearMisses])
                        nextReport = ContinuousClock.now + .seconds(10)
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                _ = try? producer.flush(timeoutMilliseconds: 2_000)
            } catch {
                logger.error("sample traffic stopped", ["error": "\(error)"])
            }
        }
        thread.name = "sample-traffic"
        threads.append(thread)
        thread.start()
    }

    private func startAlertReader() {
        let configuration = self.configuration
        let logger = self.logger
        let stop = self.stop
        let thread = Thread {
            do {
                let reader = AlertPrinter()
                let consumer = try KafkaConsumer(
                    properties: [
                        ("bootstrap.servers", configuration.kafkaCommon.first { $0.0 == "bootstrap.servers" }!.1),
                        ("group.id", "eqlstream-demo-soar"), ("session.timeout.ms", "6000"), ("log_level", "3"),
                    ],
                    logger: logger, rebalanceHandler: reader)
                try consumer.subscribe([configuration.outputTopic])
                while !stop.isStopped {
                    consumer.poll(timeoutMilliseconds: 200, maxMessages: 100) { message in
                        printLine(String(decoding: message.payload, as: UTF8.self))
                    }
                }
                consumer.close()
            } catch {
                logger.error("alert reader stopped", ["error": "\(error)"])
            }
        }
        thread.name = "alert-reader"
        threads.append(thread)
        thread.start()
    }
}

/// The demo alert reader's group callbacks: it starts from the committed offsets and logs nothing else.
private final class AlertPrinter: KafkaRebalanceHandler {
    func partitionsAssigned(_ partitions: [TopicPartition], committed: [TopicPartition: CommittedOffset]) -> [TopicPartition: Int64] {
        [:]
    }
    func partitionsRevoked(_ partitions: [TopicPartition], isLost: Bool) {}
    func consumerError(_ error: KafkaError, partition: TopicPartition?) {}
}
