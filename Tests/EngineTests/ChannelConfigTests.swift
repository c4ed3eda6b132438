import Engine
import Foundation
import Testing
import TouchpointCore

/// The `channels:` block as `check` sees it: `unsubscribe-url` compiled as a template at load.
@Suite("channel config")
struct ChannelConfigTests {
    /// A project folder with the shipped rules and templates and `config` as its touchpoint.yaml.
    static func project(_ config: String) throws -> (Project, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "channels-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for sub in ["rules", "templates"] {
            try FileManager.default.copyItem(atPath: CheckTests.root + "/" + sub, toPath: dir + "/" + sub)
        }
        let others = "  sms: { kind: file, path: out }\n  chat: { kind: file, path: out }\n"
        try ("rules: rules\ntemplates: templates\n" + config + others).write(
            toFile: dir + "/touchpoint.yaml", atomically: true, encoding: .utf8)
        return (Project.load(configPath: dir + "/touchpoint.yaml", environment: [:]), dir)
    }

    @Test("unsubscribe-url is a template: customer, message and rule fill it, each value percent-encoded")
    func unsubscribeTemplate() throws {
        let (project, dir) = try Self.project(
            "channels:\n  email: { kind: file, path: out, unsubscribe-url: \"https://shop.example/u/{{customer.id}}/{{ message.id }}?r={{rule.name}}\" }\n"
        )
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(project.diagnostics.filter { $0.severity == .error } == [])
        let settings = project.engineSettings()
        let url = settings.unsubscribeURL(
            channel: .email, messageId: "m1", customer: Customer(id: "a b/é"), rule: "cart-abandoned")
        #expect(try url?.get() == "https://shop.example/u/a%20b%2F%C3%A9/m1?r=cart-abandoned")
        #expect(settings.unsubscribeURL(channel: .sms, messageId: "m1", customer: nil, rule: "r") == nil)
    }

    @Test("a variable the customer lacks fails the link, naming it, instead of sending the braces")
    func strictLink() throws {
        let (project, dir) = try Self.project(
            "channels:\n  email: { kind: file, path: out, unsubscribe-url: \"https://shop.example/u/{{customer.token}}\" }\n"
        )
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let url = project.engineSettings().unsubscribeURL(
            channel: .email, messageId: "m1", customer: Customer(id: "u1"), rule: "r")
        guard case .failure(.missingVariable(let name, _, _))? = url else {
            Issue.record("expected a missing variable, got \(String(describing: url))")
            return
        }
        #expect(name == "customer.token")
    }

    @Test("check reports an unknown root or member in unsubscribe-url at its column")
    func checkedLink() throws {
        let (project, dir) = try Self.project(
            "channels:\n  email: { kind: file, path: out, unsubscribe-url: \"https://s.example/u/{{custmer.id}}/{{message.idd}}\" }\n"
        )
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let errors = project.diagnostics.filter { $0.severity == .error }
        #expect(
            errors.map(\.description) == [
                "\(dir)/touchpoint.yaml:4:73: error: unknown variable root 'custmer'; did you mean 'customer'?; a link has customer, message, rule in channels.email.unsubscribe-url",
                "\(dir)/touchpoint.yaml:4:88: error: unknown variable 'message.idd'; did you mean 'id'?; message has id, channel in channels.email.unsubscribe-url",
            ])
    }
}
