#include "gchat/identity/enrolment.hpp"

#include <sodium.h>

namespace gchat::identity {
namespace {

// Crockford-like: no I, L, O, U.
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kSymbols = 20;
constexpr std::string_view kLabel = "G-Chat enrolment code v1";

}  // namespace

std::string new_enrolment_code() {
  std::string out;
  for (std::size_t i = 0; i < kSymbols; ++i) {
    if (i > 0 && i % 4 == 0) out.push_back('-');
    out.push_back(kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))]);
  }
  return out;
}

std::optional<std::string> normalized_enrolment_code(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    out.push_back(c);
  }
  if (out.size() != kSymbols) return std::nullopt;
  return out;
}

Bytes enrolment_code_hash(std::string_view canonical_code) {
  const std::uint8_t zero = 0;
  const Bytes input = concat({as_bytes(kLabel), BytesView(&zero, 1), as_bytes(canonical_code)});
  Bytes out(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(out.data(), input.data(), input.size());
  return out;
}

}  // namespace gchat::identity
