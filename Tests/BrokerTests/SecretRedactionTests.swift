import Foundation
import Testing

/// Secrets set in the configuration file and the environment must appear in no log line and no error message,
/// librdkafka's configuration dump and error strings included.
@Suite("Secret redaction through the dev broker", .serialized)
struct SecretRedactionTests {
    static let secrets = [
        "file-sasl-Secret-1", "file-key-Secret-2", "env-sasl-Secret-3", "env-oauth-Secret-4", "cli-oidc-Secret-5",
        "pem-Secret-6", "colon-Secret-7", "typo-Secret-8",
    ]

    /// Writes the configuration file with two secrets and returns its path.
    static func writeConfiguration(in folder: ScratchFolder, bootstrap: String) throws -> String {
        try folder.write(
            "secrets.properties",
            """
            kafka.bootstrap.servers=\(bootstrap)
            kafka.group.id=secrets
            kafka.consumer.session.timeout.ms=6000
            input.topics=events
            output.topic=alerts
            rules.path=config/rules
            kafka.sasl.password=\(secrets[0])
            kafka.ssl.key.password=\(secrets[1])
            # librdkafka dumps its configuration and logs every step at debug level.
            kafka.debug=all
            log.level=trace
            """)
    }

    /// The environment adds two more secrets; the first overrides the file's kafka.sasl.password.
    static let environment = [
        "EQLSTREAM_KAFKA_SASL_PASSWORD": secrets[2],
        "EQLSTREAM_KAFKA_SASL_OAUTHBEARER_CONFIG": "principal=eqlstream scope=\(secrets[3])",
    ]

    static func leakedSecrets(in text: String) -> [String] {
        secrets.filter { text.contains($0) }
    }

    @Test("run logs no secret while it works")
    func noSecretWhileRunning() throws {
        let broker = try DevBroker(brokers: 1, topics: ["events": 2, "alerts": 1])
        let folder = try ScratchFolder()
        let configuration = try Self.writeConfiguration(in: folder, bootstrap: broker.bootstrap)
        let cases = CorpusEvent.timeOrdered(try CorpusEvent.load("labelled_cases.ndjson"))
        try produce(cases, bootstrap: broker.bootstrap) { _ in "events" }
        let service = try ChildProcess(
            arguments: ["run", "--config", configuration], name: "secrets", environment: Self.environment)
        let alerts = try readAlerts(bootstrap: broker.bootstrap, topic: "alerts", expected: 1, timeout: .seconds(60),
                                    settle: .zero)
        #expect(!alerts.isEmpty, "log:\n\(service.log().suffix(3000))")
        service.signal(SIGTERM)
        #expect(try service.waitForExit(timeout: .seconds(30)) == 0)
        let log = service.log()
        // The configuration dump ran, so the secrets had a chance to leak.
        #expect(log.contains("sasl.password"), "no configuration dump in the log")
        #expect(log.contains("alert produced"))
        #expect(Self.leakedSecrets(in: log).isEmpty, "secrets in the log: \(Self.leakedSecrets(in: log))")
        let output = service.remainingOutput()
        #expect(Self.leakedSecrets(in: output).isEmpty, "secrets on standard output")
    }

    /// Settings that make `run` fail at start, each with what the error must name.
    static let failures: [(settings: [String], message: String)] = [
        // Debian's librdkafka 2.0.2 is built without OAuth/OIDC, so it rejects this secret key.
        (["kafka.sasl.oauthbearer.client.secret=\(secrets[4])"], "sasl.oauthbearer.client.secret"),
        (["kafka.enable.idempotence=maybe"], "enable.idempotence"),
        (["kafka.security.protocol=SSL", "kafka.ssl.key.pem=\(secrets[5])"], "ssl.key.pem"),
        // A misspelled secret key is not known to be secret, so librdkafka's rejection must not show its value.
        (["kafka.sasl.pasword=\(secrets[7])"], "unknown librdkafka property sasl.pasword"),
        // A secret written with the wrong separator.
        (["kafka.sasl.password:\(secrets[6])"], "expected key=value"),
    ]

    @Test("failing run shows no secret", arguments: failures.indices)
    func noSecretInErrors(index: Int) throws {
        let (settings, message) = Self.failures[index]
        let folder = try ScratchFolder()
        // Nothing connects before these errors, so no broker is needed.
        let configuration = try Self.writeConfiguration(in: folder, bootstrap: "127.0.0.1:9")
        let result = try runCommand(
            ["run", "--config", configuration] + settings.flatMap { ["--set", $0] }, environment: Self.environment)
        #expect(result.status == 2, "\(settings): \(result.error.suffix(2000))")
        #expect(result.error.contains(message), "\(settings): \(result.error.suffix(2000))")
        #expect(Self.leakedSecrets(in: result.error).isEmpty, "\(settings): \(Self.leakedSecrets(in: result.error))")
        #expect(Self.leakedSecrets(in: result.output).isEmpty, "\(settings): secrets on standard output")
    }
}
