#pragma once
// MLS cipher suites (RFC 9420 §5.1, §17.1). Both supported suites share X25519, SHA-256 and
// Ed25519; they differ in the AEAD:
//   0x0001 MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519        (mandatory to implement)
//   0x0003 MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519 (G-Chat's default)
// Every primitive comes from libsodium, except AES-128-GCM (OpenSSL). A suite is an immutable
// singleton; adding one means adding a row to the descriptor table in cipher_suite.cpp.

#include <cstddef>
#include <cstdint>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"

namespace gchat::crypto {

inline constexpr std::uint16_t kSuiteAes128Gcm = 0x0001;
inline constexpr std::uint16_t kSuiteChaCha20Poly1305 = 0x0003;
inline constexpr std::uint16_t kDefaultSuite = kSuiteChaCha20Poly1305;

struct SignatureKeyPair {
  SecretBytes private_key;  // Ed25519 32-byte seed (the form MLS serialises)
  Bytes public_key;         // 32 bytes
};

struct HpkeKeyPair {
  SecretBytes private_key;  // X25519, 32 bytes
  Bytes public_key;         // 32 bytes
};

struct HpkeCiphertext {
  Bytes kem_output;
  Bytes ciphertext;
};

enum class AeadAlgorithm : std::uint16_t { aes128gcm = 0x0001, chacha20poly1305 = 0x0003 };  // HPKE AEAD ids

class Hpke;

class CipherSuite {
 public:
  // Errc::unsupported_suite for any id outside the table.
  static Result<const CipherSuite*> from_id(std::uint16_t id);

  std::uint16_t id() const noexcept { return id_; }
  const char* name() const noexcept { return name_; }
  AeadAlgorithm aead() const noexcept { return aead_; }

  static constexpr std::size_t hash_length() noexcept { return 32; }  // Nh, SHA-256
  std::size_t aead_key_length() const noexcept { return aead_ == AeadAlgorithm::aes128gcm ? 16 : 32; }
  static constexpr std::size_t aead_nonce_length() noexcept { return 12; }
  static constexpr std::size_t aead_tag_length() noexcept { return 16; }
  static constexpr std::size_t signature_public_key_length() noexcept { return 32; }
  static constexpr std::size_t signature_length() noexcept { return 64; }

  Bytes hash(BytesView data) const;
  Bytes mac(BytesView key, BytesView data) const;  // HMAC-SHA256
  SecretBytes kdf_extract(BytesView salt, BytesView ikm) const;  // HKDF-Extract (RFC 5869)
  // HKDF-Expand; Errc::invalid_argument when length > 255 * Nh.
  Result<SecretBytes> kdf_expand(BytesView prk, BytesView info, std::size_t length) const;

  Result<Bytes> aead_seal(BytesView key, BytesView nonce, BytesView aad, BytesView plaintext) const;
  // Errc::decrypt_failed on any authentication failure (tampering, wrong key, nonce or AAD).
  Result<Bytes> aead_open(BytesView key, BytesView nonce, BytesView aad, BytesView ciphertext) const;

  SignatureKeyPair generate_signature_key() const;
  Result<SignatureKeyPair> signature_key_from_private(BytesView private_key) const;
  // private_key: the 32-byte seed, or libsodium's 64-byte expanded form (faster: no re-derivation).
  Result<Bytes> sign(BytesView private_key, BytesView message) const;
  Status verify(BytesView public_key, BytesView message, BytesView signature) const;  // Errc::bad_signature

  const Hpke& hpke() const noexcept { return *hpke_; }

  CipherSuite(std::uint16_t id, const char* name, AeadAlgorithm aead, const Hpke* hpke) noexcept
      : id_(id), name_(name), aead_(aead), hpke_(hpke) {}

 private:
  std::uint16_t id_;
  const char* name_;
  AeadAlgorithm aead_;
  const Hpke* hpke_;
};

// AEAD on its own, shared by the suites and HPKE.
Result<Bytes> aead_seal(AeadAlgorithm alg, BytesView key, BytesView nonce, BytesView aad, BytesView plaintext);
Result<Bytes> aead_open(AeadAlgorithm alg, BytesView key, BytesView nonce, BytesView aad, BytesView ciphertext);
std::size_t aead_key_length(AeadAlgorithm alg) noexcept;

// libsodium declares pointer arguments non-null even for zero lengths: pass nonnull(view).
const std::uint8_t* nonnull(BytesView v) noexcept;

// HKDF-SHA256 (RFC 5869) on libsodium's HMAC-SHA256 (Debian 12's libsodium 1.0.18 has no HKDF API).
SecretBytes hkdf_extract(BytesView salt, BytesView ikm);
Result<SecretBytes> hkdf_expand(BytesView prk, BytesView info, std::size_t length);

}  // namespace gchat::crypto
