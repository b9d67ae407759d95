#pragma once
// The tests drive the relay with the same blocking client gchat-admin uses.
#include "gchat/net/relay_client.hpp"

namespace gchat::testing {
namespace pb = gchat::relay::v1;
using namespace std::chrono_literals;
using net::DeviceKey;
using net::RelayClient;
using net::to_str;
}  // namespace gchat::testing
