/// A delivery channel a message can go out on.
public enum Channel: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case email
    case sms
    case chat

    /// The profile trait that holds this channel's address.
    public var addressTrait: String {
        switch self {
        case .email: "email"
        case .sms: "phone"
        case .chat: "chat_id"
        }
    }

    public static func < (lhs: Channel, rhs: Channel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
