import Testing
@testable import TouchpointCore
