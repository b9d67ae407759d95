// Hash, HMAC, HKDF and AEAD: the symmetric primitives shared by the cipher suites and HPKE.
#include <openssl/evp.h>
#include <sodium.h>

#include <memory>
#include <string>

#include "gchat/crypto/cipher_suite.hpp"

namespace gchat::crypto {

namespace {

struct EvpCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using EvpCtx = std::unique_ptr<EVP_CIPHER_CTX, EvpCtxDeleter>;

constexpr std::size_t kTag = 16;
constexpr std::size_t kNonce = 12;

Status check_sizes(AeadAlgorithm alg, BytesView key, BytesView nonce) {
  if (key.size() != aead_key_length(alg)) return fail(Errc::invalid_key, "AEAD key has the wrong length");
  if (nonce.size() != kNonce) return fail(Errc::invalid_argument, "AEAD nonce must be 12 bytes");
  return {};
}

int to_int(std::size_t n) { return static_cast<int>(n); }



Result<Bytes> aes_gcm_seal(BytesView key, BytesView nonce, BytesView aad, BytesView pt) {
  EvpCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return fail(Errc::crypto_failure, "EVP_CIPHER_CTX_new failed");
  Bytes out(pt.size() + kTag);
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, key.data(), nonce.data()) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), to_int(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, pt.data(), to_int(pt.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out.data() + pt.size()) != 1) {
    return fail(Errc::crypto_failure, "AES-128-GCM encryption failed");
  }
  return out;
}

Result<Bytes> aes_gcm_open(BytesView key, BytesView nonce, BytesView aad, BytesView ct) {
  const std::size_t n = ct.size() - kTag;
  EvpCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return fail(Errc::crypto_failure, "EVP_CIPHER_CTX_new failed");
  Bytes out(n);
  int len = 0;
  // EVP wants a mutable tag pointer for SET_TAG; it only reads it.
  Bytes tag(ct.end() - kTag, ct.end());
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, key.data(), nonce.data()) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), to_int(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct.data(), to_int(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1) {
    return fail(Errc::crypto_failure, "AES-128-GCM decryption setup failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) != 1) {
    sodium_memzero(out.data(), out.size());
    return fail(Errc::decrypt_failed, "AES-128-GCM authentication failed");
  }
  return out;
}

}  // namespace

const std::uint8_t* nonnull(BytesView v) noexcept {
  static constexpr std::uint8_t kEmpty = 0;
  return v.empty() ? &kEmpty : v.data();
}

std::size_t aead_key_length(AeadAlgorithm alg) noexcept { return alg == AeadAlgorithm::aes128gcm ? 16 : 32; }

Result<Bytes> aead_seal(AeadAlgorithm alg, BytesView key, BytesView nonce, BytesView aad, BytesView plaintext) {
  GCHAT_TRY_STATUS(check_sizes(alg, key, nonce));
  if (alg == AeadAlgorithm::aes128gcm) return aes_gcm_seal(key, nonce, aad, plaintext);
  Bytes out(plaintext.size() + kTag);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_len, nonnull(plaintext), plaintext.size(), nonnull(aad),
                                            aad.size(), nullptr, nonce.data(), key.data());
  out.resize(out_len);
  return out;
}

Result<Bytes> aead_open(AeadAlgorithm alg, BytesView key, BytesView nonce, BytesView aad, BytesView ciphertext) {
  GCHAT_TRY_STATUS(check_sizes(alg, key, nonce));
  if (ciphertext.size() < kTag) return fail(Errc::decrypt_failed, "ciphertext shorter than the AEAD tag");
  if (alg == AeadAlgorithm::aes128gcm) return aes_gcm_open(key, nonce, aad, ciphertext);
  Bytes out(ciphertext.size() - kTag);
  unsigned long long out_len = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ciphertext.data(), ciphertext.size(),
                                                nonnull(aad), aad.size(), nonce.data(), key.data()) != 0) {
    return fail(Errc::decrypt_failed, "ChaCha20-Poly1305 authentication failed");
  }
  return out;
}

SecretBytes hkdf_extract(BytesView salt, BytesView ikm) {
  // HMAC pads the key with zeros to the block size, so an empty salt equals Nh zero bytes (RFC 5869 §2.2).
  SecretBytes prk(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, nonnull(salt), salt.size());
  crypto_auth_hmacsha256_update(&st, nonnull(ikm), ikm.size());
  crypto_auth_hmacsha256_final(&st, prk.data());
  sodium_memzero(&st, sizeof st);
  return prk;
}

Result<SecretBytes> hkdf_expand(BytesView prk, BytesView info, std::size_t length) {
  constexpr std::size_t kNh = crypto_auth_hmacsha256_BYTES;
  if (length > 255 * kNh) return fail(Errc::invalid_argument, "HKDF-Expand length above 255 * Nh");
  SecretBytes okm(length);
  std::uint8_t block[kNh];
  std::size_t done = 0;
  for (std::uint8_t counter = 1; done < length; ++counter) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, nonnull(prk), prk.size());
    if (counter > 1) crypto_auth_hmacsha256_update(&st, block, kNh);
    crypto_auth_hmacsha256_update(&st, nonnull(info), info.size());
    crypto_auth_hmacsha256_update(&st, &counter, 1);
    crypto_auth_hmacsha256_final(&st, block);
    sodium_memzero(&st, sizeof st);
    const std::size_t take = std::min(kNh, length - done);
    std::copy(block, block + take, okm.data() + done);
    done += take;
  }
  sodium_memzero(block, sizeof block);
  return okm;
}

}  // namespace gchat::crypto
