#pragma once
// MLS messages as the relay carries them (bytes in a protobuf string), for tests that play an MLS
// client by hand.
#include <doctest/doctest.h>

#include <string>

#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/messages.hpp"

namespace gchat::testing {

inline const crypto::CipherSuite& default_suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

inline std::string encoded(const mls::MlsMessage& m) {
  const Bytes b = codec::encode(m);
  return std::string(b.begin(), b.end());
}

inline mls::MlsMessage decoded(const std::string& s) {
  auto m = codec::decode_exact<mls::MlsMessage>(as_bytes(s));
  REQUIRE(m.ok());
  return std::move(*m);
}

}  // namespace gchat::testing
