// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "eqlstream",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "eqlstream", targets: ["eqlstream"])
    ],
    targets: [
        // librdkafka from Debian's librdkafka-dev, including the mock cluster header.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // simdjson from Debian's libsimdjson-dev behind a small C interface: the event decoder's parser.
        .target(
            name: "CSimdJSON",
            cxxSettings: [.unsafeFlags(["-O3"])],
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        // The EQL language: lexer, parser, syntax tree, compiled predicates, IP and CIDR handling.
        .target(name: "EQL"),
        // Event decoding: reads only the fields that rules reference out of ECS JSON.
        .target(name: "Events", dependencies: ["EQL", "CSimdJSON"]),
        // Rules, sequence matching per partition and join key, and alert documents.
        .target(name: "Detection", dependencies: ["EQL", "Events"]),
        // Structured logging shared by every layer that runs as a service.
        .target(name: "Telemetry"),
        // The librdkafka wrapper: configuration, consumer, producer and the mock cluster.
        .target(name: "Kafka", dependencies: ["CRdKafka", "Telemetry"]),
        // The streaming pipeline: lanes per partition, checkpoints and the service loop.
        .target(name: "Pipeline", dependencies: ["Detection", "Events", "EQL", "Kafka", "Telemetry"]),
        .executableTarget(name: "eqlstream", dependencies: ["Pipeline", "Detection", "Events", "EQL", "Kafka", "Telemetry"]),
        .testTarget(name: "EQLTests", dependencies: ["EQL"]),
        .testTarget(name: "EventsTests", dependencies: ["Events", "EQL"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Events", "EQL"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Detection", "Events", "EQL"]),
        // Broker tests: start `eqlstream dev-broker` and `eqlstream run` as processes and talk to them over TCP.
        .testTarget(name: "BrokerTests", dependencies: ["eqlstream", "Kafka"]),
        // Runs the engine and the reference EQL engine side by side over generated streams (scripts/difftest).
        .testTarget(name: "DifferentialTests", dependencies: ["eqlstream"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
