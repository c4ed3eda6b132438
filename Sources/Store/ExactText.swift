import Foundation

// GRDB binds a Swift `String` with length -1 and reads TEXT back with `String(cString:)`, so SQLite
// sees, and Swift gets back, only the bytes before the first NUL: `victim\u{0}x` was stored, compared and
// read as `victim`. Ids are therefore bound as the blob of their UTF-8 bytes and turned into TEXT by SQL
// (`CAST(? AS TEXT)` keeps every byte, NULs included, and compares them all), and read back as
// `CAST(column AS BLOB)`. The event decoder already refuses control characters in ids; this keeps the
// store exact whatever a caller hands it.
extension String {
    /// The UTF-8 bytes to bind where the SQL says `CAST(? AS TEXT)`.
    var exactText: Data { Data(utf8) }

    /// Text read back from a `CAST(column AS BLOB)`.
    init(exactText data: Data) {
        self = String(decoding: data, as: UTF8.self)
    }
}
