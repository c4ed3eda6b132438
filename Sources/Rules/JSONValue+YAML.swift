import TouchpointCore
import Yams

extension JSONValue {
    /// The JSON equivalent of a composed YAML node: YAML 1.2 core types (`true`/`false` only,
    /// so `yes` and `on` stay strings), numbers as numbers, `~`/`null`/empty as null, nested maps and lists.
    ///
    /// `nil` when a mapping key is not a scalar.
    public init?(yamlNode node: Node) {
        switch node {
        case .scalar(let scalar):
            self = JSONValue(yamlScalar: scalar, tag: node.tagName)
        case .sequence(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard let value = JSONValue(yamlNode: item) else { return nil }
                out.append(value)
            }
            self = .array(out)
        case .mapping(let mapping):
            var out: [String: JSONValue] = [:]
            for (key, item) in mapping {
                guard case .scalar(let k) = key, let value = JSONValue(yamlNode: item) else { return nil }
                out[k.string] = value
            }
            self = .object(out)
        case .alias:
            return nil
        }
    }

    /// Parses YAML text (first document) and converts it; `nil` for invalid YAML.
    public init?(yaml text: String) {
        guard let node = try? Yams.compose(yaml: text, YAMLSource.resolver) else { return nil }
        self.init(yamlNode: node)
    }

    init(yamlScalar scalar: Node.Scalar, tag: Tag.Name) {
        let text = scalar.string
        switch tag {
        case .null:
            self = .null
        case .bool:
            self = .bool(text.lowercased() == "true")
        case .int:
            if let i = YAMLReader.integer(text) {
                self = .number(Double(i))
            } else {
                self = .number(Double(text) ?? 0)
            }
        case .float:
            switch text.lowercased() {
            case ".inf", "+.inf": self = .number(.infinity)
            case "-.inf": self = .number(-.infinity)
            case ".nan": self = .number(.nan)
            default: self = .number(Double(text) ?? 0)
            }
        default:
            self = .string(text)
        }
    }
}
