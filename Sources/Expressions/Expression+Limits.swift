extension Expression {
    /// The longest source accepted, in Unicode scalars.
    public static let maximumLength = 4096
    /// The deepest nesting accepted: parentheses, operator chains and member access all count.
    public static let maximumDepth = 64
    /// The most elements a list literal may have.
    public static let maximumListElements = 1000
    /// The largest string `+` may produce, in UTF-8 bytes.
    public static let maximumStringBytes = 64 * 1024
    /// The longest list `+` may produce.
    public static let maximumListCount = 64 * 1024
}
