#include "gchat/identity/channel_keys.hpp"

#include <sodium.h>

#include "gchat/mls/crypto_ops.hpp"

namespace gchat::identity {
namespace {

constexpr std::string_view kKeyLabel = "G-Chat channel key v1";
constexpr std::string_view kWrapLabel = "G-Chat channel key wrap v1";
constexpr std::string_view kPostLabel = "G-Chat channel post v1";

void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Bytes wrap_context(BytesView channel_id, std::uint64_t generation, BytesView device_key) {
  Bytes out(channel_id.begin(), channel_id.end());
  put_u64(out, generation);
  out.insert(out.end(), device_key.begin(), device_key.end());
  return out;
}

Bytes post_aad(BytesView channel_id, std::uint64_t generation) {
  Bytes out(kPostLabel.begin(), kPostLabel.end());
  out.push_back(0);
  out.insert(out.end(), channel_id.begin(), channel_id.end());
  put_u64(out, generation);
  return out;
}

}  // namespace

Result<SecretBytes> channel_key(const mls::Group& publishers, BytesView channel_id) {
  return publishers.export_secret(kKeyLabel, channel_id, static_cast<std::uint16_t>(publishers.suite().aead_key_length()));
}

Result<crypto::HpkeCiphertext> wrap_channel_key(const crypto::CipherSuite& suite, BytesView hpke_public_key,
                                                BytesView channel_id, std::uint64_t generation, BytesView device_key,
                                                BytesView key) {
  if (key.size() != suite.aead_key_length()) return fail(Errc::invalid_argument, "a channel key of the wrong size");
  return mls::encrypt_with_label(suite, hpke_public_key, kWrapLabel, wrap_context(channel_id, generation, device_key),
                                 key);
}

Result<SecretBytes> unwrap_channel_key(const crypto::CipherSuite& suite, BytesView hpke_private_key,
                                       BytesView channel_id, std::uint64_t generation, BytesView device_key,
                                       const crypto::HpkeCiphertext& wrapped) {
  GCHAT_TRY(Bytes key, mls::decrypt_with_label(suite, hpke_private_key, kWrapLabel,
                                               wrap_context(channel_id, generation, device_key), wrapped.kem_output,
                                               wrapped.ciphertext));
  SecretBytes out = SecretBytes::take(key);
  if (out.size() != suite.aead_key_length()) return fail(Errc::decrypt_failed, "a wrapped channel key of the wrong size");
  return out;
}

Result<SealedPost> seal_channel_post(const crypto::CipherSuite& suite, BytesView key, BytesView channel_id,
                                     std::uint64_t generation, BytesView plaintext) {
  SealedPost out;
  out.nonce.resize(crypto::CipherSuite::aead_nonce_length());
  randombytes_buf(out.nonce.data(), out.nonce.size());
  GCHAT_TRY(out.ciphertext, suite.aead_seal(key, out.nonce, post_aad(channel_id, generation), plaintext));
  return out;
}

Result<Bytes> open_channel_post(const crypto::CipherSuite& suite, BytesView key, BytesView channel_id,
                                std::uint64_t generation, BytesView nonce, BytesView ciphertext) {
  if (nonce.size() != crypto::CipherSuite::aead_nonce_length()) return fail(Errc::decrypt_failed, "a channel post with a bad nonce");
  return suite.aead_open(key, nonce, post_aad(channel_id, generation), ciphertext);
}

}  // namespace gchat::identity
