import Foundation

@testable import Detection

/// libFuzzer entry point: loads the input as the contents of a Kibana rule JSON file (one rule object, or an export
/// with one object per line), then compiles and probes each rule.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKibanaRule(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let contents = size == 0 ? Data() : Data(bytes: data!, count: size)
    let rules: [Rule]
    do {
        rules = try RuleLoader.jsonRules(contents, source: "fuzz.json")
    } catch {
        _ = String(describing: error)
        return 0
    }
    compileAndProbe(rules)
    return 0
}
