#include "gchat/crypto/cipher_suite.hpp"

#include <sodium.h>

#include <array>
#include <string>

#include "gchat/crypto/hpke.hpp"

namespace gchat::crypto {

namespace {

// libsodium must be initialised once before use; every path into the suites passes through here.
bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

const Hpke kHpkeAes(AeadAlgorithm::aes128gcm);
const Hpke kHpkeChaCha(AeadAlgorithm::chacha20poly1305);

// The one table of supported suites (RFC 9420 §17.1).
const std::array<CipherSuite, 2> kSuites{
    CipherSuite(kSuiteAes128Gcm, "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", AeadAlgorithm::aes128gcm,
                &kHpkeAes),
    CipherSuite(kSuiteChaCha20Poly1305, "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
                AeadAlgorithm::chacha20poly1305, &kHpkeChaCha),
};

// Expands a 32-byte seed to libsodium's 64-byte secret key; a 64-byte key is used as it is.
Result<SecretBytes> expanded_signing_key(BytesView private_key) {
  if (private_key.size() == crypto_sign_SECRETKEYBYTES) return SecretBytes(private_key);
  if (private_key.size() != crypto_sign_SEEDBYTES) {
    return fail(Errc::invalid_key, "Ed25519 private key must be a 32-byte seed or a 64-byte expanded key");
  }
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  std::uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(pk, sk.data(), private_key.data());
  return sk;
}

}  // namespace

Result<const CipherSuite*> CipherSuite::from_id(std::uint16_t id) {
  if (!sodium_ready()) return fail(Errc::crypto_failure, "libsodium failed to initialise");
  for (const auto& suite : kSuites) {
    if (suite.id() == id) return &suite;
  }
  return fail(Errc::unsupported_suite, "cipher suite 0x" + to_hex(Bytes{static_cast<std::uint8_t>(id >> 8),
                                                                        static_cast<std::uint8_t>(id)}) +
                                           " is not supported (supported: 0x0001, 0x0003)");
}

Bytes CipherSuite::hash(BytesView data) const {
  Bytes out(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(out.data(), nonnull(data), data.size());
  return out;
}

Bytes CipherSuite::mac(BytesView key, BytesView data) const {
  Bytes out(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, nonnull(key), key.size());
  crypto_auth_hmacsha256_update(&st, nonnull(data), data.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

SecretBytes CipherSuite::kdf_extract(BytesView salt, BytesView ikm) const { return hkdf_extract(salt, ikm); }

Result<SecretBytes> CipherSuite::kdf_expand(BytesView prk, BytesView info, std::size_t length) const {
  return hkdf_expand(prk, info, length);
}

Result<Bytes> CipherSuite::aead_seal(BytesView key, BytesView nonce, BytesView aad, BytesView plaintext) const {
  return crypto::aead_seal(aead_, key, nonce, aad, plaintext);
}

Result<Bytes> CipherSuite::aead_open(BytesView key, BytesView nonce, BytesView aad, BytesView ciphertext) const {
  return crypto::aead_open(aead_, key, nonce, aad, ciphertext);
}

SignatureKeyPair CipherSuite::generate_signature_key() const {
  SecretBytes seed(crypto_sign_SEEDBYTES);
  randombytes_buf(seed.data(), seed.size());
  auto pair = signature_key_from_private(seed);
  return std::move(pair).value();  // a fresh 32-byte seed always expands
}

Result<SignatureKeyPair> CipherSuite::signature_key_from_private(BytesView private_key) const {
  GCHAT_TRY(SecretBytes sk, expanded_signing_key(private_key));
  Bytes pk(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_ed25519_sk_to_pk(pk.data(), sk.data());
  SecretBytes seed(crypto_sign_SEEDBYTES);
  crypto_sign_ed25519_sk_to_seed(seed.data(), sk.data());
  return SignatureKeyPair{std::move(seed), std::move(pk)};
}

Result<Bytes> CipherSuite::sign(BytesView private_key, BytesView message) const {
  GCHAT_TRY(SecretBytes sk, expanded_signing_key(private_key));
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, nonnull(message), message.size(), sk.data());
  return sig;
}

Status CipherSuite::verify(BytesView public_key, BytesView message, BytesView signature) const {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) return fail(Errc::invalid_key, "Ed25519 public key must be 32 bytes");
  if (signature.size() != crypto_sign_BYTES) return fail(Errc::bad_signature, "Ed25519 signature must be 64 bytes");
  if (crypto_sign_verify_detached(signature.data(), nonnull(message), message.size(), public_key.data()) != 0) {
    return fail(Errc::bad_signature, "Ed25519 signature does not verify");
  }
  return {};
}

}  // namespace gchat::crypto
