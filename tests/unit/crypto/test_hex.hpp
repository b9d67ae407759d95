#pragma once
#include <stdexcept>
#include <string_view>

#include "gchat/base/bytes.hpp"

// Hex literal for test data; a typo in a test vector fails loudly.
inline gchat::Bytes hex(std::string_view s) {
  auto b = gchat::from_hex(s);
  if (!b) throw std::invalid_argument("bad hex in test");
  return *b;
}
