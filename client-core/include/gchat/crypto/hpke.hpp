#pragma once
// HPKE base mode (RFC 9180) with DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256, parameterised by the
// AEAD of the MLS cipher suite. Only what MLS needs: mode_base, single-shot seal/open, the context
// API with sequence numbers, secret export, and DeriveKeyPair (§7.1.3) for TreeKEM node keys.

#include <cstdint>
#include <optional>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"

namespace gchat::crypto {

class HpkeContext {
 public:
  Result<Bytes> seal(BytesView aad, BytesView plaintext);   // RFC 9180 §5.2
  Result<Bytes> open(BytesView aad, BytesView ciphertext);  // Errc::decrypt_failed
  Result<SecretBytes> export_secret(BytesView exporter_context, std::size_t length) const;  // §5.3

  // For tests: the derived schedule values.
  BytesView key() const noexcept { return key_; }
  BytesView base_nonce() const noexcept { return base_nonce_; }
  BytesView exporter_secret() const noexcept { return exporter_secret_; }

 private:
  friend class Hpke;
  HpkeContext(const Hpke* hpke, SecretBytes key, SecretBytes base_nonce, SecretBytes exporter_secret)
      : hpke_(hpke), key_(std::move(key)), base_nonce_(std::move(base_nonce)),
        exporter_secret_(std::move(exporter_secret)) {}
  Bytes current_nonce() const;
  void advance() noexcept;

  const Hpke* hpke_;
  SecretBytes key_;
  SecretBytes base_nonce_;
  SecretBytes exporter_secret_;
  std::uint64_t seq_ = 0;
  bool exhausted_ = false;
};

struct HpkeSenderSetup {
  Bytes enc;  // the KEM output to send
  HpkeContext context;
};

class Hpke {
 public:
  explicit Hpke(AeadAlgorithm aead) noexcept;

  static constexpr std::uint16_t kKemId = 0x0020;  // DHKEM(X25519, HKDF-SHA256)
  static constexpr std::uint16_t kKdfId = 0x0001;  // HKDF-SHA256
  AeadAlgorithm aead() const noexcept { return aead_; }

  HpkeKeyPair generate_key_pair() const;
  Result<HpkeKeyPair> derive_key_pair(BytesView ikm) const;  // §7.1.3
  Result<Bytes> public_key_from_private(BytesView private_key) const;

  // SetupBaseS / SetupBaseR (§5.1.1). `ikm_e` makes the ephemeral key deterministic (test vectors).
  Result<HpkeSenderSetup> setup_base_s(BytesView public_key, BytesView info,
                                       std::optional<BytesView> ikm_e = std::nullopt) const;
  Result<HpkeContext> setup_base_r(BytesView enc, BytesView private_key, BytesView info) const;

  // Single-shot base mode (§6.1).
  Result<HpkeCiphertext> seal(BytesView public_key, BytesView info, BytesView aad, BytesView plaintext) const;
  Result<Bytes> open(BytesView private_key, BytesView kem_output, BytesView info, BytesView aad,
                     BytesView ciphertext) const;

 private:
  friend class HpkeContext;
  Result<SecretBytes> encap_shared_secret(BytesView dh, BytesView enc, BytesView pk_r) const;
  Result<HpkeContext> key_schedule(BytesView shared_secret, BytesView info) const;

  AeadAlgorithm aead_;
  Bytes kem_suite_id_;   // "KEM" || kem_id
  Bytes hpke_suite_id_;  // "HPKE" || kem_id || kdf_id || aead_id
};

}  // namespace gchat::crypto
