/// A variable path an expression reads, such as `customer.first_name`, for static checks.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// The root variable followed by the field names selected from it: `["customer", "first_name"]`.
    ///
    /// The path stops before a method call or an index that is not a string literal, so
    /// `event.properties.tags[0]` yields `["event", "properties", "tags"]`.
    public let components: [String]
    /// The 0-based Unicode-scalar offset of the root identifier in the expression source.
    public let offset: Int

    /// Creates a field path.
    public init(components: [String], offset: Int) {
        self.components = components
        self.offset = offset
    }

    /// The root variable name (`customer`).
    public var root: String { components.first ?? "" }

    /// The dotted form, `customer.first_name`.
    public var description: String { components.joined(separator: ".") }
}
