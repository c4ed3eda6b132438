/// One variable or section reference in a template file, for `check`.
public struct TemplateVariable: Sendable, Hashable {
    /// What kind of tag refers to the name.
    public enum Kind: String, Sendable, Hashable {
        /// `{{x}}`, `{{{x}}}` or `{{&x}}`.
        case variable
        /// `{{#x}}`.
        case section
        /// `{{^x}}`.
        case invertedSection
    }

    /// The dotted name split into segments (`["customer", "first_name"]`); `["."]` for `{{.}}`.
    public var path: [String]
    /// The tag as written, transforms included (`uppercased(customer.name)`).
    public var written: String
    /// Which tag it is.
    public var kind: Kind
    /// The file the tag is in.
    public var file: String
    /// 1-based line in the file.
    public var line: Int
    /// 1-based column in the file.
    public var column: Int
    /// Inside a section or inverted section that tests this name or one of its prefixes,
    /// so a missing value never renders.
    public var guarded: Bool
    /// Paths of the enclosing non-inverted sections, innermost last. Inside them a name may
    /// resolve against the section's element (a list item) before the context root.
    public var scopes: [[String]]

    /// Creates a variable reference.
    public init(
        path: [String], written: String, kind: Kind, file: String, line: Int, column: Int, guarded: Bool,
        scopes: [[String]]
    ) {
        self.path = path
        self.written = written
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.guarded = guarded
        self.scopes = scopes
    }
}
