import Templates
import TouchpointCore

/// A template that puts one value in element content and in both kinds of quoted attribute.
let escaping: TemplateSet = {
    let (set, _) = TemplateSet.load(sources: [
        "t/email.mustache": "---\nsubject: s\n---\n<p title=\"{{customer.first_name}}\" data-x='{{customer.first_name}}'>{{customer.first_name}}</p>",
        "_partials/p.mustache": "[{{customer.first_name}}]",
    ])
    return set
}()

func context(_ value: String) -> JSONValue {
    [
        "customer": ["id": "u1", "first_name": .string(value)], "event": ["name": "X", "properties": [:]],
        "message": ["id": "m1", "channel": "email"], "rule": ["name": "r"],
    ]
}

/// libFuzzer entry point. The bytes (as UTF-8) are, first, a customer's name rendered into HTML:
/// the output must be exactly the template around `HTMLEscape.escape(name)`, and the escaped name
/// must hold no `<`, `>`, `"` or `'` and no `&` that does not start one of the five entities — so
/// no data can open an element or leave an attribute. Second, the same bytes are a template
/// source (with a partial library), loaded, checked and rendered: nothing may crash or hang, and
/// the check-only walk must agree with the render.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let text = String(validating: bytes, as: UTF8.self) else { return -1 }

    let escaped = HTMLEscape.escape(text)
    var rest = Substring(escaped)
    while let i = rest.firstIndex(where: { "<>\"'&".contains($0) }) {
        rest = rest[i...]
        guard let entity = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].first(where: { rest.hasPrefix($0) }) else {
            fatalError("escaped text lets a markup character through: \(escaped.debugDescription)")
        }
        rest = rest.dropFirst(entity.count)
    }
    guard case .success(let content) = escaping.render(template: "t", channel: .email, locale: nil, context: context(text))
    else { fatalError("a string name failed to render") }
    let expected = "<p title=\"\(escaped)\" data-x='\(escaped)'>\(escaped)</p>"
    // The body is trimmed of surrounding white space, like every rendered message.
    guard content.html == expected.trimmingCharacters(in: .whitespacesAndNewlines) || content.html == expected
    else { fatalError("rendered HTML differs from the escaped name: \(String(describing: content.html))") }

    let (set, _) = TemplateSet.load(sources: ["f/sms.mustache": text, "f/email.mustache": "---\nsubject: s\n---\n" + text, "_partials/p.mustache": text])
    for channel in [Channel.sms, .email] {
        let checked = set.check(template: "f", channel: channel, locale: nil, context: context("x"))
        let rendered = set.render(template: "f", channel: channel, locale: nil, context: context("x"))
        switch (checked, rendered) {
        case (.success, .success), (.failure, .failure): break
        default: fatalError("check and render disagree on \(text.debugDescription)")
        }
    }
    return 0
}
