import Templates
import TouchpointCore

/// A template that puts one value in element content and in both kinds of quoted attribute.
let escaping: TemplateSet = {
    let email =
        "---\nsubject: s\n---\n<p title=\"{{customer.first_name}}\" data-x='{{customer.first_name}}'>{{customer.first_name}}</p>"
    let (set, _) = TemplateSet.load(sources: [
        "t/email.mustache": email, "_partials/p.mustache": "[{{customer.first_name}}]",
    ])
    return set
}()

func context(_ value: String) -> JSONValue {
    let customer: [String: JSONValue] = ["id": .string("u1"), "first_name": .string(value)]
    let event: [String: JSONValue] = ["name": .string("X"), "properties": .object([:])]
    let message: [String: JSONValue] = ["id": .string("m1"), "channel": .string("email")]
    let rule: [String: JSONValue] = ["name": .string("r")]
    return .object([
        "customer": .object(customer), "event": .object(event), "message": .object(message),
        "rule": .object(rule),
    ])
}

let specials: [UInt8] = Array("<>\"'&".utf8)
let entities: [[UInt8]] = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].map { (e: String) -> [UInt8] in
    Array(e.utf8)
}

/// libFuzzer entry point. The bytes (as UTF-8) are, first, a customer's name rendered into HTML:
/// the output must be exactly the template around `HTMLEscape.escape(name)`, and the escaped name
/// must hold no `<`, `>`, `"` or `'` and no `&` that does not start one of the five entities — so
/// no data can open an element or leave an attribute. Second, the same bytes are a template
/// source (with a partial library), loaded, checked and rendered: nothing may crash or hang, and
/// the check-only walk must agree with the render.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let text = String(validating: input, as: UTF8.self) else { return -1 }

    // Checked over bytes: a Character-level check would itself miss a '"' fused with a mark.
    let escaped = HTMLEscape.escape(text)
    let bytes: [UInt8] = Array(escaped.utf8)
    var i = 0
    while i < bytes.count {
        guard specials.contains(bytes[i]) else {
            i += 1
            continue
        }
        let rest: ArraySlice<UInt8> = bytes[i...]
        guard let entity = entities.first(where: { (e: [UInt8]) -> Bool in rest.starts(with: e) }) else {
            fatalError("escaped text lets a markup character through: \(escaped.debugDescription)")
        }
        i += entity.count
    }
    let rendered = escaping.render(template: "t", channel: .email, locale: nil, context: context(text))
    guard case .success(let content) = rendered else { fatalError("a string name failed to render") }
    let expected: String = "<p title=\"" + escaped + "\" data-x='" + escaped + "'>" + escaped + "</p>"
    guard let html = content.html, html.utf8.elementsEqual(expected.utf8) else {
        fatalError("rendered HTML differs from the escaped name: \(String(describing: content.html))")
    }

    let sources: [String: String] = [
        "f/sms.mustache": text, "f/email.mustache": "---\nsubject: s\n---\n" + text,
        "_partials/p.mustache": text,
    ]
    let (set, _) = TemplateSet.load(sources: sources)
    for channel in [Channel.sms, .email] {
        let checked = set.check(template: "f", channel: channel, locale: nil, context: context("x"))
        let result = set.render(template: "f", channel: channel, locale: nil, context: context("x"))
        switch (checked, result) {
        case (.success, .success), (.failure, .failure): break
        default: fatalError("check and render disagree on \(text.debugDescription)")
        }
    }
    return 0
}
