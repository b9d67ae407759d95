#pragma once
// Plain byte buffers and the helpers every layer needs: views, hex, constant-time comparison.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gchat {

using Bytes = std::vector<std::uint8_t>;
using BytesView = std::span<const std::uint8_t>;

std::string to_hex(BytesView data);
// Lower- or upper-case hex, even length; nullopt on any other character.
std::optional<Bytes> from_hex(std::string_view hex);

// Constant-time equality (sodium_memcmp); false when the sizes differ (sizes are not secret).
bool equal_ct(BytesView a, BytesView b) noexcept;

inline BytesView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline Bytes concat(std::initializer_list<BytesView> parts) {
  std::size_t n = 0;
  for (auto p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace gchat
