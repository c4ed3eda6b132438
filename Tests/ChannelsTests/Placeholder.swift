import Testing
@testable import Channels
import CCurl
