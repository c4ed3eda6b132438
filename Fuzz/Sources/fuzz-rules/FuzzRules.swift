import Engine
import Rules
import Templates
import TouchpointCore

/// The repository's shipped templates, so cross-checks run past "unknown template" into channel
/// and variable checks exactly as `touchpoint check` does on the real project.
let templates: TemplateSet = {
    let fuzzDirectory = String(#filePath.split(separator: "/").dropLast(3).joined(separator: "/"))
    return TemplateSet.load(directory: "/" + fuzzDirectory + "/../templates").0
}()

/// libFuzzer entry point: the bytes as a rule file, then compiled and cross-checked like `check`
/// does; also read as a config file and as a rule test file, the other two YAML loaders.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let yaml = String(validating: bytes, as: UTF8.self) else { return -1 }
    let (ruleSet, diagnostics) = RuleSet.parse(yaml: yaml, file: "rules/fuzz.yaml")
    _ = Project.assemble(
        config: .defaults(), ruleSet: ruleSet, templates: templates, diagnostics: diagnostics)
    _ = Config.parse(yaml: yaml, path: "touchpoint.yaml")
    _ = RuleTestFile.parse(yaml: yaml, file: "rules/tests/fuzz.yaml")
    return 0
}
