import Foundation
import Logging
import PostgresNIO

/// One statement parameter, typed: the statements name their types with casts (`$1::bytea[]`), and bulk
/// writes bind whole columns as arrays (`unnest`), one round trip per table instead of one per row.
enum SQLValue {
    case int(Int64)
    case int32(Int32)
    case text(String)
    case bool(Bool)
    case bytes(ByteBuffer)
    case ints([Int64])
    case int32s([Int32])
    case texts([String])
    case bools([Bool])
    case bytesArray([ByteBuffer])
    case null

    /// `value`, or NULL.
    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    /// `value`, or NULL.
    static func int(_ value: Int64?) -> SQLValue { value.map { .int($0) } ?? .null }

    func append(to binds: inout PostgresBindings) {
        switch self {
        case .int(let v): binds.append(v)
        case .int32(let v): binds.append(v)
        case .text(let v): binds.append(v)
        case .bool(let v): binds.append(v)
        case .bytes(let v): binds.append(v)
        case .ints(let v): binds.append(v)
        case .int32s(let v): binds.append(v)
        case .texts(let v): binds.append(v)
        case .bools(let v): binds.append(v)
        case .bytesArray(let v): binds.append(v)
        case .null: binds.appendNull()
        }
    }
}

extension PostgresConnection {
    /// Runs one statement with positional parameters (`$1`, `$2`, …) and collects its rows.
    @discardableResult
    func rows(_ sql: String, _ values: [SQLValue] = [], logger: Logger) async throws -> [PostgresRow] {
        var binds = PostgresBindings(capacity: values.count)
        for v in values { v.append(to: &binds) }
        return try await query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
    }
}

/// Columns of optional text bound as two arrays, the values and whether each is NULL: postgres-nio binds
/// arrays without NULL elements. The statement reads them as `CASE WHEN isnull THEN NULL ELSE value END`.
struct OptionalTexts {
    var values: [String] = []
    var nulls: [Bool] = []

    mutating func append(_ value: String?) {
        values.append(value ?? "")
        nulls.append(value == nil)
    }
}

/// Optional bigints bound as one array with `Int64.min` for NULL (never a time or a position the stores write).
struct OptionalInts {
    static let null = Int64.min
    var values: [Int64] = []

    mutating func append(_ value: Int64?) { values.append(value ?? Self.null) }
}
