import ArgumentParser
import Channels
import Daemon
import Engine
import Events
import Foundation
import Templates
import TouchpointCore

/// `touchpoint send-test`: render one template and really send it through the configured adapter.
struct SendTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test",
        abstract:
            "Render one template for one channel and really send it to ADDRESS through the configured adapter.",
        discussion:
            "Prints the outcome (delivered / retried / failed) and the peer's answer; exit 1 if not delivered."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The template name (a folder under templates/).")
    var template: String

    @Option(help: "email, sms or chat.")
    var channel: String

    @Option(help: "The address to send to: an email address, an E.164 phone number or a chat id.")
    var to: String

    @Option(help: "A JSON object of traits (with \"id\") used as `customer`.")
    var customer: String?

    @Option(help: "A JSON event (Segment track shape, or {name, properties}) used as `event`.")
    var event: String?

    @Option(help: "Render this locale instead of the customer's.")
    var locale: String?

    func run() async throws {
        guard let channel = Channel(rawValue: channel) else {
            throw ValidationError(
                "unknown channel '\(self.channel)'\(Suggest.didYouMean(self.channel, in: Channel.allCases.map(\.rawValue)))"
            )
        }
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        let (adapters, adapterDiagnostics) = Adapters.build(config: project.config)
        for d in adapterDiagnostics { printError(d.description) }
        guard let adapter = adapters.byChannel[channel] else {
            printError("touchpoint: no adapter configured for channel '\(channel.rawValue)'")
            throw ExitCode(1)
        }
        var traits: [String: JSONValue] = [:]
        if let path = customer { traits = try Self.readObject(path, what: "--customer") }
        let id = traits.removeValue(forKey: "id")?.stringValue ?? "send-test"
        var person = Customer(id: id, traits: traits)
        person.traits[channel.addressTrait] = .string(to)
        var eventValue: JSONValue = [
            "name": "Send Test", "timestamp": .string(ISO8601.format(Self.now(), offsetSeconds: 0)),
            "properties": [:],
        ]
        if let path = event {
            let o = try Self.readObject(path, what: "--event")
            eventValue = [
                "name": o["event"] ?? o["name"] ?? "Send Test",
                "timestamp": o["timestamp"] ?? eventValue["timestamp"]!,
                "properties": o["properties"] ?? [:],
                "message_id": o["messageId"] ?? o["message_id"] ?? .null,
            ]
        }
        let messageId = StableID.message(
            rule: "send-test", customer: id, trigger: "\(Self.now().milliseconds)")
        var message: [String: JSONValue] = ["id": .string(messageId), "channel": .string(channel.rawValue)]
        var unsubscribe: String?
        switch project.engineSettings().unsubscribeURL(
            channel: channel, messageId: messageId, customer: person, rule: "send-test")
        {
        case .success(let url)?: unsubscribe = url
        case .failure(let failure)?: throw ValidationError("unsubscribe-url: \(failure)")
        case nil: break
        }
        if let unsubscribe { message["unsubscribe_url"] = .string(unsubscribe) }
        let context: JSONValue = [
            "customer": person.contextValue, "event": eventValue, "message": .object(message),
            "rule": ["name": "send-test"],
        ]
        let content: RenderedContent
        switch project.templates.render(
            template: template, channel: channel, locale: locale ?? person.locale, context: context)
        {
        case .success(let c): content = c
        case .failure(let failure):
            printError("touchpoint: not sent: \(failure.reason): \(failure.description)")
            throw ExitCode(1)
        }
        // Held back by `run` as well: content past Slack's Block Kit limits.
        if let failure = project.templates.blockKitFailure(content) {
            printError("touchpoint: not sent: \(failure.reason): \(failure.description)")
            throw ExitCode(1)
        }
        let outbound = OutboundMessage(
            messageId: messageId, channel: channel, to: to,
            toName: person.traits["name"]?.stringValue ?? person.traits["first_name"]?.stringValue,
            subject: content.subject, preheader: content.preheader, text: content.text, html: content.html,
            buttons: content.buttons.map { .init(label: $0.label, url: $0.url) }, unsubscribeURL: unsubscribe,
            rule: "send-test", customerId: id, createdAt: Self.now())
        // What `run` would refuse (the engine holds it back `invalid-address`), said first beats "sending … to
        // not-a-phone".
        if let addressProblem = AddressSyntax.problem(to, on: channel) {
            printError("touchpoint: not sent: invalid-address: \(addressProblem)")
            throw ExitCode(1)
        }
        print(
            "sending \(template) (\(channel.rawValue)\(content.locale.map { ", " + $0 } ?? "")) to \(to) via \(adapter.kind), message id \(messageId)"
        )
        if let subject = content.subject { print("  subject: \(subject)") }
        if let sms = content.sms { print("  \(sms.encoding.rawValue), \(sms.segments) segment(s)") }
        let report = await Delivery.deliver(outbound, via: adapter)
        let attempts = "\(report.attempts) attempt\(report.attempts == 1 ? "" : "s")"
        switch report.outcome {
        case .delivered(let providerId, let answer):
            print("delivered after \(attempts)\(providerId.map { ", provider id \($0)" } ?? "")")
            print("  peer answered: \(answer)")
        default:
            print("\(report.outcome.name) after \(attempts)\(report.attempts > 1 ? " (retried)" : "")")
            print("  peer answered: \(report.outcome.answer)")
            throw ExitCode(1)
        }
    }

    static func now() -> Instant { Delivery.wallClock() }

    static func readObject(_ path: String, what: String) throws -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(what) \(path): cannot read the file")
        }
        do {
            guard
                case .object(let o) = try data.withUnsafeBytes({ raw in
                    try JSON.parse(raw.bindMemory(to: UInt8.self))
                })
            else {
                throw ValidationError("\(path): \(what) must be a JSON object")
            }
            return o
        } catch let e as JSONError {
            throw ValidationError("\(path): invalid JSON at byte \(e.offset): \(e.message)")
        }
    }
}
