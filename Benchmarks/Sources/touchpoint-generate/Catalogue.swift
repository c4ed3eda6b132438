/// The product catalogue: ids, categories, names and prices (integer cents), with each product's JSON
/// members pre-encoded once so the hot path copies bytes instead of formatting them.
struct Catalogue {
    /// Largest catalogue; product indexes are packed in 19 bits (see `Items`).
    static let maxProducts = 200_000

    /// Categories, in the peers' generator's order.
    static let categories = ["美妆", "数码", "服饰", "家居", "零食", "母婴", "运动", "图书", "Electronics", "Beauty"]

    private static let basePrices = [
        990, 1990, 2990, 4900, 5990, 7900, 9900, 12_900, 19_900, 29_900, 59_900, 129_900,
    ]
    private static let discounts = [10, 10, 10, 9, 8]  // tenths: full price three times in five

    /// Price of each product in cents.
    private(set) var cents: [Int] = []
    /// `"product_id":"p-00042","sku":"SKU-00042","category":"美妆","name":"美妆 商品 00042","price":19.9`
    private var members: [UInt8] = []
    private var memberEnds: [Int] = []
    /// `p-00042`
    private var ids: [UInt8] = []
    private var idEnds: [Int] = []

    /// Number of products.
    var count: Int { cents.count }

    /// Draws `count` products from their own stream, so the catalogue size does not shift the event stream.
    init(count: Int, seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: SplitMix64.mix(seed ^ 0xCA7A_1060_0000_0001))
        let width = max(5, String(count - 1).count)
        cents.reserveCapacity(count)
        for index in 0..<count {
            let price = Self.basePrices[rng.below(Self.basePrices.count)] * Self.discounts[rng.below(5)] / 10
            cents.append(price)
            let number = String(index)
            let padded = String(repeating: "0", count: max(0, width - number.count)) + number
            let category = Self.categories[index % Self.categories.count]
            let text =
                "\"product_id\":\"p-\(padded)\",\"sku\":\"SKU-\(padded)\",\"category\":\"\(category)\","
                + "\"name\":\"\(category) 商品 \(padded)\",\"price\":\(Self.decimal(cents: price))"
            members.append(contentsOf: Array(text.utf8))
            memberEnds.append(members.count)
            ids.append(contentsOf: Array("p-\(padded)".utf8))
            idEnds.append(ids.count)
        }
    }

    /// Cents as the encoder writes them: 4900 -> `49`, 1990 -> `19.9`, 1791 -> `17.91`.
    static func decimal(cents: Int) -> String {
        let fraction = cents % 100
        if fraction == 0 { return String(cents / 100) }
        if fraction % 10 == 0 { return "\(cents / 100).\(fraction / 10)" }
        return "\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// The product's pre-encoded members (no braces).
    func members(_ index: Int) -> ArraySlice<UInt8> {
        members[(index == 0 ? 0 : memberEnds[index - 1])..<memberEnds[index]]
    }

    /// The product's id, e.g. `p-00042`.
    func id(_ index: Int) -> ArraySlice<UInt8> {
        ids[(index == 0 ? 0 : idEnds[index - 1])..<idEnds[index]]
    }
}
