import TouchpointCore

/// How a YAML scalar was written; it decides whether character offsets in the value map 1:1 onto the source.
public enum ScalarStyle: String, Sendable, Hashable {
    /// `key: text`
    case plain
    /// `key: 'text'`
    case singleQuoted
    /// `key: "text"`
    case doubleQuoted
    /// `key: |` followed by indented lines.
    case literal
    /// `key: >` followed by indented lines.
    case folded
}

/// Where one Unicode scalar of a value stands in its file (1-based; the column counts scalars).
public struct ScalarPlace: Sendable, Hashable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// A value read from a file, with the place it was written, for checks that run after loading
/// (template and channel names, event names, expressions, rule names).
public struct Located<Value> {
    /// The value itself.
    public var value: Value
    /// Where the value's text starts: for a quoted scalar the column after the quote, for a block
    /// scalar the first character of its first content line.
    public var location: SourceLocation
    /// How the scalar was written, `nil` for values that are not a single scalar.
    public var style: ScalarStyle?
    /// `true` when the value's characters appear in the source one for one from ``location`` on
    /// (no escapes, no folding); offsets into the value then map exactly onto source columns, line by
    /// line for literal blocks.
    public var isVerbatim: Bool
    /// Where each Unicode scalar of a string value stands in the source, followed through the
    /// scalar's escapes (`\t`, `''`), line folding and block indentation; `nil` when unknown.
    public var places: [ScalarPlace]?

    /// A value at a place.
    public init(
        _ value: Value, at location: SourceLocation, style: ScalarStyle? = nil, isVerbatim: Bool = false,
        places: [ScalarPlace]? = nil
    ) {
        self.value = value
        self.location = location
        self.style = style
        self.isVerbatim = isVerbatim
        self.places = places
    }

    /// The same place and style holding another value.
    public func map<T>(_ transform: (Value) throws -> T) rethrows -> Located<T> {
        Located<T>(try transform(value), at: location, style: style, isVerbatim: isVerbatim, places: places)
    }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

extension Located: CustomStringConvertible {
    /// The value, as its own description.
    public var description: String { "\(value)" }
}

extension Located where Value == String {
    /// The source place of the character `offset` unicode scalars into the value: exact when the reader
    /// followed the scalar's escapes and folding (``places``) or the value is verbatim (new lines of a
    /// literal block move down a line and back to the block's indentation), otherwise the value's start.
    /// The offset just past the end is the column after the last scalar.
    public func location(atScalarOffset offset: Int) -> SourceLocation {
        if let places, offset >= 0 {
            if offset < places.count {
                return SourceLocation(
                    file: location.file, line: places[offset].line, column: places[offset].column)
            }
            if let last = places.last, offset == places.count {
                return SourceLocation(file: location.file, line: last.line, column: last.column + 1)
            }
        }
        guard isVerbatim, offset > 0 else { return location }
        var line = location.line
        var column = location.column
        for (i, scalar) in value.unicodeScalars.enumerated() {
            if i == offset { break }
            if scalar == "\n" {
                line += 1
                column = location.column
            } else {
                column += 1
            }
        }
        return SourceLocation(file: location.file, line: line, column: column)
    }

    /// The source place of the byte `offset` UTF-8 bytes into the value; see ``location(atScalarOffset:)``.
    public func location(atUTF8Offset offset: Int) -> SourceLocation {
        let utf8 = value.utf8
        let clamped = min(max(0, offset), utf8.count)
        let index = utf8.index(utf8.startIndex, offsetBy: clamped)
        let scalars = value.unicodeScalars[..<index].count
        return location(atScalarOffset: scalars)
    }
}
