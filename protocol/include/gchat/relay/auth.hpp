#pragma once
// What a device signs to authenticate to a relay (relay protocol v1, SECURITY.md "Relay
// authentication"): "G-Chat relay auth v1" || 0x00 || relay_id || nonce. The relay id binds the
// signature to one deployment and the fresh 32-byte nonce to one connection.

#include <algorithm>
#include <string_view>

#include "gchat/base/bytes.hpp"

namespace gchat::relay {

inline constexpr std::string_view kAuthContext = "G-Chat relay auth v1";

inline Bytes auth_message(BytesView relay_id, BytesView nonce) {
  Bytes out(kAuthContext.size() + 1 + relay_id.size() + nonce.size());
  auto at = std::copy(kAuthContext.begin(), kAuthContext.end(), out.begin());
  *at++ = 0x00;
  at = std::copy(relay_id.begin(), relay_id.end(), at);
  std::copy(nonce.begin(), nonce.end(), at);
  return out;
}

}  // namespace gchat::relay
