import Detection
import EQL
import Events
import Foundation

/// The rules whose fields the decoder reads, loaded once from the files and folders in `EQLSTREAM_FUZZ_RULES`
/// (separated by `:`), with the field table their compiled stages share.
private let fuzzRules: (rules: [CompiledRule], fields: FieldTable) = {
    let paths = ProcessInfo.processInfo.environment["EQLSTREAM_FUZZ_RULES", default: ""]
        .split(separator: ":").map(String.init)
    let fields = FieldTable()
    var compiled: [CompiledRule] = []
    do {
        for path in paths {
            for file in try RuleLoader.ruleFiles(at: path) {
                for rule in try RuleLoader.loadFile(file) {
                    compiled.append(try CompiledRule(rule: rule, fields: fields, defaultWindow: .seconds(300)))
                }
            }
        }
    } catch {
        FileHandle.standardError.write(Data("eqlstream decoder fuzzer: cannot load rules: \(error)\n".utf8))
        exit(2)
    }
    guard !compiled.isEmpty else {
        FileHandle.standardError.write(
            Data("eqlstream decoder fuzzer: set EQLSTREAM_FUZZ_RULES to rule files or folders, separated by ':'\n".utf8))
        exit(2)
    }
    return (compiled, fields)
}()

private let fuzzDecoder = EventDecoder(fields: fuzzRules.fields)

/// libFuzzer entry point: decodes the input as one Kafka message value and, when it is a usable event, evaluates
/// every rule stage against it. A ``DecodeError`` is an expected result, while a trap or a sanitizer report is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let message = UnsafeRawBufferPointer(start: data, count: size)
    let event: DecodedEvent
    do {
        event = try fuzzDecoder.decode(message)
    } catch {
        _ = error.description
        return 0
    }
    for rule in fuzzRules.rules {
        for stage in rule.stages + (rule.until.map { [$0] } ?? []) {
            _ = stage.filter.matches(event)
        }
    }
    return 0
}
