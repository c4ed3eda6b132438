import Events
import Foundation
import Rules
import TouchpointCore

/// What the project's own data says exists: the customer traits, event names and property types that
/// rule tests, the events folder's example lines and the declarations (`customer-traits:` in the config,
/// `events:` in a rule file) use. `check` warns about a name none of them knows, with a did-you-mean.
public struct Vocabulary: Sendable, Hashable {
    /// Trait names (`first_name`).
    public var traits: Set<String> = []
    /// Event names (`Order Completed`).
    public var events: Set<String> = []
    /// Value types by path (`event.properties.price` → `number`), from the values seen.
    public var types: [String: Set<String>] = [:]
    /// Whether anything spoke about traits; with nothing to go by, no trait is flagged.
    public var knowsTraits: Bool { !traits.isEmpty }

    /// An empty vocabulary.
    public init() {}

    /// How much of each events file is read: enough for an example story, bounded for a production folder.
    static let bytesPerFile = 256 << 10
    static let filesRead = 16

    /// Gathers from `<rules>/tests/*.yaml`, the first lines of the events folder's `*.jsonl` files and
    /// the declarations.
    public static func gather(config: Config, ruleSet: RuleSet) -> Vocabulary {
        var v = Vocabulary()
        v.traits.formUnion(config.customerTraits)
        v.events.formUnion(ruleSet.declaredEvents)
        for path in RuleTestFile.files(in: config.rulesDirectory + "/tests") {
            let (tests, _) = RuleTestFile.load(path: path)
            for test in tests {
                for customer in test.customers { v.add(traits: customer.traits) }
                for event in test.events {
                    if let name = event.name?.value { v.events.insert(name) }
                    if let identify = event.identify { v.add(traits: identify) }
                    v.add(properties: event.properties)
                }
            }
        }
        let folder = config.eventsDirectory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".jsonl") && !$0.hasPrefix(".") }.sorted().prefix(filesRead)
        for name in names {
            guard let handle = FileHandle(forReadingAtPath: folder + "/" + name) else { continue }
            let data = (try? handle.read(upToCount: bytesPerFile)) ?? nil
            try? handle.close()
            guard let data else { continue }
            v.add(jsonLines: data)
        }
        return v
    }

    mutating func add(traits: [String: JSONValue]) {
        for (key, value) in traits where value != .null {
            self.traits.insert(key)
            types["customer." + key, default: []].insert(value.typeName)
        }
    }

    mutating func add(properties: [String: JSONValue]) {
        for (key, value) in properties where value != .null {
            types["event.properties." + key, default: []].insert(value.typeName)
        }
    }

    /// Segment-shaped lines: `identify` traits, `track` names and properties. Lines that do not parse are
    /// the reader's business, not this one's.
    mutating func add(jsonLines data: Data) {
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard
                case .object(let o)? = line.withUnsafeBytes({ raw in
                    try? JSON.parse(raw.bindMemory(to: UInt8.self))
                })
            else { continue }
            if case .object(let traits)? = o["traits"] { add(traits: traits) }
            if case .object(let traits)? = (o["context"]?["traits"]) { add(traits: traits) }
            if let name = o["event"]?.stringValue { events.insert(name) }
            if case .object(let properties)? = o["properties"] { add(properties: properties) }
        }
    }
}
