import Engine
import Foundation
import Testing
import TouchpointCore

/// `touchpoint check` on the shipped set, and on broken copies of it (SPEC §8).
@Suite("check")
struct CheckTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A copy of the shipped rules and templates with `edit` applied to one rule file.
    static func brokenCopy(file: String = "cart.yaml", _ edit: (String) -> String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for sub in ["rules", "templates"] {
            try FileManager.default.copyItem(atPath: root + "/" + sub, toPath: dir + "/" + sub)
        }
        let path = dir + "/rules/" + file
        try edit(try String(contentsOfFile: path, encoding: .utf8)).write(
            toFile: path, atomically: true, encoding: .utf8)
        try "rules: rules\ntemplates: templates\n".write(
            toFile: dir + "/touchpoint.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    static func check(_ dir: String) -> [Diagnostic] {
        Project.load(configPath: dir + "/touchpoint.yaml", environment: [:]).diagnostics.filter {
            $0.severity == .error
        }
    }

    @Test("the shipped rules and templates have no errors")
    func shipped() {
        let project = Project.load(configPath: Self.root + "/examples/touchpoint.yaml", environment: [:])
        #expect(project.diagnostics.filter { $0.severity == .error } == [])
        #expect(project.book.rules.count >= 9)
    }

    @Test("a typo in a key is an error at its line and column, with the nearest key suggested")
    func typo() throws {
        let dir = try Self.brokenCopy { $0.replacingOccurrences(of: "within: 24h", with: "witin: 24h") }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let errors = Self.check(dir)
        let e = try #require(errors.first)
        #expect(e.message == "unknown key 'witin' in send; did you mean 'within'?")
        #expect(e.location?.file.hasSuffix("rules/cart.yaml") == true)
        #expect((e.location?.line ?? 0) > 0 && (e.location?.column ?? 0) > 0)
    }

    @Test("an unknown template, a broken expression and an unknown variable are found with positions")
    func references() throws {
        let dir = try Self.brokenCopy {
            $0.replacingOccurrences(of: "template: cart-reminder", with: "template: cart-remider")
                .replacingOccurrences(of: "event.properties.price >= 10", with: "event.properties.price >= ")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let errors = Self.check(dir)
        #expect(errors.contains { $0.code == "bad-expression" && ($0.location?.column ?? 0) > 0 })
        let dir2 = try Self.brokenCopy {
            $0.replacingOccurrences(of: "template: cart-reminder", with: "template: cart-remider")
                .replacingOccurrences(of: "event.properties.price >= 10", with: "evnt.properties.price >= 10")
        }
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        let errors2 = Self.check(dir2)
        #expect(errors2.contains { $0.message.contains("did you mean 'cart-reminder'") })
        #expect(
            errors2.contains { $0.code == "unknown-variable" && $0.message.contains("did you mean 'event'") })
    }

    @Test("a candidate channel without a template variant or an adapter is an error")
    func channels() throws {
        let dir = try Self.brokenCopy(file: "post-purchase.yaml") {
            $0.replacingOccurrences(of: "channels: [email]", with: "channels: [email, chat]")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(Self.check(dir).contains { $0.code == "missing-template-channel" })
        try "rules: rules\ntemplates: templates\nchannels:\n  email: { kind: file, path: out }\n"
            .write(toFile: dir + "/touchpoint.yaml", atomically: true, encoding: .utf8)
        #expect(Self.check(dir).contains { $0.code == "channel-without-adapter" })
    }
}

@Suite("check explains send.urgency")
struct UrgencyCheckTests {
    @Test("the shipped cart and checkout rules set urgency, and check explains each at its place")
    func shippedNotes() throws {
        let project = Project.load(
            configPath: CheckTests.root + "/examples/touchpoint.yaml", environment: [:])
        let notes = project.diagnostics.filter { $0.code == "urgency" }
        #expect(notes.count == 2)
        #expect(
            notes.allSatisfy {
                $0.severity == .note && $0.location?.file.hasSuffix("rules/cart.yaml") == true
            })
        let cart = try #require(notes.first { $0.message.hasPrefix("rule 'cart-abandoned'") })
        #expect(cart.message.contains("a send 24h after due is worth half, 2d after a quarter"))
        #expect(
            project.book.rules.first { $0.name == "cart-abandoned" }?.rule.send.urgency?.value == .hours(24))
        #expect(
            project.book.rules.first { $0.name == "checkout-abandoned" }?.rule.send.urgency?.value
                == .hours(3))
    }

    @Test("urgency on a transactional rule or without a window is flagged as having no effect")
    func unused() {
        let f = Fixture(
            rules: """
                rules:
                  - name: receipt
                    when: { event: Order Completed }
                    send: { template: hello, channels: [email], within: 1h, urgency: 1h }
                    transactional: true
                  - name: now
                    when: { event: Signed Up }
                    send: { template: hello, channels: [email], urgency: 2h }
                """)
        let warnings = f.project.diagnostics.filter { $0.code == "urgency-unused" }
        #expect(warnings.map(\.severity) == [.warning, .warning])
        #expect(warnings.map { $0.location?.line } == [4, 8])
        #expect(
            warnings.first?.message
                == "rule 'receipt' is transactional and is sent when due, so 'urgency' has no effect")
        #expect(
            warnings.last?.message == "rule 'now' has no send window ('within'), so 'urgency' has no effect")
    }
}

extension CheckTests {
    static func warnings(_ dir: String, code: String) -> [Diagnostic] {
        Project.load(configPath: dir + "/touchpoint.yaml", environment: [:]).diagnostics.filter {
            $0.severity == .warning && $0.code == code
        }
    }

    @Test(
        "the shipped set has no type, trait or event-name warnings (the rule tests and the story know them all)"
    )
    func shippedVocabulary() {
        let project = Project.load(configPath: Self.root + "/examples/touchpoint.yaml", environment: [:])
        let flagged = project.diagnostics.filter {
            ["type-mismatch", "unknown-trait", "similar-event-name"].contains($0.code)
        }
        #expect(flagged == [], "\(flagged)")
    }

    @Test("price >= \"10\" against a number is a warning at the field, saying it fails at run time")
    func stringAgainstNumber() throws {
        let dir = try Self.brokenCopy {
            $0.replacingOccurrences(
                of: "event.properties.price >= 10", with: #"event.properties.price >= "10""#)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try #require(Self.warnings(dir, code: "type-mismatch").first)
        #expect(w.message.contains("'event.properties.price >= \"10\"' compares with a string"), "\(w)")
        #expect(w.message.contains("fails"), "\(w)")
        #expect(w.message.contains("write 10 without quotes"), "\(w)")
        #expect(w.location?.file.hasSuffix("rules/cart.yaml") == true)
        #expect(w.location?.line == 21)
        #expect(w.location?.column == 11)
    }

    @Test("two literals of different types compare to a warning; the same types do not")
    func literalAgainstLiteral() throws {
        let dir = try Self.brokenCopy {
            $0.replacingOccurrences(
                of: "event.properties.price >= 10", with: #"event.properties.price >= 10 && "a" < 1"#)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = Self.warnings(dir, code: "type-mismatch")
        #expect(w.count == 1, "\(w)")
        #expect(w.first?.message.contains(#"'"a" < 1' compares a string with a number"#) == true, "\(w)")
    }

    @Test("a template trait nothing sets is a warning at the tag, with the known trait it likely meant")
    func unknownTrait() throws {
        let dir = try Self.brokenCopy { $0 }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/templates/cart-reminder/sms.mustache"
        try ("Hi {{customer.frist_name}}\n" + String(contentsOfFile: path, encoding: .utf8)).write(
            toFile: path, atomically: true, encoding: .utf8)
        let w = try #require(Self.warnings(dir, code: "unknown-trait").first)
        #expect(
            w.description
                == "\(path):1:4: warning: template 'cart-reminder' uses 'customer.frist_name', a trait no rule test, "
                + "example event or 'customer-traits:' in the config sets; did you mean 'first_name'?")
        // Declared in the config, it is known.
        try "rules: rules\ntemplates: templates\ncustomer-traits: [frist_name]\n".write(
            toFile: dir + "/touchpoint.yaml", atomically: true, encoding: .utf8)
        #expect(Self.warnings(dir, code: "unknown-trait") == [])
    }

    @Test(
        "a when.event near a known name but used nowhere else is a warning, as in unless; declaring it silences it"
    )
    func whenEventTypo() throws {
        let dir = try Self.brokenCopy {
            $0.replacingOccurrences(of: "event: Product Added", with: "event: Product Aded")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try #require(Self.warnings(dir, code: "similar-event-name").first)
        #expect(
            w.message == "'when' event 'Product Aded' is not used elsewhere; did you mean 'Product Added'?")
        #expect(w.location?.line == 20)
        #expect(w.location?.column == 14)
        let path = dir + "/rules/cart.yaml"
        try ("events: [Product Aded]\n" + String(contentsOfFile: path, encoding: .utf8)).write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(Self.warnings(dir, code: "similar-event-name") == [])
    }
}
