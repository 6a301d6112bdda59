@testable import Detection

/// libFuzzer entry point: loads the input as the text of a detection-rules TOML file, then compiles and probes the
/// rule. Invalid UTF-8 is replaced as when the loader reads a file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOMLRule(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let rule: Rule
    do {
        rule = try RuleLoader.tomlRule(text, source: "fuzz.toml")
    } catch {
        _ = String(describing: error)
        return 0
    }
    compileAndProbe([rule])
    return 0
}
